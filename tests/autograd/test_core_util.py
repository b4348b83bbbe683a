"""autograd.util (util.lua), autograd.support (support.lua) and autograd.gradcheck (gradcheck.lua), against
closed forms; the helpers gradients use are checked traced too (their gradients through the runtime)."""
import numpy as np
import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd import support, util
from legonn.autograd.gradcheck import gradcheck


@pytest.fixture(autouse=True)
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')


def test_cast_nested_tables():
    params = {'W': [lg.randn(2, 2), lg.randn(2)], 'n': 3, 'b': lg.randn(2)}
    out = util.cast(params, 'float')
    assert out['W'][0].type() == 'legonn.FloatTensor' and out['b'].type() == 'legonn.FloatTensor'
    assert out['n'] == 3 and params['b'].type() == 'legonn.DoubleTensor'
    assert util.cast(lg.randn(2), 'torch.FloatTensor').type() == 'legonn.FloatTensor'
    with pytest.raises(TypeError, match=r'autograd\.util\.cast: expected a tensor or a dict/list of parameters, '
                                        r'got int'):
        util.cast(3, 'float')


def test_comparisons_of_traced_and_plain_values():
    seen = []

    def f(x):
        s = lg.sum(x)
        # gradfuns declares them (zero gradients, as the Lua's): a traced answer, true or false as its value
        seen.append(tuple(bool(v) for v in (util.lt(s, 100), util.gt(s, 100), util.le(s, s), util.ge(1, s),
                                            util.eq(s, 3.0))))
        return s
    autograd(f)(lg.ones(3))
    assert seen == [(True, False, True, False, True)]


def test_oneHot_from_zero():
    out = util.oneHot(lg.LongTensor([2, 0, 1]))
    np.testing.assert_array_equal(out.numpy(), np.eye(3)[[2, 0, 1]])
    assert util.oneHot(lg.LongTensor([1]), 4).size() == (1, 4)


def test_logSumExp_and_logSoftMax():
    x = lg.randn(5) * 10
    assert util.logSumExp(x) == pytest.approx(float(np.log(np.exp(x.numpy()).sum())), rel=1e-12)
    np.testing.assert_allclose(util.logSoftMax(x).numpy(), x.numpy() - np.log(np.exp(x.numpy()).sum()))


def test_sigmoidInPlace():
    x, out = lg.randn(4), lg.Tensor()
    assert util.sigmoidInPlace(out, x) is out
    np.testing.assert_allclose(out.numpy(), 1 / (1 + np.exp(-x.numpy())))


def test_lookup_rows_by_index():
    table = lg.randn(5, 3)
    idx = lg.LongTensor([[4, 0], [1, 1]])
    out = util.lookup(table, idx)
    assert out.size() == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy(), table.numpy()[idx.numpy()])


def test_dropout_keeps_or_scales():
    x = lg.ones(1000)
    out = util.dropout(x, 0.5).numpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and 300 < (out == 2.0).sum() < 700
    np.testing.assert_array_equal(util.dropout(x).numpy(), np.ones(1000))


def test_setNotEqual_and_in_place():
    a, b, v = lg.Tensor([1, 2, 3]), lg.Tensor([1, 0, 3]), lg.Tensor([5, 6, 7])
    np.testing.assert_array_equal(util.setNotEqual(a, b, 0, v).numpy(), [5, 0, 7])
    o = lg.Tensor(3)
    np.testing.assert_array_equal(util.setNotEqualInPlace(o, a, b, 0, v).numpy(), [5, 0, 7])


