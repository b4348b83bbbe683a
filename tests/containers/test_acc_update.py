"""accUpdateGradParameters through every container: the parameters step by -lr times the gradient that
accGradParameters would have accumulated, and no gradient is touched (each Torch7 container passes the call on
to its children)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


def _graph():
    x = nn.Identity()()
    h = nn.Tanh()(nn.Linear(3, 4)(x))
    inner = nn.gModule([x], [nn.Linear(4, 2)(h)])
    y = nn.Identity()()
    return nn.gModule([y], [inner(nn.Linear(3, 3)(y))])


CASES = [
    pytest.param(lambda: nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).add(nn.Linear(4, 2)), (5, 3),
                 id='Sequential'),
    pytest.param(lambda: nn.Concat(1).add(nn.Linear(3, 2)).add(nn.Linear(3, 4)), (5, 3), id='Concat'),
    pytest.param(lambda: nn.DepthConcat(1).add(nn.Linear(3, 2)).add(nn.Linear(3, 4)), (5, 3), id='DepthConcat'),
    pytest.param(lambda: nn.ConcatTable().add(nn.Linear(3, 2)).add(nn.Sequential().add(nn.Linear(3, 2))), (5, 3),
                 id='ConcatTable'),
    pytest.param(lambda: nn.Parallel(1, 1).add(nn.Linear(2, 3)).add(nn.Linear(2, 1)), (2, 2, 2), id='Parallel'),
    pytest.param(lambda: nn.Sequential().add(nn.SplitTable(1)).add(
        nn.ParallelTable().add(nn.Linear(3, 2)).add(nn.Linear(3, 1))), (5, 2, 3), id='ParallelTable'),
    pytest.param(lambda: nn.Sequential().add(nn.SplitTable(1)).add(nn.MapTable(nn.Linear(3, 2))), (5, 2, 3),
                 id='MapTable'),
    pytest.param(lambda: nn.Bottle(nn.Linear(3, 2)), (4, 5, 3), id='Bottle'),
    pytest.param(lambda: nn.NaN(nn.Linear(3, 2)), (5, 3), id='NaN'),
    pytest.param(lambda: nn.DontCast(nn.Linear(3, 2).double()), (5, 3), id='DontCast'),
    pytest.param(lambda: nn.WeightNorm(nn.Linear(3, 2)), (5, 3), id='WeightNorm'),
    pytest.param(lambda: nn.Sequential().add(nn.WeightNorm(nn.Linear(3, 2))), (5, 3), id='WeightNorm-inside'),
    pytest.param(_graph, (5, 3), id='gModule-nested'),
    pytest.param(lambda: nn.Sequential().add(_graph()).add(nn.Linear(2, 2)), (5, 3), id='gModule-inside'),
]


@pytest.mark.parametrize('make,shape', CASES)
def test_acc_update_steps_parameters_by_the_gradient_and_keeps_gradients(make, shape):
    lr = 0.3
    m = make().double()
    x = lg.randn(*shape).double()
    out = m.forward(x)
    go = [o.clone().normal() for o in out] if isinstance(out, list) else out.clone().normal()
    params, grads = m.parameters()
    before = [p.clone() for p in params]
    m.zeroGradParameters()
    m.backward(x, go)
    want = [p.array - lr * g.array for p, g in zip(before, grads)]
    assert any(np.abs(g.array).max() > 0 for g in grads)
    m.zeroGradParameters()
    m.forward(x)
    m.updateGradInput(x, go)
    m.accUpdateGradParameters(x, go, lr)
    for p, w in zip(params, want):
        np.testing.assert_allclose(p.array, w, rtol=1e-10, atol=1e-12)
    assert all(not g.array.any() for g in grads)
    assert '_updating' not in m.__dict__
