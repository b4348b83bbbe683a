"""What torch/cunn's test.lua sets up before its tests (lines 1-83): the CUDA types it loops over, their CPU
twins, the precisions and ``makeNonContiguous``, shared by the test_cunn_testlua_*.py ports.

``nn.testcuda()`` runs in the FloatTensor default (legonn's) and adds CudaHalfTensor when ``cutorch.hasHalf``
(``checkHalf``); its ``setUp`` selects GPU 1, which is device 0 in legonn (docs/porting.md's cutorch row). The
ports are GPU tests: they run on a device, or on CuPy's host simulator (``LEGONN_GPU_SIM=1``)."""
import math

import legonn as lg
from legonn import cutorch

precision_forward = 1e-4
precision_backward = 1e-2
nloop = 1
times = {}   # test.lua line 7: the timing tests record {cpu, gpu} seconds here, by title
mytester = lg.Tester()
mytester.setRethrowErrors(True)


def checkHalf():
    """test.lua lines 13-29: the CUDA types the tests loop over and the CPU type each is compared with."""
    typenames = ['torch.CudaTensor', 'torch.CudaDoubleTensor']
    t2cpu = {'torch.CudaTensor': 'torch.FloatTensor', 'torch.CudaDoubleTensor': 'torch.DoubleTensor'}
    if cutorch.hasHalf:
        typenames.append('torch.CudaHalfTensor')
        t2cpu['torch.CudaHalfTensor'] = 'torch.FloatTensor'
    return typenames, t2cpu


typenames, t2cpu = checkHalf()


def half_max_error(maxabs):
    """test.lua lines 31-34: twice the half type's spacing at ``maxabs`` (0 without one)."""
    # arbitrarily double the precision limit
    if not maxabs:
        return 0
    return 2 * ((2 ** math.floor(math.log(maxabs) / math.log(2))) * (2 ** -10))


def precision_forward_type(precision_f, tensor_type, maxabs=None):
    """test.lua lines 37-43: half has additional error on top of double/float."""
    if tensor_type == 'torch.CudaHalfTensor':
        return 1e-2 + precision_f + half_max_error(maxabs)
    return precision_f


def precision_backward_type(precision_b, tensor_type, maxabs=None):
    """test.lua lines 45-51."""
    if tensor_type == 'torch.CudaHalfTensor':
        return 1e-1 + precision_b + half_max_error(maxabs)
    return precision_b


def precision_backward_conv_weightbias(precision_b, tensor_type, maxabs=None):
    """test.lua lines 53-60."""
    if tensor_type == 'torch.CudaHalfTensor':
        # cudnn uses 8 here
        return 2 + precision_b + half_max_error(maxabs)
    return precision_b


def makeNonContiguous(tensor):
    """test.lua lines 62-83: a copy of ``tensor`` living inside a larger tensor of its type (three dimensions
    drawn at random inflated by 4..15), narrowed back at a random offset: same values, other strides."""
    size = tensor.size()
    osize = [size[i] for i in range(len(size))]
    # randomly inflate a few dimensions in osize
    for _ in range(3):
        dim = lg.random(0, len(osize))
        add = lg.random(4, 16)
        osize[dim] = osize[dim] + add
    input = tensor.new()
    input.resize(lg.LongStorage(osize))
    # now extract the input of correct size from 'input'
    for i in range(len(size)):
        if input.size(i) != size[i]:
            bounds = lg.random(0, input.size(i) - size[i] + 1)
            input = input.narrow(i, bounds, size[i])
    input.copy(tensor)
    return input
