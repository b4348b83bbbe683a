"""IndexLinear in training loops, against nn.Linear on the same inputs made dense: Torch7's
zeroGradParameters/backward/updateParameters loop (with several backwards before an update, as test.lua's
``test_n_times``), optim's closure over getParameters' flat vector, and the two mixed; and the record of
entries that updateParameters reads staying one step long in an optim loop of 1000 steps."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim

N_IN, N_OUT, BATCH, NNZ, OFFSET = 12, 3, 4, 5, 1


def _batch(rng):
    """A flat IndexLinear input (keys may repeat within a sample) and the same batch as dense rows."""
    keys = rng.randint(0, N_IN - OFFSET, size=(BATCH, NNZ))
    vals = rng.randn(BATCH, NNZ)
    dense = np.zeros((BATCH, N_IN))
    for b in range(BATCH):
        np.add.at(dense[b], keys[b] + OFFSET, vals[b])
    x = [lg.LongTensor(keys.reshape(-1).tolist()), lg.DoubleTensor(vals.reshape(-1)), lg.LongTensor([NNZ] * BATCH)]
    return x, lg.DoubleTensor(dense)


def _pair(normalize=False):
    """An IndexLinear and the nn.Linear holding the same weights (transposed)."""
    il = nn.IndexLinear(N_IN, N_OUT, False, OFFSET, normalize=normalize).reset().double()
    linear = nn.Linear(N_IN, N_OUT).double()
    linear.weight.copy(il.weight.narrow(1, il.normalize, N_OUT).t())
    linear.bias.copy(il.bias)
    return il, linear


def _assert_same(il, linear):
    np.testing.assert_allclose(il.weight.numpy().T, linear.weight.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(il.bias.numpy(), linear.bias.numpy(), rtol=1e-12, atol=1e-14)


def _backward(model, x, target, criterion):
    out = model.forward(x)
    loss = criterion.forward(out, target)
    model.backward(x, criterion.backward(out, target))
    return loss


def _run_alike(seed, step):
    """Five rounds of ``step(model, input, target, criterion)`` on the IndexLinear and on the Linear, each round
    on a new batch, their parameters compared after each; returns the IndexLinear."""
    rng = np.random.RandomState(seed)
    il, linear = _pair()
    criterion = nn.MSECriterion().double()
    for _ in range(5):
        x, dense = _batch(rng)
        target = lg.DoubleTensor(rng.randn(BATCH, N_OUT))
        for model, inp in ((il, x), (linear, dense)):
            step(model, inp, target, criterion)
        _assert_same(il, linear)
    return il


@pytest.mark.parametrize('backwards', [1, 3])
def test_torch7_loop_matches_linear(backwards):
    """zeroGradParameters, ``backwards`` forward/backward pairs on one batch, updateParameters: Linear's steps."""
    def step(model, inp, target, criterion):
        model.zeroGradParameters()
        for _ in range(backwards):
            _backward(model, inp, target, criterion)
        model.updateParameters(0.1)
    assert len(_run_alike(0, step)._running) == backwards


def _optim_loop(model, x, target, criterion):
    params, grads = model.getParameters()

    def feval(_):
        grads.zero()
        return _backward(model, x, target, criterion), grads
    return lambda: optim.sgd(feval, params, {'learningRate': 0.1})


def test_optim_closure_matches_linear():
    _run_alike(1, lambda model, inp, target, criterion: _optim_loop(model, inp, target, criterion)())


def test_zeroing_the_flat_gradients_then_updateParameters_matches_linear():
    """gradParams.zero() in place of zeroGradParameters, then the module's own updateParameters: each step
    takes that step's gradients only, not those of every step since the start."""
    def step(model, inp, target, criterion):
        model.getParameters()[1].zero()
        _backward(model, inp, target, criterion)
        model.updateParameters(0.1)
    _run_alike(2, step)


@pytest.mark.parametrize('normalize', [False, True])
def test_optim_loop_keeps_one_step_of_record(normalize):
    """1000 steps of the optim closure: the record never holds more than the step's one backward, and an
    updateParameters after them takes that step's entries (here: the last step again)."""
    rng = np.random.RandomState(3)
    il = nn.IndexLinear(N_IN, N_OUT, False, OFFSET, normalize=normalize).reset().double()
    criterion = nn.MSECriterion().double()
    x, _ = _batch(rng)
    target = lg.DoubleTensor(rng.randn(BATCH, N_OUT))
    step = _optim_loop(il, x, target, criterion)
    longest = 0
    for _ in range(1000):
        step()
        longest = max(longest, len(il._running))
    assert longest == 1
    assert sum(rows.size for rows, *_ in il._running) == BATCH * NNZ
    if not normalize:
        before = il.weight.numpy().copy()
        il.updateParameters(0.1)
        np.testing.assert_allclose(il.weight.numpy(), before - 0.1 * il.gradWeight.numpy(), rtol=1e-12, atol=1e-15)


def test_clearState_forgets_the_record():
    """IndexLinear.lua's clearState empties its running buffers: an update after it changes nothing."""
    rng = np.random.RandomState(4)
    il, _ = _pair()
    x, _ = _batch(rng)
    il.zeroGradParameters()
    _backward(il, x, lg.DoubleTensor(rng.randn(BATCH, N_OUT)), nn.MSECriterion().double())
    il.clearState()
    w, b = il.weight.numpy().copy(), il.bias.numpy().copy()
    il.updateParameters(0.1)
    np.testing.assert_array_equal(il.weight.numpy(), w)
    np.testing.assert_array_equal(il.bias.numpy(), b)
