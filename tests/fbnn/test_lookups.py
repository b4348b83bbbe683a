"""legonn.fbnn's lookup tables against float64 loop transcriptions of WeightedLookupTable.lua (with
WeightedLookupTable.cpp's scaleByWeight) and FasterLookup.c, fbnn/test.lua's WeightedLookupTable and
FasterLookup cases (0-based), the GPU simulator, typenames, files and bad input."""
import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn
from tests.checks import assert_parameter_jacobians, assert_rejected, on_gpu

RNG = np.random.default_rng(11)


def _weighted_input(total=8, n=4):
    """fbnn/test.lua's WeightedLookupTable input: n distinct 0-based indices of ``total`` and N(0, 1) weights."""
    return lg.DoubleTensor(np.stack([RNG.permutation(total)[:n].astype(float), RNG.normal(0, 1, n)], axis=1))


def test_weighted_lookup_output_and_gradients():
    """WeightedLookupTable.lua: output[r][c] = weight[index_r][c] * w_r (test.lua's check); gradWeight row
    index_r gains scale * w_r * gradOutput[r] (scaleByWeight, then nn.LookupTable's accumulation); gradInput
    zeros (n, 2)."""
    m = fbnn.WeightedLookupTable(8, 3).double()
    x = _weighted_input()
    out = m.forward(x).numpy()
    w = m.weight.numpy()
    for r, (index, weight) in enumerate(x.numpy()):
        for c in range(3):
            assert out[r, c] == pytest.approx(w[int(index), c] * weight, rel=1e-12)
    go = lg.DoubleTensor(RNG.normal(0, 1, (4, 3)))
    m.zeroGradParameters()
    np.testing.assert_array_equal(m.backward(x, go, 0.5).numpy(), np.zeros((4, 2)))
    want = np.zeros((8, 3))
    for r, (index, weight) in enumerate(x.numpy()):
        for c in range(3):
            want[int(index), c] += 0.5 * weight * go.numpy()[r, c]
    np.testing.assert_allclose(m.gradWeight.numpy(), want, rtol=1e-12)


def test_weighted_lookup_parameter_jacobian_and_update():
    """test.lua's testJacobianParameters on the weight (at a valid input: the Lua's random fill of indices
    floors reals that legonn refuses), and backwardUpdate = accUpdateGradParameters."""
    m = fbnn.WeightedLookupTable(8, 3).double()
    x = _weighted_input()
    assert_parameter_jacobians(m, x)
    m.forward(x)
    w = m.weight.numpy().copy()
    m.zeroGradParameters()
    go = m.output.clone()
    m.backward(x, go)
    step = m.gradWeight.numpy().copy()
    m.accUpdateGradParameters(x, go, 0.1)
    np.testing.assert_allclose(m.weight.numpy(), w - 0.1 * step, rtol=1e-12)


def _faster_reference(weight, gradWeight, count, inputs, gos, lr, by_freq):
    """FasterLookup.c's accGradParameters (count[idx]++, gradWeight[idx] += go) over several calls, then
    updateParameters(lr): rows with count > 0 step by lr (or lr / count)."""
    for idx, go in zip(inputs, gos):
        for i, row in enumerate(idx):
            count[row] += 1
            for c in range(weight.shape[1]):
                gradWeight[row, c] += go[i, c]
    for row in range(weight.shape[0]):
        if count[row] > 0:
            s = lr / count[row] if by_freq else lr
            for c in range(weight.shape[1]):
                weight[row, c] -= s * gradWeight[row, c]
    return weight


@pytest.mark.parametrize('by_freq', [False, True])
def test_faster_lookup_counts_and_updates_seen_rows(by_freq):
    m = fbnn.FasterLookup(7, 4, False, by_freq).double()
    inputs = [np.array([0, 3, 3, 6]), np.array([[3, 1], [0, 0]])]
    gos = [RNG.normal(0, 1, (4, 4)), RNG.normal(0, 1, (2, 2, 4))]
    want = _faster_reference(m.weight.numpy().copy(), np.zeros((7, 4)), np.zeros(7, int),
                             [i.reshape(-1) for i in inputs], [g.reshape(-1, 4) for g in gos], 0.3, by_freq)
    m.zeroGradParameters()
    for idx, go in zip(inputs, gos):
        x = lg.LongTensor(idx)
        np.testing.assert_array_equal(m.forward(x).numpy(), m.weight.numpy()[idx])
        np.testing.assert_array_equal(m.backward(x, lg.DoubleTensor(go)).numpy(), np.zeros(idx.shape))
    np.testing.assert_array_equal(m.count.numpy(), [3, 1, 0, 3, 0, 0, 1])
    m.updateParameters(0.3)
    np.testing.assert_allclose(m.weight.numpy(), want, rtol=1e-12)


