"""dpnn's Module methods for training loops (legonn/modules/base/training.py), against float64 NumPy
references of dpnn's Module.lua formulas and ports of its test/test.lua."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


def _net():
    lg.manualSeed(0)
    return nn.Sequential().add(nn.Linear(4, 3)).add(nn.Tanh()).add(nn.Linear(3, 2)).double()


def _filled_grads(net, seed=1):
    rng = np.random.default_rng(seed)
    for g in net.parameters()[1]:
        g.copy(lg.from_numpy(rng.uniform(-1, 1, tuple(g.size()))))
    return [g.numpy().copy() for g in net.parameters()[1]]


def test_grad_param_clip_port():
    """dpnn test/test.lua Module_gradParamClip: the norm returned and the gradients scaled to the cutoff."""
    mlp = nn.Sequential().add(nn.Linear(10, 10)).add(nn.Euclidean(15, 12)) \
        .add(nn.SpatialConvolution(5, 5, 5, 5)).add(nn.LookupTable(100, 100)).double()
    _, grad = mlp.getParameters()
    grad.uniform(-1, 1)
    norm = grad.norm()
    mlp2 = mlp.clone()
    cutoff = norm / 2
    assert abs(mlp2.gradParamClip(cutoff) - norm) < 1e-6
    grad.mul(cutoff / norm)
    grad2 = mlp2.getParameters()[1]
    np.testing.assert_allclose(grad2.numpy(), grad.numpy(), atol=1e-6)
    norm = grad.norm()
    assert abs(mlp2.gradParamClip(norm * 2) - norm) < 1e-6
    np.testing.assert_allclose(grad2.numpy(), grad.numpy(), atol=1e-6)


def test_get_parameters_packs_modules_held_in_attributes():
    """dpnn's Module.lua getParameters rebinds the modules reachable from the one asked (attributes, tables) with
    its own: a sharedClone kept in a field (dpnn test/test.lua Module_getParameters), in a list too, keeps
    sharing the flat storages. A hidden module sharing nothing with the tree is left as it is (dpnn would pack
    it too), so the flat vector holds the tree's parameters."""
    lin = nn.Linear(3, 4).double()
    lin.hidden = lin.sharedClone()
    lin.extra = [lin.sharedClone(), nn.Linear(2, 2).double()]
    own = lin.extra[1].weight.numpy().copy()
    params, grads = lin.getParameters()
    assert params.nElement() == 3 * 4 + 4
    for twin in (lin.hidden, lin.extra[0]):
        for p, q in zip(lin.parameters()[0] + lin.parameters()[1], twin.parameters()[0] + twin.parameters()[1]):
            assert q.storage() is p.storage() and q.storageOffset() == p.storageOffset()
    params.fill(-1)
    grads.fill(2)
    assert lin.hidden.weight.numpy().max() == -1 and lin.extra[0].gradBias.numpy().min() == 2
    np.testing.assert_array_equal(lin.extra[1].weight.numpy(), own)


def test_grad_param_clip_module_local_matches_numpy():
    """dpnn Module.lua gradParamClip(cutoff, moduleLocal): each leaf clipped on its own, the root of the
    sum of squared norms returned; a module's own cutoffNorm overrides the argument."""
    net = _net()
    grads = _filled_grads(net)
    net.modules[2].cutoffNorm = 0.3
    norms = [np.sqrt(sum((g ** 2).sum() for g in grads[:2])), np.sqrt(sum((g ** 2).sum() for g in grads[2:]))]
    expected = np.sqrt(norms[0] ** 2 + norms[1] ** 2)
    assert net.gradParamClip(0.5, True) == pytest.approx(expected, rel=1e-12)
    for gs, n, cut in ((grads[:2], norms[0], 0.5), (grads[2:], norms[1], 0.3)):
        for g in gs:
            g *= min(1.0, cut / n)
    for g, ref in zip(net.parameters()[1], grads):
        np.testing.assert_allclose(g.numpy(), ref, rtol=1e-12)
    assert net.gradParamClip(0) is None


