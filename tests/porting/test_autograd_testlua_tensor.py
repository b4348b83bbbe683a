"""twitter/torch-autograd's test/test.lua, its tests of torch functions' gradients (Select ... Baddbmm), ported
literally: one test per Lua function, each naming its lines. The edits are docs/porting.md's: ``torch.`` is
``lg.``, ``:`` is ``.``, indices and dimensions are 0-based, tables of parameters are dicts and lists, Lua's ``*``
of a matrix and a vector (or of two matrices) is ``@``, support.lua's ``torch.size``/``torch.copy`` are
``autograd.support``'s, ``df(params)`` returns ``(grads, loss)`` (the Lua's ``local grads = df(...)`` keeps the first),
``math.huge`` is ``math.inf``, ``tester:assert`` is ``tester.assert_``.

Each test runs twice, as test.lua runs its table (lines 1961-1979): after ``autograd.optimize(true)`` and
direct (the ``autograd_mode`` fixture), in Torch7's default DoubleTensor (``double_default``)."""
import math

import pytest

import legonn as lg
from legonn.autograd import support
from tests.porting.autograd_testlua import autograd, gradcheck, gradcheckConstant, tester, util

pytestmark = pytest.mark.usefixtures('double_default', 'autograd_mode')


def test_Select():
    """test.lua lines 144-161."""
    W = lg.Tensor(5, 25).normal()
    x = lg.Tensor(1, 25).normal()

    # Function:
    def selectFn(inputs):
        return lg.sum(lg.select(inputs['W'], 0, 0) + inputs['x'])

    def selectFn2(inputs):
        a = lg.select(lg.viewAs(lg.select(inputs['W'], 0, 0), inputs['x']), 1, 0)
        b = lg.select(inputs['x'], 1, 0)
        return lg.sum(a + b)

    # Check grads:
    tester.assert_(gradcheck(selectFn, {'W': W, 'x': x}), "Incorrect gradient")
    tester.assert_(gradcheck(selectFn2, {'W': W, 'x': x}), "Incorrect gradient")


def test_Index():
    """test.lua lines 163-181."""
    W = lg.Tensor(5, 25).normal()
    x = lg.Tensor(100, 25).normal()

    # Test with index bigger than the index param + very likely collision of indexes.
    # i.e. worst case scenario
    idx = lg.LongTensor(100)
    for i in range(idx.size(0)):
        idx[i] = lg.random(1, 5) - 1   # the Lua's draw, as a 0-based index

    # Function:
    def selectFn(inputs):
        return lg.sum(lg.index(inputs['W'], 0, idx) + inputs['x'])

    # Check grads:
    tester.assert_(gradcheck(selectFn, {'W': W, 'x': x}), "Incorrect gradient")


def test_Narrow():
    """test.lua lines 183-199."""
    W = lg.Tensor(5, 25).normal()
    x1 = lg.Tensor(1, 25).normal()
    x2 = lg.Tensor(3, 25).normal()

    # Function:
    def NarrowFn1D(inputs):
        return lg.sum(lg.narrow(inputs['W'], 0, 0, 1) + inputs['x'])

    def NarrowFn2D(inputs):
        return lg.sum(lg.narrow(inputs['W'], 0, 0, 3) + inputs['x'])

    # Check grads:
    tester.assert_(gradcheck(NarrowFn1D, {'W': W, 'x': x1}), "Incorrect gradient")
    tester.assert_(gradcheck(NarrowFn2D, {'W': W, 'x': x2}), "Incorrect gradient")


def test_Reshape():
    """test.lua lines 201-206."""
    def f(params):
        return lg.sum(lg.reshape(params['x'], 1, 9) * 3)
    tester.assert_(gradcheck(f, {'x': lg.randn(3, 3)}), "Incorrect gradient")


