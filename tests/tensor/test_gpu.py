"""CUDA twins on CuPy: round trips, views, arithmetic, interop (skipped without CuPy and a GPU)."""
import numpy as np
import pytest

import legonn as lg

pytestmark = pytest.mark.gpu

TWINS = {'FloatTensor': 'CudaTensor', 'DoubleTensor': 'CudaDoubleTensor', 'HalfTensor': 'CudaHalfTensor',
         'ByteTensor': 'CudaByteTensor', 'CharTensor': 'CudaCharTensor', 'ShortTensor': 'CudaShortTensor',
         'IntTensor': 'CudaIntTensor', 'LongTensor': 'CudaLongTensor'}


CONVERTERS = {'CudaTensor': 'cuda', 'CudaDoubleTensor': 'cudaDouble', 'CudaHalfTensor': 'cudaHalf',
              'CudaByteTensor': 'cudaByte', 'CudaCharTensor': 'cudaChar', 'CudaShortTensor': 'cudaShort',
              'CudaIntTensor': 'cudaInt', 'CudaLongTensor': 'cudaLong'}


@pytest.mark.parametrize('cpu,gpu', TWINS.items())
def test_typed_converters_and_cpu_round_trip_keep_type_and_values(cpu, gpu):
    x = getattr(lg, cpu)([[1, 2, 3], [4, 5, 6]])
    g = getattr(x, CONVERTERS[gpu])()
    assert g.type() == 'legonn.' + gpu and g.is_cuda
    assert getattr(g, CONVERTERS[gpu])() is g
    back = g.cpu()
    assert back.type() == 'legonn.' + cpu and back.tolist() == x.tolist()
    assert getattr(lg, gpu)(2, 2).sum() == 0


@pytest.mark.parametrize('cpu', TWINS)
def test_cuda_gives_a_float_cuda_tensor_from_any_type_as_cutorch(cpu):
    """cutorch's x:cuda() is x:type('torch.CudaTensor'): float32 whatever x holds, so labels and masks
    meet a CUDA model's floats; a CudaDoubleTensor's cuda() converts too."""
    x = getattr(lg, cpu)([[1, 2, 3], [4, 5, 6]])
    g = x.cuda()
    assert g.type() == 'legonn.CudaTensor' and g.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert g.cuda() is g
    assert x.cudaDouble().cuda().type() == 'legonn.CudaTensor'


def test_cuda_views_share_storage():
    g = lg.zeros(2, 3).cuda()
    g.select(0, 1).fill(7)
    g.t().select(0, 0).add(1)
    assert g.cpu().tolist() == [[1, 0, 0], [8, 7, 7]]
    assert g.narrow(1, 1, 2).storage() is g.storage()
    assert g[:, 1:].storage() is g.storage() and g[:, 1:].storageOffset() == 1


def test_cuda_arithmetic_matches_cpu():
    lg.manualSeed(0)
    a, b = lg.randn(3, 4).double(), lg.randn(4, 2).double()
    ga, gb = a.cudaDouble(), b.cudaDouble()
    assert np.allclose(lg.mm(ga, gb).cpu().array, lg.mm(a, b).array)
    assert np.allclose(ga.clone().add(2, ga).cpu().array, a.clone().add(2, a).array)
    assert np.allclose(lg.sigmoid(ga).cpu().array, lg.sigmoid(a).array)
    assert np.allclose((ga * ga + 1).cpu().array, (a * a + 1).array)
    assert ga.sum() == pytest.approx(a.sum())
    v, i = ga.max(1)
    assert i.type() == 'legonn.CudaLongTensor' and i.cpu().tolist() == a.max(1)[1].tolist()
    assert ga.sort(1)[1].cpu().tolist() == a.sort(1)[1].tolist()
    assert ga.index(0, lg.LongTensor([2, 0]).cudaLong()).cpu().tolist() == a.index(0, lg.LongTensor([2, 0])).tolist()
    assert ga.gt(0).type() == 'legonn.CudaByteTensor'
    halves = lg.DoubleTensor([0.5, 1.5, 2.5, -0.5, -2.5]).cudaDouble()
    assert halves.round().cpu().tolist() == [1.0, 2.0, 3.0, -1.0, -3.0]   # C's round, as on the CPU
    assert lg.diag(ga[:, :3], 1).cpu().tolist() == lg.diag(a[:, :3], 1).tolist()
    assert ga.tril(-1).cpu().tolist() == a.tril(-1).tolist() and ga.triu().cpu().tolist() == a.triu().tolist()
    assert np.allclose(lg.atan2(ga, ga.clone().fill(-2)).cpu().array, np.arctan2(a.array, -2))
    assert ga.gt(0).sum(1).type() == 'legonn.CudaByteTensor'
    assert [t.cpu().tolist() for t in ga.round().mode(1)] == [t.tolist() for t in a.round().mode(1)]
    assert lg.DoubleTensor([float('nan'), -2]).cudaDouble().sign().cpu().tolist() == [0, -1]
    assert 'legonn.CudaDoubleTensor of size 3x4' in str(ga)