def test_tensor_makers():
    a = lg.randn(2, 3)
    assert util.newTensorLike(a).size() == (2, 3)
    assert float(util.zerosLike(a).abs().sum()) == 0 and util.zerosLike(a, lg.randn(4)).size() == (4,)
    np.testing.assert_array_equal(util.fillSameSizeAs(a, 7).numpy(), np.full((2, 3), 7.0))
    np.testing.assert_array_equal(util.fill(a, 2).numpy(), np.full((2, 3), 2.0))
    o = lg.randn(2, 3)
    assert util.fillInPlace(o, a, 1) is o and util.zerosLikeInPlace(o, a) is o and float(o.sum()) == 0
    assert util.cloneInPlace(o, a) is o and o.equal(a)
    assert util.newInPlace(o, (2, 3)) is o and util.newTensorLikeInPlace(o, a) is o
    assert util.fillSameSizeAsInPlace(o, a, 3) is o and float(o.sum()) == 18


def test_slice_copies_are_the_gradients_of_select_narrow_index():
    x, g = lg.randn(3, 4), lg.randn(4)
    out = util.selectSliceCopy(g, x, 0, 1)
    expected = np.zeros((3, 4))
    expected[1] = g.numpy()
    np.testing.assert_array_equal(out.numpy(), expected)
    o = lg.randn(3, 4)
    np.testing.assert_array_equal(util.selectSliceCopyInPlace(o, g, x, 0, 1).numpy(), expected)
    g2 = lg.randn(3, 2)
    expected = np.zeros((3, 4))
    expected[:, 1:3] = g2.numpy()
    np.testing.assert_array_equal(util.narrowSliceCopy(g2, x, 1, 1, 2).numpy(), expected)
    np.testing.assert_array_equal(util.narrowSliceCopyInPlace(o, g2, x, 1, 1, 2).numpy(), expected)
    gi = lg.randn(3, 4)
    index = lg.LongTensor([2, 0, 2])
    expected = np.zeros((3, 4))
    np.add.at(expected, [2, 0, 2], gi.numpy())
    np.testing.assert_allclose(util.indexAdd(gi, x, 0, index).numpy(), expected)
    np.testing.assert_allclose(util.indexAddInPlace(o, gi, x, 0, index).numpy(), expected)


def test_cat_and_its_gradients():
    a, b = lg.randn(2, 3), lg.randn(2, 2)
    np.testing.assert_array_equal(util.cat(a, b).numpy(), np.concatenate([a.numpy(), b.numpy()], 1))
    np.testing.assert_array_equal(util.cat([a, a], 0).numpy(), np.concatenate([a.numpy(), a.numpy()], 0))
    np.testing.assert_array_equal(util.cat([1, 2.5]).numpy(), [1, 2.5])
    g = lg.randn(2, 5)
    ga, gb = util.catTableGradient(g, [a, b])
    np.testing.assert_array_equal(ga.numpy(), g.numpy()[:, :3])
    np.testing.assert_array_equal(gb.numpy(), g.numpy()[:, 3:])
    parts = util.catNumberGradient(lg.Tensor([4, 5]), [1, 2])
    assert parts == [4.0, 5.0] and all(type(p) is float for p in parts)


def test_flatten_keys_and_nested_access():
    tbl = {'b': [lg.ones(1), 2.0], 'a': {'y': 3.0, 'x': 4.0}}
    flat, keys = util.sortedFlattenKeys(tbl)
    assert keys == [['a', 'x'], ['a', 'y'], ['b', 0], ['b', 1]]
    assert flat[:2] == [4.0, 3.0] and flat[3] == 2.0
    assert util.sortedFlatten(tbl)[:2] == [4.0, 3.0]
    assert util.sortedFlatten({1: 'x', 'a': 'y'}) == ['x', 'y']     # mixed keys: by their text
    assert util.nestedGet(tbl, ['a', 'y']) == 3.0 and util.nestedGet(tbl) is tbl
    util.nestedSet(tbl, ['b', 1], 9.0)
    assert tbl['b'][1] == 9.0
    assert util.sortedFlattenKeys(5.0) == ([5.0], [[]])


def test_copies_and_defaults():
    tbl = {'a': [1, {'b': 2}]}
    shallow, deep = util.shallowCopy(tbl), util.deepCopy(tbl)
    assert shallow['a'] is tbl['a'] and deep['a'] is not tbl['a'] and deep == tbl
    assert util.defaultBool(None, True) is True and util.defaultBool(False, True) is False


