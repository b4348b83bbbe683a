"""MaskZero and TrimZero (Element-Research rnn's MaskZero.lua, TrimZero.lua; ports of test/test.lua's
MaskZero_main and TrimZero_main)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import (as_double, assert_gpu_matches_cpu, assert_parameter_jacobians, assert_rejected,
                          assert_type_roundtrip)

rng = np.random.default_rng(0)
DECORATORS = [nn.MaskZero, nn.TrimZero]


def step_module():
    """A recurrent step {x, h} -> tanh(W x + b + U h + c), batch rows independent."""
    return (nn.Sequential().add(nn.ParallelTable().add(nn.Linear(4, 3)).add(nn.Linear(3, 3)))
            .add(nn.CAddTable()).add(nn.Tanh()))


def lstm_like_module():
    """A step {x, {h, c}} -> {h', c'} with tables inside, as an LSTM step takes and gives them."""
    return (nn.Sequential()
            .add(nn.ParallelTable().add(nn.Linear(4, 3)).add(nn.CAddTable()))
            .add(nn.ConcatTable()
                 .add(nn.Sequential().add(nn.CAddTable()).add(nn.Tanh()))
                 .add(nn.Sequential().add(nn.CMulTable()).add(nn.Sigmoid()))))


def padded_input():
    """{x, h}: x's rows 0 and 2 are padding (zeros), h is not."""
    x = rng.normal(size=(4, 4))
    x[[0, 2]] = 0
    return [x, rng.normal(size=(4, 3))]


def lstm_input():
    x = rng.normal(size=(4, 4))
    x[[1, 2]] = 0
    return [x, [rng.normal(size=(4, 3)), rng.normal(size=(4, 3))]]


def reference_step(m, x, h, go):
    """NumPy float64 of the masked step: output, gradInput [dx, dh], and dW, db of the two Linears."""
    lin_x, lin_h = m.get(0).get(0), m.get(0).get(1)
    w, b, u, c = (t.numpy().astype(np.float64) for t in (lin_x.weight, lin_x.bias, lin_h.weight, lin_h.bias))
    keep = (np.abs(x).sum(axis=1) != 0)[:, None]
    y = np.tanh(x @ w.T + b + h @ u.T + c)
    dz = go * keep * (1 - y ** 2)
    return y * keep, [dz @ w, dz @ u], [dz.T @ x, dz.sum(0), dz.T @ h, dz.sum(0)]


@pytest.mark.parametrize('decorator', DECORATORS)
def test_matches_numpy_reference_of_the_masked_step(decorator):
    """MaskZero.lua: output rows zero where the input row is zero; gradOutput zeroed on those rows before the
    module's backward, so gradInput and the parameter gradients are those of the masked output."""
    m = decorator(step_module(), 1).double()
    x, h = padded_input()
    go = rng.normal(size=(4, 3))
    y, grads, pgrads = reference_step(m.module, x, h, go)
    np.testing.assert_allclose(m.forward([x, h]).numpy(), y, rtol=1e-12, atol=1e-15)
    assert not m.output.numpy()[[0, 2]].any()
    m.zeroGradParameters()
    gi = m.backward([x, h], go)
    for got, want in zip(gi, grads):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-15)
    for got, want in zip(m.parameters()[1], pgrads):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize('decorator', DECORATORS)
def test_parameter_gradients_are_those_of_the_masked_output(decorator):
    """A module whose last layer has parameters (a Linear) gets the masked gradOutput in accGradParameters too,
    so the padding rows add nothing to its gradients. (Decorator.lua hands accGradParameters the unmasked
    gradOutput, and TrimZero.lua the untrimmed one: the deviation docs/porting.md records.)"""
    m = decorator(nn.Linear(4, 3), 1).double()
    x = padded_input()[0]
    go = rng.normal(size=(4, 3))
    m.forward(x)
    m.zeroGradParameters()
    m.backward(x, go)
    keep = (np.abs(x).sum(axis=1) != 0)[:, None]
    np.testing.assert_allclose(m.module.gradWeight.numpy(), (go * keep).T @ x, rtol=1e-12)
    np.testing.assert_allclose(m.module.gradBias.numpy(), (go * keep).sum(0), rtol=1e-12)


