"""What torch/cutorch's test/test.lua sets up before its tests (lines 1-449): the sizes and loop counts, the CUDA
types it loops over and their CPU twins, the random test tensors (createTestTensor*), isEqual and the
compare-CPU-with-CUDA helpers, shared by the test_cutorch_testlua_*.py ports.

The type names are legonn's ``TypeName`` strings: each equals Torch7's spelling (``typename == 'torch.CudaTensor'``
holds, docs/porting.md's type-string row), and the maps find an entry under either spelling: ``t2cpu[typename]``,
``t2cpu['torch.CudaIntTensor']`` and ``t2cpu[lg.type(x)]``. ``cutorch.test()`` selects GPU 1,
which is device 0 in legonn (docs/porting.md's cutorch row). Lua's several results, gathered into
``rcpu[1] .. rcpu[4]``, are the first four items of a returned tuple (a single result is one item, ``None`` none).
The ports are GPU tests: they run on a device, or on CuPy's host simulator (``LEGONN_GPU_SIM=1``)."""
import math
import numbers

import legonn as lg
from legonn import cutorch
from legonn.tensor.types import TypeName

minsize = 5
maxsize = 10
minvalue = 2
maxvalue = 20
nloop = 100
test_tolerance = 1e-5
mytester = lg.Tester()
mytester.setRethrowErrors(True)
tester = mytester


def _t(name):
    """The type name ``name`` ('CudaTensor', 'torch.CudaTensor' or 'legonn.CudaTensor'), as the maps key it."""
    return TypeName('legonn.' + name.split('.', 1)[-1])


typenames = [_t(n) for n in ('CudaByteTensor', 'CudaCharTensor', 'CudaShortTensor', 'CudaIntTensor',
                             'CudaLongTensor', 'CudaTensor', 'CudaDoubleTensor')]

float_typenames = [_t('CudaTensor'), _t('CudaDoubleTensor')]


class _TypeMap(dict):
    """A table keyed by type names that finds an entry under either spelling ('torch.CudaTensor', as the Lua
    writes its lists, or 'legonn.CudaTensor', as ``lg.type`` answers)."""

    def __init__(self, items=()):
        super().__init__()
        for name, value in dict(items).items():
            self[name] = value

    def __getitem__(self, name):
        return dict.__getitem__(self, _t(name))

    def __setitem__(self, name, value):
        dict.__setitem__(self, _t(name), value)

    def __contains__(self, name):
        return isinstance(name, str) and dict.__contains__(self, _t(name))

    def get(self, name, default=None):
        return self[name] if name in self else default


t2gpu = _TypeMap({_t(cpu): _t(gpu) for cpu, gpu in (
    ('ByteTensor', 'CudaByteTensor'), ('CharTensor', 'CudaCharTensor'), ('ShortTensor', 'CudaShortTensor'),
    ('IntTensor', 'CudaIntTensor'), ('LongTensor', 'CudaLongTensor'), ('FloatTensor', 'CudaTensor'),
    ('DoubleTensor', 'CudaDoubleTensor'),

    ('ByteStorage', 'CudaByteStorage'), ('CharStorage', 'CudaCharStorage'), ('ShortStorage', 'CudaShortStorage'),
    ('IntStorage', 'CudaIntStorage'), ('LongStorage', 'CudaLongStorage'), ('FloatStorage', 'CudaStorage'),
    ('DoubleStorage', 'CudaDoubleStorage'))})

t2cpu = _TypeMap({v: k for k, v in t2gpu.items()})


def checkHalf():
    """test.lua lines 56-64: with ``cutorch.hasHalf`` the loops take CudaHalfTensor too, compared with
    FloatTensor. ``setUp`` calls it before each test, as test.lua's does."""
    global hasHalfChecked
    if cutorch.hasHalf and not hasHalfChecked:
        typenames.append(_t('CudaHalfTensor'))
        float_typenames.append(_t('CudaHalfTensor'))
        t2cpu[_t('CudaHalfTensor')] = _t('FloatTensor')
        t2gpu[_t('HalfTensor')] = _t('CudaHalfTensor')
    hasHalfChecked = True


hasHalfChecked = False


def isFloat(t):
    """test.lua lines 66-73, literally: it compares ``t`` with the list's keys (1, 2, ...), never its type names,
    so it answers false for every type name (the tests that call it get the Lua's answer)."""
    for k, _ in enumerate(float_typenames, 1):
        if t == k:
            return True
    return False


def chooseInt(a, b):
    """test.lua lines 75-78: an integer between a and b, both included."""
    return math.floor(lg.uniform(a, b + 1))