def test_typeAs_helpers():
    a, f = lg.randn(2), lg.FloatTensor(2)
    assert util.typeAsIfNeeded(a, f).type() == 'legonn.FloatTensor' and util.typeAsIfNeeded(a, a) is a
    o = lg.FloatTensor(2)
    assert util.typeAsInPlace(o, a, f) is o


def test_support_functions():
    a, b = lg.randn(2, 3), lg.FloatTensor(1)
    assert support.size(a) == (2, 3) and support.size(a, 1) == 3
    assert support.nDimension(a) == 2 and support.nElement(a) == 6
    assert support.isSameSizeAs(a, lg.randn(2, 3)) and not support.isSameSizeAs(a, lg.randn(3, 2))
    assert support.long(a).type() == 'legonn.LongTensor' and support.typeAs(a, b).type() == 'legonn.FloatTensor'
    c = lg.Tensor(2, 3)
    assert support.copy(c, a) is c and c.equal(a)


def test_traced_util_fill_and_support_size():
    def f(p):
        filled = util.fill(p['t'], p['v'])       # util.fill's gradient: the sum of g for the value
        return lg.sum(lg.cmul(filled, p['w'])) + support.size(p['t'], 0)
    w = lg.randn(4)
    grads, loss = autograd(f)({'t': lg.randn(4), 'v': 2.0, 'w': w})
    assert grads['v'] == pytest.approx(float(w.sum()))
    np.testing.assert_allclose(grads['w'].numpy(), np.full(4, 2.0))
    assert loss == pytest.approx(2 * float(w.sum()) + 4)


def test_gradcheck_passes_a_right_gradient_and_fails_a_wrong_one():
    check = gradcheck({'randomizeInput': False})
    assert check(lambda p: lg.sum(lg.tanh(p['W'])) * p['s'], {'W': lg.randn(3, 2), 's': 1.5})
    assert gradcheck()(lambda p, x: lg.sum(lg.exp(lg.cmul(p, x))), lg.randn(4), lg.randn(4))
    wrong = {'square': lambda x: lg.cmul(x, x)}
    autograd.overload.module('wrong', wrong, lambda m: m.gradient('square', [lambda g, ans, x: lg.cmul(g, x)]))
    assert not check(lambda p: lg.sum(wrong['square'](p)), lg.randn(3))


def test_gradcheck_refuses_a_non_deterministic_gradient():
    drawn = {'noisy': lambda x: x * 1.0}
    autograd.overload.module('noisy', drawn,
                             lambda m: m.gradient('noisy', [lambda g, ans, x: g * float(lg.uniform(0.5, 1.5))]))
    with pytest.raises(RuntimeError, match="not deterministic"):
        gradcheck()(lambda p: drawn['noisy'](p['v']) * 2.0, {'v': 1.0})


def test_gradcheck_warns_that_float_parameters_need_double():
    # the Lua returns false silently; a float32 leaf cannot pass a 1e-6 step, so the check names it and float64
    check = gradcheck({'randomizeInput': False})
    params = {'W': lg.FloatTensor(3, 2).uniform(-1, 1), 'b': lg.randn(2)}
    with pytest.warns(UserWarning, match=r"parameters W \(legonn\.FloatTensor\) are not double precision.*"
                                         r"DoubleTensor"):
        ok = check(lambda p: lg.sum(lg.tanh(p['W'])) + lg.sum(p['b']), params)
    assert ok is False
    with pytest.warns(UserWarning, match=r"parameters <params> \(legonn\.FloatTensor\)"):
        check(lambda p: lg.sum(lg.tanh(p)), lg.FloatTensor(3).fill(0.5))


def test_gradcheck_is_silent_on_double_parameters():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert gradcheck({'randomizeInput': False})(lambda p: lg.sum(lg.tanh(p['W'])), {'W': lg.randn(3, 2)})