@pytest.mark.parametrize('decorator', DECORATORS)
def test_table_outputs_are_masked_at_every_depth(decorator):
    """MaskZero.lua's recursiveMask: each tensor of a nested input/output table has its masked rows zeroed."""
    inner = lstm_like_module().double()
    m = decorator(inner.clone(), 1).double()
    x, (h, c) = lstm_input()
    out = m.forward([x, [h, c]])
    plain = inner.forward([x, [h, c]])
    keep = np.abs(x).sum(axis=1) != 0
    for got, full in zip(out, plain):
        np.testing.assert_allclose(got.numpy()[keep], full.numpy()[keep], rtol=1e-12)
        assert not got.numpy()[~keep].any()
    go = [rng.normal(size=(4, 3)), rng.normal(size=(4, 3))]
    gi = m.backward([x, [h, c]], go)
    masked_go = [g * keep[:, None] for g in go]
    want = inner.backward([x, [h, c]], masked_go)
    np.testing.assert_allclose(gi[0].numpy(), want[0].numpy(), rtol=1e-12, atol=1e-15)
    for got, w in zip(gi[1], want[1]):
        np.testing.assert_allclose(got.numpy(), w.numpy(), rtol=1e-12, atol=1e-15)


def _input_rows_to_check(input):
    """Per element of the flattened input tree, whether a finite difference is defined there: not in a
    zero row of the first tensor (a perturbation there unmasks the row)."""
    x = input[0]
    skip = [np.repeat(np.abs(x).sum(axis=1) == 0, x.shape[1])]
    for t in input[1:]:
        for leaf in (t if isinstance(t, list) else [t]):
            skip.append(np.zeros(leaf.size, dtype=bool))
    return np.concatenate(skip)


@pytest.mark.parametrize('decorator', DECORATORS)
@pytest.mark.parametrize('build, make_input', [(step_module, padded_input), (lstm_like_module, lstm_input)],
                         ids=['step', 'lstm-like'])
def test_jacobian_at_a_padded_input(decorator, build, make_input):
    """Finite differences (float64) agree with backward wherever they are defined (every element but those of
    the padding rows, whose gradient must be zero), and with the parameter gradients everywhere."""
    m = decorator(build(), 1).double()
    x = as_double(make_input())
    est = nn.Jacobian.forward(m, x).numpy()
    exact = nn.Jacobian.backward(m, x).numpy()
    skip = _input_rows_to_check([t.numpy() if not isinstance(t, list) else [s.numpy() for s in t] for t in x])
    assert np.abs(est[~skip] - exact[~skip]).max() < 1e-6
    assert not exact[skip].any()
    assert_parameter_jacobians(m, x)


@pytest.mark.parametrize('decorator', DECORATORS)
def test_jacobian_unpadded(decorator):
    """test.lua's MaskZero_main check: nn.Jacobian over random (so unmasked) inputs."""
    from tests.checks import assert_jacobian
    assert_jacobian(decorator(step_module(), 1), [rng.normal(size=(3, 4)), rng.normal(size=(3, 3))])


@pytest.mark.parametrize('decorator', DECORATORS)
def test_type_roundtrip(decorator):
    assert_type_roundtrip(decorator(step_module(), 1), padded_input())


@pytest.mark.gpu
@pytest.mark.parametrize('decorator', DECORATORS)
@pytest.mark.parametrize('build, make_input', [(step_module, padded_input), (lstm_like_module, lstm_input)],
                         ids=['step', 'lstm-like'])
def test_gpu(decorator, build, make_input):
    assert_gpu_matches_cpu(decorator(build(), 1), make_input())


@pytest.mark.gpu
def test_gpu_trim_zero_with_every_row_masked():
    x = [np.zeros((3, 4)), rng.normal(size=(3, 3))]
    assert_gpu_matches_cpu(nn.TrimZero(step_module(), 1), x)


# --- test.lua's MaskZero_main and TrimZero_main ------------------------------------------------------------
def recurrent_mock():
    """test.lua's recurrentModule(): {x, h} -> sigmoid(x) (stateless; zeros do not give zeros)."""
    return nn.Sequential().add(nn.ParallelTable().add(nn.Sigmoid()).add(nn.Identity())).add(nn.SelectTable(0))


def lstm_mock():
    """test.lua's lstmModule(): {x, h, c} -> {sigmoid(x), h}."""
    return (nn.Sequential().add(nn.ParallelTable().add(nn.Sigmoid()).add(nn.Identity()).add(nn.Identity()))
            .add(nn.NarrowTable(0, 2)))


def first(a):
    return a[0] if isinstance(a, list) else a


def rand(*size):
    return lg.DoubleTensor(*size).uniform()