def test_copy_across_devices_and_types():
    g = lg.CudaTensor(2, 2)
    g.copy(lg.LongTensor([[1, 2], [3, 4]]))
    assert g.cpu().tolist() == [[1, 2], [3, 4]]
    c = lg.DoubleTensor(4).copy(g)
    assert c.tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError, match='elements'):
        g.copy(lg.Tensor(3))


def test_cuda_random_is_seeded():
    lg.manualSeed(5)
    a = lg.CudaTensor(6).uniform().cpu().tolist()
    lg.manualSeed(5)
    assert lg.CudaTensor(6).uniform().cpu().tolist() == a
    assert set(lg.CudaLongTensor(100).random(3).cpu().tolist()) <= {0, 1, 2}


def test_cuda_array_interface_and_dlpack_share_memory():
    import cupy as cp
    g = lg.range(0, 5).view(2, 3).cuda()
    iface = g.__cuda_array_interface__
    assert iface['shape'] == (2, 3) and iface['data'][0] == g.array.data.ptr
    view = cp.asarray(g)
    view[0, 0] = 42
    assert g[0, 0] == 42
    d = cp.from_dlpack(g)
    d[1, 2] = -1
    assert g.cpu().tolist()[1][2] == -1
    wrapped = lg.from_numpy(cp.arange(4, dtype=cp.float32))
    assert wrapped.type() == 'legonn.CudaTensor'
    wrapped.fill(2)
    assert float(wrapped.sum()) == 8


def test_cuda_tensor_has_no_numpy_view():
    g = lg.zeros(2).cuda()
    with pytest.raises(TypeError, match='cpu'):
        g.numpy()
    with pytest.raises(TypeError, match='cpu'):
        np.asarray(g)


def test_cuda_index_add_and_scatter_add_accumulate_repeats():
    base = lg.zeros(4, 3).double()
    src = lg.range(1, 6).view(2, 3).double()
    want = base.clone().indexAdd(0, lg.LongTensor([2, 2]), src)
    got = base.cudaDouble().indexAdd(0, lg.LongTensor([2, 2]).cudaLong(), src.cudaDouble())
    assert got.cpu().tolist() == want.tolist() and want[2].tolist() == [5, 7, 9]
    index = lg.LongTensor([[0, 1, 0], [0, 0, 3]])
    want = base.clone().scatterAdd(0, index, src)
    got = base.cudaDouble().scatterAdd(0, index.cudaLong(), src.cudaDouble())
    assert got.cpu().tolist() == want.tolist()


@pytest.mark.parametrize('fill, check', [
    (lambda t: t.exponential(2.0), lambda a: (a >= 0).all()),
    (lambda t: t.geometric(0.3), lambda a: (a >= 1).all() and (a == a.round()).all()),
    (lambda t: t.logNormal(0.0, 0.5), lambda a: (a > 0).all()),
    (lambda t: t.cauchy(1.0, 2.0), lambda a: np.isfinite(a).all()),
])
def test_cuda_random_distributions_fill_in_place(fill, check):
    t = lg.CudaDoubleTensor(200)
    assert fill(t) is t and t.type() == 'legonn.CudaDoubleTensor'
    assert check(t.cpu().numpy())