def test_faster_lookup_acc_update_by_frequency():
    """FasterLookup.c's accUpdateGradParameters with scaleGradByFreq: counts reset to this input's, each row
    -= lr / count * gradOutput."""
    m = fbnn.FasterLookup(5, 2, False, True).double()
    w = m.weight.numpy().copy()
    idx = np.array([1, 4, 1])
    go = RNG.normal(0, 1, (3, 2))
    m.forward(lg.LongTensor(idx))
    m.accUpdateGradParameters(lg.LongTensor(idx), lg.DoubleTensor(go), 0.2)
    for i, row in enumerate(idx):
        w[row] -= 0.2 / 2 * go[i] if row == 1 else 0.2 * go[i]
    np.testing.assert_allclose(m.weight.numpy(), w, rtol=1e-12)
    assert m.count.numpy()[1] == 2 and m.count.numpy()[4] == 1


def test_faster_lookup_test_lua_parameter_jacobians():
    """fbnn/test.lua FasterLookup: d output / d weight, 1-D and 2-D inputs (0-based)."""
    m = fbnn.FasterLookup(8, 3).double()
    assert_parameter_jacobians(m, lg.LongTensor(RNG.permutation(8)[:4]))
    assert_parameter_jacobians(m, lg.LongTensor(RNG.integers(0, 8, (3, 4))))


@pytest.mark.gpu
def test_gpu_twins():
    twins = ((fbnn.WeightedLookupTable(8, 3), _weighted_input()), (fbnn.FasterLookup(8, 3), lg.LongTensor([1, 5, 1])))
    for m, x in twins:
        m.double()
        gpu = m.clone().cudaDouble()
        out = m.forward(x)
        go = out.clone().normal()
        np.testing.assert_allclose(gpu.forward(on_gpu(x)).double().float().numpy(), out.float().numpy())
        m.zeroGradParameters()
        gpu.zeroGradParameters()
        m.backward(x, go)
        gpu.backward(on_gpu(x), go.cudaDouble())
        np.testing.assert_allclose(gpu.gradWeight.float().numpy(), m.gradWeight.float().numpy(), rtol=1e-6)
        m.updateParameters(0.1)
        gpu.updateParameters(0.1)
        np.testing.assert_allclose(gpu.weight.float().numpy(), m.weight.float().numpy(), rtol=1e-6)


def test_typenames_and_files(tmp_path):
    mods = [fbnn.WeightedLookupTable(4, 2), fbnn.FasterLookup(4, 2, False, True)]
    assert [lg.typename(m) for m in mods] == ['nn.WeightedLookupTable', 'nn.FasterLookup']
    assert repr(mods[0]) == 'nn.WeightedLookupTable(4, 2)'
    lg.save(str(tmp_path / 'm.legonn'), mods)
    loaded = lg.load(str(tmp_path / 'm.legonn'))
    assert [type(m) for m in loaded] == [type(m) for m in mods] and loaded[1].scaleGradByFreq is True
    mods[0].float().double()
    assert mods[1].double().count.type() == 'legonn.IntTensor'


@pytest.mark.parametrize('make, x, error, match', [
    (lambda: fbnn.WeightedLookupTable(4, 2).double(), lg.DoubleTensor([[0, 1, 2]]), ValueError, 'WeightedLookupTable'),
    (lambda: fbnn.WeightedLookupTable(4, 2).double(), lg.DoubleTensor([[4, 1]]), IndexError, 'WeightedLookupTable'),
    (lambda: fbnn.WeightedLookupTable(4, 2).double(), lg.DoubleTensor([[0.5, 1]]), TypeError, 'WeightedLookupTable'),
    (lambda: fbnn.FasterLookup(4, 2), lg.LongTensor([0, 4]), IndexError, 'FasterLookup'),
    (lambda: fbnn.FasterLookup(4, 2), lg.LongTensor(2, 2, 2).zero(), ValueError, 'FasterLookup'),
])
def test_bad_input_names_the_module_and_changes_nothing(make, x, error, match):
    assert_rejected(make(), error, match, 'forward', x)


@pytest.mark.parametrize('rows, cols, cache_rows, caches, updates', [(1, 1, 1, 1, 30), (40, 3, 40, 2, 60),
                                                                     (60, 4, 10, 2, 80)])