@pytest.mark.parametrize('mock', [recurrent_mock, lstm_mock], ids=['recurrent', 'lstm'])
def test_lua_mask_zero_main(mock):
    """test.lua rnntest.MaskZero_main and TrimZero_main: non-batch and batch forwards of the mocks, masked
    and not; MaskZero and TrimZero agree; Jacobians through SplitTable; a ParallelTable of a convolution and
    a Linear keeps zero rows zero."""
    rec = mock().double()
    mz, tz = nn.MaskZero(rec, 1).double(), nn.TrimZero(rec, 1).double()
    # test.lua hands both mocks {x, h, c} (ParallelTable leaves out the entry it has no branch for; the literal
    # port is tests/porting/test_rnn_testlua_sequencers.py); here each mock gets a table of its own width
    n = 3 if mock is lstm_mock else 2

    def table(x):
        return [x] + [rand(*x.size()) for _ in range(n - 1)]

    for shape in ((10,), (5, 10)):
        i = rand(*shape)
        e = first(rec.forward(table(i))).clone()
        o = first(mz.forward(table(i))).clone()
        o2 = first(tz.forward(table(i))).clone()
        assert (i - o).norm() > 1e-5 and (e - o).norm() < 1e-5 and (o2 - o).norm() < 1e-5
        z = lg.zeros(*shape).double()
        o = first(mz.forward(table(z))).clone()
        o2 = first(tz.forward(table(z))).clone()
        assert o.norm() < 1e-5 and o2.norm() < 1e-5
    i = lg.DoubleTensor([[0, 0, 0], [1, 2, 5]])
    r = first(rec.forward(table(i))).clone()
    o = first(mz.forward(table(i))).clone()
    o2 = first(tz.forward(table(i))).clone()
    assert (r - o).norm() > 1e-5
    r[0].zero()
    assert (r - o).norm() < 1e-5 and (o2 - o).norm() < 1e-5
    for decorator in DECORATORS:
        for size in ((n, 10), (n, 5, 10)):
            net = nn.Sequential().add(nn.SplitTable(0)).add(decorator(mock(), 1))
            if mock is lstm_mock:
                net.add(nn.SelectTable(0))
            net.double()
            assert nn.Jacobian.testJacobian(net, rand(*size)) < 1e-5
            ferr, berr = nn.Jacobian.testIO(net, rand(*size))
            assert ferr == 0 and berr == 0


@pytest.mark.parametrize('decorator', DECORATORS)
def test_lua_conv_and_linear_rows(decorator):
    """test.lua's 'full test on convolution and linear modules', with the decorator applied (the Lua test
    builds it but leaves the MaskZero line commented out): rows 0-1 of both inputs are zero, their outputs
    zero; the others not."""
    net = decorator(nn.ParallelTable().add(nn.SpatialConvolution(1, 2, 3, 3)).add(nn.Linear(100, 2)), 3).double()
    x = [rand(5, 1, 10, 10), rand(5, 100)]
    for t in x:
        t.narrow(0, 0, 2).zero()
    out = net.forward(x)
    for o in out:
        norms = np.linalg.norm(o.numpy().reshape(5, -1), axis=1)
        assert (norms[:2] < 1e-5).all() and (norms[2:] > 1e-5).all()


def test_trim_zero_runs_the_module_on_the_kept_rows_only():
    """TrimZero.lua: the module sees the unmasked rows of every input tensor (one zero row if none remain);
    the output puts the masked rows back as zeros."""
    seen = []

    class Spy(nn.Identity):
        def updateOutput(self, input):
            seen.append([t.numpy().copy() for t in input])
            return super().updateOutput(input)

    m = nn.TrimZero(nn.Sequential().add(Spy()).add(nn.SelectTable(1)), 1).double()
    x, h = padded_input()
    out = m.forward([x, h])
    np.testing.assert_array_equal(seen[-1][0], x[[1, 3]])
    np.testing.assert_array_equal(seen[-1][1], h[[1, 3]])
    np.testing.assert_array_equal(out.numpy()[[1, 3]], h[[1, 3]])
    assert not out.numpy()[[0, 2]].any()
    out = m.forward([np.zeros((4, 4)), h])
    assert seen[-1][0].shape == (1, 4) and not seen[-1][1].any()
    assert out.size() == (4, 3) and not out.numpy().any()
    gi = m.backward([np.zeros((4, 4)), h], rng.normal(size=(4, 3)))
    assert [g.size() for g in gi] == [(4, 4), (4, 3)] and not any(g.numpy().any() for g in gi)


