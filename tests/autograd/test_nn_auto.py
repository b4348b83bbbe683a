"""autograd.nn.AutoModule / AutoCriterion (legonn/autograd/auto/): classes made from a function, against the nn
classes computing the same, a Jacobian in float64, lg.save/lg.load round trips, and the errors."""
import numpy as np
import pytest

import legonn as lg
from legonn import autograd, nn

pytestmark = pytest.mark.usefixtures('double')


@pytest.fixture
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')


def affine(input, weight, bias):
    return weight @ input + bias


def squared_error(input, target):
    buffer = input - target
    return lg.sum(lg.cmul(buffer, buffer)) / input.nElement()


def test_an_auto_module_of_an_affine_map_is_linear():
    linear = nn.Linear(5, 3)
    auto = autograd.nn.AutoModule('TestAffine')(affine, linear.weight.clone(), linear.bias.clone())
    assert lg.typename(auto) == 'autograd.nn.module.TestAffine'
    x, g = lg.randn(5), lg.randn(3)
    np.testing.assert_allclose(auto.forward(x).numpy(), linear.forward(x).numpy(), atol=1e-14)
    auto.zeroGradParameters()
    linear.zeroGradParameters()
    np.testing.assert_allclose(auto.backward(x, g, 0.5).numpy(), linear.backward(x, g, 0.5).numpy(), atol=1e-14)
    np.testing.assert_allclose(auto.gradWeight.numpy(), linear.gradWeight.numpy(), atol=1e-14)
    np.testing.assert_allclose(auto.gradBias.numpy(), linear.gradBias.numpy(), atol=1e-14)
    assert nn.Jacobian.testJacobian(auto, x) < 1e-6
    assert nn.Jacobian.testJacobianParameters(auto, x, auto.weight, auto.gradWeight) < 1e-6
    assert nn.Jacobian.testJacobianParameters(auto, x, auto.bias, auto.gradBias) < 1e-6


def test_an_auto_module_without_parameters():
    square = autograd.nn.AutoModule('TestSquare')(lambda x, w, b: lg.cmul(x, x))
    x = lg.randn(7)
    np.testing.assert_array_equal(square.forward(x).numpy(), x.numpy() ** 2)
    assert square.parameters() == ([], [])
    assert nn.Jacobian.testJacobian(square, x) < 1e-6


def test_an_auto_criterion_is_mse():
    auto = autograd.nn.AutoCriterion('TestSquaredError')(squared_error)
    mse = nn.MSECriterion()
    x, y = lg.randn(4, 3), lg.randn(4, 3)
    assert auto.forward(x, y) == pytest.approx(mse.forward(x, y), abs=1e-14)
    np.testing.assert_allclose(auto.backward(x, y).numpy(), mse.backward(x, y).numpy(), atol=1e-14)
    assert lg.typename(auto) == 'autograd.nn.criterion.TestSquaredError'


def test_saved_and_loaded(tmp_path):
    model = nn.Sequential()
    model.add(autograd.nn.AutoModule('TestAffine')(affine, lg.randn(3, 5), lg.randn(3)))
    criterion = autograd.nn.AutoCriterion('TestSquaredError')(squared_error)
    lg.save(str(tmp_path / 'm'), model)
    lg.save(str(tmp_path / 'c'), criterion)
    back, crit = lg.load(str(tmp_path / 'm')), lg.load(str(tmp_path / 'c'))
    assert type(back.modules[0]) is type(model.modules[0]) and type(crit) is type(criterion)
    x, y = lg.randn(5), lg.randn(3)
    np.testing.assert_array_equal(back.forward(x).numpy(), model.forward(x).numpy())
    assert crit.forward(back.output, y) == criterion.forward(model.output, y)
    np.testing.assert_array_equal(back.backward(x, crit.backward(back.output, y)).numpy(),
                                  model.backward(x, criterion.backward(model.output, y)).numpy())


def test_a_loaded_object_needs_its_classs_function(tmp_path, monkeypatch):
    cls = autograd.nn.AutoModule('TestAffine')
    lg.save(str(tmp_path / 'm'), cls(affine, lg.randn(3, 5), lg.randn(3)))
    monkeypatch.setattr(cls, 'fn', None)   # as in a process that has not bound it
    with pytest.raises(RuntimeError, match=r'TestAffine has no function in this process .* TestAffine.bind\(fn\)'):
        lg.load(str(tmp_path / 'm'))
    cls.bind(affine)
    assert lg.load(str(tmp_path / 'm')).forward(lg.randn(5)).size(0) == 3


