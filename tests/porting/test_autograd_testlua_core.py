"""twitter/torch-autograd's test/test.lua, the core's functions (GradientTensorSize, FloatType, CudaType, NCalls,
ParamLen, ScalarMul, LessThan, ZeroGrad, SimpleGradGrad, GradGrad, Assignment), ported literally: one test per
Lua function, each run ``optimized`` and ``direct`` as test.lua runs them (the ``autograd_mode`` fixture), in
Torch7's default DoubleTensor.

The mechanical edits (docs/porting.md): ``torch.`` is ``lg.`` (named ``torch`` here, as test.lua's local),
dimensions and indices are 0-based, tables of parameters are dicts and lists, ``*`` of a matrix and a vector is
``@`` and of two vectors ``lg.dot``, ``tester:assert`` is ``tester.assert_``. A Lua call that keeps only the first
of several returns (``local grad = g(beta)``) takes ``[0]`` of the tuple ``df`` returns.
"""
import pytest

from tests.porting.autograd_testlua import autograd, gradcheck, tester, torch

pytestmark = pytest.mark.usefixtures('double_default', 'autograd_mode')


def test_GradientTensorSize():
    """test.lua lines 526-547."""

    def f(beta):
        # beta:  2x2
        maxed = torch.max(beta)
        # beta: 2x2, maxed: number
        diff = beta - maxed
        # diff: 2x2
        summed = torch.sum(diff, 1)
        # summed: 2x1, maxed: number
        out = summed + maxed  # if you comment out maxed, this works
        # out: 2x1
        return torch.sum(out)

    beta = torch.eye(2, 2)
    pred = f(beta)
    g = autograd(f)
    grad = g(beta)[0]
    tester.asserteq(torch.type(pred), 'number', 'incorrect prediction')
    tester.asserteq(grad.dim(), 2, 'incorrect dims for grad')


def _check_sum_of_product(grads, pred):
    # the assertions FloatType, CudaType and NCalls share
    tester.asserteq(torch.type(pred), 'number', 'incorrect prediction')
    tester.asserteq(pred, 800, 'incorrect prediction')
    tester.asserteq(grads['W'].dim(), 2, 'incorrect dims for gradients')
    tester.asserteq(grads['W'].size(0), 32, 'incorrect dims for gradients')
    tester.asserteq(grads['W'].size(1), 100, 'incorrect dims for gradients')
    tester.asserteq(grads['x'].dim(), 1, 'incorrect dims for gradients')
    tester.asserteq(grads['x'].size(0), 100, 'incorrect dims for gradients')


def test_FloatType():
    """test.lua lines 718-743."""
    # Parameters:
    W = torch.FloatTensor(32, 100).fill(.5)
    x = torch.FloatTensor(100).fill(.5)

    # Function:
    def func(inputs):
        return torch.sum(inputs['W'] @ inputs['x'])

    # Grads:
    dFunc = autograd(func)

    # Compute func and grads:
    pred = func({'W': W, 'x': x})
    grads = dFunc({'W': W, 'x': x})[0]

    # Tests:
    _check_sum_of_product(grads, pred)
    tester.asserteq(grads['W'].type(), 'legonn.FloatTensor', 'gradients keep the parameters\' type')


@pytest.mark.gpu
def test_CudaType():
    """test.lua lines 745-775 (its ``if not cutorch then return end``: a gpu test here, run on the device and on
    the simulator)."""
    # Parameters:
    W = torch.CudaTensor(32, 100).fill(.5)
    x = torch.CudaTensor(100).fill(.5)

    # Function:
    def func(inputs):
        return torch.sum(inputs['W'] @ inputs['x'])

    # Grads:
    dFunc = autograd(func)

    # Compute func and grads:
    pred = func({'W': W, 'x': x})
    grads = dFunc({'W': W, 'x': x})[0]

    # Tests:
    _check_sum_of_product(grads, pred)
    tester.asserteq(grads['W'].type(), 'legonn.CudaTensor', 'gradients stay on the GPU')


def test_NCalls():
    """test.lua lines 777-806."""
    # Parameters:
    W = torch.Tensor(32, 100).fill(.5)
    x = torch.Tensor(100).fill(.5)

    # Function:
    def func(inputs):
        return torch.sum(inputs['W'] @ inputs['x'])

    # Grads:
    dFunc = autograd(func)

    # Compute func and grads:
    pred = func({'W': W, 'x': x})
    grads = dFunc({'W': W, 'x': x})[0]
    for i in range(5):
        pred = func({'W': W, 'x': x})
        grads = dFunc({'W': W, 'x': x})[0]

    # Tests:
    _check_sum_of_product(grads, pred)


def test_ParamLen():
    """test.lua lines 1468-1481."""
    params = [torch.Tensor(100).fill(1), torch.Tensor(100).fill(1)]

    # Function:
    def func(params, *_):
        return torch.sum(params[0] + params[1] * len(params))

    df = autograd(func)
    grads = df(params)[0]

    # Tests:
    tester.assert_(gradcheck(func, params, 1), 'incorrect gradients')
    # the closed form the Lua leaves to gradcheck: d/dp0 = 1, d/dp1 = #params = 2
    tester.assertTensorEq(grads[0], torch.Tensor(100).fill(1), 0)
    tester.assertTensorEq(grads[1], torch.Tensor(100).fill(2), 0)


def test_ScalarMul():
    """test.lua lines 1627-1637."""
    # Tests that functions that use scalar multiply do not cause an error
    def f(params):
        return torch.sum(params['W']) * 0.4

    df = autograd(f)
    params = {'W': torch.randn(5, 5)}
    # this line should not raise an error
    grads, loss = df(params)
    tester.assert_(gradcheck(f, {'W': params['W']}), 'incorrect gradients')


