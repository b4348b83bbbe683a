"""nnx's tool modules (clementfarabet/lua---nnx): FunctionWrapper, Probe, Tic, Toc."""
import re
import time

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import assert_gpu_matches_cpu, assert_jacobian, assert_type_roundtrip


def _cube():
    """A FunctionWrapper computing y = k * x**3 (k set by init), its backward written by hand."""
    return nn.FunctionWrapper(lambda self: setattr(self, 'k', 0.5),
                              lambda self, x: x.clone().pow(3).mul(self.k),
                              lambda self, x, g: x.clone().pow(2).mul(3 * self.k).cmul(g))


def test_function_wrapper_calls_the_functions_with_the_module():
    """FunctionWrapper.lua: init(self) at construction, output = updateOutput(self, input), gradInput =
    updateGradInput(self, input, gradOutput); the hand-written backward passes the finite-difference check."""
    m = _cube()
    assert m.k == 0.5
    np.testing.assert_allclose(m.forward(lg.DoubleTensor([1, 2, -2])).numpy(), [0.5, 4, -4])
    assert_jacobian(_cube(), lg.randn(3, 4))
    assert_type_roundtrip(_cube(), lg.randn(3, 4))
    with pytest.raises(TypeError, match='FunctionWrapper: expected a function for updateGradInput'):
        nn.FunctionWrapper(lambda self: None, lambda self, x: x, None)


@pytest.mark.gpu
def test_tools_on_the_gpu():
    """The wrapped functions and the pass-through modules work on CUDA tensors."""
    assert_gpu_matches_cpu(_cube(), lg.randn(3, 4))
    assert_gpu_matches_cpu(nn.Sequential().add(nn.Tic('gpu')).add(nn.Tanh()).add(nn.Toc('gpu')), lg.randn(3, 4))


def test_probe_prints_the_statistics_and_passes_through(capsys):
    """Probe.lua: output is the input and gradInput the gradOutput (the same tensors); each prints the size,
    mean, std (unbiased), min, max (Lua's %.14g) and the milliseconds since the last probe."""
    x = lg.DoubleTensor([[1, 2, 3], [4, 5, 7]])
    p = nn.Probe('conv')
    assert p.forward(x) is x
    text = capsys.readouterr().out
    a = x.numpy()
    assert '<conv>.output\n  + size = 2x3\n' in text
    for stat, value in (('mean', a.mean()), ('std', a.std(ddof=1)), ('min', 1.0), ('max', 7.0)):
        assert f"  + {stat} = {value:.14g}\n" in text
    assert re.search(r'\+ time since last probe = \d+\.\dms', text)
    g = lg.DoubleTensor([[1, 1, 1], [1, 1, 1]])
    assert p.backward(x, g) is g
    assert 'layer<conv>.gradInput\n  + size = 2x3\n  + mean = 1\n  + std = 0\n' in capsys.readouterr().out
    with pytest.raises(ValueError, match='Probe: display needs'):
        nn.Probe('x', True)


def test_tic_toc_time_the_modules_between(capsys):
    """Tic.lua restarts its named timer at each forward; Toc.lua prints "Toc 'name' (comment) : seconds"; both
    pass input and gradOutput on unchanged."""
    net = nn.Sequential().add(nn.Tic('block')).add(nn.Linear(3, 2)).add(nn.Toc('block', 'linear'))
    time.sleep(0.2)   # the forward's Tic restarts the timer: this wait is not counted
    x = lg.randn(4, 3)
    out = net.forward(x)
    match = re.fullmatch(r"Toc 'block' \(linear\) : (\S+)\n", capsys.readouterr().out)
    assert match and 0 <= float(match.group(1)) < 0.1
    g = lg.randn(4, 2)
    np.testing.assert_array_equal(out.numpy(), net.modules[1].output.numpy())
    assert net.modules[2].backward(out, g) is g
    with pytest.raises(ValueError, match="Toc.*a Tic named 'nowhere'"):
        nn.Toc('nowhere').forward(x)