def test_Clamp():
    """test.lua lines 208-215."""
    W = lg.Tensor(5, 25).normal()

    def clampFn(inputs):
        return lg.sum(lg.clamp(inputs['W'], 0, math.inf))
    tester.assert_(clampFn({'W': W}) > 0, "Basic sanity check failed")
    tester.assert_(gradcheck(clampFn, {'W': W}), "Incorrect gradient")


def test_Clone():
    """test.lua lines 217-228."""
    x = lg.Tensor(2, 25).normal()

    # Function:
    def f(inputs):
        res = lg.clone(lg.select(inputs['x'], 0, 0) * 10)
        return lg.sum(res)

    # Check grads:
    tester.assert_(gradcheck(f, {'x': x}), "Incorrect gradient")


def test_NarrowCopy():
    """test.lua lines 230-243 (support.lua's ``torch.size`` and ``torch.copy`` are ``autograd.support``'s)."""
    x = lg.Tensor(2, 25).normal()

    # Function:
    def f(inputs):
        res = inputs['x'].new(support.size(inputs['x']))
        out1 = support.copy(lg.select(res, 0, 0), lg.select(inputs['x'], 0, 0) * 10)
        out2 = support.copy(lg.select(res, 0, 1), lg.select(inputs['x'], 0, 1) * 3)
        return lg.sum(out1) + lg.sum(out2)

    # Check grads:
    tester.assert_(gradcheck(f, {'x': x}), "Incorrect gradient")


def test_SelfView():
    """test.lua lines 245-273."""
    W = lg.Tensor(5, 5).normal()
    x = lg.Tensor(1, 25).normal()

    # Function:
    def viewFn(inputs):
        return lg.sum(inputs['x'].view(5, 5) + inputs['W'])

    def viewAsFn(inputs):
        return lg.sum(inputs['x'].viewAs(inputs['W']) + inputs['W'])

    # Check grads:
    tester.assert_(gradcheck(viewFn, {'W': W, 'x': x}), "Incorrect gradient")
    tester.assert_(gradcheck(viewAsFn, {'W': W, 'x': x}), "Incorrect gradient")

    # Check floating point
    gd = autograd(viewFn)({'W': W, 'x': x})[0]
    gf = autograd(viewFn)({'W': W.float(), 'x': x.float()})[0]
    tester.assertTensorEq(gd['W'], gf['W'].double(), 1e-8, "Incorrect floating point gradient")
    tester.assertTensorEq(gd['x'], gf['x'].double(), 1e-8, "Incorrect floating point gradient")

    gd = autograd(viewAsFn)({'W': W, 'x': x})[0]
    gf = autograd(viewAsFn)({'W': W.float(), 'x': x.float()})[0]
    tester.assertTensorEq(gd['W'], gf['W'].double(), 1e-8, "Incorrect floating point gradient")
    tester.assertTensorEq(gd['x'], gf['x'].double(), 1e-8, "Incorrect floating point gradient")


def test_View():
    """test.lua lines 275-297."""
    W = lg.Tensor(5, 5).normal()
    x = lg.Tensor(1, 25).normal()

    # Function:
    def viewFn(inputs):
        return lg.sum(lg.view(inputs['x'], 5, 5) + inputs['W'])

    def viewAsFn(inputs):
        return lg.sum(lg.viewAs(inputs['x'], inputs['W']) + inputs['W'])

    # Check grads:
    tester.assert_(gradcheck(viewFn, {'W': W, 'x': x}), "Incorrect gradient")
    tester.assert_(gradcheck(viewAsFn, {'W': W, 'x': x}), "Incorrect gradient")

    # Check floating point
    gd = autograd(viewFn)({'W': W, 'x': x})[0]
    gf = autograd(viewFn)({'W': W.float(), 'x': x.float()})[0]
    tester.assertTensorEq(gd['W'], gf['W'].double(), 1e-8, "Incorrect floating point gradient")
    tester.assertTensorEq(gd['x'], gf['x'].double(), 1e-8, "Incorrect floating point gradient")