def test_masking_tests_the_norm_as_torch_does():
    """A row is padding when its L2 norm is 0, the squares summed in double precision as TH's norm: a
    float32 row of denormals is not padding, a float64 row whose squares underflow is (MaskZero.lua,
    SeqLSTM.lua)."""
    m = nn.MaskZero(nn.Identity(), 1)
    tiny32 = np.full((2, 3), 1e-40, dtype=np.float32)
    tiny32[1] = 0
    assert m.forward(tiny32).numpy()[0].any() and not m.forward(tiny32).numpy()[1].any()
    m.double()
    tiny64 = np.array([[1e-170, 0], [1e-150, 0]])
    np.testing.assert_array_equal(m.forward(tiny64).numpy(), [[0, 0], [1e-150, 0]])
    nan = np.array([[np.nan, 0], [0, 0]])
    out = m.forward(nan).numpy()
    assert np.isnan(out[0, 0]) and not out[1].any()
    # SeqLSTM's maskzero finds its padding rows the same way (SeqLSTM.lua's norm)
    lstm = nn.SeqLSTM(2, 3, maskzero=True).double()
    out = lstm.forward(np.array([[[1e-170, 0], [1e-150, 0]]])).numpy()
    assert not out[0, 0].any() and out[0, 1].any()


@pytest.mark.filterwarnings('ignore:divide by zero')
def test_masked_rows_become_zero_even_from_nan_or_inf_outputs():
    """Lua's maskedFill writes 0 over whatever the module gave, NaN and inf included."""
    m = nn.MaskZero(nn.Log(), 1).double()
    out = m.forward(np.array([[0.0, 0.0], [1.0, 2.0]]))
    np.testing.assert_array_equal(out.numpy(), [[0, 0], [0, np.log(2)]])


# --- errors ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('decorator', DECORATORS)
def test_bad_hyper_parameters_fail_at_construction(decorator):
    with pytest.raises(ValueError, match=f'{decorator.__name__}: nInputDim must be a non-negative integer'):
        decorator(nn.Linear(2, 2), -1)
    with pytest.raises(ValueError, match='nInputDim must be a non-negative integer'):
        decorator(nn.Linear(2, 2), 1.5)
    with pytest.raises(TypeError, match=f'{decorator.__name__}: expected an nn module to decorate, got '
                                        'MSECriterion'):
        decorator(nn.MSECriterion(), 1)


@pytest.mark.parametrize('decorator', DECORATORS)
def test_bad_inputs_name_the_module_and_change_nothing(decorator):
    m = decorator(step_module(), 1).double()
    with pytest.raises(ValueError, match=f'{decorator.__name__} @ Sequential: expected a first input tensor of 1 '
                                         r'dimensions, or 2 for a batch \(nInputDim 1\), got 3-D'):
        m.forward([np.zeros((2, 2, 4)), np.zeros((2, 3))])
    with pytest.raises(TypeError, match='expected a tensor input or a table holding one'):
        m.forward([[], []])
    with pytest.raises(ValueError, match='a forward'):
        decorator(step_module(), 1).backward(padded_input(), np.zeros((4, 3)))
    x = padded_input()
    m.forward(x)
    assert_rejected(m, ValueError, r'gradOutput with the input\'s batch of 4 as its first dimension, got size '
                    r'\(3, 3\)', 'backward', x, np.zeros((3, 3)))
    # a module whose output lacks the batch dimension cannot be masked row by row
    summed = decorator(nn.Sequential().add(nn.SelectTable(1)).add(nn.Sum(0)), 1).double()
    with pytest.raises(ValueError, match=r"output with the input's batch of 4 as its first dimension, got size \(3,\)"
                                         r"|output to have the 2 rows it was given as its first dimension, got size"):
        summed.forward(x)


def test_inner_errors_carry_the_path():
    """The path reads as print shows the tree: ``(0): nn.MaskZero @ nn.Sequential {`` is ``MaskZero @ Sequential``
    (a decorator's step was ``MaskZero[0]``, an index print never shows)."""
    m = nn.Sequential().add(nn.MaskZero(step_module(), 1))
    with pytest.raises(ValueError, match=r'^Sequential\[0\] MaskZero @ Sequential\[0\] ParallelTable\[0\] '
                                         r'Linear\(4 -> 3\): expected 4 input features, got 5'):
        m.forward([np.ones((2, 5), dtype=np.float32), np.ones((2, 3), dtype=np.float32)])


