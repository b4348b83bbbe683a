"""lg.debug.watch: the first NaN/Inf in forward, backward or a parameter gradient names its module."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.tools.debug import NonFiniteError, watch


def _deep():
    """Sequential[ Linear, Tanh, Concat[ Sequential[Linear, ReLU, Power(0.5)], Linear ], gModule[...], Linear ]."""
    branch = nn.Sequential().add(nn.Linear(4, 3)).add(nn.ReLU()).add(nn.Power(0.5))
    concat = nn.Concat(1).add(branch).add(nn.Linear(4, 2))
    x = nn.Identity()()
    hidden = nn.Linear(5, 5)(x).annotate(name='hidden')
    g = nn.gModule([x], [nn.Tanh()(hidden)])
    return nn.Sequential().add(nn.Linear(6, 4)).add(nn.Tanh()).add(concat).add(g).add(nn.Linear(5, 2))


def test_forward_nan_names_the_module_phase_and_input_statistics():
    model = _deep()
    model.modules[2].modules[1].weight.array[0, 0] = math.nan
    with watch(model), pytest.raises(NonFiniteError) as caught:
        model.forward(lg.randn(3, 6))
    err = caught.value
    assert err.path == 'Sequential[2][1]' and err.phase == 'forward'
    assert str(err).startswith('Sequential[2][1]: NaN or Inf in forward (output)')
    assert 'input: min ' in str(err) and '12 of 12 finite (size (3, 4))' in str(err)


def test_forward_nan_inside_a_gmodule_names_the_node_and_where_it_was_made():
    model = _deep()
    g = model.modules[3]
    g.forwardnodes[1].module.bias.array[2] = math.inf
    with watch(model), pytest.raises(NonFiniteError, match=r"Sequential\[3\] node 3 'hidden' \[Linear\(5 -> 5\), "
                                                           r"created at .*test_debug\.py:\d+\]: NaN or Inf in forward"):
        model.forward(lg.randn(3, 6))


def test_backward_inf_names_the_module_that_made_it():
    model = _deep()
    relu_input = model.modules[2].modules[0].modules[0]
    relu_input.weight.zero()
    relu_input.bias.fill(-1)       # ReLU gives 0: 0 ^ 0.5 = 0 forward, but its gradient 0.5 * 0 ^ -0.5 is Inf
    x = lg.randn(3, 6)
    with watch(model):
        model.forward(x)
        with pytest.raises(NonFiniteError) as caught, np.errstate(divide='ignore'):
            model.backward(x, lg.randn(3, 2))
    assert caught.value.path == 'Sequential[2][0][2]' and caught.value.phase == 'backward'
    assert 'gradOutput: min' in str(caught.value)


def test_parameter_gradient_overflow_is_caught_after_acc_grad_parameters():
    model = nn.Sequential().add(nn.Linear(3, 3)).add(nn.Tanh()).add(nn.Linear(3, 2))
    x = lg.from_numpy(np.full((2, 3), 3e38, dtype=np.float32))   # finite, but x * gradOutput overflows
    model.modules[0].weight.fill(1e-39)
    with watch(model):
        model.forward(x)
        model.modules[2].weight.fill(1e3)
        with pytest.raises(NonFiniteError, match=r"Sequential\[0\]: NaN or Inf in accGradParameters") as caught:
            model.backward(x, lg.ones(2, 2).mul(1e3))
    assert caught.value.phase == 'accGradParameters'


def test_watch_costs_nothing_when_off_and_is_removed_on_exit():
    model = _deep()
    with watch(model) as w:
        assert all('updateOutput' in m.__dict__ for m in model.listModules() if not m.children())
        assert len(w.hooks) == 3 * sum(1 for m in model.listModules() if not m.children())
    assert not any(name in m.__dict__ for m in model.listModules()
                   for name in ('updateOutput', 'updateGradInput', 'accGradParameters'))
    model.modules[0].weight.array[0, 0] = math.nan
    assert np.isnan(model.forward(lg.randn(2, 6)).numpy()).any()   # off: no check, no error


def test_finite_training_is_unchanged_by_the_watch():
    model = _deep().double()
    twin = model.clone()
    x, g = lg.randn(3, 6).double(), lg.randn(3, 2).double()
    with watch(model):
        out = model.forward(x).clone()
        model.backward(x, g)
    np.testing.assert_array_equal(out.numpy(), twin.forward(x).numpy())
    twin.backward(x, g)
    for a, b in zip(model.parameters()[1], twin.parameters()[1]):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.gpu
def test_gpu_forward_nan_is_caught():
    model = _deep().cuda()
    model.modules[4].bias.fill(math.nan)
    with watch(model), pytest.raises(NonFiniteError, match=r'Sequential\[4\]'):
        model.forward(lg.randn(3, 6).cuda())


def test_a_clone_of_a_watched_model_is_watched_on_its_own_values():
    model = nn.Sequential().add(nn.Linear(3, 3)).add(nn.Tanh())
    with watch(model):
        twin = model.clone()
    assert 'updateOutput' not in model.modules[0].__dict__
    twin.modules[0].bias.fill(math.nan)
    with pytest.raises(NonFiniteError, match=r'Sequential\[0\]'):
        twin.forward(lg.randn(2, 3))
    assert np.isfinite(model.forward(lg.randn(2, 3)).numpy()).all()


def test_watch_and_memory_optimisation_stack_and_come_off_in_any_order():
    model = nn.Sequential().add(nn.Linear(3, 4)).add(nn.ReLU()).add(nn.Linear(4, 2))
    x = lg.randn(5, 3)
    expected = model.forward(x).clone()
    w = watch(model)
    lg.optimizeMemory(model, x)            # its backward-blocking hooks go on top of the watch's
    w.remove()                             # the watch comes off from under them
    with pytest.raises(RuntimeError, match='backward is disabled'):
        model.backward(x, lg.randn(5, 2))
    lg.removeOptimization(model)
    assert not any(name in m.__dict__ for m in model.listModules()
                   for name in ('updateOutput', 'updateGradInput', 'accGradParameters'))
    np.testing.assert_array_equal(model.forward(x).numpy(), expected.numpy())