def _expand_test(expandFn, expandAsFn):
    """The body SelfExpand and Expand share (test.lua lines 305-325 and 334-354, the same but for the calls). The
    Lua's 32x100 W (and x's of 100 and 32) are 8x25 here: gradcheck's finite differences of its 3,200 elements,
    six times over, took 5-6 s a test."""
    W = lg.Tensor(8, 25).normal()
    x1 = lg.Tensor(1, 25).normal()
    x2 = lg.Tensor(8, 1).normal()
    x3 = lg.Tensor(1, 1).normal()

    # Check grads:
    for x in (x1, x2, x3):
        tester.assert_(gradcheck(expandFn, {'W': W, 'x': x}), "Incorrect gradient")
        tester.assert_(gradcheck(expandAsFn, {'W': W, 'x': x}), "Incorrect gradient")
    # Check floating point
    for x in (x1, x2, x3):
        gd = autograd(expandFn)({'W': W, 'x': x})[0]
        gf = autograd(expandFn)({'W': W.float(), 'x': x.float()})[0]
        tester.assertTensorEq(gd['W'], gf['W'].double(), 1e-8, "Incorrect floating point gradient")
        tester.assertTensorEq(gd['x'], gf['x'].double(), 1e-8, "Incorrect floating point gradient")


def test_SelfExpand():
    """test.lua lines 299-326."""
    def expandFn(inputs):
        return lg.sum(lg.sum(inputs['x'].expand(8, 25) + inputs['W'], 1))

    def expandAsFn(inputs):
        return lg.sum(lg.sum(inputs['x'].expandAs(inputs['W']) + inputs['W'], 1))
    _expand_test(expandFn, expandAsFn)


def test_Expand():
    """test.lua lines 328-355."""
    def expandFn(inputs):
        return lg.sum(lg.sum(lg.expand(inputs['x'], 8, 25) + inputs['W'], 1))

    def expandAsFn(inputs):
        return lg.sum(lg.sum(lg.expandAs(inputs['x'], inputs['W']) + inputs['W'], 1))
    _expand_test(expandFn, expandAsFn)


def test_Transpose():
    """test.lua lines 356-364."""
    def fn(inputs):
        return lg.sum(lg.t(inputs['x']))

    # Check grads:
    x = lg.Tensor(10, 5).normal()
    tester.assert_(gradcheck(fn, {'x': x}), "Incorrect gradient")


def test_Cat():
    """test.lua lines 366-401."""
    # Concat along 1st dim:
    x1 = lg.Tensor(3, 5).normal()
    x2 = lg.Tensor(7, 5).normal()

    # Function:
    def fn(inputs):
        return lg.sum(lg.cat(inputs['x1'], inputs['x2'], 0))

    # Check grads:
    tester.assert_(gradcheck(fn, {'x1': x1, 'x2': x2}), "Incorrect gradient")

    # Transpose, and cat along the last dim
    x1 = x1.t().contiguous()
    x2 = x2.t().contiguous()

    # Function:
    def fn(inputs):
        return lg.sum(lg.cat(inputs['x1'], inputs['x2']))

    # Check grads:
    tester.assert_(gradcheck(fn, {'x1': x1, 'x2': x2}), "Incorrect gradient")

    # Tables of tensors
    xs = [lg.Tensor(10).normal(), lg.Tensor(10).normal(), lg.Tensor(10).normal()]

    # Function:
    def fn(inputs):
        return lg.sum(lg.cat(inputs, 0))

    # Check grads:
    tester.assert_(gradcheck(fn, xs), "Incorrect gradient")


def _check_matrix_vector_answer(pred, grads, expected):
    """The assertions Dot, Scale and DotNonLinear share (test.lua lines 417-427, 513-523, 691-701)."""
    tester.asserteq(lg.type(pred), 'number', 'incorrect prediction')
    tester.asserteq(pred, expected, 'incorrect prediction')
    tester.asserteq(grads['W'].dim(), 2, 'incorrect dims for gradients')
    tester.asserteq(grads['W'].size(0), 32, 'incorrect dims for gradients')
    tester.asserteq(grads['W'].size(1), 100, 'incorrect dims for gradients')
    tester.asserteq(grads['x'].dim(), 1, 'incorrect dims for gradients')
    tester.asserteq(grads['x'].size(0), 100, 'incorrect dims for gradients')


