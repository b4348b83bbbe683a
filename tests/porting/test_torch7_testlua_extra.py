"""torch/torch7's test/ folder beside test.lua and test_Tester.lua, ported literally: test_qr.lua, test_sharedmem.lua,
longSize.lua, test_half.lua, test_timer.lua, test_aliasMultinomial.lua and test_Multinomial.lua. One pytest function
per Lua test function (test_qr.lua's generated variations are the parameters of one), each naming its file and
lines.

The edits are docs/porting.md's: ``torch.`` is ``lg.``, ``:`` is ``.``, indices, dimensions and drawn categories
are 0-based, a matrix product ``A * B`` is ``A @ B``, Lua's several results truncated to one take ``[0]``, and
``torch.random(a, b)`` is ``lg.random(a, b + 1)`` (the "ranks" row). The files' ``tester`` is a ``lg.Tester`` set to
rethrow, so that a failed assertion fails the pytest test at once. legonn has no ``torch.DiskFile`` or
``torch.MemoryFile`` (the DiskFile row): Python's files read the bytes, and ``lg.load_lua`` (``lg.load`` with
``'b32'``) reads what ``writeObject`` wrote. The files run in Torch7's default type, DoubleTensor."""
import gc
import io
import math
import os
import struct
import time

import numpy as np
import pytest

import legonn as lg
from legonn import paths

torch = lg

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs

tester = torch.Tester()
tester.setRethrowErrors(True)


# --- test_qr.lua: tests for the QR decomposition functions, torch.qr(), torch.geqrf() and torch.orgqr() ---------

def qrInPlace(tensorFunc):
    """test_qr.lua lines 8-14: torch.qr() with result tensors given."""
    def f(x):
        q, r = tensorFunc(), tensorFunc()
        torch.qr(q, r, x.clone())
        return q, r
    return f


def qrReturned(tensorFunc):
    """test_qr.lua lines 17-21: torch.qr() without result tensors given."""
    def f(x):
        return torch.qr(x.clone())
    return f


def geqrfInPlace(tensorFunc):
    """test_qr.lua lines 24-35: torch.geqrf() with result tensors given."""
    def f(x):
        result = tensorFunc()
        tau = tensorFunc()
        result_, tau_ = torch.geqrf(result, tau, x)
        assert torch.pointer(result) == torch.pointer(result_), 'expected result, result_ same tensor'
        assert torch.pointer(tau) == torch.pointer(tau_), 'expected tau, tau_ same tensor'
        return result_, tau_
    return f


def orgqrInPlace(tensorFunc):
    """test_qr.lua lines 38-45: torch.orgqr() with result tensors given."""
    def f(result, tau):
        q = tensorFunc()
        q_ = torch.orgqr(q, result, tau)
        assert torch.pointer(q) == torch.pointer(q_), 'expected q, q_ same tensor'
        return q
    return f


def qrManual(geqrfFunc, orgqrFunc):
    """test_qr.lua lines 48-61: a custom QR routine that calls the LAPACK functions manually."""
    def f(x):
        m = x.size(0)
        n = x.size(1)
        k = min(m, n)
        result, tau = geqrfFunc(x)
        assert result.size(0) == m
        assert result.size(1) == n
        assert tau.size(0) == k
        r = torch.triu(result.narrow(0, 0, k))
        q = orgqrFunc(result, tau)
        return q.narrow(1, 0, k), r
    return f


def checkQM(testOpts, mat1, mat2):
    """test_qr.lua lines 64-76: Q multiplied with a matrix with ormqr gives the correct result."""
    q, r = torch.qr(mat1)
    m, tau = torch.geqrf(mat1)
    requiredPrecision = 1e-5
    tester.assertTensorEq(torch.mm(q, mat2), torch.ormqr(m, tau, mat2), requiredPrecision)
    tester.assertTensorEq(torch.mm(mat2, q), torch.ormqr(m, tau, mat2, 'R'), requiredPrecision)
    tester.assertTensorEq(torch.mm(q.t(), mat2), torch.ormqr(m, tau, mat2, 'L', 'T'), requiredPrecision)
    tester.assertTensorEq(torch.mm(mat2, q.t()), torch.ormqr(m, tau, mat2, 'R', 'T'), requiredPrecision)