def createHoledTensorWithSizes(size):
    """test.lua lines 80-100: a FloatTensor of ``size`` viewing a larger one (three dimensions inflated by 4..15),
    narrowed at a random offset: holes in each inflated dimension."""
    osize = [size[i] for i in range(len(size))]
    # randomly inflate a few dimensions in osize
    for _ in range(3):
        dim = lg.random(0, len(osize))
        add = lg.random(4, 16)
        osize[dim] = osize[dim] + add
    input = lg.FloatTensor(lg.LongStorage(osize))
    # now extract the input of correct size from 'input'
    for i in range(len(size)):
        if input.size(i) != size[i]:
            bounds = lg.random(0, input.size(i) - size[i] + 1)
            input = input.narrow(i, bounds, size[i])
    return input


def createTestTensorWithSizes(allowHoles, allowTransposition, sizes):
    """test.lua lines 102-137: a FloatTensor of ``sizes`` holding a permutation of 0 .. n-1 (randperm's values,
    0-based in legonn), maybe with holes (filled with NaN) and transposed dimensions."""
    if allowHoles:
        t = createHoledTensorWithSizes(sizes)
    else:
        t = lg.FloatTensor(*sizes)

    if allowTransposition:
        dims = t.nDimension()

        numTranspositions = chooseInt(1, dims)

        for _ in range(numTranspositions):
            dim1 = chooseInt(0, dims - 1)
            dim2 = chooseInt(0, dims - 1)

            if dim1 != dim2:
                t = t.transpose(dim1, dim2)

    if allowHoles:
        # fill the holes with NaNs (the non-holes will be overwritten below)
        # this will help detect garbage usage
        t.storage().fill(float('nan'))

    # The test tensor may be used for sort/selection testing, in which
    # case we wish to avoid duplicate elements, but might like some
    # randomness
    t.copy(lg.randperm(t.nElement()))

    return t


def createTestTensorMaxSize(allowHoles, allowTransposition, maxSize):
    """test.lua lines 139-161: 1 to 5 dimensions, more than 1 and fewer than ``maxSize`` elements."""
    dims = chooseInt(1, 5)
    maxDimSize = math.ceil(math.pow(maxSize, 1 / dims))

    while True:
        sizes = []
        size = 1

        for _ in range(dims):
            sizes.append(chooseInt(1, maxDimSize))
            size = size * sizes[-1]

        if size > 1 and size < maxSize:
            break

    return createTestTensorWithSizes(allowHoles, allowTransposition, sizes)


def createTestTensor(maxSize):
    """test.lua lines 163-176: a (potentially transposed, potentially with holes) tensor of a given max size."""
    # 50/50 chance of contig/non-contig
    contig = chooseInt(1, 2) == 1
    holes = False
    tr = False
    if not contig:
        holes = chooseInt(1, 2) == 1
        tr = chooseInt(1, 2) == 1

    return createTestTensorMaxSize(holes, tr, maxSize)


def _is_number(x):
    return isinstance(x, numbers.Number)


def isEqual(x, y, tolerance=None):
    """test.lua lines 178-224: numbers or tensors within ``tolerance`` (1e-6 by default) of each other, NaNs in the
    same places counting as equal; ``y`` is converted to ``x``'s type first."""
    if x is None and y is None:
        return True
    if x is None and y is not None:
        return False
    if x is not None and y is None:
        return False

    # if x, y are tensors clone them so we can modify the contents if necessary for testing
    a = x if _is_number(x) else x.clone()
    b = y if _is_number(y) else y.clone()

    if lg.type(b) != lg.type(a):
        b = b.typeAs(a)   # TODO: remove the need for this (a-b doesnt work for bytetensor, cudatensor pairs)
    diff = a - b
    tolerance = tolerance or 0.000001

    if _is_number(a):
        # NaN Check:
        if a != a and b != b:
            return True
        return abs(diff) < tolerance
    if lg.type(diff) != 'torch.FloatTensor':
        diff = diff.float()   # TODO: remove the need for this (byteTensor and abs)
    # NaN Check: (Lua's diff:apply over the elements, as one comparison)
    hasNaN = diff.ne(diff).sum() > 0
    if hasNaN:
        # check if NaN in equal positions
        nea = lg.ne(a, a)
        neb = lg.ne(b, b)
        if not nea.equal(neb):
            return False
        # check diff of all other elements less than tolerance (Lua's a:apply setting each NaN to 0)
        ea = a.maskedFill(nea, 0)
        eb = b.maskedFill(neb, 0)
        return (ea - eb).abs().max() < tolerance
    return diff.abs().max() < tolerance


def checkMultiDevice(x, fn, *args):
    """test.lua lines 226-235: with two GPUs or more, calling ``fn`` of ``x.cuda()`` from the other device must
    fail. Devices are 0-based (cutorch's 1 and 2 are 0 and 1)."""
    device_count = cutorch.getDeviceCount()
    if device_count >= 2:
        x = x.cuda()
        cutorch.setDevice(1 if cutorch.getDevice() == 0 else 0)
        try:
            getattr(x, fn)(*args)
            ok = True
        except Exception:
            ok = False
        tester.assert_(not ok, "Multi-device checks failed for: " + str(fn))


