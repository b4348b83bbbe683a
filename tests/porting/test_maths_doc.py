"""Torch7's math functions in the forms its maths documentation (torch7/doc/maths.md, doc/random.md) gives
them, ported literally: argument forms, result-first forms and method forms as TensorMath.lua wraps them."""
import numpy as np
import pytest

import legonn as lg


def test_csub_has_the_argument_forms_of_add():
    """TensorMath.lua wraps csub as add (THTensor_(sub) and THTensor_(csub)): ``torch.csub(x, y)``,
    ``torch.csub(x, v)``, ``r:csub(x, y)``, ``r:csub(x, v)``, ``r:csub(x, v, y)`` besides the in-place forms."""
    x, y = lg.DoubleTensor([8, 9]), lg.DoubleTensor([3, 4])
    assert lg.csub(x, y).tolist() == [5, 5] and lg.csub(x, 2).tolist() == [6, 7]
    assert lg.csub(x, 2, y).tolist() == [2, 1] and x.tolist() == [8, 9]
    r = lg.DoubleTensor()
    assert r.csub(x, y) is r and r.tolist() == [5, 5]
    assert r.csub(x, 1).tolist() == [7, 8]
    assert r.csub(x, 2, y).tolist() == [2, 1]
    assert lg.csub(r, x, y) is r and r.tolist() == [5, 5] and x.tolist() == [8, 9]
    z = lg.DoubleTensor(2, 2).fill(8)                 # maths.md's example: same count, other sizes
    z.csub(lg.DoubleTensor(4).fill(3))
    assert z.tolist() == [[5, 5], [5, 5]]


def test_torch_level_numel_fill_zero_and_cmod():
    """TensorMath.lua wraps numel, fill, zero and the deprecated cmod (THTensor_(cfmod)) for torch.* too:
    ``torch.numel(x)`` (maths.md, "Matrix-wide operations"), ``torch.fill(x, v)``, ``torch.zero(x)``,
    ``torch.cmod(x, y)`` and ``x:cmod(y)``."""
    x = lg.DoubleTensor(2, 3)
    assert lg.numel(x) == 6
    assert lg.fill(x, 3) is x and x.sum() == 18
    assert lg.zero(x) is x and x.sum() == 0
    a, b = lg.DoubleTensor([[3, 3], [-3, -3]]), lg.DoubleTensor([[2, -2], [2, -2]])
    assert lg.cmod(a, b).tolist() == [[1, 1], [-1, -1]]
    assert a.clone().cmod(b).tolist() == [[1, 1], [-1, -1]]
    r = lg.DoubleTensor()
    assert lg.cmod(r, a, b) is r and np.array_equal(r.numpy(), [[1, 1], [-1, -1]])


def test_factories_as_methods_write_into_the_tensor():
    """TensorMath.lua wraps zeros, ones, eye, rand, randn and randperm with ``method={default='nil'}``: the
    method form resizes and fills ``self`` and returns it (``x:zeros(2, 3)``, ``x:eye(2, 3)``, ``x:randperm(4)``)."""
    x = lg.DoubleTensor(5)
    assert x.zeros(2, 3) is x and x.size() == (2, 3) and x.sum() == 0
    assert x.ones(lg.LongStorage([2, 1])) is x and x.tolist() == [[1], [1]]
    assert x.eye(2, 3) is x and x.tolist() == [[1, 0, 0], [0, 1, 0]]
    assert x.rand(2, 2) is x and x.size() == (2, 2) and 0 <= x.min() and x.max() < 1
    assert x.randn(3) is x and x.size() == (3,)
    assert x.randperm(4) is x and sorted(x.tolist()) == [0, 1, 2, 3] and x.type() == 'torch.DoubleTensor'


def test_comparisons_write_into_a_result_of_the_operands_type():
    """TensorMath.lua's comparisons have ByteTensor forms and forms whose result is of the operands' type
    (THTensor_(ltValueT), THTensor_(gtTensorT), ...): ``torch.gt(r, x, 0)`` with a DoubleTensor ``r`` fills it with
    0s and 1s; a ByteTensor result and the allocating form still give bytes (maths.md's logical operations)."""
    a, b = lg.DoubleTensor([1, 2, 3]), lg.DoubleTensor([3, 2, 1])
    for name, ref in (('lt', np.less), ('le', np.less_equal), ('gt', np.greater), ('ge', np.greater_equal),
                      ('eq', np.equal), ('ne', np.not_equal)):
        f = getattr(lg, name)
        r = lg.DoubleTensor()
        assert f(r, a, b) is r and r.type() == 'torch.DoubleTensor' and r.tolist() == ref([1, 2, 3], [3, 2, 1]).tolist()
        assert f(r, a, 2) is r and r.tolist() == ref([1, 2, 3], 2).tolist()
        byte = lg.ByteTensor()
        assert f(byte, a, b) is byte and byte.tolist() == ref([1, 2, 3], [3, 2, 1]).tolist()
        assert f(a, b).type() == 'torch.ByteTensor'