def checkQR(testOpts, a, q=None, r=None):
    """test_qr.lua lines 79-96: the given ``q``, ``r`` matrices are a valid QR decomposition of ``a``."""
    qrFunc = testOpts['qr']
    if q is None:
        q, r = qrFunc(a)
    k = min(a.size(0), a.size(1))
    tester.asserteq(q.size(0), a.size(0), "Bad size for q first dimension.")
    tester.asserteq(q.size(1), k, "Bad size for q second dimension.")
    tester.asserteq(r.size(0), k, "Bad size for r first dimension.")
    tester.asserteq(r.size(1), a.size(1), "Bad size for r second dimension.")
    tester.assertTensorEq(q.t() @ q, torch.eye(q.size(1)).typeAs(testOpts['tensorFunc']()), testOpts['precision'],
                          "Q was not orthogonal")
    tester.assertTensorEq(r, r.triu(), testOpts['precision'], "R was not upper triangular")
    tester.assertTensorEq(q @ r, a, testOpts['precision'], "QR = A")


def checkQRWithExpected(testOpts, a, expected_q, expected_r):
    """test_qr.lua lines 100-117: a QR decomposition of ``a`` is valid and matches the expected ``q`` and ``r``."""
    qrFunc = testOpts['qr']

    # Since the QR decomposition is unique only up to the signs of the rows of
    # R, we must ensure these are positive before doing the comparison.
    def canonicalize(q, r):
        d = r.diag().sign().diag()
        return q @ d, d @ r
    q, r = qrFunc(a)
    q_canon, r_canon = canonicalize(q, r)
    expected_q_canon, expected_r_canon = canonicalize(expected_q, expected_r)
    tester.assertTensorEq(q_canon, expected_q_canon, testOpts['precision'], "Q did not match expected")
    tester.assertTensorEq(r_canon, expected_r_canon, testOpts['precision'], "R did not match expected")
    checkQR(testOpts, a, q, r)


def addTestVariations(doubleTensorOnly=False):
    """test_qr.lua lines 129-162: a variation per tensor type (double or float) and QR function (torch.qr in-place,
    torch.qr, and geqrf then orgqr called from Lua, in-place and not), each the Lua's test
    ``name .. "_" .. qrName .. "_" .. tensorType``; with ``doubleTensorOnly`` the FloatTensor ones are left
    out. Here they are the parameters of the test's one pytest function, its id the Lua name's tail."""
    tensorTypes = {
        torch.DoubleTensor: 1e-12,
        torch.FloatTensor: 1e-5,
    }
    variations = []
    for tensorFunc, requiredPrecision in tensorTypes.items():
        qrFuncs = {
            'inPlace': qrInPlace(tensorFunc),
            'returned': qrReturned(tensorFunc),
            'manualInPlace': qrManual(geqrfInPlace(tensorFunc), orgqrInPlace(tensorFunc)),
            'manualReturned': qrManual(torch.geqrf, torch.orgqr),
        }
        for qrName, qrFunc in qrFuncs.items():
            testOpts = {'tensorFunc': tensorFunc, 'precision': requiredPrecision, 'qr': qrFunc}
            tensorType = tensorFunc().type().replace('legonn.', 'torch.')
            if tensorType == 'torch.DoubleTensor' or not doubleTensorOnly:
                variations.append(pytest.param(testOpts, id=f'{qrName}_{tensorType}'))
    return variations


def _run_variation(func, testOpts):
    """The body test_qr.lua's addTestVariations gives each test: ``func(testOpts)`` seeded with 1, the generator's
    state put back afterwards."""
    state = torch.getRNGState()
    torch.manualSeed(1)
    func(testOpts)
    torch.setRNGState(state)