def test_cuda_mask_key_assignment_of_a_tensor_is_masked_copy():
    """cutorch test.lua's test.maskedCopy: ``x[x:gt(0.5)] = y`` copies y's elements in order (maskedCopy), y of
    the tensor's sizes or transposed, as on the CPU."""
    gt = lg.FloatTensor([[0.75, 0.25, 0.875], [0.625, 0.125, 1.0]])
    y = lg.FloatTensor([[1, 2, 3], [4, 5, 6]])
    for src in (y, lg.FloatTensor([[1, 4], [2, 5], [3, 6]]).t()):
        x = gt.cuda()
        x[x.gt(0.5)] = src.cuda()
        assert x.float().tolist() == [[1, 0.25, 2], [3, 0.125, 4]] and x.type() == 'legonn.CudaTensor'


def test_get_device_is_the_storage_gpu_and_minus_one_without_memory():
    """cutorch's x:getDevice() and storage:getDevice() (test.lua's test.get_device), 0-based: -1 for an empty
    tensor (cutorch's 0, no storage), the current device once resized; CPU tensors have none."""
    t = lg.Tensor().cuda()
    assert t.getDevice() == -1 and t.storage().getDevice() == -1
    t.resize(1, 2, 3)
    assert t.getDevice() == 0 == t.storage().getDevice()
    with pytest.raises(TypeError, match='only a CUDA tensor'):
        lg.FloatTensor(2).getDevice()
    with pytest.raises(TypeError, match='only a CUDA storage'):
        lg.FloatTensor(2).storage().getDevice()


def test_cuda_geometric_p_is_the_chance_to_stop_as_cutorch():
    """THC draws ceil(log(u) / log(1 - p)): mean 1 / p on CUDA tensors, where TH's CPU draw has mean 1 / (1 - p)
    (cutorch's test.lua test.geometric checks the CUDA mean, torch7's the CPU one)."""
    t = lg.CudaDoubleTensor(200000).geometric(0.8)
    assert abs(t.mean() - 1 / 0.8) < 0.01 and t.min() >= 1
    assert abs(t.double().cpu().geometric(0.8).mean() - 1 / (1 - 0.8)) < 0.1


def test_cuda_multinomial_draws_on_the_device():
    prob = lg.DoubleTensor([[0, 1, 0, 3], [2, 0, 0, 0]]).cudaDouble()
    drawn = lg.multinomial(prob, 5, True)
    assert drawn.is_cuda and drawn.size() == (2, 5)
    values = drawn.cpu().numpy()
    assert set(values[0]) <= {1, 3} and set(values[1]) == {0}
    distinct = lg.multinomial(prob[0], 2).cpu().tolist()
    assert sorted(distinct) == [1, 3]


def test_cuda_alias_multinomial_and_conv2_run_on_the_device():
    probs = lg.DoubleTensor([0.2, 0.3, 0.5])
    state = lg.multinomialAliasSetup(probs.cudaDouble())
    assert state[0].is_cuda and state[0].cpu().tolist() == lg.multinomialAliasSetup(probs)[0].tolist()
    out = lg.multinomialAlias(lg.CudaLongTensor(1000), state)
    assert out.is_cuda and set(out.cpu().tolist()) <= {0, 1, 2}
    x, k = lg.DoubleTensor(6, 5).uniform(), lg.DoubleTensor(2, 3).uniform()
    for f in (lg.conv2, lg.xcorr2):
        for mode in ('V', 'F'):
            got = f(x.cudaDouble(), k.cudaDouble(), mode)
            assert got.is_cuda and np.allclose(got.cpu().numpy(), f(x, k, mode).numpy())


def test_cuda_lapack_functions_return_device_tensors():
    a = lg.DoubleTensor([[4, 1, 0], [1, 3, 1], [0, 1, 2]])
    b = lg.DoubleTensor([[1, 2], [0, 1], [3, 0]])
    x, lu = lg.gesv(b.cudaDouble(), a.cudaDouble())
    assert x.is_cuda and lu.is_cuda and np.allclose(x.cpu().numpy(), lg.gesv(b, a)[0].numpy())
    q, r = lg.qr(a.cudaDouble())
    assert q.type() == 'legonn.CudaDoubleTensor' and np.allclose((q @ r).cpu().numpy(), a.numpy())
    u, piv = lg.pstrf(a.cudaDouble())
    assert piv.type() == 'legonn.CudaIntTensor' and u.is_cuda


def test_cuda_storages_name_their_type_and_tensors_empty_on_the_device():
    g = lg.CudaTensor(2, 3).fill(1)
    assert g.storage().type() == 'legonn.CudaStorage'
    g.set()
    assert g.is_cuda and g.nElement() == 0
    strided = lg.CudaTensor(lg.LongStorage([2, 2]), lg.LongStorage([3, 1]))
    assert strided.is_cuda and strided.stride() == (3, 1) and strided.sum() == 0