def test_reshape_copies_the_elements():
    """THTensor_(reshape) (TH/generic/THTensorMath.c) resizes its result and copies into it, and maths.md says
    "The elements are copied into the new Tensor": ``torch.reshape(x, 2, 3)`` and ``x:reshape(2, 3)`` never share
    x's storage, and ``r:reshape(x, 2, 3)`` writes into r."""
    x = lg.range(1, 6)
    y = lg.reshape(x, 2, 3)
    z = x.reshape(lg.LongStorage([3, 2]))
    assert y.tolist() == [[1, 2, 3], [4, 5, 6]] and z.tolist() == [[1, 2], [3, 4], [5, 6]]
    y.fill(0)
    z.zero()
    assert x.tolist() == [1, 2, 3, 4, 5, 6]
    r = lg.Tensor()
    assert r.reshape(x, 3, 2) is r and r.tolist() == [[1, 2], [3, 4], [5, 6]] and r.storage() is not x.storage()
    assert x.view(2, 3).t().reshape(6).tolist() == [1, 4, 2, 5, 3, 6]


def test_multinomial_result_forms_and_the_alias_method():
    """TensorMath.lua wraps multinomial with a defaulted IndexTensor result and an optional Generator, and
    maths.md calls it ``p.multinomial(res, p, n, replacement)``; init.lua's multinomialAliasSetup/multinomialAlias
    build THTensor_(multinomialAliasSetup)'s tables ({J, q}, refilling a given state) and fill an output with
    THTensor_(multinomialAliasDraw) (0-based categories here)."""
    lg.manualSeed(1)
    p = lg.DoubleTensor([1, 1, 0.5, 0])
    a = lg.multinomial(p, 10000, True)
    counts = [int(a.eq(i).sum()) for i in range(4)]
    assert a.type() == 'torch.LongTensor' and counts[3] == 0 and abs(counts[0] - 4000) < 250
    res = lg.LongTensor()
    assert p.multinomial(res, p, 10, True) is res and res.size() == (10,)
    assert lg.multinomial(res, p, 3) is res and sorted(res.tolist()) == [0, 1, 2]
    gen = lg.Generator()
    lg.manualSeed(gen, 2)
    drawn = lg.multinomial(gen, p, 5, True)
    lg.manualSeed(gen, 2)
    assert lg.multinomial(res, gen, p, 5, True).equal(drawn)

    probs = lg.DoubleTensor([0.2, 0.3, 0.5])
    state = lg.multinomialAliasSetup(probs)          # TH: q = 3p = .6 .9 1.5; bins 1 then 0 alias to 2
    assert state[0].type() == 'torch.LongTensor' and state[0].tolist() == [2, 2, 0]
    assert np.allclose(state[1].numpy(), [0.6, 0.9, 1.0]) and state[1].type() == 'torch.DoubleTensor'
    mine = [lg.LongTensor(), lg.DoubleTensor()]
    assert lg.multinomialAliasSetup(probs, mine) is mine and mine[0].tolist() == [2, 2, 0]
    output = lg.LongTensor(2, 3)
    assert lg.multinomialAlias(output.view(-1), state).size() == (6,) and 0 <= output.min() and output.max() <= 2
    many = lg.LongTensor(100000)
    lg.multinomialAlias(many, state)
    assert np.allclose(np.bincount(many.numpy(), minlength=3) / 1e5, [0.2, 0.3, 0.5], atol=0.01)


def _correlate_reference(a, k, full):
    """Cross-correlation of one n-D array with one kernel, by its definition, in float64."""
    if full:
        a = np.pad(a, [(s - 1, s - 1) for s in k.shape])
    out = np.zeros(tuple(p - q + 1 for p, q in zip(a.shape, k.shape)))
    for idx in np.ndindex(*out.shape):
        out[idx] = (a[tuple(slice(i, i + n) for i, n in zip(idx, k.shape))] * k).sum()
    return out