def cloneExactlyToGPU(t):
    """test.lua lines 237-250: a CudaTensor with ``t``'s storage (copied), offset, sizes and strides."""
    # keep the size/stride of original tensor, handling tensors that
    # potentially have holes as well
    if t.storage() is not None:
        sGPU = lg.CudaStorage(t.storage().size()).copy(t.storage())
        tGPU = lg.CudaTensor(sGPU, t.storageOffset(), t.size(), t.stride())
    else:
        tGPU = lg.CudaTensor()

    return tGPU


def _results(r):
    """Lua's ``r[1], r[2], r[3], r[4] = f(...)``: the first four results of a call, as a list."""
    if r is None:
        return []
    if isinstance(r, tuple):
        return list(r[:4])
    return [r]


def _call(obj, fn, *args):
    """``obj[fn](obj, ...)`` for a method name, ``fn(obj, ...)`` for a function."""
    if isinstance(fn, str):
        return _results(getattr(obj, fn)(*args))
    if callable(fn):
        return _results(fn(obj, *args))
    raise TypeError("Incorrect function type")


def _compareFloatAndCudaCalls(x_cpu, x_cuda, fn, cpu_args, cuda_args):
    """The part test.lua's compareFloatAndCuda and compareFloatAndCudaTensorArgs share (lines 265-284, 315-332):
    ``fn`` exists on the CudaTensor, and both calls give as many results, each equal to ``test_tolerance``
    (compareFloatAndCudaTensorArgs then prints ``args``, a global the Lua never sets)."""
    if isinstance(fn, str):
        tester.assertne(getattr(x_cuda, fn, None), None, f"Missing function CudaTensor.{fn}")
    rcpu = _call(x_cpu, fn, *cpu_args)
    rcuda = _call(x_cuda, fn, *cuda_args)
    errstr = f"Divergent results between CPU and CUDA for function '{fn}' (return value 1)"
    tolerance = test_tolerance
    tester.assert_(len(rcpu) == len(rcuda),
                   f"number of return arguments for CPU and CUDA are different for function '{fn}'")
    for k in range(len(rcpu)):
        if not isEqual(rcpu[k], rcuda[k], tolerance):
            tester.assert_(False, errstr)


def compareFloatAndCuda(x, fn, *args):
    """test.lua lines 252-285: ``fn`` of ``x.float()`` and of its exact CudaTensor clone give the same results
    (to ``test_tolerance``)."""
    x_cpu = x.float()
    x_cuda = cloneExactlyToGPU(x_cpu)

    _compareFloatAndCudaCalls(x_cpu, x_cuda, fn, args, args)


def compareFloatAndCudaTensorArgs(x, fn, *args):
    """test.lua lines 287-333: as compareFloatAndCuda, the Float, Double and Cuda tensors among the arguments
    given to the CPU call as FloatTensors and to the CUDA call as CudaTensors (same sizes, strides, storage)."""
    x_cpu = x.float()
    x_cuda = cloneExactlyToGPU(x_cpu)

    # Transformation of args
    def tranform_args(t, type):
        for k, v in enumerate(t):
            if lg.isTensor(v) and lg.type(v) in ('torch.FloatTensor', 'torch.CudaTensor', 'torch.DoubleTensor'):
                t[k] = v.type(type).new(v.size(), v.stride())
                if v.storage() is not None:
                    t[k].storage().copy(v.storage())
        return t
    cpu_args = tranform_args(list(args), 'torch.FloatTensor')
    cuda_args = tranform_args(list(args), 'torch.CudaTensor')
    _compareFloatAndCudaCalls(x_cpu, x_cuda, fn, cpu_args, cuda_args)


def _class(typename):
    """``torch[name:match('torch.(%a+)')]``: legonn's class of a type name."""
    return getattr(lg, typename.split('.', 1)[1], None)


def GPU(t, gpu2cpu_map=None):
    """test.lua lines 335-345: the class of ``t``'s exact GPU type (``t`` a tensor, a storage or a type name)."""
    gpu2cpu_map = _TypeMap(gpu2cpu_map or t2gpu)   # a test's own map may spell its names either way
    if lg.isTensor(t) or lg.isStorage(t):
        return _class(gpu2cpu_map[lg.type(t)]) or t
    elif lg.type(t) == 'string':
        return _class(gpu2cpu_map[t])
    raise TypeError('not tensor or storage')


