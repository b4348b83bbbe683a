"""What twitter/torch-autograd's test/test.lua sets up before its tests (lines 1-12), shared by the
test_autograd_testlua_*.py ports: ``gradcheck`` (randomizeInput true) and ``gradcheckConstant`` (false), the
``tester`` (a Tester set to raise), ``util``, ``stringx``. test.lua's ``autograd.protected(true)`` and the two runs
of every test (``Optimized_`` after ``autograd.optimize(true)``, then ``Direct_``, lines 1961-1979) are the
``autograd_mode`` fixture (tests/porting/conftest.py), which each port turns on with ``pytestmark``, with
``double_default`` (test.lua keeps Torch7's default DoubleTensor).

Indices and dimensions are 0-based in the port (docs/porting.md); Lua tables of parameters are dicts (string
keys) and lists."""
import legonn as torch
from legonn import autograd
from legonn.autograd import util
from legonn.autograd.gradcheck import gradcheck as _gradcheck
from legonn.pl import stringx

gradcheck = _gradcheck({'randomizeInput': True})
gradcheckConstant = _gradcheck({'randomizeInput': False})
tester = torch.Tester()
tester.setRethrowErrors(True)

# the test functions test.lua's Direct_ run leaves out (line 1978)
DIRECT_SKIPS = {'GradGrad', 'AutoModule', 'DebuggerDivZero', 'StableGradients', 'ZeroGrad', 'SimpleGradGrad'}

__all__ = ['torch', 'autograd', 'util', 'gradcheck', 'gradcheckConstant', 'tester', 'stringx', 'DIRECT_SKIPS']