def test_max_param_norm_matches_numpy():
    """dpnn Module.lua maxParamNorm: rows (dimension 0) to maxOutNorm, columns (the last dimension) to
    maxInNorm, biases untouched, with Torch7's renorm factor maxnorm / (norm + 1e-7)."""
    net = _net()
    before = [p.numpy().copy() for p in net.parameters()[0]]
    net.maxParamNorm(0.4, 0.3)

    def renorm(w, axis, bound):
        n = np.sqrt((w ** 2).sum(axis=axis, keepdims=True))
        return w * np.where(n > bound, bound / (n + 1e-7), 1.0)
    for p, w in zip(net.parameters()[0], before):
        ref = renorm(renorm(w, 1, 0.4), 0, 0.3) if w.ndim == 2 else w
        np.testing.assert_allclose(p.numpy(), ref, rtol=1e-12)
    assert (np.sqrt((net.modules[0].weight.numpy() ** 2).sum(1)) <= 0.4 + 1e-9).all()


def test_max_param_norm_module_override_and_lookup_table():
    """dpnn Module.lua (a module's maxOutNorm overrides) and LookupTable.lua (columns to maxOutNorm, rows to
    maxInNorm, a missing maxOutNorm taking maxInNorm)."""
    net = _net()
    net.modules[0].maxOutNorm = 0.1
    net.maxParamNorm(10)
    assert np.sqrt((net.modules[0].weight.numpy() ** 2).sum(1)).max() <= 0.1 + 1e-9
    lt = nn.LookupTable(6, 4).double()
    w = lt.weight.numpy().copy()
    lt.maxParamNorm(None, 0.5)
    cols = np.sqrt((w ** 2).sum(0, keepdims=True))
    w = w * np.where(cols > 0.5, 0.5 / (cols + 1e-7), 1)
    rows = np.sqrt((w ** 2).sum(1, keepdims=True))
    w = w * np.where(rows > 0.5, 0.5 / (rows + 1e-7), 1)
    np.testing.assert_allclose(lt.weight.numpy(), w, rtol=1e-12)


def test_weight_decay_matches_numpy():
    """dpnn Module.lua weightDecay: grad += wd * param for parameters of at least wdMinDim dimensions."""
    net = _net()
    grads = _filled_grads(net)
    params = [p.numpy().copy() for p in net.parameters()[0]]
    net.weightDecay(0.01)
    for g, ref, p in zip(net.parameters()[1], grads, params):
        np.testing.assert_allclose(g.numpy(), ref + (0.01 * p if p.ndim >= 2 else 0), rtol=1e-12)
    grads = [g.numpy().copy() for g in net.parameters()[1]]
    net.weightDecay(0.5, 1)
    for g, ref, p in zip(net.parameters()[1], grads, params):
        np.testing.assert_allclose(g.numpy(), ref + 0.5 * p, rtol=1e-12)
    net.weightDecay(0)   # not positive: nothing
    np.testing.assert_allclose(net.parameters()[1][0].numpy(), grads[0] + 0.5 * params[0], rtol=1e-12)


@pytest.mark.parametrize('nesterov', [False, True])
def test_update_grad_parameters_matches_numpy(nesterov):
    """dpnn Module.lua updateGradParameters: mom starts as a copy of the gradient, then
    mom = f mom + (1 - damp) grad; grad = mom, or grad += f mom (Nesterov); damp defaults to f."""
    net = _net()
    mom = None
    for step in range(3):
        grads = _filled_grads(net, seed=step)
        if mom is None:
            mom = [g.copy() for g in grads]
        mom = [0.9 * m + (1 - 0.9) * g for m, g in zip(mom, grads)]
        net.updateGradParameters(0.9, None, nesterov)
        want = [g + 0.9 * m for g, m in zip(grads, mom)] if nesterov else mom
        for g, ref in zip(net.parameters()[1], want):
            np.testing.assert_allclose(g.numpy(), ref, rtol=1e-12)
    assert len(net.modules[0].momGradParams) == 2 and net.modules[1].__dict__.get('momGradParams') is None
    net.double()
    assert net.modules[0].momGradParams[0].type() == 'legonn.DoubleTensor'
    net.float()
    assert net.modules[0].momGradParams[0].type() == 'legonn.FloatTensor'