def CPU(t):
    """test.lua lines 347-355: the class of ``t``'s exact CPU type."""
    if lg.isTensor(t) or lg.isStorage(t):
        return _class(t2cpu[lg.type(t)]) or t
    elif lg.type(t) == 'string':
        return _class(t2cpu[t])
    raise TypeError('not tensor or storage')


def cloneExactlyToGPUType(t, baseType=None, gpu2cpu_map=None):
    """test.lua lines 357-373: exactly clone a tensor (same size / storage) to its equivalent GPU type; if
    baseType is given, convert to the baseType's GPU type instead."""
    type = baseType if baseType is not None else t
    # keep the size/stride of original tensor, handling tensors that
    # potentially have holes as well
    if t.storage() is not None:
        # Lua's GPU(type).new(1):storage().new(n): the class called for ``new`` (legonn's storages have none)
        storage_class = _class(lg.type(GPU(type, gpu2cpu_map)(1).storage()))
        sGPU = storage_class(t.storage().size()).copy(t.storage())
        tGPU = GPU(type, gpu2cpu_map)(sGPU, t.storageOffset(), t.size(), t.stride())
    else:
        tGPU = GPU(type, gpu2cpu_map)()

    return tGPU


def compareCPUAndCUDATypeTensorArgsWithConvInternal(cudaType, gpu2cpu_map, indexMode, limit, x, fn, *args):
    """test.lua lines 375-441: ``fn`` of ``x`` as ``cudaType``'s CPU twin and of its exact ``cudaType`` clone
    give the same results (the first ``limit`` of them, all if None) and leave ``x`` the same.

    indexMode True keeps the indexing and masking tensors among the arguments as their own types' GPU twins;
    False converts them to ``x``'s GPU type for the CUDA call. The CPU call takes the arguments as given."""
    baseType = t2cpu.get(cudaType)
    assert baseType, 'Cannot find baseType for ' + cudaType
    x_cpu = x.type(baseType)
    x_cuda = cloneExactlyToGPUType(x_cpu, None, gpu2cpu_map)

    # Transformation of args
    def tranform_args(t):
        for k, v in enumerate(t):
            if lg.isTensor(v) or lg.isStorage(v):
                if indexMode is True:
                    t[k] = cloneExactlyToGPUType(v, None, gpu2cpu_map)
                else:
                    t[k] = cloneExactlyToGPUType(v, x_cpu, gpu2cpu_map)
        return t

    cpu_args = list(args)
    cuda_args = tranform_args(list(args))
    if isinstance(fn, str):
        tester.assertne(getattr(x_cuda, fn, None), None, f"Missing function {lg.type(x_cuda)}.{fn}")
    rcpu = _call(x_cpu, fn, *cpu_args)
    rcuda = _call(x_cuda, fn, *cuda_args)

    tolerance = test_tolerance
    errstr = f"Divergent results between CPU and CUDA for function '{lg.type(x_cuda)}.{fn}"
    if indexMode is not None:
        errstr = errstr + " in indexMode = " + str(indexMode).lower()
    errstrval = errstr + " for return value # %d"
    errstrval = errstrval + ". Divergence value: %f"
    errstrobj = errstr + " for object"
    errstrobj = errstrobj + ". Divergence value: %f"

    def divval(cpu, cuda):
        return (cpu.double() - cuda.double()).abs().max() if lg.isTensor(cpu) else 0

    tester.assert_(len(rcpu) == len(rcuda),
                   f"number of return arguments for CPU and CUDA are different for function '{fn}'")

    if limit is not None:
        for k in range(limit):
            tester.assert_(isEqual(rcpu[k], rcuda[k], tolerance), errstrval % (k + 1, divval(rcpu[k], rcuda[k])))
    else:
        for k in range(len(rcpu)):
            tester.assert_(isEqual(rcpu[k], rcuda[k], tolerance), errstrval % (k + 1, divval(rcpu[k], rcuda[k])))

    # also test x in case function changed object
    tester.assert_(isEqual(x_cpu, x_cuda, tolerance), errstrobj % divval(x_cpu, x_cuda))


def compareCPUAndCUDATypeTensorArgs(cudaType, indexMode, x, fn, *args):
    """test.lua lines 443-445."""
    compareCPUAndCUDATypeTensorArgsWithConvInternal(cudaType, None, indexMode, None, x, fn, *args)


def compareCPUAndCUDATypeTensorArgsWithLimit(cudaType, indexMode, limit, x, fn, *args):
    """test.lua lines 447-449."""
    compareCPUAndCUDATypeTensorArgsWithConvInternal(cudaType, None, indexMode, limit, x, fn, *args)


def setUp():
    """test.lua lines 4905-4910, run before every test: GPU 1 (device 0) and ``checkHalf``. The ports call it
    from an autouse fixture."""
    cutorch.setDevice(0)
    checkHalf()