def test_a_class_computes_one_function():
    cls = autograd.nn.AutoModule('TestAffine')
    assert cls.bind(affine) is cls and autograd.nn.AutoModule('TestAffine') is cls
    with pytest.raises(ValueError, match='TestAffine already computes affine: a class computes one function'):
        cls(squared_error)
    with pytest.raises(TypeError, match='an autograd function must be specified as input to AutoModule'):
        autograd.nn.AutoModule('TestOther')()
    with pytest.raises(TypeError, match='an autograd function must be given, got int'):
        cls.bind(3)
    with pytest.raises(TypeError, match='You must provide a name'):
        autograd.nn.AutoCriterion()
    with pytest.raises(TypeError, match='you must provide a name'):
        autograd.nn.AutoModule('')
    assert 'TestAffine' not in vars(nn)   # a user's class, never one of nn's


def test_the_same_source_run_again_rebinds():
    # a script or notebook cell run twice compiles its function again: another code object of the same code
    source = 'def scaled(input, weight, bias):\n    return weight * input + bias\n'
    functions = []
    for _ in range(2):
        namespace = {}
        exec(compile(source, 'cell', 'exec'), namespace)
        functions.append(namespace['scaled'])
    cls = autograd.nn.AutoModule('TestScaledRerun')
    cls(functions[0], lg.Tensor([2.0]), lg.Tensor([0.0]))
    layer = cls(functions[1], lg.Tensor([3.0]), lg.Tensor([0.5]))
    assert cls.fn is functions[1]
    np.testing.assert_allclose(layer.forward(lg.Tensor([1.5])).numpy(), [5.0])
    with pytest.raises(ValueError, match='TestScaledRerun already computes scaled'):
        cls(affine)


def test_errors_name_an_auto_module_once():
    """An AutoModule's class is 'autograd.nn.module.<name>', which errors shorten to 'autograd.module.<name>'
    (no 'nn.' prefixes): the contract's own check and the forward that passes it on name it once, not twice."""
    from legonn.modules.base.errors import input_error, name_outer
    M = autograd.nn.AutoModule('AutoNamedOnce')(lambda x, W, b: x @ W + b, lg.randn(3, 2), lg.randn(2))
    err = name_outer(M, input_error(M, 'a legonn.FloatTensor input', 'legonn.CudaTensor', TypeError))
    assert str(err) == 'autograd.module.AutoNamedOnce: expected a legonn.FloatTensor input, got legonn.CudaTensor'
    with pytest.raises(TypeError, match=r'^autograd\.module\.AutoNamedOnce: expected a legonn\.Tensor, numpy\.'
                                        r'ndarray or cupy\.ndarray, got str$'):
        M.forward('input.png')


def _typed_round_trip(typenames, to_input):
    """An AutoModule and an AutoCriterion inside containers, converted by the containers to each of
    ``typenames``: their parameters, gradients, outputs and the criterion's gradient follow, and the module still
    computes nn.Linear's answer."""
    for optimized in (False, True):
        autograd.optimize(optimized)
        try:
            linear = nn.Linear(5, 3)
            auto = autograd.nn.AutoModule('TestAffineTyped')(affine, linear.weight.clone(), linear.bias.clone())
            model = nn.Sequential().add(auto).add(nn.Tanh())
            reference = nn.Sequential().add(linear).add(nn.Tanh())
            criterion = nn.ParallelCriterion().add(autograd.nn.AutoCriterion('TestSquaredErrorTyped')(squared_error))
            x, g, y = lg.randn(5), lg.randn(3), lg.randn(3)
            model.forward(x)
            model.backward(x, g)
            for typename in typenames:
                for m in (model, reference, criterion):
                    m.type(typename)
                for t in (auto.weight, auto.bias, auto.gradWeight, auto.gradBias, auto.output, auto.gradInput):
                    assert t.type() == typename, (optimized, typename)
                xt, gt, yt = (to_input(v, typename) for v in (x, g, y))
                model.zeroGradParameters()
                reference.zeroGradParameters()
                out = model.forward(xt)
                assert out.type() == typename
                np.testing.assert_allclose(lg.DoubleTensor(out.size()).copy(out).numpy(),
                                           lg.DoubleTensor(3).copy(reference.forward(xt)).numpy(), atol=1e-5)
                assert model.backward(xt, gt).type() == typename and auto.gradWeight.type() == typename
                reference.backward(xt, gt)
                np.testing.assert_allclose(lg.DoubleTensor(3, 5).copy(auto.gradWeight).numpy(),
                                           lg.DoubleTensor(3, 5).copy(linear.gradWeight).numpy(), atol=1e-5)
                criterion.forward([out], [yt])
                assert criterion.backward([out], [yt])[0].type() == typename
        finally:
            autograd.optimize(False)


def test_auto_modules_follow_their_containers_type():
    _typed_round_trip(['legonn.FloatTensor', 'legonn.DoubleTensor', 'legonn.FloatTensor'],
                      lambda v, typename: v.type(typename))


@pytest.mark.gpu
def test_auto_modules_follow_their_containers_cuda():
    _typed_round_trip(['legonn.CudaTensor', 'legonn.CudaDoubleTensor', 'legonn.DoubleTensor', 'legonn.CudaTensor'],
                      lambda v, typename: v.type(typename))