def test_gpu_memory_is_not_shared_between_processes():
    with pytest.raises(TypeError, match='expected a CPU storage, got a CUDA one'):
        lg.threads.share_memory(lg.zeros(3).cuda())


def test_cuda_match_equals_the_cpu_one():
    rng = np.random.default_rng(4)
    a, b = lg.DoubleTensor(rng.standard_normal((3, 4))), lg.DoubleTensor(rng.standard_normal((2, 4)))
    got = lg.match(a.cudaDouble(), b.cudaDouble(), 0.5)
    assert got.is_cuda and np.allclose(got.cpu().array, lg.match(a, b, 0.5).array, rtol=0, atol=1e-12)


@pytest.mark.parametrize('name', ['cudaByte', 'cudaChar', 'cudaShort', 'cudaInt', 'cudaLong', 'cudaHalf',
                                  'cudaDouble'])
def test_cutorch_converters_give_their_type(name):
    """cutorch's Tensor.lua gives every tensor type ``cudaByte()`` ... ``cudaDouble()``."""
    x = lg.DoubleTensor([[1, 2], [3, 4]])
    g = getattr(x, name)()
    assert g.type() == 'legonn.Cuda' + name[4:] + 'Tensor' and g.is_cuda and g.cpu().tolist() == x.tolist()
    assert getattr(g, name)() is g and g.double().tolist() == x.tolist()


def test_criterion_cuda_double_and_cuda_half():
    """Criterion.lua's ``cudaDouble()`` and ``cudaHalf()`` convert a criterion as ``type`` does."""
    from legonn import nn
    x, y = lg.DoubleTensor([[0.5, -1.0]]), lg.DoubleTensor([[1.0, 1.0]])
    want = nn.MSECriterion().double().forward(x, y)
    c = nn.MSECriterion().cudaDouble()
    assert c.type() == 'legonn.CudaDoubleTensor' and c.forward(x.cudaDouble(), y.cudaDouble()) == pytest.approx(want)
    h = nn.MSECriterion().cudaHalf()
    assert h.type() == 'legonn.CudaHalfTensor'
    assert h.forward(x.cudaHalf(), y.cudaHalf()) == pytest.approx(want, rel=1e-3)


@pytest.mark.parametrize('cpu,gpu', TWINS.items())
def test_copy_async_copies_between_a_type_and_its_twin_as_cutorch(cpu, gpu):
    """cutorch's copyAsync (THCTensorCopy.c): host to GPU and back between twins of one element type; a CUDA
    tensor also takes its own type; another type, a different count or a non-contiguous side is refused."""
    host = getattr(lg, cpu)([[1, 2, 3], [4, 5, 6]])
    dev = getattr(lg, gpu)(2, 3).zero()
    assert dev.copyAsync(host) is dev
    assert dev.type() == 'legonn.' + gpu and np.array_equal(dev.cpu().numpy(), host.numpy())
    back = getattr(lg, cpu)(6).zero()
    assert back.copyAsync(dev) is back and np.array_equal(back.numpy(), host.numpy().ravel())
    other = getattr(lg, gpu)(2, 3).zero()
    assert np.array_equal(other.copyAsync(dev).cpu().numpy(), host.numpy())
    wrong = 'DoubleTensor' if cpu != 'DoubleTensor' else 'FloatTensor'
    with pytest.raises(TypeError, match=rf'{gpu}\.copyAsync: expected a legonn\.{cpu} or a legonn\.{gpu}, '
                                        rf'got legonn\.{wrong}'):
        dev.copyAsync(getattr(lg, wrong)(2, 3))
    with pytest.raises(TypeError, match=rf'legonn\.{cpu}\.copyAsync: expected a legonn\.{gpu}, got legonn\.{cpu}'):
        back.copyAsync(host)
    with pytest.raises(ValueError, match='sizes do not match'):
        dev.copyAsync(getattr(lg, cpu)(5))
    with pytest.raises(ValueError, match='the target tensor must be contiguous'):
        dev.t().copyAsync(host.t().contiguous())
    with pytest.raises(ValueError, match='the source tensor must be contiguous'):
        back.copyAsync(dev.t())