def test_Dot():
    """test.lua lines 403-428 (Lua's ``W * x`` of a matrix and a vector is ``W @ x``)."""
    # Parameters:
    W = lg.Tensor(32, 100).fill(.5)
    x = lg.Tensor(100).fill(.5)

    # Function:
    def func(inputs):
        return lg.sum(inputs['W'] @ inputs['x'])

    # Grads:
    dFunc = autograd(func)

    # Compute func and grads:
    pred = func({'W': W, 'x': x})
    grads = dFunc({'W': W, 'x': x})[0]

    # Tests:
    _check_matrix_vector_answer(pred, grads, 800)


def test_GradCheck_Ger():
    """test.lua lines 430-438."""
    A = lg.Tensor(10).normal()
    B = lg.Tensor(10).normal()

    def func(inputs):
        return lg.sum(lg.ger(inputs['A'], inputs['B']))

    tester.assert_(gradcheck(func, {'A': A, 'B': B}), "incorrect gradients")


def test_GradCheck_Dot():
    """test.lua lines 440-460 (``A * B`` is ``A @ B``)."""
    # Parameters:
    matrices = [
        [lg.Tensor(10, 20).normal(), lg.Tensor(20).normal()],      # 2D x 1D
        [lg.Tensor(10, 20).normal(), lg.Tensor(20, 1).normal()],   # 2D x 1D, with second dim
        [lg.Tensor(10, 20).normal(), lg.Tensor(20, 20).normal()],  # 2D x 2D
        [lg.Tensor(20, 1).normal(), lg.Tensor(1, 20).normal()],    # 1D x 1D
    ]

    # Function:
    def func(inputs):
        return lg.sum(inputs['A'] @ inputs['B'])

    # Check grads:
    for A, B in matrices:
        tester.assert_(gradcheck(func, {'A': A, 'B': B}), 'incorrect gradients')


def test_Inverse():
    """test.lua lines 462-483."""
    # Parameters:
    x = lg.Tensor(20).fill(.5)
    K = lg.eye(20) + lg.ger(x, x)

    # Function:
    def func(inputs):
        return lg.sum(lg.inverse(inputs['K']))

    # Grads:
    dFunc = autograd(func)

    # Compute func and grads:
    pred = func({'K': K})
    grads = dFunc({'K': K})[0]

    # Tests:
    tester.asserteq(lg.type(pred), 'number', 'incorrect prediction')
    tester.asserteq(pred, lg.sum(lg.inverse(K)), 'incorrect prediction')
    tester.asserteq(grads['K'].dim(), 2, 'incorrect dims for gradients')


def test_GradCheck_Inverse():
    """test.lua lines 485-497."""
    # Parameters:
    x = lg.Tensor(10).normal()
    K = lg.eye(10) + lg.ger(x, x)

    # Function:
    def func(inputs):
        return lg.sum(lg.inverse(inputs['K']))

    # Check grads:
    tester.assert_(gradcheckConstant(func, {'K': K}), 'incorrect gradients')


def test_Scale():
    """test.lua lines 499-524."""
    # Parameters:
    W = lg.Tensor(32, 100).fill(.5)
    x = lg.Tensor(100).fill(.5)

    # Function:
    def func(inputs):
        return lg.sum(inputs['W'] @ inputs['x'] * 3.0 + 1.0)

    # Grads:
    dFunc = autograd(func)

    # Compute func and grads:
    pred = func({'W': W, 'x': x})
    grads = dFunc({'W': W, 'x': x})[0]

    # Tests:
    _check_matrix_vector_answer(pred, grads, 2432)


