"""What torch/nn's test.lua sets up before its tests (lines 1-23), and the local helpers more than one of its
ported parts call (``criterionJacobianTest``, ``criterionJacobianTest1DTable``, lines 1919-1983; ``batchcompare``,
lines 3847-3873), shared by the test_nn_testlua_*.py ports.

``nn.test()`` runs in Torch7's default type, DoubleTensor; the ports turn it on with the ``double_default``
fixture (tests/porting/conftest.py)."""
import legonn as lg
from legonn import nn

precision = 1e-5
expprecision = 1.1e-4
mytester = lg.Tester()
mytester.setRethrowErrors(True)
jac = nn.Jacobian
sjac = nn.SparseJacobian


def equal(t1, t2, msg=None):
    """test.lua lines 14-22: ``mytester:eq`` within 1e-5, entry by entry through (nested) tables."""
    if isinstance(t1, (list, tuple, dict)):
        keys = t2.keys() if isinstance(t2, dict) else range(len(t2))
        for k in keys:
            equal(t1[k], t2[k], msg)
    else:
        mytester.eq(t1, t2, 0.00001, msg)


def jacobian_and_io(module, input, *minmax, err_precision=precision):
    """The check test.lua repeats after building a module and its input: ``jac.testJacobian`` (over ``minmax``
    when given) within ``err_precision``, then ``jac.testIO``'s forward and backward errors within ``precision``."""
    err = jac.testJacobian(module, input, *minmax)
    mytester.assertlt(err, err_precision, 'error on state ')

    ferr, berr = jac.testIO(module, input, *minmax)
    mytester.eq(ferr, 0, lg.typename(module) + ' - i/o forward err ', precision)
    mytester.eq(berr, 0, lg.typename(module) + ' - i/o backward err ', precision)


def criterionJacobianTest(cri, input, target):
    """test.lua lines 1919-1945: the criterion's ``backward`` against central differences of its ``forward``,
    perturbing the input's storage element by element."""
    eps = 1e-6
    cri.forward(input, target)
    dfdx = cri.backward(input, target)
    # for each input perturbation, do central difference
    centraldiff_dfdx = lg.Tensor().resizeAs(dfdx)
    input_s = input.storage()
    centraldiff_dfdx_s = centraldiff_dfdx.storage()
    for i in range(input.nElement()):
        # f(xi + h)
        input_s[i] = input_s[i] + eps
        fx1 = cri.forward(input, target)
        # f(xi - h)
        input_s[i] = input_s[i] - 2 * eps
        fx2 = cri.forward(input, target)
        # f'(xi) = (f(xi + h) - f(xi - h)) / 2h
        cdfx = (fx1 - fx2) / (2 * eps)
        # store f' in appropriate place
        centraldiff_dfdx_s[i] = cdfx
        # reset input[i]
        input_s[i] = input_s[i] + eps
    # compare centraldiff_dfdx with :backward()
    err = (centraldiff_dfdx - dfdx).abs().max()
    mytester.assertlt(err, precision, 'error in difference between central difference and :backward')


def criterionJacobianTest1DTable(cri, input0, target):
    """test.lua lines 1947-1983: as ``criterionJacobianTest`` for a criterion of a table input, the rows of
    ``input0`` (split along its first dimension)."""
    # supposes input is a tensor, which is splitted in the first dimension
    input = list(input0.split(1, 0))
    for i in range(len(input)):
        input[i] = input[i][0]
    eps = 1e-6
    cri.forward(input, target)
    dfdx = cri.backward(input, target)
    # for each input perturbation, do central difference
    centraldiff_dfdx = lg.Tensor().resizeAs(input0)
    input_s = input0.storage()
    centraldiff_dfdx_s = centraldiff_dfdx.storage()
    for i in range(input0.nElement()):
        # f(xi + h)
        input_s[i] = input_s[i] + eps
        fx1 = cri.forward(input, target)
        # f(xi - h)
        input_s[i] = input_s[i] - 2 * eps
        fx2 = cri.forward(input, target)
        # f'(xi) = (f(xi + h) - f(xi - h)) / 2h
        cdfx = (fx1 - fx2) / (2 * eps)
        # store f' in appropriate place
        centraldiff_dfdx_s[i] = cdfx
        # reset input[i]
        input_s[i] = input_s[i] + eps
    centraldiff_dfdx_t = list(centraldiff_dfdx.split(1, 0))
    for i in range(len(centraldiff_dfdx_t)):
        centraldiff_dfdx_t[i] = centraldiff_dfdx_t[i][0]
    for i in range(len(centraldiff_dfdx_t)):
        # compare centraldiff_dfdx with :backward()
        err = (centraldiff_dfdx_t[i] - dfdx[i]).abs().max()
        mytester.assertlt(err, precision, 'error in difference between central difference and :backward')


def batchcompare(smod, sin, plist):
    """test.lua lines 3847-3873: a module on one sample ``sin`` against its clone on the same sample as a
    batch of one: outputs, gradInputs and the named gradient fields ``plist`` agree within 1e-8."""
    bs = lg.LongStorage(sin.dim() + 1)
    bs[0] = 1
    for i in range(sin.dim()):
        bs[i + 1] = sin.size()[i]
    bin = lg.Tensor(bs).copy(sin)
    bmod = smod.clone()

    sout = smod.forward(sin).clone()
    bout = bmod.forward(bin).clone()

    sgout = lg.randn(sout.size())
    bgout = lg.Tensor(bout.size())
    bgout.copy(sgout)

    sgin = smod.backward(sin, sgout)
    bgin = bmod.backward(bin, bgout)

    smod.accGradParameters(sin, sgout, 1)
    bmod.accGradParameters(bin, bgout, 1)

    mytester.assertTensorEq(sout, bout.select(0, 0), 1e-8, 'batchcompare error on output')
    mytester.assertTensorEq(sgin, bgin.select(0, 0), 1e-8, 'batchcompare error on gradInput')

    for v in plist:
        mytester.assertTensorEq(getattr(smod, v), getattr(bmod, v), 1e-8, 'batchcompare error on ' + v)