def test_LessThan():
    """test.lua lines 1668-1680."""

    def f(params, x=None):
        s = torch.sum(params['a'])
        if autograd.util.lt(s, 3):
            return s * 3
        else:
            return s

    tester.assert_(gradcheck(f, {'a': torch.eye(3) * 3}), "Incorrect gradient")
    tester.assert_(gradcheck(f, {'a': torch.eye(3) * 0.3}), "Incorrect gradient")


def test_ZeroGrad():
    """test.lua lines 1753-1769 (test.lua's Direct_ run leaves it out: the direct runtime refuses an answer that
    does not depend on the parameters)."""
    # the output of this function does not depend on params, so its grad should be uniformly zero
    def innerFn(params, x, y):
        return torch.sum(torch.add(x, y))

    dneuralNet = autograd(innerFn)

    numFeatures = 5
    testParams = torch.randn(numFeatures)
    x = torch.randn(numFeatures)
    y = torch.randn(1)[0]

    analyticalGrad = testParams.clone().zero()
    numericalGrad = dneuralNet(testParams, x, y)[0]
    tester.assertTensorEq(analyticalGrad, numericalGrad, 1e-8, 'analytical and numerical solution do not match')


def test_SimpleGradGrad():
    """test.lua lines 1771-1807 (``params*x`` of two vectors is a dot product: ``lg.dot``)."""

    def innerFn(params, x, y):
        yHat = torch.dot(params, x)
        squaredLoss = (y - yHat)
        return squaredLoss

    # autodiff
    dneuralNet = autograd(innerFn)

    # the outer function computes the sum of the gradient of the neural network. Therefore, differentiating
    # yields the sum of each column of the Hessian
    def outerFn(params_2, x, y):
        grad = dneuralNet(params_2, x, y)[0]
        return torch.sum(grad)

    # autodiff solution for sum of each column of Hessian
    ddf = autograd(outerFn)

    numFeatures = 1

    testParams = torch.randn(numFeatures)
    x = torch.randn(numFeatures)
    y = torch.randn(1)[0]

    analyticalGrad = x.clone().mul(-1)
    numericalGrad = dneuralNet(testParams, x, y)[0]

    tester.assertTensorEq(analyticalGrad, numericalGrad, 1e-8, 'analytical and numerical solution do not match')

    analyticalGradGrad = x.clone().zero()
    numericalGradGrad = ddf(testParams, x, y)[0]

    tester.assertTensorEq(analyticalGradGrad, numericalGradGrad, 1e-8,
                          'analytical and numerical solution do not match')


def test_GradGrad():
    """test.lua lines 1809-1848 (``params*x`` of two vectors is ``lg.dot``)."""
    numFeatures = 5
    params = torch.randn(numFeatures)

    # synthetic data
    x = torch.randn(numFeatures)
    y = torch.randn(1)[0]

    def innerFn(params, x, y):
        yHat = torch.dot(params, x)
        squaredLoss = torch.pow(y - yHat, 2)
        return squaredLoss

    # autodiff
    dneuralNet = autograd(innerFn)
    numericalGrad = dneuralNet(params, x, y)[0]

    # analytical expression
    residual = y - torch.dot(params, x)
    analyticalGrad = x.clone().mul(-2 * residual)

    tester.assertTensorEq(analyticalGrad, numericalGrad, 1e-8, 'analytical and numerical solution do not match')

    # the outer function computes the sum of the gradient of the neural network. Therefore, differentiating
    # yields the sum of each column of the Hessian
    def outerFn(params, x, y):
        grad = dneuralNet(params, x, y)[0]
        return torch.sum(grad)

    # autodiff solution for sum of each column of Hessian
    ddf = autograd(outerFn)
    numericalGradGrad = ddf(params, x, y)[0]

    # analytical expression
    hessian = torch.ger(x, x).mul(2)
    analyticalGradGrad = torch.sum(hessian, 1).squeeze()
    tester.assertTensorEq(analyticalGradGrad, numericalGradGrad, 1e-8,
                          'analytical and numerical solution do not match')


def test_Assignment():
    """test.lua lines 1850-1876 (``xc[{1,1}]`` is ``xc[0, 0]``, ``xc[torch.LongStorage{2,2}]`` is
    ``xc[torch.LongStorage([1, 1])]``)."""

    def f1(params):
        xc = torch.clone(params['x'])
        xc[0] = torch.sum(params['y']) * 2.0
        return torch.sum(xc)
    tester.assert_(gradcheck(f1, {'x': torch.randn(10), 'y': torch.randn(3)}), "Incorrect gradient")

    def f2(params):
        xc = torch.clone(params['x'])
        xc[0] = torch.sum(params['y']) * 2.0
        xc[1] = torch.sum(params['y']) * 3.0
        return torch.sum(xc)
    tester.assert_(gradcheck(f2, {'x': torch.randn(10), 'y': torch.randn(3)}), "Incorrect gradient")

    def f3(params):
        xc = torch.clone(params['x'])
        xc[0, 0] = torch.sum(params['y']) * 2.0
        return torch.sum(xc)
    tester.assert_(gradcheck(f3, {'x': torch.randn(10, 10), 'y': torch.randn(3)}), "Incorrect gradient")

    def f4(params):
        xc = torch.clone(params['x'])
        xc[torch.LongStorage([1, 1])] = torch.sum(params['y'])
        return torch.sum(xc)
    tester.assert_(gradcheck(f4, {'x': torch.randn(10, 10), 'y': torch.randn(3)}), "Incorrect gradient")
