"""legonn.cudnn's recurrent modules (cudnn/RNN.lua, RNNReLU.lua, RNNTanh.lua, LSTM.lua, GRU.lua, BLSTM.lua,
BGRU.lua): cuDNN's own RNN sample checksums (test/test_rnn.lua), an independent float64 NumPy reference of the
maths and weight layout, finite differences, nn.SeqLSTM equivalence, states, dropout, types, GPU, errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_rejected, assert_type_roundtrip

# test/test_rnn.lua's checksums, which it took from NVIDIA's cuDNN RNN sample (2 layers, hidden and input 512,
# batch 64, 20 steps; inputs, states and output gradients 1; matrices 1 / their size and biases 1, or, for the
# bidirectional ones, the whole weight 1 / its size)
CHECKSUMS = {
    'RNNReLU': dict(i=1.315793E+06, h=1.315212E+05, di=6.676003E+01, dh=6.425067E+01, dw=1.453750E+09),
    'RNNTanh': dict(i=6.319591E+05, h=6.319605E+04, di=4.501830E+00, dh=4.489546E+00, dw=5.012598E+07),
    'LSTM': dict(i=5.749536E+05, c=4.365091E+05, h=5.774818E+04, di=3.842206E+02, dc=9.323785E+03, dh=1.182566E+01,
                 dw=4.313461E+08),
    'GRU': dict(i=6.358978E+05, h=6.281680E+04, di=6.296622E+00, dh=2.289960E+05, dw=5.397419E+07),
    'BiRELU': dict(i=1.388634E+01, h=1.288997E+01, di=1.288729E+01, dh=1.279004E+01, dw=7.061081E+07),
    'BiTANH': dict(i=1.388634E+01, h=1.288997E+01, di=1.288729E+01, dh=1.279004E+01, dw=7.061081E+07),
    'BLSTM': dict(i=3.134097E+04, c=3.845626E+00, h=1.922855E+00, di=4.794993E+00, dc=2.870925E+04, dh=2.468645E+00,
                  dw=1.121568E+08),
    'BGRU': dict(i=6.555183E+04, h=5.830924E+00, di=4.271801E+00, dh=6.555744E+04, dw=1.701796E+08),
}


def _bidirectional_rnn(mode):
    rnn = cudnn.RNN(512, 512, 2)
    rnn.bidirectional = 'CUDNN_BIDIRECTIONAL'
    rnn.mode = mode
    rnn.numDirections = 2
    return rnn


BUILD = {'RNNReLU': lambda bf: cudnn.RNNReLU(512, 512, 2, bf), 'RNNTanh': lambda bf: cudnn.RNNTanh(512, 512, 2),
         'LSTM': lambda bf: cudnn.LSTM(512, 512, 2), 'GRU': lambda bf: cudnn.GRU(512, 512, 2),
         'BiRELU': lambda bf: _bidirectional_rnn('CUDNN_RNN_RELU'),
         'BiTANH': lambda bf: _bidirectional_rnn('CUDNN_RNN_TANH'),
         'BLSTM': lambda bf: cudnn.BLSTM(512, 512, 2), 'BGRU': lambda bf: cudnn.BGRU(512, 512, 2)}


@pytest.mark.parametrize('name, batchFirst', [(n, False) for n in CHECKSUMS] + [('RNNReLU', True)])
def test_cudnn_sample_checksums(name, batchFirst):
    """test/test_rnn.lua's getRNNCheckSums, ported line by line (float32, as the sample): the sums of the
    output, final states, gradients of input and initial states and of the weight agree with cuDNN's to the
    sample's printed precision (relative 2e-5), which pins down the maths (GRU's reset gate included), the
    states and the number of parameters."""
    miniBatch, seqLength, hiddenSize, numberOfLayers = 64, 20, 512, 2
    rnn = BUILD[name](batchFirst)
    biDirectionalScale = rnn.numDirections
    rnn.reset()
    if batchFirst:
        input = lg.FloatTensor(miniBatch, seqLength, hiddenSize).fill(1)
    else:
        input = lg.FloatTensor(seqLength, miniBatch, hiddenSize).fill(1)
    weights = rnn.weights()
    biases = rnn.biases()
    for layer in range(numberOfLayers):
        for layerId in range(rnn.linearLayers[rnn.mode]):
            if biDirectionalScale == 2:
                rnn.weight.fill(1 / rnn.weight.size(0))
            else:
                weightTensor = weights[layer][layerId]
                weightTensor.fill(1.0 / weightTensor.size(0))
                biasTensor = biases[layer][layerId]
                biasTensor.fill(1)
    states = (numberOfLayers * biDirectionalScale, miniBatch, hiddenSize)
    rnn.hiddenInput = lg.FloatTensor(*states).fill(1)
    rnn.cellInput = lg.FloatTensor(*states).fill(1)
    rnn.gradHiddenOutput = lg.FloatTensor(*states).fill(1)
    rnn.gradCellOutput = lg.FloatTensor(*states).fill(1)
    testOutputi = rnn.forward(input)
    gradInput = lg.FloatTensor(*testOutputi.size()).fill(1)
    rnn.backward(input, gradInput)
    sums = dict(i=testOutputi.sum(), h=rnn.hiddenOutput.sum(), c=rnn.cellOutput.sum(), di=rnn.gradInput.sum(),
                dh=rnn.gradHiddenInput.sum(), dc=rnn.gradCellInput.sum(), dw=rnn.gradWeight.sum())
    for key, expected in CHECKSUMS[name].items():
        assert float(sums[key]) == pytest.approx(expected, rel=2e-5), key


def _sig(a):
    return 1 / (1 + np.exp(-a))


def reference(mode, flat, x, L, D, H, h0, c0, skip=False):
    """cuDNN's RNN in float64 NumPy, from the flat weight (every layer's and direction's gate input matrices then
    gate recurrent matrices, layer-major, forward direction first; then their input biases and recurrent biases
    in the same order): (output, final h, final c). ``skip`` (CUDNN_SKIP_INPUT): the first layer has no input
    matrices and each gate adds the input itself."""
    G = {'CUDNN_RNN_RELU': 1, 'CUDNN_RNN_TANH': 1, 'CUDNN_LSTM': 4, 'CUDNN_GRU': 3}[mode]
    T, N, _ = x.shape
    pos, mats, biases = 0, [], []
    for layer in range(L):
        n_in = 0 if skip and layer == 0 else (x.shape[2] if layer == 0 else D * H)
        for d in range(D):
            Ws = [np.eye(H) if n_in == 0 else flat[pos + g * H * n_in:pos + (g + 1) * H * n_in].reshape(H, n_in)
                  for g in range(G)]
            pos += G * H * n_in
            Rs = [flat[pos + g * H * H:pos + (g + 1) * H * H].reshape(H, H) for g in range(G)]
            pos += G * H * H
            mats.append((Ws, Rs))
    for p in range(L * D):
        bWs = [flat[pos + g * H:pos + (g + 1) * H] for g in range(G)]
        pos += G * H
        bRs = [flat[pos + g * H:pos + (g + 1) * H] for g in range(G)]
        pos += G * H
        biases.append((bWs, bRs))
    hy, cy, inp = np.zeros((L * D, N, H)), np.zeros((L * D, N, H)), x
    for layer in range(L):
        outs = []
        for d in range(D):
            p = layer * D + d
            (Ws, Rs), (bWs, bRs) = mats[p], biases[p]
            h, c, ys = h0[p], c0[p], []
            order = range(T - 1, -1, -1) if d else range(T)
            for t in order:
                xi = [inp[t] @ Ws[g].T + bWs[g] for g in range(G)]
                hr = [h @ Rs[g].T + bRs[g] for g in range(G)]
                if mode == 'CUDNN_RNN_RELU':
                    h = np.maximum(xi[0] + hr[0], 0)
                elif mode == 'CUDNN_RNN_TANH':
                    h = np.tanh(xi[0] + hr[0])
                elif mode == 'CUDNN_LSTM':
                    i, f, o = _sig(xi[0] + hr[0]), _sig(xi[1] + hr[1]), _sig(xi[3] + hr[3])
                    c = f * c + i * np.tanh(xi[2] + hr[2])
                    h = o * np.tanh(c)
                else:
                    r, z = _sig(xi[0] + hr[0]), _sig(xi[1] + hr[1])
                    n = np.tanh(xi[2] + r * hr[2])
                    h = (1 - z) * n + z * h
                ys.append(h)
            hy[p], cy[p] = h, c
            outs.append(np.stack(ys[::-1] if d else ys))
        inp = np.concatenate(outs, axis=2)
    assert pos == flat.size
    return inp, hy, cy


CASES = [('RNNReLU', 1, 2), ('RNNTanh', 1, 2), ('LSTM', 1, 2), ('GRU', 1, 2), ('BLSTM', 2, 2), ('BGRU', 2, 2),
         ('RNNTanh', 1, 1), ('GRU', 1, 3)]


def build(name, layers, batchFirst=False, dropout=0):
    cls = getattr(cudnn, name)
    if name in ('BLSTM', 'BGRU'):
        return cls(3, 4, layers, batchFirst, dropout)
    return cls(3, 4, layers, batchFirst, dropout)


@pytest.mark.parametrize('name, D, layers', CASES)
def test_matches_numpy_reference(name, D, layers):
    """Output and final states against the NumPy reference of cuDNN's maths and flat weight layout, from
    given initial states (hiddenInput, cellInput), in float64."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    rnn = build(name, layers)
    T, N, H = 5, 2, 4
    x = lg.randn(T, N, 3)
    h0, c0 = lg.randn(layers * D, N, H), lg.randn(layers * D, N, H)
    rnn.hiddenInput, rnn.cellInput = h0, c0
    out = rnn.forward(x)
    lstm = rnn.mode == 'CUDNN_LSTM'
    y, hy, cy = reference(rnn.mode, rnn.weight.numpy(), x.numpy(), layers, D, H, h0.numpy(),
                          c0.numpy() if lstm else np.zeros((layers * D, N, H)))
    np.testing.assert_allclose(out.numpy(), y, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rnn.hiddenOutput.numpy(), hy, rtol=1e-12, atol=1e-14)
    if lstm:
        np.testing.assert_allclose(rnn.cellOutput.numpy(), cy, rtol=1e-12, atol=1e-14)
    assert out.size() == (T, N, D * H) and rnn.weight.nElement() == sum(
        rnn.linearLayers[rnn.mode] // 2 * H * ((3 if l == 0 else D * H) + H + 2) * D for l in range(layers))


@pytest.mark.parametrize('name, D, layers', CASES)
def test_jacobian(name, D, layers):
    """d output / d input and d output / d weight against central differences (float64)."""
    rnn = build(name, layers)
    assert_jacobian(rnn, lg.randn(4, 2, 3), tol=1e-6)


@pytest.mark.parametrize('name', ['LSTM', 'GRU', 'BLSTM', 'RNNTanh'])
def test_state_gradients_by_finite_differences(name):
    """gradHiddenInput / gradCellInput are d(loss)/d(hiddenInput, cellInput) for loss = sum(output * go) +
    sum(hiddenOutput * gh) + sum(cellOutput * gc), gh and gc given as gradHiddenOutput / gradCellOutput."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    rnn = build(name, 2)
    D = rnn.numDirections
    x = lg.randn(3, 2, 3)
    states = {n: lg.randn(2 * D, 2, 4) for n in ('hiddenInput', 'cellInput', 'gradHiddenOutput', 'gradCellOutput')}
    for n, t in states.items():
        setattr(rnn, n, t)
    go = lg.randn(3, 2, 4 * D)
    lstm = rnn.mode == 'CUDNN_LSTM'

    def loss():
        out = rnn.forward(x)
        total = float((out * go).sum()) + float((rnn.hiddenOutput * states['gradHiddenOutput']).sum())
        return total + (float((rnn.cellOutput * states['gradCellOutput']).sum()) if lstm else 0)

    loss()
    rnn.backward(x, go)
    for name_in, grad in (('hiddenInput', rnn.gradHiddenInput.clone()), ('cellInput', rnn.gradCellInput.clone())):
        flat = states[name_in].view(-1)
        est = np.empty(flat.nElement())
        for i in range(flat.nElement()):
            v = float(flat[i])
            flat[i] = v + 1e-6
            up = loss()
            flat[i] = v - 1e-6
            est[i] = (up - loss()) / 2e-6
            flat[i] = v
        expected = est if lstm or name_in == 'hiddenInput' else np.zeros_like(est)
        np.testing.assert_allclose(grad.numpy().ravel(), expected, atol=1e-7)


def test_lstm_equals_seqlstm_with_the_same_weights():
    """cuDNN's LSTM is nn.SeqLSTM's maths with one bias bW + bR (gates reordered from i, f, g, o to i, f, o, g):
    the same output and input gradient."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    rnn = cudnn.LSTM(3, 4, 1)
    seq = nn.SeqLSTM(3, 4)
    (W, R, bW, bR), = rnn._views(rnn.weight)
    for k, g in enumerate((0, 1, 3, 2)):
        seq.weight[:3, k * 4:(k + 1) * 4].copy(lg.as_tensor(W[g * 4:(g + 1) * 4].T.copy()))
        seq.weight[3:, k * 4:(k + 1) * 4].copy(lg.as_tensor(R[g * 4:(g + 1) * 4].T.copy()))
        seq.bias[k * 4:(k + 1) * 4].copy(lg.as_tensor(bW[g * 4:(g + 1) * 4] + bR[g * 4:(g + 1) * 4]))
    x, go = lg.randn(5, 2, 3), lg.randn(5, 2, 4)
    np.testing.assert_allclose(rnn.forward(x).numpy(), seq.forward(x).numpy(), rtol=1e-12)
    np.testing.assert_allclose(rnn.backward(x, go).numpy(), seq.backward(x, go).numpy(), rtol=1e-12)


def test_gru_is_not_seqgru():
    """cuDNN's GRU applies the reset gate after the recurrent product (and its bias); nn.SeqGRU before: with the
    same weights and biases split alike, the outputs differ (the NumPy reference above is cuDNN's)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    rnn, seq = cudnn.GRU(3, 4, 1), nn.SeqGRU(3, 4)
    (W, R, bW, bR), = rnn._views(rnn.weight)
    seq.weight[:3].copy(lg.as_tensor(W.T.copy()))
    seq.weight[3:].copy(lg.as_tensor(R.T.copy()))
    bR[8:] = 0   # the candidate's recurrent bias, which SeqGRU has no place for
    seq.bias.copy(lg.as_tensor(bW + bR))
    x = lg.randn(5, 2, 3)
    assert np.abs(rnn.forward(x).numpy() - seq.forward(x).numpy()).max() > 1e-3


def test_batch_first_remember_states_and_reset_states():
    """batchFirst takes and gives (batch, seqLength, features); rememberStates starts each forward from the last
    final states (RNN.lua clones hiddenOutput into hiddenInput), so two halves equal the whole sequence;
    resetStates forgets them."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    whole = cudnn.LSTM(3, 4, 2, True)
    halves = cudnn.LSTM(3, 4, 2, True, 0, True)
    halves.weight.copy(whole.weight)
    x = lg.randn(2, 6, 3)
    out = whole.forward(x)
    assert out.size() == (2, 6, 4)
    first = halves.forward(x[:, :3].contiguous()).clone()
    second = halves.forward(x[:, 3:].contiguous())
    np.testing.assert_allclose(np.concatenate([first.numpy(), second.numpy()], 1), out.numpy(), rtol=1e-12)
    go = lg.randn(2, 6, 4)
    gi = whole.backward(x, go)
    assert gi.size() == (2, 6, 3)
    seq_first = cudnn.LSTM(3, 4, 2)
    seq_first.weight.copy(whole.weight)
    xt, got = x.transpose(0, 1).contiguous(), go.transpose(0, 1).contiguous()
    seq_first.forward(xt)
    np.testing.assert_allclose(seq_first.backward(xt, got).transpose(0, 1).numpy(), gi.numpy(), rtol=1e-12)
    halves.resetStates()
    assert halves.hiddenInput is None and float(halves.hiddenOutput.abs().sum()) == 0
    np.testing.assert_allclose(halves.forward(x[:, :3].contiguous()).numpy(), first.numpy(), rtol=1e-12)
    halves.forward(x[:, :2].contiguous())
    halves.forward(x[:1, :2].contiguous())   # another batch size: starts from zeros, as RNN.lua
    assert halves.hiddenInput is None


def test_dropout_between_layers_in_training_only():
    """dropout zeroes outputs of every layer but the last in training (scaled by 1 / (1 - p)); evaluation uses
    none; backward in evaluation is refused, as RNN.lua's assert(self.train)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    rnn = cudnn.RNNTanh(3, 50, 2, False, 0.5)
    plain = cudnn.RNNTanh(3, 50, 2)
    plain.weight.copy(rnn.weight)
    x = lg.randn(4, 3, 3)
    rnn.evaluate()
    np.testing.assert_allclose(rnn.forward(x).numpy(), plain.forward(x).numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match='training'):
        rnn.backward(x, lg.randn(4, 3, 50))
    rnn.training()
    out = rnn.forward(x)
    mask = rnn._noise0.numpy()
    assert set(np.unique(mask)) == {0.0, 2.0} and 0.3 < (mask == 0).mean() < 0.7
    layer0 = rnn._layerOutput0.numpy()
    (W, R, bW, bR) = rnn._views(rnn.weight)[1]
    np.testing.assert_allclose(reference('CUDNN_RNN_TANH', np.concatenate([W.ravel(), R.ravel(), bW, bR]),
                                         layer0 * mask, 1, 1, 50, np.zeros((1, 3, 50)), np.zeros((1, 3, 50)))[0],
                               out.numpy(), rtol=1e-12)
    # with the mask drawn, the gradients are those of layer 1 after layer 0 times the mask
    go = lg.randn(4, 3, 50)
    rnn.zeroGradParameters()
    gi = rnn.backward(x, go)
    first, second = cudnn.RNNTanh(3, 50, 1), cudnn.RNNTanh(50, 50, 1)
    views = rnn._views(rnn.weight)
    first.weight.copy(lg.as_tensor(np.concatenate([v.ravel() for v in views[0]])))
    second.weight.copy(lg.as_tensor(np.concatenate([v.ravel() for v in views[1]])))
    noise = lg.as_tensor(mask)
    hidden = first.forward(x) * noise
    np.testing.assert_allclose(second.forward(hidden).numpy(), out.numpy(), rtol=1e-12)
    first.zeroGradParameters()
    second.zeroGradParameters()
    ref = first.backward(x, second.backward(hidden, go) * noise)
    np.testing.assert_allclose(gi.numpy(), ref.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(np.concatenate([v.ravel() for layer in rnn._views(rnn.gradWeight) for v in layer]),
                               np.concatenate([first.gradWeight.numpy(), second.gradWeight.numpy()]), rtol=1e-10,
                               atol=1e-14)


@pytest.mark.parametrize('name, layers', [('LSTM', 2), ('GRU', 3), ('RNNTanh', 2), ('BLSTM', 2), ('BGRU', 1)])
def test_flat_weight_holds_every_matrix_before_any_bias(name, layers):
    """cuDNN's flat weight holds the matrices of every layer and direction first (layer-major, forward direction
    first; each pseudo-layer's gate input matrices then its gate recurrent matrices), then all the biases in the
    same order: ONNX's OptimizedRNN gives cuDNN's layout as {weight or bias, layer, direction, input or
    recurrent, gate}; MXNet's FusedRNNCell slices cuDNN's parameters so; facebookarchive/torch-rnnlib's
    test/test_cudnn.lua compares ``cg[1]:narrow(1, 1, rgw:size(1))``, the first elements of a two-layer
    cudnn.LSTM's gradWeight, with both layers' matrices. legonn put each layer's biases right after its
    matrices, so from the second layer on every matrix sat where cuDNN (and a cudnn.torch .t7 file) has
    another: rnnlib's comparison failed and a saved multi-layer weight was read into the wrong places."""
    rnn = getattr(cudnn, name)(3, 4, layers)
    base, pos = rnn.weight.storageOffset(), 0
    for views in (rnn.weights(), rnn.biases()):
        for pseudo_layer in views:
            for v in pseudo_layer:
                assert v.storageOffset() - base == pos
                pos += v.nElement()
    assert pos == rnn.weight.nElement()
    # the maths reads the same places: the second layer's first input matrix sits after every matrix of layer 0
    G, D = rnn.linearLayers[rnn.mode] // 2, rnn.numDirections
    W1 = rnn._views(rnn.weight)[D if layers > 1 else 0][0]
    start = D * G * 4 * (3 + 4) if layers > 1 else 0
    np.testing.assert_array_equal(W1.ravel(), rnn.weight.numpy()[start:start + W1.size])


def test_type_roundtrip_gpu_save_load_and_repr(tmp_path):
    """float()/double() convert the weight and states; lg.save/lg.load keep class, weight and fields; the repr
    names cudnn; weights()/biases() are views of the flat weight."""
    for name, D, layers in [('LSTM', 1, 2), ('BGRU', 2, 1), ('RNNReLU', 1, 2)]:
        assert_type_roundtrip(build(name, layers), lg.randn(4, 2, 3))
    rnn = build('BLSTM', 2)
    path = tmp_path / 'rnn.legonn'
    rnn.forward(lg.randn(3, 2, 3))
    lg.save(str(path), rnn)
    back = lg.load(str(path))
    assert type(back) is cudnn.BLSTM and repr(back) == repr(rnn) == 'cudnn.BLSTM(3 -> 4, 2 layers)'
    np.testing.assert_array_equal(back.weight.numpy(), rnn.weight.numpy())
    x = lg.randn(3, 2, 3)
    np.testing.assert_allclose(back.forward(x).numpy(), rnn.forward(x).numpy(), rtol=1e-6)
    w = rnn.weights()
    assert len(w) == 4 and len(w[0]) == 8 and w[0][0].size() == (12,) and w[2][0].size() == (32,)
    w[0][0].fill(3)
    assert float(rnn.weight[0]) == 3 and rnn.biases()[0][0].storage() is rnn.weight.storage()
    assert lg.typename(rnn) == 'cudnn.BLSTM' and lg.isTypeOf(rnn, 'cudnn.RNN')
    assert repr(cudnn.GRU(3, 4, 1, True, 0.25)) == 'cudnn.GRU(3 -> 4, 1 layers, batchFirst, dropout 0.25)'


@pytest.mark.gpu
@pytest.mark.parametrize('name, D, layers', [('LSTM', 1, 2), ('BGRU', 2, 2), ('RNNReLU', 1, 1)])
def test_gpu(name, D, layers):
    """The CUDA twin gives the CPU's output, gradInput and weight gradient (float64)."""
    assert_gpu_matches_cpu(build(name, layers), lg.randn(4, 2, 3))


@pytest.mark.parametrize('make, match', [
    (lambda: cudnn.LSTM(0, 4, 1), 'inputSize'),
    (lambda: cudnn.GRU(3, 4, 0), 'numLayers'),
    (lambda: cudnn.RNNTanh(3, 4, 1, False, 1.5), 'drop probability'),
    (lambda: cudnn.BLSTM(3, -1, 1), 'hiddenSize'),
])
def test_bad_hyper_parameters(make, match):
    """RNN.lua's arguments, checked at construction."""
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_name_the_module_and_change_nothing():
    """RNN.lua's asserts on the input and the states, as errors naming the module; no parameter changes."""
    rnn = cudnn.LSTM(3, 4, 2)
    assert_rejected(rnn, ValueError, r'cudnn\.LSTM\(3 -> 4, 2 layers\).*seqLength x batch x 3', 'forward',
                    lg.randn(5, 2, 4))
    assert_rejected(rnn, ValueError, r'cudnn\.LSTM.*3-D|cudnn\.LSTM.*dimension', 'forward', lg.randn(5, 3))
    rnn.hiddenInput = lg.randn(1, 2, 4)
    assert_rejected(rnn, ValueError, r'cudnn\.LSTM.*hiddenInput of size \(2, 2, 4\)', 'forward', lg.randn(5, 2, 3))
    rnn.hiddenInput = None
    x = lg.randn(5, 2, 3)
    rnn.forward(x)
    assert_rejected(rnn, ValueError, r'cudnn\.LSTM', 'backward', x, lg.randn(5, 2, 3))
    rnn.gradHiddenOutput = lg.randn(2, 3, 4)
    assert_rejected(rnn, ValueError, r'gradHiddenOutput of size \(2, 2, 4\)', 'backward', x, lg.randn(5, 2, 4))


def test_trains_with_get_parameters_and_optim():
    """A model of cudnn.LSTM (batchFirst) and a Linear head trains through getParameters and optim.adam, as a
    Torch7 script would: the flat weight becomes a view into the model's one parameter vector."""
    from legonn import optim
    lg.setdefaulttensortype('torch.DoubleTensor')
    model = nn.Sequential().add(cudnn.LSTM(2, 8, 2, True)).add(nn.Select(1, -1)).add(nn.Linear(8, 1))
    params, grads = model.getParameters()
    assert params.nElement() == model.get(0).weight.nElement() + 9
    assert model.get(0).weight.storage() is params.storage()
    x = lg.randn(16, 5, 2)
    y = x.select(2, 0).sum(1).view(16, 1)   # the sum of the first feature over the sequence
    crit = nn.MSECriterion()

    def feval(p):
        grads.zero()
        out = model.forward(x)
        loss = crit.forward(out, y)
        model.backward(x, crit.backward(out, y))
        return loss, grads

    first = feval(params)[0]
    state = {'learningRate': 0.02}
    for _ in range(150):
        optim.adam(feval, params, state)
    assert feval(params)[0] < first / 10


@pytest.mark.parametrize('mode, D', [('CUDNN_RNN_RELU', 2), ('CUDNN_RNN_TANH', 1), ('CUDNN_LSTM', 2),
                                     ('CUDNN_GRU', 1)])
def test_skip_input_mode(mode, D):
    """``inputMode = 'CUDNN_SKIP_INPUT'`` then ``reset()`` (SeanNaren/deepspeech.torch's BatchBRNN.lua lines 18-23):
    cuDNN's first layer then has no input matrices (``cudnnGetRNNParamsSize`` leaves them out, ``weights()``
    gives them empty) and each gate adds the input itself to its biases and recurrent product. legonn ignored the
    field: a square input matrix stayed in the weight and multiplied the input. Output and states against the
    NumPy reference, the weight's size, finite differences of input and weight, float64."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    H, L, T, N = 4, 2, 5, 3
    rnn = cudnn.RNN(H, H, L)
    rnn.inputMode = 'CUDNN_SKIP_INPUT'
    rnn.mode = mode
    if D == 2:
        rnn.bidirectional, rnn.numDirections = 'CUDNN_BIDIRECTIONAL', 2
    rnn.reset()
    G = rnn.linearLayers[mode] // 2
    assert rnn.weight.nElement() == D * G * H * (H + 2) + D * G * H * (D * H + H + 2)
    assert [w.nElement() for w in rnn.weights()[0]] == [0] * G + [H * H] * G
    assert [b.nElement() for b in rnn.biases()[0]] == [H] * (2 * G)
    x = lg.randn(T, N, H)
    h0, c0 = lg.randn(L * D, N, H), lg.randn(L * D, N, H)
    rnn.hiddenInput, rnn.cellInput = h0, c0
    out = rnn.forward(x)
    lstm = mode == 'CUDNN_LSTM'
    y, hy, cy = reference(mode, rnn.weight.numpy(), x.numpy(), L, D, H, h0.numpy(),
                          c0.numpy() if lstm else np.zeros((L * D, N, H)), skip=True)
    np.testing.assert_allclose(out.numpy(), y, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rnn.hiddenOutput.numpy(), hy, rtol=1e-12, atol=1e-14)
    rnn.hiddenInput = rnn.cellInput = None
    assert_jacobian(rnn, lg.randn(3, 2, H), tol=1e-6)


def test_skip_input_mode_needs_input_size_equal_to_hidden_size():
    """cuDNN refuses CUDNN_SKIP_INPUT when the input is not hiddenSize wide (BAD_PARAM in cudnnGetRNNParamsSize,
    which RNN.lua's reset calls); an unknown inputMode is refused too. The weight is left as it was."""
    rnn = cudnn.RNNReLU(3, 4, 1)
    before = rnn.weight.clone()
    rnn.inputMode = 'CUDNN_SKIP_INPUT'
    with pytest.raises(ValueError, match=r"cudnn\.RNNReLU.*CUDNN_SKIP_INPUT.*inputSize == hiddenSize.*3 and 4"):
        rnn.reset()
    rnn.inputMode = 'SKIP'
    with pytest.raises(ValueError, match=r"cudnn\.RNNReLU: inputMode must be"):
        rnn.forward(lg.randn(2, 2, 3))
    assert lg.equal(rnn.weight, before)
    # a layout field changed without reset(): the weight no longer fits (cuDNN's BAD_PARAM), never misread
    square = cudnn.RNNReLU(4, 4, 1)
    square.inputMode = 'CUDNN_SKIP_INPUT'
    with pytest.raises(ValueError, match=r"RNNReLU.*weight holds 40 values where .*CUDNN_SKIP_INPUT.* need 24: call "
                                         r"reset\(\)"):
        square.forward(lg.randn(2, 2, 4))


def test_t7_file_keeps_the_layout_fields_set_before_reset():
    """A cudnn.RNN as Torch7 saves deepspeech.torch's BatchBRNN's (BatchBRNN.lua lines 18-23: mode, inputMode,
    bidirectional and numDirections set after the constructor, then reset()) loads with those fields, so its flat
    weight (2 x (H^2 + 2H) values: no input matrices) is read into the same layout and computes the same output;
    legonn's t7 reader knew no cudnn.RNN and built the others with the constructor's layout, whose weight size
    the saved one did not match. A numDirections that contradicts bidirectional is a FormatError."""
    import io
    from legonn.serialization import FormatError
    from tests.serialization.test_t7 import T7
    lg.setdefaulttensortype('torch.DoubleTensor')
    rnn = cudnn.RNN(4, 4, 1)
    rnn.inputMode, rnn.bidirectional, rnn.numDirections = 'CUDNN_SKIP_INPUT', 'CUDNN_BIDIRECTIONAL', 2
    rnn.reset()
    fields = dict(inputSize=4, hiddenSize=4, numLayers=1, batchFirst=False, dropout=0, rememberStates=False,
                  mode='CUDNN_RNN_RELU', inputMode='CUDNN_SKIP_INPUT', bidirectional='CUDNN_BIDIRECTIONAL',
                  numDirections=2, weight=rnn.weight.numpy().copy())
    tanh = cudnn.RNNTanh(3, 4, 2)
    tanh.bidirectional, tanh.numDirections = 'CUDNN_BIDIRECTIONAL', 2
    tanh.reset()
    tanh_fields = dict(inputSize=3, hiddenSize=4, numLayers=2, batchFirst=False, dropout=0, rememberStates=False,
                       mode='CUDNN_RNN_TANH', bidirectional='CUDNN_BIDIRECTIONAL', numDirections=2,
                       weight=tanh.weight.numpy().copy())
    loaded = lg.load_lua(io.BytesIO(T7().value({'rnn': ('object', 'cudnn.RNN', fields),
                                                'tanh': ('object', 'cudnn.RNNTanh', tanh_fields)}).bytes()))
    back = loaded['rnn']
    assert lg.typename(back) == 'cudnn.RNN' and back.inputMode == 'CUDNN_SKIP_INPUT' and back.numDirections == 2
    x = lg.randn(5, 2, 4)
    np.testing.assert_array_equal(back.forward(x).numpy(), rnn.forward(x).numpy())
    x3 = lg.randn(5, 2, 3)
    np.testing.assert_array_equal(loaded['tanh'].forward(x3).numpy(), tanh.forward(x3).numpy())
    bad = dict(fields, numDirections=1)
    with pytest.raises(FormatError, match=r"cudnn\.RNN.*numDirections 1 with bidirectional"):
        lg.load_lua(io.BytesIO(T7().value(('object', 'cudnn.RNN', bad)).bytes()))


def _np(t):
    return np.asarray(t.numpy())


@pytest.mark.parametrize('name', ['LSTM', 'GRU', 'RNNTanh', 'RNNReLU'])
def test_packed_input_is_each_sequence_run_alone(name):
    """cudnn/RNN.lua's packed input form ({rows, batchSizes}, from packPaddedSequence): each sequence runs for
    its own length through both layers; the packed output and gradInput rows, each sequence's final states and
    the weight gradient are those of the sequences run one by one."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = getattr(cudnn, name)(3, 4, 2)
    x, lengths = lg.randn(4, 3, 3), [4, 2, 1]
    packed = cudnn.RNN.packPaddedSequence(x, lengths)
    out = m.forward(packed).clone()
    hy, cy = m.hiddenOutput.clone(), m.cellOutput.clone()
    go = lg.randn(*out.size())
    m.zeroGradParameters()
    gi = m.backward(packed, go).clone()
    alone = getattr(cudnn, name)(3, 4, 2)
    alone.weight.copy(m.weight)
    alone.zeroGradParameters()
    sizes = [3, 2, 1, 1]   # sequences running at each step
    for b, n in enumerate(lengths):
        rows = lg.LongTensor([sum(sizes[:t]) + b for t in range(n)])
        xb = x[:n, b:b + 1].clone()
        np.testing.assert_allclose(_np(alone.forward(xb))[:, 0], _np(out.index(0, rows)), rtol=1e-12)
        np.testing.assert_allclose(_np(alone.hiddenOutput)[:, 0], _np(hy)[:, b], rtol=1e-12)
        np.testing.assert_allclose(_np(alone.cellOutput)[:, 0] if name == 'LSTM' else 0, _np(cy)[:, b],
                                   rtol=1e-12)
        gb = alone.backward(xb, go.index(0, rows).view(n, 1, 4))
        np.testing.assert_allclose(_np(gb)[:, 0], _np(gi.index(0, rows)), rtol=1e-12)
    np.testing.assert_allclose(_np(m.gradWeight), _np(alone.gradWeight), rtol=1e-10)


@pytest.mark.parametrize('make, fill, packing, match', [
    (lambda: cudnn.BLSTM(3, 4, 1), None, None, r'packed input is for the unidirectional RNNs\), got a packed input'),
    (lambda: cudnn.LSTM(3, 4, 1), None, lambda x: [x[0], [2, 3]],
     r'batch sizes in decreasing order, got rows of size \(5, 3\), batch sizes \[2, 3\]'),
    (lambda: cudnn.LSTM(3, 4, 1), None, lambda x: [x[0]], r'expected a packed input \{rows, batchSizes\}'),
    (lambda: cudnn.GRU(3, 4, 1), 'gradHiddenOutput', None, r'no gradHiddenOutput or gradCellOutput with a packed'),
])
def test_packed_input_refusals(make, fill, packing, match):
    """What legonn does not provide with packed input (bidirectional RNNs, gradients for the final states) and
    malformed packed input are ValueErrors naming the module; the weights and their gradients stay as they were."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    m = make()
    packed = cudnn.RNN.packPaddedSequence(lg.randn(3, 2, 3), [3, 2])
    if fill:
        m.forward(packed)
        setattr(m, fill, lg.randn(1, 2, 4))
        assert_rejected(m, ValueError, match, 'backward', packed, lg.randn(5, 4))
    else:
        assert_rejected(m, ValueError, match, 'forward', packing(packed) if packing else packed)