class _Scaled(nn.Linear):
    """A module whose bias learns ten times faster (dpnn's sparseParameters scales)."""

    def sparseParameters(self):
        params, grads = self.parameters()
        return params, grads, [1, 10], None


def test_sparse_parameters_scales_and_container_offsets():
    """dpnn Module.lua updateParameters (param -= lr * scale * grad) and Container.lua sparseParameters (the
    children's entries one after the other, with their scales)."""
    m = _Scaled(3, 2).double()
    grads = _filled_grads(m)
    params = [p.numpy().copy() for p in m.parameters()[0]]
    m.updateParameters(0.1)
    np.testing.assert_allclose(m.weight.numpy(), params[0] - 0.1 * grads[0], rtol=1e-12)
    np.testing.assert_allclose(m.bias.numpy(), params[1] - 1.0 * grads[1], rtol=1e-12)
    seq = nn.Sequential().add(nn.Linear(2, 2)).add(nn.ReLU()).add(m)
    p, g, s, size = seq.sparseParameters()
    assert size == 4 and sorted(p) == [0, 1, 2, 3]
    assert p[3] is m.bias and g[2] is m.gradWeight and s == {0: None, 1: None, 2: 1, 3: 10}
    m.zeroGradParameters()
    assert m.gradWeight.abs().sum() == 0 and m.gradBias.abs().sum() == 0

    class Pair(nn.Linear):   # an override returning Lua's two values
        def sparseParameters(self):
            return self.parameters()
    pair = Pair(2, 2).double()
    _filled_grads(pair)
    w = pair.weight.numpy().copy()
    pair.updateParameters(1)
    np.testing.assert_allclose(pair.weight.numpy(), w - pair.gradWeight.numpy(), rtol=1e-12)
    assert nn.Sequential().add(pair).sparseParameters()[3] == 2


def test_check_parameters_names_the_module():
    """dpnn Module.lua checkParameters: a NaN parameter is an error (index 0-based here)."""
    m = nn.Linear(3, 2)
    m.checkParameters()
    m.bias[1] = float('nan')
    with pytest.raises(ValueError, match=r"Linear\(3 -> 2\).*parameter 1"):
        m.checkParameters()


def test_dont_backward_freezes_a_module():
    """dpnn Module.lua dontBackward: its backward steps do nothing, the rest of the net still learns."""
    net = _net()
    net.modules[0].dontBackward()
    net.zeroGradParameters()
    x = lg.DoubleTensor(2, 4).normal()
    net.forward(x)
    net.backward(x, lg.DoubleTensor(2, 2).normal())
    assert net.modules[0].gradWeight.abs().sum() == 0
    assert net.modules[2].gradWeight.abs().sum() > 0
    assert net.modules[0].backward(x, lg.DoubleTensor(2, 3)) is None
    again = lg.deserialize(lg.serialize(net))   # Torch7 saves the closures; legonn a registered step
    again.forward(x)
    again.backward(x, lg.DoubleTensor(2, 2).normal())
    assert again.modules[0].gradWeight.abs().sum() == 0 and again.modules[0].updateGradInput(x, x) is None