def test_conv2_xcorr2_conv3_xcorr3_follow_th_tensor_conv():
    """TH/generic/THTensorConv.c as TensorMath.lua wraps it (conv2Dmul, conv2Dcmul, conv2Dmv and the 3-D twins):
    valid by default, 'F' full; a convolution flips the kernel, a cross-correlation does not; 2-D x and k, 3-D x
    and k plane by plane, 3-D x and 4-D k summed over x's planes. maths.md's sizes: 100x100 with 10x10 gives
    91x91 valid and 109x109 full, and a given result is reused."""
    lg.manualSeed(3)
    x, k = lg.DoubleTensor(100, 100).uniform(), lg.DoubleTensor(10, 10).uniform()
    res1 = lg.conv2(x, k)
    res2 = lg.DoubleTensor()
    assert lg.conv2(res2, x, k) is res2 and res2.dist(res1) == 0
    assert res1.size() == (91, 91) and lg.conv2(x, k, 'F').size() == (109, 109)
    flipped = k.numpy()[::-1, ::-1]
    assert np.allclose(res1.numpy(), _correlate_reference(x.numpy(), flipped, False))
    assert np.allclose(lg.xcorr2(x, k, 'F').numpy(), _correlate_reference(x.numpy(), k.numpy(), True))
    x3, k3, k4 = (lg.DoubleTensor(*s).uniform() for s in ((3, 8, 7), (3, 3, 2), (2, 3, 3, 2)))
    per_plane = lg.conv2(x3, k3, 'F')
    for i in range(3):
        assert np.allclose(per_plane.numpy()[i], _correlate_reference(x3.numpy()[i], k3.numpy()[i, ::-1, ::-1], True))
    summed = lg.xcorr2(x3, k4)
    for j in range(2):
        assert np.allclose(summed.numpy()[j], sum(_correlate_reference(x3.numpy()[i], k4.numpy()[j, i], False)
                                                  for i in range(3)))
    v, w = lg.DoubleTensor(9, 8, 7).uniform(), lg.DoubleTensor(3, 2, 4).uniform()
    assert lg.conv3(v, w).size() == (7, 7, 4) and lg.conv3(v, w, 'F').size() == (11, 9, 10)
    assert np.allclose(lg.conv3(v, w).numpy(), _correlate_reference(v.numpy(), w.numpy()[::-1, ::-1, ::-1], False))
    assert np.allclose(lg.xcorr3(v, w, 'F').numpy(), _correlate_reference(v.numpy(), w.numpy(), True))
    r = lg.DoubleTensor()
    assert r.conv2(x, k) is r and r.dist(res1) == 0 and x.conv2(k).dist(res1) == 0    # the method forms
    assert x.xcorr2(k, 'F').dist(lg.xcorr2(x, k, 'F')) == 0 and v.conv3(w).dist(lg.conv3(v, w)) == 0
    assert r.xcorr3(v, w) is r and r.dist(lg.xcorr3(v, w)) == 0
    with pytest.raises(ValueError, match='smaller than the kernel'):
        lg.conv2(lg.DoubleTensor(3, 3), lg.DoubleTensor(4, 4))
    with pytest.raises(ValueError, match="'V'"):
        lg.conv2(x, k, 'S')


def test_ger_and_trace_refuse_what_torch7_refuses():
    """TensorMath.lua declares ger's operands dim=1 and THTensor_(trace) checks for a matrix: a matrix given to
    ger, or a vector to trace, is an error naming the function (ger flattened the matrix after resizing the
    result; trace gave NumPy's message), and a refused ger leaves its result as it was."""
    r = lg.DoubleTensor(2, 2).fill(7)
    with pytest.raises(ValueError, match='ger: expected two vectors'):
        r.ger(lg.DoubleTensor(2, 2), lg.DoubleTensor(3))
    assert r.size() == (2, 2) and r.sum() == 28
    with pytest.raises(ValueError, match='trace: expected a matrix'):
        lg.trace(lg.DoubleTensor(3))
    assert lg.trace(lg.DoubleTensor([[1, 2], [3, 4]])) == 5


def test_number_arguments_take_an_integer_tensors_type():
    """cwrap converts a Lua number argument to the C ``real`` of the tensor's type before calling TH (TensorMath.lua's
    {name=real} arguments), so an integer tensor's numbers are truncated toward zero first:
    LongTensor{4, 7}:mul(0.5) is {0, 0}, :div(2.5) divides by 2, :clamp(0.5, 6.5) clamps to [0, 6], :lt(2.5)
    compares with 2 (ltValue's real is the source's type). Floating tensors keep the number."""
    L = lg.LongTensor
    assert L([4, 7]).mul(0.5).tolist() == [0, 0] and lg.ByteTensor([4]).mul(1.5).tolist() == [4]
    assert L([4, 7]).add(-0.5).tolist() == [4, 7]
    assert lg.IntTensor([4, 7]).add(1.9, lg.IntTensor([2, 2])).tolist() == [6, 9]
    assert L([4, 7]).csub(1.5).tolist() == [3, 6]
    assert L([4, 7]).div(2.5).tolist() == [2, 3] and L([4, -7]).fmod(2.5).tolist() == [0, -1]
    assert L([7]).remainder(2.5).tolist() == [1] and L([4, 7]).pow(0.5).tolist() == [1, 1]
    assert L().pow(2.5, L([2, 3])).tolist() == [4, 8]
    assert L([4, 7]).clamp(0.5, 6.5).tolist() == [4, 6] and L([1, 5]).cmax(2.5).tolist() == [2, 5]
    assert L([1]).addcmul(0.5, L([2]), L([3])).tolist() == [1]
    assert L([2, 3]).lt(2.5).tolist() == [0, 0] and L([2]).eq(2.5).tolist() == [1]
    assert lg.ByteTensor().lt(L([2, 3]), 2.5).tolist() == [0, 0]
    assert lg.DoubleTensor([2, 3]).lt(2.5).tolist() == [1, 0] and lg.DoubleTensor([4]).mul(0.5).tolist() == [2]
    assert lg.mul(L([4, 7]), 0.5).tolist() == [0, 0]
