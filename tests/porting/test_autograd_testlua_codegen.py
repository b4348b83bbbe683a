"""twitter/torch-autograd's test/test.lua, the two functions that test the optimized mode alone
(``StableGradients``, ``DebuggerDivZero``), ported literally; the Lua's ``Direct_`` run leaves both out, as the
``autograd_mode`` fixture does. The edits are docs/porting.md's: ``torch.`` is ``lg.`` (here ``torch``, as
tests/porting/autograd_testlua.py imports it), ``:`` is ``.``, indices and dimensions are 0-based, Lua tables
are dicts, a matrix times a vector is ``@``, and ``df``'s first return is ``df(...)[0]``. support.lua's
``torch.size`` is ``autograd.support.size``."""
import pytest

from legonn.autograd import support
from tests.porting.autograd_testlua import autograd, stringx, tester, torch

pytestmark = pytest.mark.usefixtures('double_default', 'autograd_mode')


def test_DebuggerDivZero():
    """test.lua lines 1436-1466."""
    # Parameters:
    W = torch.Tensor(32, 100).fill(.5)
    x = torch.Tensor(100).fill(.5)

    # Function:
    def func(inputs):
        return torch.sum(torch.div(inputs['W'] @ inputs['x'], 0))

    # Grads:
    sawHook = 0
    badline = None

    def debugHook(debugger, msg, gen):
        nonlocal sawHook, badline
        if sawHook == 0:
            badline = stringx.split(gen['source'], "\n")[gen['line']]
            # debugger.showDot()
        sawHook = sawHook + 1

    dFunc = autograd(func, {'debugHook': debugHook})

    # Compute func and grads:
    pred = func({'W': W, 'x': x})
    grads = dFunc({'W': W, 'x': x})

    # Tests:
    tester.asserteq(sawHook, 5, 'debugHook should have tripped')
    # the generated Python function sits inside the one binding its functions and pools (8 spaces where the
    # Lua's has 4), and its pool slots are 0-based: the Lua's "    torch_div(rlocals[2], rlocals[1], 0)"
    tester.asserteq(badline, "        torch_div(rlocals[1], rlocals[0], 0)",
                    'debugHook should have showed the bad line')


def test_StableGradients():
    """test.lua lines 1639-1663."""
    # Parameters:
    W = torch.Tensor(32, 100).fill(.5)
    x = torch.Tensor(100).fill(.5)

    # Function:
    def func(inputs, zf):
        dims = support.size(zf, 0)
        w1 = inputs['W']
        x1 = inputs['x']
        for i in range(1, dims + 1):
            w1 = w1 * 1.1
            x1 = x1 * 1.1
        return torch.sum(w1 @ x1 * 3.0 + 1.0)

    df = autograd(func, {'stableGradients': True})
    g = df({'W': W, 'x': x}, torch.Tensor(1))[0]
    for i in range(1, 11):
        ng = df({'W': W, 'x': x}, torch.Tensor(i))[0]
        tester.assert_(g['W'] is ng['W'], 'gradient tensors should match')
        tester.assert_(g['x'] is ng['x'], 'gradient tensors should match')
        ng = df({'W': W, 'x': x}, torch.Tensor(i))[0]
        tester.assert_(g['W'] is ng['W'], 'gradient tensors should match')
        tester.assert_(g['x'] is ng['x'], 'gradient tensors should match')
