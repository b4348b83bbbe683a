"""Tests of the harvardnlp/im2markup port (tests/porting/im2markup.py): the attention pieces against NumPy written from
LSTM.lua's maths, finite-difference gradients of nn.LinearNoBias, the attention gModule and model.lua's hand-written
backward over the clones, a few training steps on generated images and token sequences, the optimisers of
src/optim, checkpoints saved and loaded as model.lua does, and the beam search on the CUDA path it was written for."""
import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.porting import im2markup as M


@pytest.fixture(autouse=True)
def im2markup_globals(monkeypatch):
    """memory.lua's `function nn.Module:usePrealloc(...)` and friends, and the globals train.lua sets."""
    for name, method in M.MODULE_METHODS.items():
        monkeypatch.setattr(nn.Module, name, method, raising=False)
    monkeypatch.setattr(M, 'use_cuda', False)
    monkeypatch.setattr(M, 'preallocTable', None)
    monkeypatch.setattr(M, 'id2vocab', ['a', 'b', 'c', 'd'])
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype('torch.FloatTensor')


@pytest.fixture
def small_cnn(monkeypatch):
    """cnn.lua's layer kinds and its H/8 x W/8 grid of 512 features with a few channels inside, so that the tests
    of model.lua spend their time on its own loops (test_cnn_gives_one_table_entry_per_feature_row runs the
    repository's CNN)."""
    def createCNNModel(use_cuda=None):
        model = nn.Sequential()
        model.add(nn.AddConstant(-128.0)).add(nn.MulConstant(1.0 / 128))
        model.add(M.cudnn.SpatialConvolution(1, 4, 3, 3, 1, 1, 1, 1)).add(M.cudnn.ReLU(True))
        model.add(M.cudnn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(M.cudnn.SpatialConvolution(4, 8, 3, 3, 1, 1, 1, 1)).add(nn.SpatialBatchNormalization(8))
        model.add(M.cudnn.ReLU(True)).add(M.cudnn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(M.cudnn.SpatialMaxPooling(1, 2, 1, 2, 0, 0)).add(M.cudnn.SpatialMaxPooling(2, 1, 2, 1, 0, 0))
        model.add(M.cudnn.SpatialConvolution(8, 512, 1, 1)).add(nn.SpatialBatchNormalization(512))
        model.add(M.cudnn.ReLU(True))
        model.add(nn.Transpose([1, 2], [2, 3])).add(nn.SplitTable(0, 3))
        return model
    monkeypatch.setattr(M, 'createCNNModel', createCNNModel)


def config(**kw):
    c = dict(dropout=0.0, encoder_num_hidden=4, encoder_num_layers=1, decoder_num_layers=1, target_vocab_size=8,
             target_embedding_size=5, max_encoder_l_w=4, max_encoder_l_h=2, max_decoder_l=5, input_feed=True,
             batch_size=2, prealloc=False, learning_rate=0.1)
    c.update(kw)
    return c


def batch(width=16):
    """Two 16 x width grey images and their token ids (GO 1 first in the inputs, EOS 2 last in the targets,
    padding 0), as data_gen.lua's nextBatch returns them."""
    rng = np.random.RandomState(3)
    images = lg.from_numpy(rng.uniform(0, 255, (2, 1, 16, width))).type(lg.getdefaulttensortype())
    targets = lg.IntTensor([[1, 4, 5, 6], [1, 7, 4, 0]])
    targets_eval = lg.IntTensor([[4, 5, 6, 2], [7, 4, 2, 0]])
    return [images, targets, targets_eval, 7]


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softmax(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def attention_numpy(h, context, W_in, W_out):
    """create_decoder_attn: scores = context . (W_in h), a = softmax(scores), c = a . context,
    out = tanh(W_out [c, h])."""
    target_t = h @ W_in.T
    a = softmax(np.einsum('bsh,bh->bs', context, target_t))
    combined = np.einsum('bs,bsh->bh', a, context)
    return np.tanh(np.concatenate([combined, h], 1) @ W_out.T), a


def test_cnn_gives_one_table_entry_per_feature_row():
    """cnn.lua: three 2 x 2 poolings over both axes (one in each of the last two along one axis) leave H/8 x W/8
    cells of 512 features; Transpose({2, 3}, {3, 4}) and SplitTable(1, 3) give a table of H/8 rows, each
    batch x W/8 x 512."""
    cnn = M.createCNNModel()
    images = batch(32)[0]
    rows = cnn.forward(images)
    assert len(rows) == 2 and all(r.size() == (2, 4, 512) for r in rows)
    last = cnn.get(cnn.size() - 3).output.numpy()     # the ReLU before the Transpose: batch x 512 x 2 x 4
    for i, row in enumerate(rows):
        np.testing.assert_array_equal(row.numpy(), last[:, :, i, :].transpose(0, 2, 1))
    assert (last >= 0).all() and last.max() > 0
    np.testing.assert_allclose(cnn.get(1).output.numpy(), (images.numpy() - 128) / 128)


def test_data_gen_buckets_images_by_size(tmp_path, monkeypatch, small_cnn):
    """data_gen.lua: the data file lists `image_path formula_line`; each image is read as grey levels 0 .. 255
    (255 * image.rgb2y), the formula's tokens become GO, ids, EOS, and images of one size are batched together;
    once the list is used up the unfilled buckets come out one a call, then nil. A batch trains model:step."""
    monkeypatch.setattr(M, 'vocab2id', None)
    monkeypatch.setattr(M, 'label_lines', None)
    rng = np.random.RandomState(0)
    (tmp_path / 'formulas.lst').write_text('a b\nc a d\nz\nd d d d d d d d\n')
    sizes = [(16, 16), (16, 24), (16, 16), (16, 24), (16, 16)]
    pictures = []
    with open(tmp_path / 'train.lst', 'w') as f:
        for i, (h, w) in enumerate(sizes):
            picture = lg.from_numpy(rng.randint(0, 256, (3, h, w)) / 255.0)
            image.save(str(tmp_path / f'{i}.png'), picture)
            pictures.append(picture)
            f.write(f'{i}.png {i % 3}\n')
        f.write('missing.png 0\n')
        f.write('4.png 3\n')       # too many tokens for max_decoder_l: truncated
    data = M.DataGen(str(tmp_path), 'train.lst', str(tmp_path / 'formulas.lst'), 10.0, 2, 3, 5)
    assert data.size() == 7
    first = data.nextBatch(3)
    assert [len(first[4]), first[0].size()] == [3, (3, 1, 16, 16)] and first[4] == ['0.png', '2.png', '4.png']
    np.testing.assert_allclose(first[0][1][0].numpy(), 255 * M.image.rgb2y(pictures[2])[0].numpy(), atol=1e-4)
    np.testing.assert_array_equal(first[1].numpy(), [[1, 4, 5, 0], [1, 3, 0, 0], [1, 6, 4, 7]])  # z is UNK (3)
    np.testing.assert_array_equal(first[2].numpy(), [[4, 5, 2, 0], [3, 2, 0, 0], [6, 4, 7, 2]])
    assert first[3] == 3 + 2 + 4
    rest = sorted([data.nextBatch(3), data.nextBatch(3)], key=lambda b: b[4])   # in the order of Lua's next()
    second, third = rest
    assert second[4] == ['1.png', '3.png'] and second[0].size() == (2, 1, 16, 24)
    np.testing.assert_array_equal(second[1].numpy(), [[1, 6, 4, 7], [1, 4, 5, 0]])
    assert third[4] == ['4.png'] and third[1].numpy().tolist() == [[1, 7, 7, 7, 7]]
    assert third[2].numpy().tolist() == [[7, 7, 7, 7, 7]]   # max_decoder_l + 1 ids kept: no EOS left
    assert data.nextBatch(3) is None and data.cursor == 0
    model = M.Model()
    model.create(config(max_decoder_l=6, batch_size=3))
    first[0] = first[0].double()
    loss, stats = model.step(first, False)
    assert np.isfinite(loss) and stats[0] == 9


def test_linear_no_bias():
    lg.manualSeed(1)
    m = M.LinearNoBias(5, 3)
    assert m.parameters()[0][0] is m.weight and len(m.parameters()[0]) == 1
    assert abs(float(m.weight.abs().max())) <= 1 / np.sqrt(5)
    x = lg.randn(4, 5)
    np.testing.assert_allclose(m.forward(x).numpy(), x.numpy() @ m.weight.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(m.forward(x[0]).numpy(), m.weight.numpy() @ x[0].numpy(), rtol=1e-12)
    assert nn.Jacobian.testJacobian(m, lg.randn(4, 5)) < 1e-6
    assert nn.Jacobian.testJacobianParameters(m, lg.randn(4, 5), m.weight, m.gradWeight) < 1e-6
    copy = lg.deserialize(lg.serialize(m))
    assert type(copy) is M.LinearNoBias and lg.typename(copy) == 'nn.LinearNoBias'
    np.testing.assert_array_equal(copy.forward(x).numpy(), m.forward(x).numpy())


@pytest.mark.parametrize('simple', [0, 1])
def test_decoder_attention_against_numpy_and_finite_differences(simple):
    lg.manualSeed(2)
    B, S, H = 3, 5, 4
    attn = M.create_decoder_attn(H, simple, B, S)
    h, context = lg.randn(B, H), lg.randn(B, S, H)
    out = attn.forward([h, context]).numpy()
    linears = attn.findModules('nn.LinearNoBias')[0]
    if simple == 0:
        expected, a = attention_numpy(h.numpy(), context.numpy(), linears[0].weight.numpy(),
                                      linears[1].weight.numpy())
    else:   # simple: the attended context plus the query, no output layer
        a = softmax(np.einsum('bsh,bh->bs', context.numpy(), h.numpy() @ linears[0].weight.numpy().T))
        expected = np.einsum('bs,bsh->bh', a, context.numpy()) + h.numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    softmax_attn = [m for m in attn.listModules() if getattr(m, 'name', None) == 'softmax_attn']
    np.testing.assert_allclose(softmax_attn[0].output.numpy(), a, rtol=1e-10)   # what model:vis reads
    assert nn.Jacobian.testJacobian(attn, [lg.randn(B, H), lg.randn(B, S, H)]) < 1e-6
    params, grads = attn.getParameters()
    assert nn.Jacobian.testJacobianParameters(attn, [lg.randn(B, H), lg.randn(B, S, H)], params, grads) < 1e-6


def test_decoder_step_against_numpy():
    """createLSTM with attention and input feeding: the embedding joined with the previous attention output,
    i2h + h2h split into the in, forget and out gates and the transform, then the attention over the context."""
    lg.manualSeed(3)
    B, S, E, Hd, V = 2, 6, 5, 4, 8
    dec = M.createLSTM(E, Hd, 1, 0, True, True, True, V, B, None, 'decoder')
    x, context, prev_attn = lg.LongTensor([3, 7]), lg.randn(B, S, Hd), lg.randn(B, Hd)
    prev_c, prev_h = lg.randn(B, Hd), lg.randn(B, Hd)
    next_c, next_h, out = dec.forward([x, context, prev_attn, prev_c, prev_h])
    emb = dec.findModules('nn.LookupTable')[0][0].weight.numpy()
    (i2h, h2h), attn_w = dec.findModules('nn.Linear')[0], dec.findModules('nn.LinearNoBias')[0]
    xin = np.concatenate([emb[x.numpy()], prev_attn.numpy()], 1)
    sums = xin @ i2h.weight.numpy().T + i2h.bias.numpy() + prev_h.numpy() @ h2h.weight.numpy().T + h2h.bias.numpy()
    n1, n2, n3, n4 = np.split(sums, 4, 1)
    c = sigmoid(n2) * prev_c.numpy() + sigmoid(n1) * np.tanh(n4)
    h = sigmoid(n3) * np.tanh(c)
    np.testing.assert_allclose(next_c.numpy(), c, rtol=1e-10)
    np.testing.assert_allclose(next_h.numpy(), h, rtol=1e-10)
    expected, _ = attention_numpy(h, context.numpy(), attn_w[0].weight.numpy(), attn_w[1].weight.numpy())
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_dropout_zero_still_builds_dropout_modules():
    """LSTM.lua sets `dropout = dropout or 0` and then tests `if dropout then`: Lua's 0 is true, so every layer
    above the first and the attention output get an nn.Dropout(0), which a checkpoint holds and the port builds too
    (Python's `if dropout:` would leave them out)."""
    dec = M.createLSTM(5, 4, 2, 0, True, False, True, 8, 2, None, 'decoder')
    drops = dec.findModules('nn.Dropout')[0]
    assert len(drops) == 2 and all(d.p == 0 for d in drops)
    enc = M.createLSTM(7, 4, 1, 0, False, False, False, None, 2, None, 'encoder-fw')
    assert enc.findModules('nn.Dropout')[0] == []


def test_clones_share_parameters_and_reuse_memory(small_cnn):
    """model_utils.lua's clone_many_times re-points each clone's parameters at the original's; memory.lua's
    usePrealloc (with no preallocation) marks the '-reuse' modules, whose gradInput setReuse makes their output."""
    lg.manualSeed(4)
    model = M.Model()
    model.create(config())
    assert len(model.decoder_clones) == 5 and len(model.encoder_fw_clones) == 4
    p = model.decoder.parameters()[0]
    for clone in model.decoder_clones:
        for a, b in zip(clone.parameters()[0], p):
            assert a.storage() is b.storage() and a.storageOffset() == b.storageOffset()
    reused = [m for m in model.decoder_clones[0].listModules() if getattr(m, 'reuse', False)]
    assert sorted(lg.typename(m) for m in reused) == ['nn.Linear'] * 2 + ['nn.Sigmoid'] * 3 + ['nn.Tanh'] * 2
    assert all(m.gradInput is m.output for m in reused)
    sizes = [p.nElement() for p in model.params]
    assert sum(sizes) == model.num_params and sizes[5] == sizes[6] == 2 * 8   # pos embeddings: 2 rows x 2*L*H
    assert all(float(p.abs().max()) <= 0.05 for p in model.params)


def captured_feval(monkeypatch):
    """Replace optim.sgd_list, which model:step calls, by one that only keeps the closure."""
    box = {}

    def keep(opfunc, x, config=None, state=None):
        box['feval'] = opfunc
        return x, [opfunc(x)[0]], None
    monkeypatch.setattr(M, 'sgd_list', keep)
    return box


def test_step_gradients_match_finite_differences(monkeypatch, small_cnn):
    """model.lua's backward through the output projector, the decoder clones (with the attention's gradient into
    the context, split between the two encoder directions), the encoder clones of every row, the row-position
    embeddings and the CNN, against central differences of the loss in float64. The pos_embedding_bw weights are
    made equal to pos_embedding_fw's: reset_state hands both directions the same init_fwd_enc tensors, so the
    backward encoder's start overwrites the forward one's before its backward reads it (in Torch7 too: nngraph
    keeps the input tensors by reference), which is harmless only when the two embeddings agree."""
    lg.manualSeed(5)
    model = M.Model()
    model.create(config(max_encoder_l_w=2))
    model.pos_embedding_bw.get(0).weight.copy(model.pos_embedding_fw.get(0).weight)
    for p in model.params[:5]:
        p.mul(10)    # parameters of 0.5 rather than 0.05, so every part carries a gradient well above rounding
    box = captured_feval(monkeypatch)
    b = batch(16)
    model.step(b, False)
    feval = box['feval']
    _, grads, stats = feval(model.params)
    assert stats[0] == 7
    grads = [g.clone().numpy() for g in grads]
    eps = 1e-6
    for layer, g in enumerate(grads):
        k = int(np.abs(g).argmax())
        assert abs(g[k]) > 1e-6, layer
        p = model.params[layer]
        p[k] = p[k] + eps
        up = feval(model.params)[0]
        p[k] = p[k] - 2 * eps
        down = feval(model.params)[0]
        p[k] = p[k] + eps
        np.testing.assert_allclose((up - down) / (2 * eps), g[k], rtol=1e-4, err_msg=f'layer {layer}')


def test_preallocation_as_the_repository_leaves_it_stops_at_a_nil_size(small_cnn):
    """-prealloc: create_decoder_attn's preallocated sizes read max_encoder_l, which model.lua never sets, so
    torch.LongStorage({batch_size, nil, num_hidden}) stops Torch7 ("element at index 2 is not a number")."""
    model = M.Model()
    with pytest.raises(TypeError, match='None'):
        model.create(config(prealloc=True))


def test_preallocated_buffers_shared_by_the_clones_leave_the_gradients_unchanged(monkeypatch, small_cnn):
    """memory.lua's setPrealloc gives every clone of a network the same gradInput (and, where sizes are given,
    output) tensors per name, on modules whose backward reads neither; with max_encoder_l set, the loss and the
    gradients of a step are those without preallocation."""
    box = captured_feval(monkeypatch)
    results = []
    for prealloc in (False, True):
        monkeypatch.setattr(M, 'preallocTable', None)
        lg.manualSeed(9)
        model = M.Model()
        model.max_encoder_l = 4
        model.create(config(prealloc=prealloc, decoder_num_layers=2, max_encoder_l_w=2))
        for p in model.params[:5]:
            p.mul(10)
        model.step(batch(16), False)
        loss, grads, _ = box['feval'](model.params)
        results.append((loss, [g.clone().numpy() for g in grads]))
    first, second = (c.findModules('nn.MM')[0][0] for c in model.decoder_clones[:2])
    assert first.output is second.output and first.gradInput is second.gradInput
    assert 'decoder_L2_dropout' in M.preallocTable and 'encoder-fw_L1_i2h' in M.preallocTable
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-12)
    for g, g2 in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(g2, g, rtol=1e-10, atol=1e-14)


def test_training_steps_lower_the_loss(small_cnn):
    """train.lua's loop on one batch: model:step with optim.sgd_list (each layer's gradient clipped to norm 5)."""
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(6)
    model = M.Model()
    model.create(config(learning_rate=0.5))
    b = batch(16)
    b[0] = b[0].float()
    losses = [model.step(b, False)[0] for _ in range(6)]
    assert np.isfinite(losses).all()
    assert losses[-1] < losses[0] * 0.9, losses
    assert model.optim_state[0]['evalCounter'] == 6 and model.optim_state[6]['evalCounter'] == 6


def test_sgd_list_clips_each_gradient_to_norm_five():
    x = [lg.Tensor([1.0, 2.0]), lg.Tensor([0.0, 0.0, 0.0])]
    g = [lg.Tensor([30.0, 40.0]), lg.Tensor([0.1, 0.2, 0.2])]
    M.sgd_list(lambda p: (1.5, g, None), x, {'learningRate': 0.1})
    np.testing.assert_allclose(x[0].numpy(), [1.0 - 0.3, 2.0 - 0.4])   # (30, 40) scaled to (3, 4)
    np.testing.assert_allclose(x[1].numpy(), [-0.01, -0.02, -0.02])


def test_sgd_list_keeps_a_zero_hyper_parameter():
    """optim_sgd.lua's `config.dampening or mom` and `config.learningRate or 1e-3` keep a 0, which Lua counts as
    true: zero dampening adds the whole new gradient to the momentum, a zero learning rate moves nothing."""
    x, state = [lg.Tensor([1.0])], {}
    for _ in range(2):
        M.sgd_list(lambda p: (0.0, [lg.Tensor([1.0])], None), x,
                   {'learningRate': 0.1, 'momentum': 0.9, 'dampening': 0}, state)
    assert float(x[0][0]) == pytest.approx(1 - 0.1 - 0.19)   # momentum buffer 1, then 0.9 * 1 + 1
    M.sgd_list(lambda p: (0.0, [lg.Tensor([1.0])], None), x, {'learningRate': 0})
    assert float(x[0][0]) == pytest.approx(0.71)
    m = M.LinearNoBias(2, 2)
    m.gradWeight.zero()
    m.accGradParameters(lg.ones(1, 2), lg.ones(1, 2), 0)     # `scale = scale or 1` keeps the 0
    assert float(m.gradWeight.abs().max()) == 0


def test_adadelta_list_against_numpy():
    """optim_adadelta.lua: the update is delta = sqrt(accDelta + eps) / sqrt(E[g^2] + eps) * g, applied with a
    fixed 0.01 step; accDelta then accumulates delta^2."""
    rho, eps = 0.9, 1e-6
    x = [lg.Tensor([1.0, -2.0])]
    state = {}
    ref, var, acc = np.array([1.0, -2.0]), np.zeros(2), np.zeros(2)
    for _ in range(4):
        M.adadelta_list(lambda p: (float((p[0] * p[0]).sum()), [p[0] * 2], None), x, {}, state)
        g = 2 * ref
        var = rho * var + (1 - rho) * g * g
        delta = np.sqrt(acc + eps) / np.sqrt(var + eps) * g
        ref = ref - 0.01 * delta
        acc = rho * acc + (1 - rho) * delta * delta
    np.testing.assert_allclose(x[0].numpy(), ref, rtol=1e-12)
    assert state[0]['evalCounter'] == 1   # `state[i].evalCounter = state.evalCounter or 0` resets it every call


def test_checkpoint_round_trip(tmp_path, monkeypatch, small_cnn):
    """model:save clears the layers' state and saves {layers, config, global_step, optim_state, id2vocab};
    model:load reads them back as doubles, rebuilds the clones and gives the same loss and gradients."""
    lg.manualSeed(7)
    model = M.Model()
    model.create(config())
    box = captured_feval(monkeypatch)
    b = batch(16)
    model.step(b, False)
    loss, grads, _ = box['feval'](model.params)
    grads = [g.clone() for g in grads]
    model.global_step = 3
    path = str(tmp_path / 'model-3')
    model.save(path)
    loaded = M.Model()
    loaded.load(path, {'max_encoder_l_h': 2})
    assert loaded.global_step == 3 and loaded.optim_state == {'learningRate': 0.1}
    assert loaded.target_vocab_size == 8 and M.id2vocab == ['a', 'b', 'c', 'd']
    loaded.step(b, False)
    loss2, grads2, _ = box['feval'](loaded.params)
    assert loss2 == pytest.approx(loss, rel=1e-12)
    for g, g2 in zip(grads, grads2):
        np.testing.assert_allclose(g2.numpy(), g.numpy(), rtol=1e-9, atol=1e-14)
    bigger = M.Model()
    bigger.load(path, {'max_encoder_l_h': 3})   # a taller image: the last row's embedding repeated
    w, w_old = bigger.pos_embedding_fw.get(0).weight.numpy(), loaded.pos_embedding_fw.get(0).weight.numpy()
    np.testing.assert_array_equal(w, np.concatenate([w_old, w_old[-1:]]))


def test_cpu_beam_search_fails_as_in_torch7(small_cnn):
    """model.lua's decoding indexes with `indices + torch.range(...):long()`, a DoubleTensor (`localize(
    indices:double())`): cutorch's index takes a CudaTensor of indices, Torch7's CPU index wants a LongTensor,
    so the repository decodes on the GPU only, and the port on the CPU stops there too."""
    model = M.Model()
    model.create(config())
    with pytest.raises(TypeError, match='LongTensor'):
        model.step(batch(16), True, 2)


def greedy_and_scores(model, b, labels):
    """The summed teacher-forced log-probabilities of `labels` (batch x steps) through the decoder clones, and the
    greedy (argmax) decoding."""
    images = b[0].cuda()
    rows = model.cnn_model.forward(images)
    source_l, H = rows[0].size(1), model.encoder_num_hidden
    context = model.context_proto[0:2, 0:source_l * len(rows)].clone()
    decoded, score = [], np.zeros(2)
    state = [s.zero()[0:2] for s in model.init_fwd_dec]
    token = lg.CudaTensor([1, 1])
    for t in range(model.max_decoder_l):
        out = model.decoder_clones[t].forward([token, context, *state])
        logp = model.output_projector.forward(out[-1]).double().numpy()
        if t > 0:   # model.lua's maskedFill: after padding or EOS, padding costs nothing
            logp[np.isin(token.double().numpy(), (0, 2)), 0] = 0
        choice = labels[:, t] if labels is not None else logp.argmax(1)
        score += logp[np.arange(2), choice]
        decoded.append(choice)
        token = lg.CudaTensor(choice.astype(np.float32))
        state = [out[-1].clone()] + [o.clone() for o in out[:-1]]
    return np.stack(decoded, 1), score


@pytest.mark.gpu
def test_gpu_training_and_beam_search(tmp_path, small_cnn):
    """The repository's own path: localize moves every layer, criterion and batch to the GPU (targets become
    CudaTensors), a training step lowers the loss, and the beam search picks, per image, the beam of best summed
    log-probability: with beam 1 it is the greedy decoding, and its score is the teacher-forced score of the
    labels it returns."""
    M.use_cuda = True
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.manualSeed(8)
    model = M.Model()
    model.create(config(learning_rate=0.5))
    b = batch(16)
    b[0] = b[0].float()
    losses = [model.step(b, False)[0] for _ in range(3)]
    assert losses[-1] < losses[0]
    assert model.params[0].type() == 'torch.CudaTensor'
    model.step(b, True, 1)
    greedy, _ = greedy_and_scores(model, b, None)
    np.testing.assert_array_equal(model.labels.double().numpy(), greedy)
    model.step(b, True, 3)
    scores = model.beam_scores.double().numpy()
    tokens = [c.double().numpy().astype(np.int64) for c in model.current_indices_history]
    parents = [p.double().numpy().astype(np.int64) for p in model.beam_parents_history]
    beams = []
    for j in range(3):   # each final beam, followed back through its parents, scores what its tokens score
        beam, labels = np.full(2, j), np.zeros((2, model.max_decoder_l), np.int64)
        for t in range(model.max_decoder_l - 1, -1, -1):
            labels[:, t] = tokens[t][np.arange(2), beam]
            beam = parents[t][np.arange(2), beam]
        _, score = greedy_and_scores(model, b, labels)
        np.testing.assert_allclose(scores[:, j], score, rtol=1e-4)
        beams.append(labels)
    best = scores.argmax(1)   # torch.max over the beams' scores, whatever order topk left them in
    np.testing.assert_array_equal(model.labels.double().numpy(), [beams[best[i]][i] for i in range(2)])
    assert (parents[-1] != 0).any() or (parents[-2] != 0).any()          # the best path is not always beam 0's


def write_dataset(root, n):
    """n generated 16 x 16 or 16 x 24 RGB images, their formulas over a four-token vocabulary, the lists."""
    rng = np.random.RandomState(1)
    (root / 'vocab.txt').write_text('a\nb\nc\nd\n')
    (root / 'formulas.lst').write_text('a b\nc a d\nb\nd c\n')
    for name, first in (('train.lst', 0), ('val.lst', n)):
        with open(root / name, 'w') as f:
            for i in range(first, first + n):
                picture = lg.from_numpy(rng.randint(0, 256, (3, 16, 16 if i % 2 else 24)) / 255.0)
                image.save(str(root / f'{i}.png'), picture)
                f.write(f'{i}.png {i % 4}\n')


@pytest.mark.gpu
def test_gpu_train_lua_main(tmp_path, monkeypatch, small_cnn):
    """train.lua's main on the GPU as the repository runs it: vocabulary, DataGen of the training and validation
    lists, epochs of model:step with checkpoints every steps_per_checkpoint steps (model-N at each thousandth
    step, else final-model), the validation by beam search after each epoch, then `-load_model` resuming from
    final-model with its step count and optimiser state."""
    monkeypatch.setattr(M, 'vocab2id', None)
    monkeypatch.setattr(M, 'label_lines', None)
    write_dataset(tmp_path, 4)
    arg = ['-phase', 'train', '-gpu_id', '1', '-num_epochs', '1', '-batch_size', '2', '-steps_per_checkpoint', '2',
           '-max_num_tokens', '5', '-max_image_width', '24', '-max_image_height', '16', '-encoder_num_hidden', '4',
           '-target_embedding_size', '5', '-beam_size', '2', '-learning_rate', '0.5', '-data_base_dir', str(tmp_path),
           '-data_path', 'train.lst', '-val_data_path', 'val.lst', '-label_path', str(tmp_path / 'formulas.lst'),
           '-vocab_file', str(tmp_path / 'vocab.txt'), '-model_dir', str(tmp_path / 'model'),
           '-log_path', str(tmp_path / 'log.txt')]
    lg.setdefaulttensortype('torch.FloatTensor')
    model, val_losses = M.main(arg)
    assert M.use_cuda and model.params[0].type() == 'torch.CudaTensor'
    assert model.global_step == 2 and list(val_losses) == [1]          # 2 batches an epoch, one per size
    assert all(np.isfinite(v) and v > 0 for v in val_losses.values())
    assert sorted(p.name for p in (tmp_path / 'model').iterdir()) == ['final-model', 'model-2']
    log = (tmp_path / 'log.txt').read_text()
    assert 'Val Accuracy' in log and 'training perplexity' in log
    monkeypatch.setattr(M, 'id2vocab', None)
    resumed, _ = M.main(arg + ['-load_model'])   # one more epoch from final-model
    assert M.id2vocab == ['a', 'b', 'c', 'd'] and resumed.global_step == 4
    assert resumed.optim_state[0]['evalCounter'] == 4
    assert (tmp_path / 'model' / 'model-4').exists()