def test_caching_lookup_coherence_test_lua(rows, cols, cache_rows, caches, updates):
    """fbnn/test.lua CachingLookupTableCoherence (smaller): several caches over one LookupTable whose weight is
    1..rows*cols; each update subtracts a random gradient from a run of rows through every cache; after the
    flushes the table equals a clone updated directly (no write lost, 0-based rows)."""
    lut = nn.LookupTable(rows, cols).double()
    lut.weight.copy(lg.DoubleTensor(np.arange(1, rows * cols + 1, dtype=float).reshape(rows, cols)))
    tables = [fbnn.CachingLookupTable(lut, cache_rows, cols) for _ in range(caches)]
    want = lut.weight.numpy().copy()
    for _ in range(updates):
        start = int(RNG.integers(rows))
        run = np.arange(start, min(start + int(RNG.integers(1, 10)), rows))
        grad = RNG.normal(0, 1, (run.size, cols))
        for i, r in enumerate(run):
            want[r] -= caches * grad[i]
        for t in tables:
            t.accUpdateGradParameters(lg.LongTensor(run), lg.DoubleTensor(grad), 1.0)
    for t in tables:
        t.flush()
    np.testing.assert_allclose(lut.weight.numpy(), want, rtol=1e-12)


def test_caching_lookup_reads_through_its_cache():
    """CachingLookupTable.lua: forward copies the cached rows (stale until written back: a change made to the
    table behind a cached row is not seen until it is evicted); stats count hits and misses; the training
    methods other than accUpdateGradParameters raise (the Lua asserts)."""
    lut = nn.LookupTable(10, 2).double()
    cache = fbnn.CachingLookupTable(lut, 8)
    out = cache.forward(lg.LongTensor([[1, 3], [1, 9]]))
    np.testing.assert_array_equal(out.numpy(), lut.weight.numpy()[[[1, 3], [1, 9]]])
    assert cache.stats['hit'] == 1 and cache.stats['miss'] == 3
    lut.weight.select(0, 3).fill(100)
    assert cache.forward(lg.LongTensor([3])).numpy()[0, 0] != 100
    cache.flush()
    assert cache.forward(lg.LongTensor([3])).numpy()[0, 0] == 100
    cache.accUpdateGradParameters(lg.LongTensor([3]), lg.DoubleTensor([[1.0, 1.0]]), 0.5)
    np.testing.assert_array_equal(cache.readRow(3), [99.5, 99.5])
    assert lut.weight.numpy()[3, 0] == 100
    for name, args in (('accGradParameters', (lg.LongTensor([3]), lg.DoubleTensor(1, 2))),
                       ('zeroGradParameters', ()), ('updateParameters', (0.1,))):
        with pytest.raises(NotImplementedError, match=f'CachingLookupTable: {name} is not implemented'):
            getattr(cache, name)(*args)


def test_caching_lookup_contract(tmp_path):
    lut = nn.LookupTable(10, 2).double()
    cache = fbnn.CachingLookupTable(lut, 4)
    assert lg.typename(cache) == 'nn.CachingLookupTable' and cache.numWays == 1
    cache.accUpdateGradParameters(lg.LongTensor([2]), lg.DoubleTensor([[1.0, 1.0]]))
    lg.save(str(tmp_path / 'c.legonn'), cache)
    loaded = lg.load(str(tmp_path / 'c.legonn'))
    loaded.flush()
    np.testing.assert_allclose(loaded.backing.weight.numpy()[2], lut.weight.numpy()[2] - 1)
    cache.float()
    assert lut.weight.type() == 'legonn.FloatTensor' and not cache.ways[0].rows
    with pytest.raises(ValueError, match='CachingLookupTable: expected numRows in \\[1, 10\\]'):
        fbnn.CachingLookupTable(lut, 11)
    with pytest.raises(TypeError, match='CachingLookupTable: expected a LookupTable'):
        fbnn.CachingLookupTable(nn.Tanh(), 2)
    for x, error in ((lg.LongTensor([10]), IndexError), (lg.LongTensor(2, 2, 2).zero(), ValueError)):
        assert_rejected(cache, error, 'CachingLookupTable', 'forward', x)


@pytest.mark.gpu
def test_caching_lookup_gpu():
    lut = nn.LookupTable(10, 2).double()
    gpu_lut = lut.clone().cudaDouble()
    cache, gpu = fbnn.CachingLookupTable(lut, 4), fbnn.CachingLookupTable(gpu_lut, 4)
    for c, idx, go in ((cache, lg.LongTensor([1, 5, 1]), lg.DoubleTensor(3, 2).fill(1)),
                       (gpu, lg.LongTensor([1, 5, 1]).cudaLong(), lg.DoubleTensor(3, 2).fill(1).cudaDouble())):
        c.accUpdateGradParameters(idx, go, 0.5)
        c.flush()
    np.testing.assert_allclose(gpu_lut.weight.double().float().numpy(), lut.weight.float().numpy())


