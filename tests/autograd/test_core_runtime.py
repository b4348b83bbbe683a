"""The direct runtime's options and cases (main.lua, runtime/direct): parameters as numbers and nested tables,
several answers, partialGrad and withForward/withGradients, gradients of gradients, assignment, protected mode,
the profiler; all in float64 against closed forms or finite differences."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd import overload


@pytest.fixture(autouse=True)
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')


def test_number_params_and_nested_tables():
    def f(p):
        return p['a'] * p['b'][0] + p['b'][1] ** 2 + lg.sum(lg.cmul(p['c']['w'], p['c']['w']))
    w = lg.randn(3)
    grads, loss = autograd(f)({'a': 3.0, 'b': [2.0, 5.0], 'c': {'w': w}})
    assert grads['a'] == 2.0 and grads['b'] == [3.0, 10.0]
    assert type(grads['b']) is list
    np.testing.assert_allclose(grads['c']['w'].numpy(), 2 * w.numpy())
    assert loss == pytest.approx(6.0 + 25.0 + float((w.numpy() ** 2).sum()))


def test_a_number_alone_and_an_unused_parameter():
    grads, loss = autograd(lambda x: x * x * 3)(2.0)
    assert (grads, loss) == (12.0, 12.0)
    grads, _ = autograd(lambda p: lg.sum(p[0]))([lg.randn(2), lg.randn(4), 1.5])
    # the loss does not depend on p[1] or p[2]: zero gradients of their kinds (the optimized mode's answer)
    assert grads[1].size() == (4,) and float(grads[1].abs().sum()) == 0.0 and grads[2] == 0.0


def test_several_answers_come_back_after_the_gradients():
    def f(x):
        y = lg.exp(x)
        return lg.sum(y), y, {'count': 3}
    x = lg.randn(4)
    grads, loss, y, extra = autograd(f)(x)
    np.testing.assert_allclose(grads.numpy(), np.exp(x.numpy()))
    assert isinstance(y, lg.Tensor) and extra == {'count': 3}


def test_gradArg_picks_the_argument():
    df = autograd(lambda a, b: lg.sum(lg.cmul(a, b)), {'gradArg': 1})
    a, b = lg.randn(3), lg.randn(3)
    grads, _ = df(a, b)
    np.testing.assert_allclose(grads.numpy(), a.numpy())
    with pytest.raises(ValueError, match="gradArg 2"):
        autograd(lambda a: lg.sum(a), gradArg=2)(a)


@pytest.mark.parametrize('optimize', [False, True])
def test_bad_params_and_gradArg_are_named_in_both_modes(optimize):
    # the optimized mode failed deep in a traced function (an IndexError for gradArg, lg.sum's error for a
    # string) or quietly gave a None gradient for a string among the parameters
    f = lambda p, x: lg.sum(p['b'] * x)     # noqa: E731
    df = autograd(f, optimize=optimize)
    with pytest.raises(TypeError, match='autograd: parameters must be tensors, numbers, or dicts/lists of them; '
                                        'got str'):
        df({'a': 'abc', 'b': lg.randn(3)}, lg.randn(3))
    with pytest.raises(TypeError, match='parameters must be .* got bool'):
        df({'a': True, 'b': lg.randn(3)}, lg.randn(3))
    with pytest.raises(ValueError, match=r'autograd: gradArg 2 is not one of the 2 arguments given \(0-based\)'):
        autograd(f, optimize=optimize, gradArg=2)({'b': lg.randn(3)}, lg.randn(3))
    with pytest.raises(ValueError, match='gradArg 0 is not one of the 0 arguments'):
        df()
    # with withForward off the last argument is the answer's gradient, not one gradArg may name
    partial = autograd(lambda p: lg.sum(p), optimize=optimize, withForward=False, gradArg=1)
    with pytest.raises(ValueError, match='gradArg 1 is not one of the 1 arguments'):
        partial(lg.randn(3), 1.0)


@pytest.mark.parametrize('optimize', [False, True])
def test_a_traced_tensors_data_attributes_are_refused_in_both_modes(optimize):
    # the optimized mode read x.array off the trace's tensor into the code as a constant: the gradient of
    # sum(x * 2x) came out 2x, not 4x, with no error
    x = lg.randn(3)
    f = lambda p: lg.sum(lg.cmul(p, lg.Tensor(p.array * 2)))     # noqa: E731
    with pytest.raises(AttributeError, match="'array' of the tensor is not available on a traced value"):
        autograd(f, optimize=optimize)(x)
    with pytest.raises(AttributeError, match="'is_cuda' of the tensor is not available on a traced value"):
        autograd(lambda p: lg.sum(p) * (2 if p.is_cuda else 1), optimize=optimize)(x)


def test_partialGrad_with_forward_off():
    x, go = lg.randn(3), lg.randn(3)
    grads, ans = autograd(lambda x: lg.exp(x), withForward=False)(x, go)
    np.testing.assert_allclose(grads.numpy(), np.exp(x.numpy()) * go.numpy())
    np.testing.assert_allclose(ans.numpy(), np.exp(x.numpy()))


def test_gradients_off_gives_the_forward_only():
    x = lg.randn(3)
    assert autograd(lambda x: lg.sum(lg.exp(x)), {'withGradients': False})(x) == pytest.approx(
        float(np.exp(x.numpy()).sum()))


def test_unknown_option_and_stable_gradients_in_direct_mode():
    with pytest.raises(TypeError, match="unknown option"):
        autograd(lambda x: x, {'optimise': True})
    with pytest.raises(ValueError, match="only available in optimized mode"):
        autograd(lambda x: x, stableGradients=True)
    # when df is made, not at its first call ('int' object is not callable) nor as dict()'s error
    with pytest.raises(TypeError, match="autograd.grad: expected the function to differentiate, got int"):
        autograd(3)
    with pytest.raises(TypeError, match="autograd.grad: options must be a dict \\(or keywords\\), got str"):
        autograd(lambda x: x, 'optimize')


def test_accumulation_never_aliases():
    # x + z hands the same g to x and z; x then gets a second gradient: an in-place sum (the Lua's add) would
    # change z's gradient too
    x, z = lg.randn(3), lg.randn(3)
    grads, _ = autograd(lambda p: lg.sum((p['x'] + p['z']) + p['x']))({'x': x, 'z': z})
    np.testing.assert_array_equal(grads['x'].numpy(), np.full(3, 2.0))
    np.testing.assert_array_equal(grads['z'].numpy(), np.ones(3))


def test_gradient_of_a_gradient_in_direct_mode():
    # inner: (y - p.x)^2; d/dp = -2 (y - p.x) x; outer: sum of it; d/dp = 2 x sum(x)
    x, y, p = lg.randn(5), 0.3, lg.randn(5)
    inner = autograd(lambda p, x, y: (y - lg.sum(lg.cmul(p, x))) ** 2)
    outer = autograd(lambda p, x, y: lg.sum(inner(p, x, y)[0]))
    g, _ = inner(p, x, y)
    np.testing.assert_allclose(g.numpy(), -2 * (y - p.numpy() @ x.numpy()) * x.numpy(), rtol=1e-12)
    gg, total = outer(p, x, y)
    np.testing.assert_allclose(gg.numpy(), 2 * x.numpy() * x.numpy().sum(), rtol=1e-12)
    assert total == pytest.approx(float(g.numpy().sum()))


def test_third_order():
    # d3/dx3 of x^4 at 1.5 = 24 x
    d1 = autograd(lambda x: x ** 4)
    d2 = autograd(lambda x: d1(x)[0])
    d3 = autograd(lambda x: d2(x)[0])
    assert d3(1.5)[0] == pytest.approx(36.0)


def test_assignment_routes_later_uses_to_the_new_value():
    def f(p):
        xc = lg.exp(p['x'])
        xc[1] = lg.sum(p['y']) * 2.0
        xc[1] = xc[1] * 3.0        # reads the assigned value
        return lg.sum(xc)
    x, y = lg.randn(4), lg.randn(3)
    grads, loss = autograd(f)({'x': x, 'y': y})
    expected_x = np.exp(x.numpy())
    expected_x[1] = 0.0
    np.testing.assert_allclose(grads['x'].numpy(), expected_x, rtol=1e-12)
    np.testing.assert_allclose(grads['y'].numpy(), np.full(3, 6.0))
    assert loss == pytest.approx(np.exp(x.numpy()).sum() - np.exp(x.numpy()[1]) + 6 * y.numpy().sum())


@pytest.mark.parametrize('optimize', [False, True])
def test_every_assignment_into_a_tensor_reaches_its_later_uses(optimize):
    """x[i] = ... three times (and more) into one tensor: a later use of x means the last assignment's value, in
    both runtimes and in the generated code's later calls (the Lua's maps went back one assignment: from the third
    on, x meant the second's value, its rows' gradients lost)."""
    def f(p):
        y = lg.clone(p['x'])
        for i in range(4):
            y[i] = y[i] * (i + 1) + p['v']
        return lg.sum(lg.cmul(y, w))
    w = lg.randn(4, 3)
    df = autograd(f, optimize=optimize)
    for _ in range(3):
        x, v = lg.randn(4, 3), lg.randn(3)
        grads, loss = df({'x': x, 'v': v})
        rows = np.arange(1, 5)[:, None]
        np.testing.assert_allclose(grads['x'].numpy(), rows * w.numpy(), rtol=1e-12)
        np.testing.assert_allclose(grads['v'].numpy(), w.numpy().sum(0), rtol=1e-12)
        assert loss == pytest.approx(((x.numpy() * rows + v.numpy()) * w.numpy()).sum(), rel=1e-12)


def test_tensor_methods_on_traced_values():
    def f(x):
        assert x.size() == (2, 3) and x.size(1) == 3 and x.dim() == 2 and x.nElement() == 6
        assert x.new(4).size() == (4,)
        return lg.sum(x.view(3, 2) * 2)
    grads, _ = autograd(f)(lg.randn(2, 3))
    np.testing.assert_array_equal(grads.numpy(), np.full((2, 3), 2.0))
    with pytest.raises(RuntimeError, match="function torch.Tensor.fill not currently supported by autograd"):
        autograd(lambda x: lg.sum(x.fill(1)))(lg.randn(2))


def test_a_plain_tensor_first_in_an_operator():
    a = lg.randn(3)
    grads, _ = autograd(lambda x: lg.sum(a * x - a / (x * x + 2) + 1.5 ** x))(lg.randn(3) * 0 + 0.5)
    x = 0.5
    expected = a.numpy() + 2 * a.numpy() * x / (x * x + 2) ** 2 + np.log(1.5) * 1.5 ** x
    np.testing.assert_allclose(grads.numpy(), expected, rtol=1e-12)


def test_a_traced_number_is_no_float():
    # math.exp would take its value and drop the gradient: refused, as the Lua's table arithmetic was
    with pytest.raises(TypeError, match=r"autograd: float\(\) of a traced number .* would drop its gradient"):
        autograd(lambda x: math.exp(x) * x)(1.0)


@pytest.mark.parametrize('optimize', [False, True], ids=['direct', 'optimized'])
def test_int_of_a_traced_number_says_why_it_is_refused(optimize):
    # torch-autograd's train-penn-rnn passes a word index y beside the parameters; the optimized mode traces it
    def f(p, y):
        return lg.sum(lg.narrow(p, 0, int(y), 1))
    with pytest.raises(TypeError, match=r"autograd: int\(\) of a traced number .*\(lg\.narrow\(x, 0, y, 1\)\)"):
        autograd(f, optimize=optimize, gradArg=1)(lg.randn(4), 2)


def test_traced_numbers_compare_by_value():
    def f(p):
        s = lg.sum(p)
        return s * 3 if s < 3 else s
    assert autograd(f)(lg.eye(3) * 0.3)[0][0][0] == 3.0
    assert autograd(f)(lg.eye(3) * 3)[0][0][0] == 1.0


# a table whose function's declared gradient has the wrong size, for protected mode
BROKEN = {'double': lambda x: x * 2}
overload.module('broken', BROKEN, lambda m: m.gradient('double', [lambda g, ans, x: lg.sum(g)]))


def test_protected_checks_gradient_sizes():
    f = lambda x: lg.sum(BROKEN['double'](x))  # noqa: E731
    with pytest.raises(RuntimeError, match=r"protected.*argument 0 of broken.double is 0?.*size 3"):
        autograd(f, protected=True)(lg.randn(3))
    # unprotected, the wrong gradient goes through (as the Lua's): a number where a tensor belongs
    grads, _ = autograd(f, protected=False)(lg.randn(3))
    assert not isinstance(grads, lg.Tensor)


def test_protected_default_follows_autograd_protected():
    autograd.protected(True)
    try:
        with pytest.raises(RuntimeError, match="protected"):
            autograd(lambda x: lg.sum(BROKEN['double'](x)))(lg.randn(3))
    finally:
        autograd.protected(False)


def test_profiler_reports_per_function(capsys):
    df = autograd(lambda x: lg.sum(lg.tanh(lg.exp(x))), profile='detailed', profileReportFrequency=3)
    for _ in range(3):
        df(lg.randn(5))
    report = capsys.readouterr().out
    assert "[autograd] average forward time:" in report and "[autograd] average backward time:" in report
    for name in ('torch.sum', 'torch.tanh', 'torch.exp'):
        assert name in report
    assert 'test_core_runtime.py:' in report   # the user's line
    df = autograd(lambda x: lg.sum(x), profile='summary', profileReportFrequency=2)
    df(lg.randn(2))
    df(lg.randn(2))
    report = capsys.readouterr().out
    assert "average overall time" in report and "torch.sum" not in report


def test_save_and_load_gradients(tmp_path):
    grads, _ = autograd(lambda p: lg.sum(lg.exp(p['w'])))({'w': lg.randn(3)})
    lg.save(str(tmp_path / 'g.t7'), grads)
    back = lg.load(str(tmp_path / 'g.t7'))
    np.testing.assert_array_equal(back['w'].numpy(), grads['w'].numpy())
    with pytest.raises(RuntimeError, match="torch.save not currently supported"):
        autograd(lambda w: lg.save(str(tmp_path / 'n.t7'), w) or lg.sum(w))(lg.randn(2))


def test_a_function_of_several_answers_traces_the_first():
    seen = []

    def f(x):
        m, i = lg.max(x, 1)
        seen.append(i)
        return lg.sum(m)
    x = lg.Tensor([[1, 5, 2], [7, 0, 3]])
    grads, loss = autograd(f)(x)
    assert loss == 12.0 and isinstance(seen[0], lg.Tensor) and seen[0].view(-1).tolist() == [1, 0]
    np.testing.assert_array_equal(grads.numpy(), [[0, 1, 0], [1, 0, 0]])


def test_a_list_argument_after_an_assignment_uses_the_assigned_value():
    def f(p):
        a = lg.exp(p)
        a[0] = 2.0
        return lg.sum(lg.cat([a, p], 0))
    x = lg.randn(3)
    grads, loss = autograd(f)(x)
    expected = np.exp(x.numpy()) + 1
    expected[0] = 1.0
    np.testing.assert_allclose(grads.numpy(), expected, rtol=1e-12)