def test_clear_state_and_repr():
    m = nn.MaskZero(nn.Linear(2, 2), 1)
    m.forward(lg.rand(3, 2))
    m.backward(lg.rand(3, 2), lg.rand(3, 2))
    assert m.clearState() is m and m.zeroMask.nElement() == 0 and m.output.nElement() == 0
    assert repr(m) == 'nn.MaskZero @ nn.Linear(2 -> 2)'
    assert repr(nn.TrimZero(nn.Linear(2, 2), 1)) == 'nn.TrimZero @ nn.Linear(2 -> 2)'


def test_clear_state_forgets_the_set_zero_mask():
    """MaskZero.lua's clearState sets zeroMask to nil: torch/rnn's MaskZero(module) then refuses a forward until
    setZeroMask gives a mask again (False too is forgotten)."""
    m = nn.MaskZero(nn.Linear(2, 2))
    x = lg.rand(3, 2)
    for given in (lg.ByteTensor([0, 1, 0]), False):
        m.setZeroMask(given)
        m.forward(x)
        m.clearState()
        assert m.givenZeroMask is None
        with pytest.raises(ValueError, match=r'MaskZero @ Linear\(2 -> 2\): expected a zeroMask \(setZeroMask\) '
                                             r'before forward'):
            m.forward(x)
    m.setZeroMask(lg.ByteTensor([0, 1, 0]))
    assert m.forward(x)[1].norm() == 0


def _typed_keeps_the_mask(typename):
    """MaskZero and SeqLSTM given a mask, then converted by ``type(typename)``: each keeps the mask (its type's
    device) and the next forward masks the rows it marks; clearState still forgets it."""
    m = nn.MaskZero(nn.Linear(2, 2))
    lstm = nn.SeqLSTM(2, 3).maskZero()
    x, seq = lg.rand(3, 2).add(1), lg.rand(4, 3, 2).add(1)
    m.setZeroMask(lg.ByteTensor([0, 1, 0]))
    mask = lg.ByteTensor(4, 3).zero()
    mask[2][1] = 1
    lstm.setZeroMask(mask)
    for module in (m, lstm):
        module.type(typename)
    x, seq = x.type(typename), seq.type(typename)
    out = m.forward(x)
    assert out.type() == typename and out[1].norm() == 0 and out[0].norm() > 0
    h = lstm.forward(seq)
    assert h.type() == typename and h[2][1].norm() == 0 and h[3][1].norm() > 0 and h[2][0].norm() > 0
    m.clearState()
    lstm.clearState()
    assert m.givenZeroMask is None and lstm.zeroMask is None


def test_type_keeps_the_set_zero_mask():
    """torch/rnn's MaskZero:type and SeqLSTM:type call clearState to drop buffers, which also drops the mask:
    incidental (rnn's scripts call setZeroMask before every forward); legonn's type keeps buffers, so the mask
    stays and is converted with the module."""
    _typed_keeps_the_mask('legonn.DoubleTensor')


@pytest.mark.gpu
def test_cuda_keeps_the_set_zero_mask():
    _typed_keeps_the_mask('legonn.CudaTensor')


@pytest.mark.gpu
@pytest.mark.parametrize('decorator', DECORATORS)
def test_input_on_the_other_device_is_refused(decorator):
    m = decorator(step_module(), 1)
    x = [lg.rand(2, 4).cuda(), lg.rand(2, 3).cuda()]
    with pytest.raises(TypeError, match=rf"{decorator.__name__} @ Sequential: expected a first input tensor on the "
                                        r"module's device \(legonn.FloatTensor\), got legonn.CudaTensor"):
        m.forward(x)


@pytest.mark.parametrize('decorator', DECORATORS)
def test_n_input_dim_zero_masks_a_vector_of_numbers(decorator):
    """nInputDim 0, as rnn's NCE examples use it: the first input tensor is one number per sample (a batch of
    scalars), and a sample is padding where its number is 0."""
    m = decorator(nn.ParallelTable().add(nn.AddConstant(1)).add(nn.AddConstant(1)), 0).double()
    out = m.forward([lg.DoubleTensor([0, 2, 0]), lg.DoubleTensor([[1, 1], [2, 2], [3, 3]])])
    np.testing.assert_array_equal(out[0].numpy(), [0, 3, 0])
    np.testing.assert_array_equal(out[1].numpy(), [[0, 0], [3, 3], [0, 0]])