def test_MinMax():
    """test.lua lines 549-594 (``torch.min(x, 1)`` returns values and indices: the Lua kept the values, ``[0]``
    here). The second gradcheck checks func1 again, as the Lua's does."""
    fns = ["min", "max"]
    preds = [[1, 5], [2, 10]]

    for i in range(2):
        W = lg.ones(5, 5).fill(2)
        W[0] = 1
        fn = fns[i]

        def func1(inputs):
            return getattr(lg, fn)(inputs['W'])

        def func2(inputs):
            minVal = getattr(lg, fn)(inputs['W'], 0)[0]
            return lg.sum(minVal)

        # Grads:
        dFunc1 = autograd(func1)
        dFunc2 = autograd(func2)

        # Compute func and grads:
        grads, pred = dFunc1({'W': W})

        # Tests:
        tester.asserteq(lg.type(pred), 'number', 'incorrect prediction')
        tester.asserteq(pred, preds[i][0], 'incorrect prediction')
        tester.asserteq(grads['W'].dim(), 2, 'incorrect dims for gradients')
        tester.asserteq(grads['W'].size(0), 5, 'incorrect dims for gradients')
        tester.asserteq(grads['W'].size(1), 5, 'incorrect dims for gradients')
        tester.assert_(gradcheck(func1, {'W': W}), 'incorrect gradients')

        # Compute func and grads:
        W = lg.ones(5, 5).fill(2)
        W[0] = 1
        grads, pred = dFunc2({'W': W})

        # Tests:
        tester.asserteq(lg.type(pred), 'number', 'incorrect prediction')
        tester.asserteq(pred, preds[i][1], 'incorrect prediction')
        tester.asserteq(grads['W'].dim(), 2, 'incorrect dims for gradients')
        tester.asserteq(grads['W'].size(0), 5, 'incorrect dims for gradients')
        tester.asserteq(grads['W'].size(1), 5, 'incorrect dims for gradients')
        tester.assert_(gradcheck(func1, {'W': W}), 'incorrect gradients')


def test_CMinCMax():
    """test.lua lines 596-612 (the Lua's inner ``fn`` shadows the name of the function it calls: ``fname`` here)."""
    fns = ["cmin", "cmax"]

    for i in range(2):
        A = lg.eye(5)
        B = lg.eye(5) * 2
        fname = fns[i]

        def fn(inputs):
            return lg.sum(getattr(lg, fname)(inputs['A'], inputs['B']))

        tester.assert_(gradcheck(fn, {'A': A, 'B': B}), 'incorrect gradients')


def _unary_family(fns):
    """SinCosTan's and SinhCoshTanh's body (test.lua lines 617-624, 630-637)."""
    for f in fns:
        x = lg.Tensor(5).normal()

        def fn(params):
            return 2 * lg.sum(getattr(lg, f)(params['x']))

        tester.assert_(gradcheck(fn, {'x': x}), f'incorrect gradient for {f}')


def test_SinCosTan():
    """test.lua lines 614-625."""
    _unary_family(['sin', 'cos', 'tan'])


def test_SinhCoshTanh():
    """test.lua lines 627-638."""
    _unary_family(['sinh', 'cosh', 'tanh'])


def test_GradCheck_Scale():
    """test.lua lines 640-652."""
    # Parameters:
    W = lg.Tensor(32, 100).normal()
    x = lg.Tensor(100).normal()

    # Function:
    def func(inputs):
        return lg.sum(inputs['W'] @ inputs['x'] * 3.0 + 1.0)

    # Check grads:
    tester.assert_(gradcheck(func, {'W': W, 'x': x}), 'incorrect gradients')