def test_batch_forms_contiguous_input_and_outside():
    """dpnn Module.lua toBatch/fromBatch (0-based batchDim; fromBatch's default is the last axis, as Lua's
    table.remove), contiguousInput, outside; Criterion.lua shares toBatch/fromBatch."""
    m = nn.Linear(3, 2)
    x = lg.randn(3)
    b = m.toBatch(x, 1)
    assert b.size() == (1, 3) and m.dpnn_online and b.storage() is x.storage()
    assert m.toBatch(x, 1, 1).size() == (3, 1)
    assert m.fromBatch(lg.randn(2, 1)).size() == (2,)
    assert m.fromBatch(lg.randn(1, 2), 0).size() == (2,)
    with pytest.raises(ValueError, match='size of 1 on axis 0'):
        m.fromBatch(lg.randn(2, 2), 0)
    assert m.toBatch(lg.randn(2, 3), 1).size() == (2, 3) and not m.dpnn_online
    c = nn.MSECriterion()
    assert c.toBatch(x, 1).size() == (1, 3) and c.fromBatch(lg.randn(1, 3), 0).size() == (3,)
    t = lg.randn(3, 4).t()
    assert m.contiguousInput(t) is m.dpnn_cinput and m.dpnn_cinput.isContiguous()
    np.testing.assert_array_equal(m.dpnn_cinput.numpy(), t.numpy())
    assert m.contiguousInput(t, True) is m.dpnn_cinput
    assert nn.Linear(4, 7).outside([2, 4]) == (2, 7)
    assert nn.Sequential().extend(nn.Linear(2, 3), nn.ReLU()).size() == 2


def test_missing_hyper_parameters_are_errors():
    with pytest.raises(TypeError, match='gradParamClip: expected a cutoff norm'):
        nn.Linear(2, 2).gradParamClip(None)
    with pytest.raises(TypeError, match='updateGradParameters: expected a momentum factor'):
        nn.Linear(2, 2).updateGradParameters(None)


@pytest.mark.gpu
def test_training_methods_on_the_gpu():
    """The same numbers on CUDA tensors as on the CPU."""
    cpu = _net()
    _filled_grads(cpu)
    gpu = cpu.clone().cudaDouble()
    for net in (cpu, gpu):
        net.weightDecay(0.1)
        net.updateGradParameters(0.9, 0.5, True)
        net.updateGradParameters(0.9, 0.5, True)
        assert net.gradParamClip(0.5) > 0.5
        net.updateParameters(0.1)
        net.maxParamNorm(0.5, 0.4)
        net.checkParameters()
    for a, b in zip(cpu.parameters()[0] + cpu.parameters()[1], gpu.parameters()[0] + gpu.parameters()[1]):
        assert b.type() == 'legonn.CudaDoubleTensor'
        np.testing.assert_allclose(a.numpy(), b.double().float().numpy(), rtol=1e-6)


def test_profile_prints_each_child_call(capsys):
    """dpnn Module.lua profile and Sequential.lua/ParallelTable.lua's profiled methods: each child's call timed
    and printed; the numbers are unchanged."""
    net = _net()
    x = lg.DoubleTensor(2, 4).normal()
    want = net.forward(x).numpy().copy()
    inner = nn.ParallelTable().add(nn.Tanh()).add(nn.Sigmoid())
    assert net.profile() is net and nn.Sequential().add(inner).profile() is not None and inner.dpnn_profile
    capsys.readouterr()
    np.testing.assert_array_equal(net.forward(x).numpy(), want)
    net.backward(x, lg.DoubleTensor(2, 2).normal())
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(':')[0] for line in lines] == ['nn.Linear updateOutput', 'nn.Tanh updateOutput',
                                                      'nn.Linear updateOutput', 'nn.Linear backward',
                                                      'nn.Tanh backward', 'nn.Linear backward']
    assert all(line.endswith(' s') for line in lines)


@pytest.mark.gpu
def test_profile_on_the_gpu(capsys):
    net = nn.Sequential().add(nn.Linear(3, 2)).cuda().profile()
    net.forward(lg.randn(2, 3).cuda())
    assert capsys.readouterr().out.startswith('nn.Linear updateOutput: ')
