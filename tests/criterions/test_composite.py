"""ParallelCriterion, MultiCriterion, CriterionTable, ModuleCriterion, SpatialAutoCropMSECriterion."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.criterions.criterion_checks import as_tensors, case_tests

RNG = np.random.default_rng(14)
X, T = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
LABELS = [1, 0, 3]
IMG, BIG = RNG.normal(size=(2, 2, 3, 3)), RNG.normal(size=(2, 2, 6, 4))


def _parallel():
    return nn.ParallelCriterion().add(nn.MSECriterion(), 0.5).add(nn.MultiMarginCriterion(), 2)


def _multi():
    return nn.MultiCriterion().add(nn.MSECriterion(), 0.5).add(nn.AbsCriterion(), 2)


def _module_criterion():
    return nn.ModuleCriterion(nn.MSECriterion(), nn.Tanh(), nn.MulConstant(2))


# name -> (factory, input, target, NumPy loss)
CASES = {
    'Parallel': (_parallel, [X, X.copy()], [T, LABELS],
                 0.5 * ((X - T) ** 2).mean() + 2 * nn.MultiMarginCriterion().double().forward(
                     lg.DoubleTensor(X), LABELS)),
    'Parallel-repeat': (lambda: nn.ParallelCriterion(True).add(nn.MSECriterion()).add(nn.AbsCriterion(), 3),
                        [X, X.copy()], T, ((X - T) ** 2).mean() + 3 * np.abs(X - T).mean()),
    'Multi': (_multi, X, T, 0.5 * ((X - T) ** 2).mean() + 2 * np.abs(X - T).mean()),
    'Module': (_module_criterion, X, T, ((np.tanh(X) - 2 * T) ** 2).mean()),
    'SpatialAutoCropMSE': (lambda: nn.SpatialAutoCropMSECriterion(), IMG, BIG,
                           ((IMG - BIG[:, :, 1:4, 0:3]) ** 2).mean()),
    'SpatialAutoCropMSE-3d-sum': (lambda: nn.SpatialAutoCropMSECriterion(False), IMG[0], BIG[0],
                                  ((IMG[0] - BIG[0][:, 1:4, 0:3]) ** 2).sum()),
}
test_gradient, test_loss_matches_numpy, test_type_roundtrip, test_gpu = case_tests(CASES)


def test_criterion_table_is_a_module_over_input_and_target():
    ct = nn.CriterionTable(nn.MSECriterion()).double()
    x, t = lg.DoubleTensor(X), lg.DoubleTensor(T)
    np.testing.assert_allclose(ct.forward([x, t]), ((X - T) ** 2).mean(), rtol=1e-12)
    gx, gt = ct.backward([x, t])
    np.testing.assert_allclose(gx.numpy(), 2 * (X - T) / X.size, rtol=1e-12)
    assert gt.size() == (3, 4) and not gt.numpy().any()
    assert isinstance(ct, nn.Module) and ct.float().criterion.type() == 'legonn.FloatTensor'


def test_module_criterion_cast_target_flag():
    mc = nn.ModuleCriterion(nn.MSECriterion(), None, nn.MulConstant(2), castTarget=False)
    mc.double()
    assert mc.criterion.type() == 'legonn.DoubleTensor' and mc.targetModule.type() == 'legonn.FloatTensor'


def test_parallel_gradients_are_weighted_and_buffers_reused():
    pc = _parallel().double()
    x, t = as_tensors([X, X.copy()]), as_tensors([T, LABELS])
    g = pc.backward(x, t)
    np.testing.assert_allclose(g[0].numpy(), 0.5 * 2 * (X - T) / X.size, rtol=1e-12)
    first = g[0]
    assert pc.backward(x, t)[0] is first


def test_parallel_scores_the_first_entries_and_zeroes_the_rest_as_torch7():
    """ParallelCriterion.lua: criterion i takes input[i]; further entries add no loss and get zero gradients."""
    pc = nn.ParallelCriterion(True).add(nn.MSECriterion()).double()
    x = lg.randn(3, 4).double()
    extra = [lg.randn(2).double(), [lg.randn(5).double()]]
    target = lg.randn(3, 4).double()
    assert pc.forward([x] + extra, target) == pytest.approx(nn.MSECriterion().double().forward(x, target))
    g = pc.backward([x] + extra, target)
    assert len(g) == 3 and g[1].size() == (2,) and not g[1].array.any() and not g[2][0].array.any()
    np.testing.assert_allclose(g[0].array, 2 * (x.array - target.array) / 12, rtol=1e-12)


def test_bad_inputs_name_the_criterion():
    with pytest.raises(TypeError, match='ParallelCriterion.*expected a list of at least 2 inputs'):
        _parallel().forward(lg.FloatTensor(3, 4), [lg.FloatTensor(3, 4), LABELS])
    with pytest.raises(TypeError, match='ParallelCriterion.*expected a list of at least 2 targets'):
        _parallel().forward([lg.FloatTensor(3, 4)] * 2, lg.FloatTensor(3, 4))
    with pytest.raises(ValueError, match=r'SpatialAutoCropMSECriterion: expected a target of size \(2, 2\) x'):
        nn.SpatialAutoCropMSECriterion().forward(lg.FloatTensor(2, 2, 3, 3), lg.FloatTensor(2, 2, 2, 5))
    with pytest.raises(TypeError):
        nn.MultiCriterion().add(nn.Tanh())


def test_module_criterion_backward_uses_the_forward_mapping():
    """ModuleCriterion.lua's backward reuses self.input from forward: a dropout input module's gradient follows
    the mask that made the loss, and the module runs forward once per step."""
    lg.manualSeed(0)
    drop = nn.Dropout(0.5).double()
    crit = nn.ModuleCriterion(nn.MSECriterion(), drop).double()
    x, t = lg.ones(8).double(), lg.zeros(8).double()
    crit.forward(x, t)
    mask = drop.noise.array.copy()
    g = crit.backward(x, t)
    np.testing.assert_allclose(g.array, mask * 2 * mask / 8)
    assert drop.noise.array.tolist() == mask.tolist()
    crit.clearState()
    assert '_forwarded' not in crit.__dict__


def test_multicriterion_without_criterions_gives_zeros():
    """nn/MultiCriterion.lua: updateGradInput resizes gradInput as the input (nn.utils.recursiveResizeAs) and
    fills it with 0 before adding each criterion's share, so with none added it is zeros of the input's
    shape (a table input gives a table); the loss is 0."""
    crit = nn.MultiCriterion()
    x = lg.Tensor(2, 3).fill(1)
    assert crit.forward(x, lg.Tensor(2, 3)) == 0
    grad = crit.backward(x, lg.Tensor(2, 3))
    assert tuple(grad.size()) == (2, 3) and (grad.numpy() == 0).all()
    table = crit.backward([lg.Tensor(2).fill(1), lg.Tensor(3).fill(2)], lg.Tensor(2, 3))
    assert [tuple(g.size()) for g in table] == [(2,), (3,)] and all((g.numpy() == 0).all() for g in table)


@pytest.mark.gpu
def test_module_criterion_target_module_takes_any_device():
    """torch/nn ModuleCriterion.lua hands the target to targetModule unchecked: dp's examples train a CUDA model
    with ``nn.ModuleCriterion(nn.ClassNLLCriterion(), nil, nn.Convert())`` and CPU LongTensor labels, which the
    cast nn.Convert() brings to the GPU. Without a target module the CPU labels are still refused."""
    loss = nn.ModuleCriterion(nn.ClassNLLCriterion(), None, nn.Convert()).cuda()
    logp = nn.LogSoftMax().forward(lg.randn(4, 3))
    labels = lg.LongTensor([0, 1, 2, 1])
    expected = nn.ClassNLLCriterion().forward(logp, labels)
    assert loss.forward(logp.cuda(), labels) == pytest.approx(expected, rel=1e-6)
    assert loss.backward(logp.cuda(), labels).type() == 'legonn.CudaTensor'
    with pytest.raises(TypeError, match='target'):
        nn.ModuleCriterion(nn.ClassNLLCriterion()).cuda().forward(logp.cuda(), labels)