def test_Unary():
    """test.lua lines 654-675."""
    # Parameters:
    x = lg.Tensor(100).fill(.5)

    # Function:
    def func(inputs):
        return lg.sum(- inputs['x'])

    # Grads:
    dFunc = autograd(func)

    # Compute func and grads:
    pred = func({'x': x})
    grads = dFunc({'x': x})[0]

    # Tests:
    tester.asserteq(lg.type(pred), 'number', 'incorrect prediction')
    tester.asserteq(pred, -50, 'incorrect prediction')
    tester.asserteq(grads['x'].dim(), 1, 'incorrect dims for gradients')
    tester.asserteq(grads['x'].size(0), 100, 'incorrect dims for gradients')


def test_DotNonLinear():
    """test.lua lines 677-702."""
    # Parameters:
    W = lg.Tensor(32, 100).fill(.5)
    x = lg.Tensor(100).fill(.5)

    # Function:
    def func(inputs):
        return lg.sum(lg.tanh(inputs['W'] @ inputs['x']))

    # Grads:
    dFunc = autograd(func)

    # Compute func and grads:
    pred = func({'W': W, 'x': x})
    grads = dFunc({'W': W, 'x': x})[0]

    # Tests:
    _check_matrix_vector_answer(pred, grads, 32)


def test_GradCheck_DotNonLinear():
    """test.lua lines 704-716."""
    # Parameters:
    W = lg.Tensor(32, 100).normal()
    x = lg.Tensor(100).normal()

    # Function:
    def func(inputs):
        return lg.sum(lg.tanh(inputs['W'] @ inputs['x']))

    # Check grads:
    tester.assert_(gradcheck(func, {'W': W, 'x': x}), 'incorrect gradients')


def test_CatNumber():
    """test.lua lines 1682-1695."""
    def f(params):
        tbl = []
        tbl.append(params['a'])
        tbl.append(params['b'])
        tbl.append(params['c'])
        a = autograd.util.cat(tbl)
        return -lg.sum(a)
    df = autograd(f)
    params = {'a': 1, 'b': 2, 'c': 3}
    grads, loss = df(params)
    # It just needs to run, gradcheck doesn't support numbers right now


def test_FunctionalFill():
    """test.lua lines 1697-1703."""
    def f(params):
        o = util.fill(params['a'], lg.sum(params['a']))
        return lg.sum(o)
    tester.assert_(gradcheck(f, {'a': lg.randn(5, 5)}), "Incorrect gradient")


def test_Padding():
    """test.lua lines 1705-1721."""
    def adjointSelect(params):
        padded = autograd.util.selectSliceCopy(params['x'], lg.zeros(3, 3), 0, 0)
        return lg.sum(padded * 3)
    tester.assert_(gradcheck(adjointSelect, {'x': lg.randn(3)}), "Incorrect gradient")

    def adjointNarrow(params):
        padded = autograd.util.narrowSliceCopy(params['x'], lg.zeros(3, 3), 0, 0, 2)
        return lg.sum(padded * 3)
    tester.assert_(gradcheck(adjointNarrow, {'x': lg.randn(3, 2)}), "Incorrect gradient")

    def adjointIndex(params):
        padded = autograd.util.indexAdd(params['x'], lg.zeros(3, 3), 0, lg.LongTensor([2, 0]))
        return lg.sum(padded * 3)
    tester.assert_(gradcheck(adjointIndex, {'x': lg.randn(2, 3)}), "Incorrect gradient")


def test_RepeatTensor():
    """test.lua lines 1723-1751."""
    def f2to2(params):
        y = lg.repeatTensor(params['x'], 2, 2) * 3
        return lg.sum(y)
    tester.assert_(gradcheck(f2to2, {'x': lg.randn(3, 3)}), "Incorrect gradient")
    x = lg.randn(3, 3)
    o_double = autograd(f2to2)({'x': x})[0]['x']
    o_float = autograd(f2to2)({'x': x.float()})[0]['x']
    tester.assertTensorEq(o_double, o_float.double(), 1e-10, "Incorrect floating point gradient")

    def f3to3(params):
        y = lg.repeatTensor(params['x'], 2, 2, 2) * 3
        return lg.sum(y)
    tester.assert_(gradcheck(f3to3, {'x': lg.randn(3, 3, 3)}), "Incorrect gradient")

    def f2to3(params):
        y = lg.repeatTensor(params['x'], 2, 2, 2) * 3
        return lg.sum(y)
    tester.assert_(gradcheck(f2to3, {'x': lg.randn(3, 3)}), "Incorrect gradient")

    def f3to4(params):
        y = lg.repeatTensor(params['x'], 2, 2, 2, 2) * 3
        return lg.sum(y)
    tester.assert_(gradcheck(f3to4, {'x': lg.randn(3, 3, 3)}), "Incorrect gradient")