def test_caching_lookup_evicts_any_cached_row():
    """CachingLookupTable.lua's evict draws from all the cached rows: a way of one row can evict it (legonn's
    0-based random(1, n) raised 'empty range' there), and the last row of a way is drawn as often as any."""
    lut = nn.LookupTable(10, 2).double()
    cache = fbnn.CachingLookupTable(lut, 8)
    way = cache.ways[0]
    cache.forward(lg.LongTensor([4]))
    way.evict()
    assert not way.rows and cache.stats['evict'] == 1
    lg.manualSeed(5)
    evicted = set()
    for _ in range(60):
        cache.forward(lg.LongTensor([1, 2, 3]))
        before = set(way.rows)
        way.evict()
        evicted |= before - set(way.rows)
        way.flush()
    assert evicted == {1, 2, 3}


def _lookup_table_gpu_reference(weight, x, unk, features_in_dim2):
    """LookupTableGPU.lua's CPU loops in float64: each index's row, zeros for ``unk``, features moved to
    dimension 1 of a batch with featuresInDim2."""
    rows = np.array([[0.0] * weight.shape[1] if i == unk else weight[i] for i in x.reshape(-1)])
    rows = rows.reshape(x.shape + (weight.shape[1],))
    return rows.transpose(0, 2, 1) if features_in_dim2 and x.ndim == 2 else rows


@pytest.mark.parametrize('features_in_dim2', [False, True])
@pytest.mark.parametrize('unk', [None, 2])
@pytest.mark.parametrize('shape', [(5,), (2, 4)])
def test_lookup_table_gpu_output_and_gradients(features_in_dim2, unk, shape):
    """fbcunn's LookupTableGPU.lua: the rows (zeros at unk_index), their features last or in dimension 1;
    gradWeight row i gains scale * gradOutput's entries of index i, unk_index's none; gradInput zeros."""
    m = fbnn.LookupTableGPU(6, 3, features_in_dim2).double()
    m.unk_index = unk
    x = lg.LongTensor(RNG.integers(0, 6, shape))
    x.view(-1)[0] = 2                                    # unk_index (or row 2) is looked up at least once
    out = m.forward(x)
    w = m.weight.numpy()
    np.testing.assert_allclose(out.numpy(), _lookup_table_gpu_reference(w, x.numpy(), unk, features_in_dim2))
    go = lg.DoubleTensor(RNG.normal(0, 1, tuple(out.size())))
    m.zeroGradParameters()
    gi = m.backward(x, go, 0.5)
    want = np.zeros_like(w)
    go_rows = go.numpy().transpose(0, 2, 1) if features_in_dim2 and len(shape) == 2 else go.numpy()
    for i, row in zip(x.numpy().reshape(-1), go_rows.reshape(-1, 3)):
        if i != unk:
            want[i] += 0.5 * row
    np.testing.assert_allclose(m.gradWeight.numpy(), want, atol=1e-12)
    assert gi.size() == x.size() and float(gi.abs().sum()) == 0
    assert_parameter_jacobians(m, x)


def test_lookup_table_gpu_init_typename_and_file(tmp_path):
    """reset(stdv) is the Lua's weight:normal(stdv): mean stdv (1 by default), deviation 1."""
    lg.manualSeed(3)
    m = fbnn.LookupTableGPU(400, 50)
    w = m.weight.numpy()
    assert abs(w.mean() - 1) < 0.02 and abs(w.std() - 1) < 0.02
    m.reset(0)
    assert abs(m.weight.numpy().mean()) < 0.02
    assert lg.typename(m) == 'nn.LookupTableGPU' and repr(m) == 'nn.LookupTableGPU(400, 50)'
    m.featuresInDim2, m.unk_index = True, 7
    lg.save(str(tmp_path / 'lt.legonn'), m)
    back = lg.load(str(tmp_path / 'lt.legonn'))
    assert type(back) is fbnn.LookupTableGPU and back.unk_index == 7 and back.featuresInDim2 is True
    assert lg.equal(back.weight, m.weight)
    assert_rejected(fbnn.LookupTableGPU(4, 2), IndexError, 'LookupTableGPU', 'forward', lg.LongTensor([0, 4]))


@pytest.mark.gpu
def test_lookup_table_gpu_on_the_gpu():
    m = fbnn.LookupTableGPU(6, 3, True).double()
    m.unk_index = 1
    x = lg.LongTensor([[0, 1, 5], [5, 5, 2]])
    gpu = m.clone().cudaDouble()
    out = m.forward(x)
    go = out.clone().normal()
    np.testing.assert_allclose(gpu.forward(on_gpu(x)).double().numpy(), out.numpy())
    m.zeroGradParameters()
    gpu.zeroGradParameters()
    m.backward(x, go)
    gpu.backward(on_gpu(x), go.cudaDouble())
    np.testing.assert_allclose(gpu.gradWeight.double().numpy(), m.gradWeight.numpy(), rtol=1e-12)