@pytest.mark.parametrize('testOpts', addTestVariations(doubleTensorOnly=True))
def test_qrSquare(testOpts):
    """test_qr.lua lines 165-187: decomposing a specific square matrix. The Lua's function returns its body as
    a function that nobody calls, so Torch7 never ran these checks: here the body runs."""
    def qrSquare(testOpts):
        tensorFunc = testOpts['tensorFunc']
        a = tensorFunc([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        expected_q = tensorFunc([
            [-1.230914909793328e-01, 9.045340337332914e-01, 4.082482904638621e-01],
            [-4.923659639173310e-01, 3.015113445777629e-01, -8.164965809277264e-01],
            [-8.616404368553292e-01, -3.015113445777631e-01, 4.082482904638634e-01],
        ])
        expected_r = tensorFunc([
            [-8.124038404635959e+00, -9.601136296387955e+00, -1.107823418813995e+01],
            [0.000000000000000e+00, 9.045340337332926e-01, 1.809068067466585e+00],
            [0.000000000000000e+00, 0.000000000000000e+00, -8.881784197001252e-16],
        ])
        checkQRWithExpected(testOpts, a, expected_q, expected_r)
    _run_variation(qrSquare, testOpts)


@pytest.mark.parametrize('testOpts', addTestVariations(doubleTensorOnly=True))
def test_qrRectFat(testOpts):
    """test_qr.lua lines 190-211: decomposing a specific (wide) rectangular matrix, chosen to be full-rank."""
    def qrRectFat(testOpts):
        a = testOpts['tensorFunc']([
            [1, 2, 3, 4],
            [5, 6, 7, 8],
            [9, 10, 11, 13],
        ])
        expected_q = testOpts['tensorFunc']([
            [-0.0966736489045663, 0.907737593658436, 0.4082482904638653],
            [-0.4833682445228317, 0.3157348151855452, -0.8164965809277254],
            [-0.870062840141097, -0.2762679632873518, 0.4082482904638621],
        ])
        expected_r = testOpts['tensorFunc']([
            [-1.0344080432788603e+01, -1.1794185166357092e+01, -1.3244289899925587e+01, -1.5564457473635180e+01],
            [0.0000000000000000e+00, 9.4720444555662542e-01, 1.8944088911132546e+00, 2.5653453733825331e+00],
            [0.0000000000000000e+00, 0.0000000000000000e+00, 1.5543122344752192e-15, 4.0824829046386757e-01],
        ])
        checkQRWithExpected(testOpts, a, expected_q, expected_r)
    _run_variation(qrRectFat, testOpts)


@pytest.mark.parametrize('testOpts', addTestVariations(doubleTensorOnly=True))
def test_qrRectThin(testOpts):
    """test_qr.lua lines 214-234: decomposing a specific (thin) rectangular matrix, chosen to be full-rank."""
    def qrRectThin(testOpts):
        a = testOpts['tensorFunc']([
            [1, 2, 3],
            [4, 5, 6],
            [7, 8, 9],
            [10, 11, 13],
        ])
        expected_q = testOpts['tensorFunc']([
            [-0.0776150525706334, -0.833052161400748, 0.3651483716701106],
            [-0.3104602102825332, -0.4512365874254053, -0.1825741858350556],
            [-0.5433053679944331, -0.0694210134500621, -0.7302967433402217],
            [-0.7761505257063329, 0.3123945605252804, 0.5477225575051663],
        ])
        expected_r = testOpts['tensorFunc']([
            [-12.8840987267251261, -14.5916298832790581, -17.0753115655393231],
            [0, -1.0413152017509357, -1.770235842976589],
            [0, 0, 0.5477225575051664],
        ])
        checkQRWithExpected(testOpts, a, expected_q, expected_r)
    _run_variation(qrRectThin, testOpts)


@pytest.mark.parametrize('testOpts', addTestVariations())
def test_randomMediumQR(testOpts):
    """test_qr.lua lines 237-246: decomposing a sequence of medium-sized random matrices, up to 256 x 256 here
    where the Lua goes to 1024 x 1024 (``x, y = 0, 10``): its 121 decompositions take 25 to 60 seconds here."""
    def randomMediumQR(testOpts):
        for x in range(0, 9):
            for y in range(0, 9):
                m = int(math.pow(2, x))
                n = int(math.pow(2, y))
                x_ = torch.rand(m, n)
                checkQR(testOpts, x_.typeAs(testOpts['tensorFunc']()))
    _run_variation(randomMediumQR, testOpts)


@pytest.mark.parametrize('testOpts', addTestVariations())
def test_randomSmallQR(testOpts):
    """test_qr.lua lines 249-255: decomposing a sequence of small random matrices."""
    def randomSmallQR(testOpts):
        for m in range(1, 41):
            for n in range(1, 41):
                checkQR(testOpts, torch.rand(m, n).typeAs(testOpts['tensorFunc']()))
    _run_variation(randomSmallQR, testOpts)


@pytest.mark.parametrize('testOpts', addTestVariations())
def test_randomNonContiguous(testOpts):
    """test_qr.lua lines 258-266: decomposing a sequence of small matrices that are not contiguous in memory."""
    def randomNonContiguous(testOpts):
        for m in range(2, 41):
            for n in range(2, 41):
                x = torch.rand(m, n).t()
                tester.assert_(not x.isContiguous(), "x should not be contiguous")
                checkQR(testOpts, x.typeAs(testOpts['tensorFunc']()))
    _run_variation(randomNonContiguous, testOpts)


def test_testQM():
    """test_qr.lua lines 268-271."""
    checkQM({}, torch.randn(10, 10), torch.randn(10, 10))
    # checkQM({}, torch.randn(20, 10), torch.randn(20, 20))


# --- test_sharedmem.lua -------------------------------------------------------------------------------------------

def createSharedMemStorage(name=None, size=None, storageType=None):
    """test_sharedmem.lua lines 7-15. ``os.tmpname()`` is ``paths.tmpname()`` (the porting guide's row), whose file
    is removed here: only its name is used."""
    storageType = storageType or 'FloatStorage'
    if name is None:
        tmpname = paths.tmpname()
        os.remove(tmpname)
    shmName = name or tmpname.replace('/', '_')
    isShared = True
    isSharedMem = True
    nElements = size or torch.random(10000, 20001)
    storage = getattr(torch, storageType)(shmName, isShared, nElements, isSharedMem)
    return storage, shmName


def shmFilePath(shmName):
    """test_sharedmem.lua lines 17-19 (legonn runs on Linux and macOS, not Windows)."""
    return '/dev/shm/' + shmName


needs_dev_shm = pytest.mark.skipif(not os.path.isdir('/dev/shm'),
                                   reason="the Lua finds the shared memory under /dev/shm, which only Linux has")


@needs_dev_shm
def test_createSharedMemFile():
    """test_sharedmem.lua lines 27-42 (``removeShmFile`` does something on Windows only)."""
    storage, shmName = createSharedMemStorage()
    shmFileName = shmFilePath(shmName)

    # check that file is at /dev/shm
    tester.assert_(os.path.isfile(shmFileName), 'Shared memory file exists')

    # collect storage and make sure that file is gone
    storage = None
    gc.collect()
    gc.collect()
    tester.assert_(not os.path.isfile(shmFileName), 'Shared memory file does not exists')


@needs_dev_shm
def test_checkContents():
    """test_sharedmem.lua lines 44-56: ``torch.DiskFile(shmFileName, 'r'):binary()`` and its ``readFloat()`` are a
    Python file and ``struct`` (the DiskFile row)."""
    storage, shmName = createSharedMemStorage()
    shmFileName = shmFilePath(shmName)
    tensor = torch.FloatTensor(storage, 0, torch.LongStorage([storage.size()]))
    tensor.copy(torch.rand(storage.size()))

    with open(shmFileName, 'rb') as sharedFile:
        for i in range(storage.size()):
            tester.assert_(struct.unpack('f', sharedFile.read(4))[0] == storage[i], 'value is not correct')


@needs_dev_shm
def test_testSharing():
    """test_sharedmem.lua lines 58-89."""
    # since we are going to cast numbers into double (lua default)
    # we specifically generate double storage
    storage, shmName = createSharedMemStorage(None, None, 'DoubleStorage')
    shmFileName = shmFilePath(shmName)
    tensor = torch.DoubleTensor(storage, 0, torch.LongStorage([storage.size()]))
    tensor.copy(torch.rand(storage.size()))
    tensorCopy = tensor.new().resizeAs(tensor).copy(tensor)

    # access the same shared memory file as regular mapping from same process
    storage2 = torch.DoubleStorage(shmFileName, True, storage.size())
    tensor2 = torch.DoubleTensor(storage2, 0, torch.LongStorage([storage2.size()]))
    tensor2Copy = tensor2.new().resizeAs(tensor2).copy(tensor2)

    tester.assertTensorEq(tensorCopy, tensor2Copy, 0, 'contents don\'t match')

    # fill tensor 1 with a random value and read from 2
    rval = torch.uniform()
    tensor.fill(rval)
    for i in range(tensor2.size(0)):
        tester.asserteq(tensor2[i], rval, 'content is wrong')

    # fill tensor 2 with a random value and read from 1
    rval = torch.uniform()
    tensor2.fill(rval)
    for i in range(tensor.size(0)):
        tester.asserteq(tensor[i], rval, 'content is wrong')


# --- longSize.lua: a tensor written with 8-byte and with 4-byte longs, read back --------------------------------

def writeObject(tensor, longSize):
    """The bytes Torch7's binary ``f:longSize(longSize); f:writeObject(tensor)`` writes for a contiguous
    DoubleTensor, from File.lua's writeObject (an int type, TYPE_TORCH = 4; an int reference index; the
    version string ``'V 1'`` and the class name, each an int length and its chars) and generic/Tensor.c's and
    Storage.c's write (an int nDimension; the sizes, the strides and storageOffset + 1 as longs; the storage
    as an object of its own, index 2: its size as a long, then its doubles). THDiskFile and THMemoryFile write
    each long in ``longSize`` bytes; the rest is native little-endian."""
    long = '<q' if longSize == 8 else '<i'

    def header(index, className):
        return (struct.pack('<i', 4) + struct.pack('<i', index) + struct.pack('<i', 3) + b'V 1'
                + struct.pack('<i', len(className)) + className.encode())
    out = header(1, 'torch.DoubleTensor') + struct.pack('<i', tensor.dim())
    out += b''.join(struct.pack(long, s) for s in tensor.size())
    out += b''.join(struct.pack(long, s) for s in tensor.stride())
    out += struct.pack(long, tensor.storageOffset() + 1)
    out += header(2, 'torch.DoubleStorage') + struct.pack(long, tensor.storage().size())
    return out + np.ascontiguousarray(tensor.storage().data, dtype='<f8').tobytes()


@pytest.fixture
def tensor():
    """longSize.lua line 6: ``local tensor = torch.rand(2,3)``, shared by its four tests."""
    return torch.rand(2, 3)


def test_diskFileLongSize8(tensor, tmp_path):
    """longSize.lua lines 8-21: written with 8-byte longs, what ``lg.save_lua`` writes (the bytes crafted from
    File.lua are checked against it), and read back with ``lg.load_lua`` (``long_size=8``, its default)."""
    path = str(tmp_path / 'tensor8.bin')
    with open(path, 'wb') as f:
        f.write(writeObject(tensor, 8))
    assert lg.save_lua(io.BytesIO(), tensor).getvalue() == writeObject(tensor, 8)
    tensor2 = lg.load_lua(path, long_size=8)
    tester.assert_(tensor.norm() == tensor2.norm())


def test_diskFileLongSize4(tensor, tmp_path):
    """longSize.lua lines 23-36: written with 4-byte longs (a Torch7 whose C long has 4 bytes), read back by
    ``lg.load_lua(path, long_size=4)`` and by Torch7's ``torch.load(path, 'b32')``, ``lg.load(path, 'b32')``."""
    path = str(tmp_path / 'tensor4.bin')
    with open(path, 'wb') as f:
        f.write(writeObject(tensor, 4))
    tensor2 = lg.load_lua(path, long_size=4)
    tester.assert_(tensor.norm() == tensor2.norm())
    tester.assert_(tensor.norm() == lg.load(path, 'b32').norm())


def test_memoryFileLongSize8(tensor):
    """longSize.lua lines 38-47: the bytes in memory, read from their start (``f:seek(1)``)."""
    f = io.BytesIO()
    f.write(writeObject(tensor, 8))
    f.seek(0)
    tensor2 = lg.load_lua(f, long_size=8)
    tester.assert_(tensor.norm() == tensor2.norm())


def test_memoryFileLongSize4(tensor):
    """longSize.lua lines 49-58."""
    f = io.BytesIO()
    f.write(writeObject(tensor, 4))
    f.seek(0)
    tensor2 = lg.load_lua(f, long_size=4)
    tester.assert_(tensor.norm() == tensor2.norm())


# --- test_half.lua ------------------------------------------------------------------------------------------------
# Its lines 51-55 run the suite after torch.setheaptracking(true), which has Lua's garbage collector count
# the tensors' memory: a Lua-runtime setting with no counterpart in Python, left out.

def test_easy():
    """test_half.lua lines 8-32."""
    x = torch.randn(5, 6).half()
    tester.assert_(x.isContiguous(), 'x should be contiguous')
    tester.assert_(x.dim() == 2, 'x should have dim of 2')
    tester.assert_(x.nDimension() == 2, 'x should have nDimension of 2')
    tester.assert_(x.nElement() == 5 * 6, 'x should have 30 elements')
    stride = x.stride()
    expectedStride = torch.LongStorage([6, 1])
    for i in range(len(stride)):
        tester.assert_(stride[i] == expectedStride[i], "stride is wrong")

    x = x.t()
    tester.assert_(not x.isContiguous(), 'x transpose should not be contiguous')
    x = x.transpose(0, 1)
    tester.assert_(x.isContiguous(), 'x should be contiguous after 2 transposes')

    y = torch.HalfTensor()
    y.resizeAs(x.t()).copy(x.t())
    tester.assert_(x.isContiguous(), 'after resize and copy, x should be contiguous')
    tester.assertTensorEq(y, x.t(), 0.001, 'copy broken after resizeAs')
    z = torch.HalfTensor()
    z.resize(6, 5).copy(x.t())
    tester.assertTensorEq(y, x.t(), 0.001, 'copy broken after resize')


def test_narrowSub():
    """test_half.lua lines 34-39."""
    x = torch.randn(5, 6).half()
    narrow = x.narrow(0, 1, 3)
    sub = x.sub(1, 3)
    tester.assertTensorEq(narrow, sub, 0.001, 'narrow not equal to sub')


def test_selectClone():
    """test_half.lua lines 41-49."""
    x = torch.zeros(5, 6)
    x.select(0, 1).fill(2)
    x = x.half()
    y = x.clone()
    tester.assertTensorEq(x, y, 0.001, 'not equal after select and clone')
    x.select(0, 0).fill(3)
    tester.assert_(y[0][0] == 0, 'clone broken')


# --- test_timer.lua -----------------------------------------------------------------------------------------------

def test_timerTime():
    """test_timer.lua lines 7-49. ``os.execute('sleep 1')`` is ``time.sleep``; each wait is half a second, not
    one (the Lua's four seconds are more than a test here should take), and the bounds are halved with it."""
    timer = torch.Timer()

    def wait(seconds):
        time.sleep(seconds)

    second = 0.5
    timer.reset()
    wait(1 * second)
    passed_time = timer.time()['real']
    tester.assert_(passed_time < 1.1 * second, "Too long time passed: %.1f sec >= 1.1 sec" % passed_time)
    tester.assert_(passed_time > 0.9 * second, "Too short time passed:  %.1f sec <= 0.9 sec" % passed_time)

    timer.stop()
    wait(1 * second)
    passed_time = timer.time()['real']
    tester.assert_(passed_time < 1.1 * second, "Too long time passed: %.1f sec >= 1.1 sec" % passed_time)
    tester.assert_(passed_time > 0.9 * second, "Too short time passed:  %.1f sec <= 0.9 sec" % passed_time)

    timer.resume()
    wait(1 * second)
    passed_time = timer.time()['real']
    tester.assert_(passed_time < 2.2 * second, "Too long time passed: %.1f sec >= 2.2 sec" % passed_time)
    tester.assert_(passed_time > 1.8 * second, "Too short time passed:  %.1f sec <= 1.8 sec" % passed_time)

    timer.reset()
    wait(1 * second)
    passed_time = timer.time()['real']
    tester.assert_(passed_time < 1.1 * second, "Too long time passed: %.1f sec >= 1.1 sec" % passed_time)
    tester.assert_(passed_time > 0.9 * second, "Too short time passed:  %.1f sec <= 0.9 sec" % passed_time)


# --- test_aliasMultinomial.lua ------------------------------------------------------------------------------------

def test_aliasMultinomial():
    """test_aliasMultinomial.lua lines 4-37. Categories and aliases are 0-based: the Lua's ``> 0`` and
    ``<= n_class`` are ``>= 0`` and ``< n_class``. ``output:apply(function(x) counts[x] = counts[x] + 1 end)``, a
    million Python calls, is the same count by ``indexAdd`` (which adds repeated indices one by one, as the loop)."""
    n_class = 10000
    probs = torch.Tensor(n_class).uniform(0, 1)
    probs.div(probs.sum())
    a = torch.Timer()
    state = torch.multinomialAliasSetup(probs)
    print("AliasMultinomial setup in " + str(a.time()['real']) + " seconds(hot)")
    a.reset()
    state = torch.multinomialAliasSetup(probs, state)
    print("AliasMultinomial setup in " + str(a.time()['real']) + " seconds(cold)")
    a.reset()

    tester.assert_(state[0].min() >= 0, "Index =" + str(state[0].min()) + "alias indices has an index below 0")
    tester.assert_(state[0].max() < n_class, str(state[0].max()) + " alias indices has an index exceeding num_class")
    output = torch.LongTensor(1000000)
    torch.multinomialAlias(output, state)
    n_samples = output.nElement()
    print("AliasMultinomial draw " + str(n_samples) + " elements from " + str(n_class) + " classes " + "in "
          + str(a.time()['real']) + " seconds")
    counts = torch.Tensor(n_class).zero()
    torch.multinomial(probs, n_samples, True)   # the Lua's mult_output, only timed
    print("Multinomial draw " + str(n_samples) + " elements from " + str(n_class) + " classes " + " in "
          + str(a.time()['real']) + " seconds")
    tester.assert_(output.min() >= 0, "sampled indices has an index below 0")
    tester.assert_(output.max() < n_class, "indices has an index exceeding num_class")
    counts.indexAdd(0, output, torch.Tensor(n_samples).fill(1))
    a.reset()

    counts.div(counts.sum())

    tester.assert_(state[0].min() >= 0, "Index =" + str(state[0].min()) + "alias indices has an index below 0")
    tester.assert_(state[0].max() < n_class, str(state[0].max()) + " alias indices has an index exceeding num_class")
    tester.eq(probs, counts, 0.001, "probs and counts should be approximately equal")


# --- test_Multinomial.lua -----------------------------------------------------------------------------------------

def test_Multinomial():
    """test_Multinomial.lua lines 1-25: multinomial for rare events (torch/torch7 issue 418) and for performance
    (issue 453). The Lua only prints the count of rare draws and its expectation; here they are also checked to
    agree within five standard deviations of a binomial count. Two rounds of draws, not 100 (each round is a
    million draws, a second or more here). The FFI pointer ``c_ptr`` counting each draw in a Lua loop
    is ``indexAdd`` of ones (repeated indices added one by one), categories being 0-based."""
    tic = time.time()
    p = torch.FloatTensor(1001000).fill(1)
    p.narrow(0, 50000, 50000).fill(1e-3)
    p.div(p.sum())
    N = 1001000

    n = 0
    c = torch.LongTensor(p.nElement()).zero()
    tmp = torch.LongTensor()
    for i in range(2):
        p.multinomial(tmp, p, N, True)
        n = n + N
        c.indexAdd(0, tmp, torch.LongTensor(N).fill(1))

    actual = c.narrow(0, 50000, 50000).sum()
    expected = n * p.narrow(0, 50000, 50000).sum()
    print('Actual, Expected: ', actual, expected)
    rare = expected / n
    assert abs(actual - expected) < 5 * math.sqrt(n * rare * (1 - rare))
    print('Time spent: ', time.time() - tic)