def test_ScalarSigmoid():
    """test.lua lines 1878-1885 (it only needs to run, as the Lua's)."""
    params = {'w': 1}

    def f(params, x):
        return lg.sigmoid(params['w'] * x)
    df = autograd(f)
    dparams, loss = df(params, 2)


def test_Contiguous():
    """test.lua lines 1887-1899."""
    # Parameters:
    W = lg.Tensor(32, 100).fill(.5)
    x = lg.Tensor(100).fill(.5)

    # Function:
    def f1(inputs):
        return lg.sum(lg.contiguous(lg.contiguous(inputs['W'])) @ lg.contiguous(lg.contiguous(inputs['x'])))

    # Tests:
    tester.assert_(gradcheck(f1, {'W': lg.Tensor(32, 100).fill(.5), 'x': lg.Tensor(100).fill(.5)}),
                   "Incorrect gradient")


def test_Bmm():
    """test.lua lines 1901-1909."""
    X = lg.randn(5, 4, 3)
    Y = lg.randn(5, 3, 2)

    def bmmFn(inputs):
        return lg.sum(lg.bmm(inputs['X'], inputs['Y']))
    tester.assert_(gradcheck(bmmFn, {'X': X, 'Y': Y}), "Incorrect gradient")


def test_Gather():
    """test.lua lines 1911-1919 (the index's values 0-based)."""
    X = lg.randn(5, 5)
    index = lg.LongTensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 0]])

    def gather(inputs, index):
        return lg.sum(lg.gather(inputs['X'], 0, index))
    tester.assert_(gradcheck(gather, {'X': X}, index), "Incorrect gradient")


def test_Scatter():
    """test.lua lines 1921-1930 (the index's values 0-based)."""
    X = lg.rand(2, 5)
    index = lg.LongTensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]])
    Z = lg.zeros(3, 5)

    def scatter(inputs, index, Z):
        return lg.sum(lg.scatter(Z, 0, index, inputs['X']))
    tester.assert_(gradcheck(scatter, {'X': X}, index, Z), "Incorrect gradient")


def test_Baddbmm():
    """test.lua lines 1932-1957."""
    v1 = lg.randn(1)[0]
    v2 = lg.randn(1)[0]
    M = lg.randn(5, 4, 2)
    X = lg.randn(5, 4, 3)
    Y = lg.randn(5, 3, 2)

    def baddbmm3argFn(inputs):
        return lg.sum(lg.baddbmm(inputs['M'], inputs['X'], inputs['Y']))
    tester.assert_(gradcheck(baddbmm3argFn, {'M': M, 'X': X, 'Y': Y}), "Incorrect gradient")

    def baddbmm4argFn(inputs):
        return lg.sum(lg.baddbmm(inputs['v1'], inputs['M'], inputs['X'], inputs['Y']))
    tester.assert_(gradcheck(baddbmm4argFn, {'v1': v1, 'M': M, 'X': X, 'Y': Y}), "Incorrect gradient")

    def baddbmm5argFn(inputs):
        return lg.sum(lg.baddbmm(inputs['v1'], inputs['M'], inputs['v2'], inputs['X'], inputs['Y']))
    tester.assert_(gradcheck(baddbmm5argFn, {'v1': v1, 'v2': v2, 'M': M, 'X': X, 'Y': Y}), "Incorrect gradient")
