"""modules/ModelParallelTable.lua: towers (modules) each on its own GPU; the input (on the first tower's GPU) is
copied to every tower's GPU, their outputs are concatenated along ``dimension`` on the first tower's GPU, the
gradient is split along it, and the towers' gradInputs are summed back there. CUDA only, as the Lua's (its
``type`` refuses any other type, its copies assert CudaTensors).

Edits: ``dimension``, tower indices and GPU ids are 0-based (``cutorch.setDevice`` is); the Lua's tables
``self.inputGpu`` (and the other per-tower ones) filled at ``[i]`` are dicts, a new ``dst = {}`` filled at
``[i]`` is a list of ``#src`` Nones; the Lua patterns ``'torch%..+Tensor'`` over a type name also match legonn's
spelling (docs/porting.md's Lua-pattern row); the Lua defines ``equalSize`` twice
(the same body), here once; ``baseGpuIndex``, a global the Lua never sets, is None. Not ported: ``__read`` and
``__write`` (Torch7 file serialization of the towers one GPU at a time: legonn has no such hooks)."""
import re

import legonn as lg
from legonn import nn, cutorch

gpuLocalCopyBuffers = {}
baseModuleIndex = 0  # A constant


# *****************************************************************************
# Helper Functions
# *****************************************************************************
# queryGPUDeviceId - Function to query a tensor or table for the
# GPUID.  For tables we will search the table for CudaTensors, query their
# device and make sure the deviceIds of ALL CudaTensors are on the same GPU.
def queryGPUDeviceId(object):
    if lg.type(object) == 'torch.CudaTensor':
        return object.getDevice()

    deviceId = None

    # Try finding a parameter
    stack = []  # explicit stack to recurse on tables
    for key, param in (object.items() if isinstance(object, dict) else enumerate(object)):
        if key != 'modules':
            stack.append(param)  # Push onto the stack
    while len(stack) > 0:
        param = stack.pop()  # Pop the stack
        if lg.type(param) == 'table':
            for i in range(len(param)):
                stack.append(param[i])  # Push onto stack
        elif lg.type(param) == 'torch.CudaTensor':
            if lg.numel(param) > 0:
                # Empty tensors are always on GPU "0"
                curId = param.getDevice()
                if deviceId is None:
                    deviceId = curId
                else:
                    assert deviceId == curId, 'Found CudaTensor instances from different devices'

    return deviceId


# Get an available GPU buffer for asyncGPUCopy.  It is used when the GPU tensor
# is not contiguous.
def getBuffer():
    device = cutorch.getDevice()
    if not gpuLocalCopyBuffers.get(device):
        gpuLocalCopyBuffers[device] = lg.CudaTensor()
    return gpuLocalCopyBuffers[device]


# setDeviceSafe - Avoid redundant calls to setDevice
def setDevice(gpuid):
    if cutorch.getDevice() != gpuid:
        cutorch.setDevice(gpuid)


def equalSize(sizeTable1, sizeTable2):
    if len(sizeTable1) != len(sizeTable2):
        return False
    for i in range(len(sizeTable1)):
        if sizeTable1[i] != sizeTable2[i]:
            return False
    return True


# deepTensorsCopy - perform an elementwise copy of the tensors in the nested
# table. We assume that the tables are properly initialized (ie same size and
# structure), although we will assert it.
def deepTensorsCopy(dst, src):
    if lg.type(src) == 'table':
        assert lg.type(dst) == 'table' and len(src) == len(dst)
        for i in range(len(src)):
            deepTensorsCopy(dst[i], src[i])
    elif re.search(r'(torch|legonn)\..+Tensor', lg.type(src)):
        assert re.search(r'(torch|legonn)\..+Tensor', lg.type(dst))
        assert dst.isSameSizeAs(src)
        dst.copy(src)
    else:
        raise RuntimeError('input must be a nested table of tensors!')


# deepTensorsAdd - perform an elementwise add of the tensors in the nested
# table. We assume that the tables are properly initialized (ie same size and
# structure), although we will assert it.
#
# Note: this is necessary because add() will malloc new memory on the cuda
# driver side every time we want to get new memory!  Therefore, we actually
# need to copy src to the dst gpu
def deepTensorsAdd(dst, src):
    if lg.type(src) == 'table':
        assert lg.type(dst) == 'table' and len(src) == len(dst)
        for i in range(len(src)):
            deepTensorsAdd(dst[i], src[i])
    elif re.search(r'(torch|legonn)\..+Tensor', lg.type(src)):
        assert re.search(r'(torch|legonn)\..+Tensor', lg.type(dst))
        assert dst.isSameSizeAs(src)

        dstGpuid = dst.getDevice()
        srcGpuid = src.getDevice()
        curGpuid = cutorch.getDevice()
        setDevice(dstGpuid)

        # Copy src over to a buffer on the dst GPU
        srcBufferOnDstGpu = src
        if dstGpuid != srcGpuid:
            srcBufferOnDstGpu = getBuffer()
            srcBufferOnDstGpu.resizeAs(src)
            assert src.isContiguous()
            srcBufferOnDstGpu.copy(src)

        # Perform the actual add
        dst.add(srcBufferOnDstGpu)
        if dstGpuid != srcGpuid:
            # Ensures we get to keep the buffer for the duration of the add
            cutorch.synchronize()

        setDevice(curGpuid)  # Put the GPU id back to what it was
    else:
        raise RuntimeError('input must be a nested table of tensors!')


# *****************************************************************************
# ModelParallelTable
# *****************************************************************************
class ModelParallelTable(nn.Container):

    def __init__(self, dimension=None, noGradInput=None):
        super().__init__()
        if not dimension and dimension != 0:   # Lua's ``not dimension``: 0 is a dimension here
            raise RuntimeError("must specify a dimension!")

        self.dimension = dimension
        self.modules = []
        self.gpuAssignments = []  # Which gpuid each module sits on
        self.inputGpu = {}  # inputs for each gpu
        self.gradOutputGpu = {}  # gradOutputs for each gpu
        self.outputGpu = {}  # outputs for each gpu
        self.gradInputGpu = {}  # gradInput for each gpu
        self.gradInputAddBuffer = {}
        self.noGradInput = noGradInput or False

    # NOTE: The input should be on the FIRST added GPU device, and similarly the
    # output will be on the FIRST GPU device.
    def add(self, module, gpuid):
        parameters = module.parameters()[0]
        for param in parameters:
            assert param.getDevice() == gpuid, f'{param.getDevice()}~={gpuid}'
        assert gpuid < cutorch.getDeviceCount() and gpuid >= 0
        assert len(self.modules) == len(self.gpuAssignments)

        self.modules.append(module)
        self.gpuAssignments.append(gpuid)

        return self

    def __tostring__(self):
        return f'ModelParallelTable: {len(self.modules)} x {lg.tostring(self.modules[0])}'

    def get(self, index):
        return self.modules[index]

    def updateOutput(self, input):
        baseGpuid = self.gpuAssignments[baseModuleIndex]
        # cutorch.withDevice(baseGpuid, function() print('input', input[1]:mean()) end)
        assert queryGPUDeviceId(input) == baseGpuid, f'Input is not on gpu {baseGpuid}'

        prevGpuid = cutorch.getDevice()

        # distribute the input to GPUs
        for i in range(len(self.modules)):
            gpuid = self.gpuAssignments[i]
            # Copy the tensors in the input nested table to the GPU with gpuid
            self.inputGpu[i] = self._copyTensorRecursive(
                input, self.inputGpu.get(i),
                baseGpuid, gpuid
            )

        cutorch.synchronize()

        # update output for each module asynchronously
        for i, module in enumerate(self.modules):
            gpuid = self.gpuAssignments[i]
            setDevice(gpuid)
            self.outputGpu[i] = module.updateOutput(self.inputGpu[i])

        cutorch.synchronize()

        # concatenate the outputs to the base GPU
        for i in range(len(self.modules)):
            gpuid = self.gpuAssignments[i]
            # Merge the tensors in the input nested table to the GPU with gpuid
            self.output = self._concatTensorRecursive(
                self.outputGpu[i], self.output,
                gpuid, i, baseGpuid, baseModuleIndex,
                len(self.modules)
            )
        cutorch.synchronize()

        setDevice(prevGpuid)

        return self.output

    def updateGradInput(self, input, gradOutput):
        # We assume that updateOutput has already been called (therefore inputGpu
        # has been populated)
        baseGpuid = self.gpuAssignments[baseModuleIndex]
        assert queryGPUDeviceId(gradOutput) == baseGpuid, f'gradOutput is not on gpu {baseGpuid}'

        prevGpuid = cutorch.getDevice()

        # distribute the gradOutput to GPUs
        for i in range(len(self.modules)):
            gpuid = self.gpuAssignments[i]
            # Split the tensors in the input nested table to the GPU with gpuid
            # _distributeTensorRecursive(src,dst,srcGpuid,srcInd,dstGpuid,dstInd)
            self.gradOutputGpu[i] = self._distributeTensorRecursive(
                gradOutput, self.gradOutputGpu.get(i), baseGpuid, None, gpuid, i, len(self.modules))

        cutorch.synchronize()

        # update gradInput for each module asynchronously
        for i, module in enumerate(self.modules):
            gpuid = self.gpuAssignments[i]
            setDevice(gpuid)
            self.gradInputGpu[i] = module.updateGradInput(self.inputGpu[i], self.gradOutputGpu[i])

        # concatenate the outputs to the base GPU
        for i in range(len(self.modules)):
            gpuid = self.gpuAssignments[i]
            # Merge the tensors in the input nested table to the GPU with gpuid
            self.gradInputAddBuffer[i] = self._copyTensorRecursive(
                self.gradInputGpu[i], self.gradInputAddBuffer.get(i), gpuid, baseGpuid)

        cutorch.synchronize()
        setDevice(baseGpuid)
        self.gradInput = self._zeroTensorRecursive(self.gradInputGpu[baseGpuid], self.gradInput)
        for i in range(len(self.modules)):
            self._accumulateTensorRecursive(self.gradInputAddBuffer[i], self.gradInput)

        setDevice(prevGpuid)

        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        # We assume updateGradInput has already been called (so gradOutput has
        # already been populated)
        prevGpuid = cutorch.getDevice()
        baseGpuid = self.gpuAssignments[baseModuleIndex]  # noqa: F841  (the Lua's unused local)

        scale = scale or 1
        # Calculate the gradWeight + gradBias on each sub-module
        for i, module in enumerate(self.modules):
            gpuid = self.gpuAssignments[i]
            setDevice(gpuid)
            module.accGradParameters(self.inputGpu[i], self.gradOutputGpu[i], scale)

        cutorch.synchronize()  # We have to wait until accGradParameters has finished

        setDevice(prevGpuid)

    def accUpdateGradParameters(self, input, gradOutput, lr):
        raise RuntimeError("accUpdateGradParameters not supported for ModelParallelTable.")

    def zeroGradParameters(self):
        prevGpuid = cutorch.getDevice()
        for i, module in enumerate(self.modules):
            setDevice(self.gpuAssignments[i])
            module.zeroGradParameters()
        setDevice(prevGpuid)

    def updateParameters(self, learningRate):
        raise RuntimeError("updateParameters not supported for ModelParallelTable.")

    def share(self, mlp, *args):
        raise RuntimeError("Share not supported for ModelParallelTable.")

    def clone(self):
        raise RuntimeError("clone not supported for ModelParallelTable.")

    def reset(self, stdv=None):
        prevGpuid = cutorch.getDevice()
        for i, module in enumerate(self.modules):
            setDevice(self.gpuAssignments[i])
            module.reset(stdv)
        setDevice(prevGpuid)

    def name(self):
        return 'ModelParallelTable'

    def type(self, typeStr, cache=None):
        if typeStr == "torch.CudaTensor":
            for i, m in enumerate(self.modules):
                m.type(typeStr)
        else:
            raise RuntimeError(f"ModelParallelTable only supports CudaTensor, not {typeStr}")

    def _getSliceRange(self, tensor, id, total):
        outerDim = tensor.size(self.dimension)
        assert outerDim % total == 0  # FIXME get rid of this restriction
        eltsPerMod = outerDim / total
        rangeStart = id * eltsPerMod
        rangeEnd = (id + 1) * eltsPerMod - 1

        return tensor.narrow(self.dimension, rangeStart, rangeEnd - rangeStart + 1)

    def _copyTensorRecursive(self, src, dst, srcGpuid, dstGpuid):
        if lg.type(src) == 'table':
            if lg.type(dst) != 'table' or len(src) != len(dst):
                dst = [None] * len(src)

            # Recurse on the table
            for i in range(len(src)):
                dst[i] = self._copyTensorRecursive(src[i], dst[i], srcGpuid, dstGpuid)

        elif re.search(r'(torch|legonn)\..+Tensor', lg.type(src)):
            if dst is None or lg.type(dst) != 'torch.CudaTensor':
                # Allocate only on startup or when input table structure changes.
                # Otherwise we will just resize the tensor below.
                setDevice(dstGpuid)
                dst = lg.CudaTensor()

            # Split the tensor
            assert lg.typename(src) == 'torch.CudaTensor'

            if not dst.isSameSizeAs(src):
                setDevice(dstGpuid)
                dst.resizeAs(src)

            dst.copy(src)
        else:
            raise RuntimeError('input must be a nested table of tensors!')

        return dst

    # _distributeTensorRecursive - if the src is a tensor then the function slices
    # it long self.dimension and copies each portion into each child module.
    # Otherwise it does a recursive call on tables.
    def _distributeTensorRecursive(self, src, dst, srcGpuid, srcIndex, dstGpuid, dstIndex, nModules):
        if lg.type(src) == 'table':
            if lg.type(dst) != 'table' or len(src) != len(dst):
                dst = [None] * len(src)

            # Recurse on the table
            for i in range(len(src)):
                dst[i] = self._distributeTensorRecursive(src[i], dst[i], srcGpuid,
                                                    srcIndex, dstGpuid, dstIndex, nModules)

        elif re.search(r'(torch|legonn)\..+Tensor', lg.type(src)):
            if dst is None or lg.type(dst) != 'torch.CudaTensor':
                # Allocate only on startup or when input table structure changes.
                # Otherwise we will just resize the tensor below.
                setDevice(dstGpuid)
                dst = lg.CudaTensor()

            # Split the tensor
            assert lg.typename(src) == 'torch.CudaTensor'
            slice = self._getSliceRange(src, dstIndex, nModules)

            if not dst.isSameSizeAs(slice):
                setDevice(dstGpuid)
                dst.resizeAs(slice)

            dst.copy(slice)
        else:
            raise RuntimeError('input must be a nested table of tensors!')

        return dst

    # _concatTensorRecursive - if the src is a tensor then the function copies it
    # into the dst slice along self.dimension.
    # Otherwise it does a recursive call on tables.
    def _concatTensorRecursive(self, src, dst, srcGpuid, srcIndex, dstGpuid, dstIndex, nModules):
        if lg.type(src) == 'table':
            if lg.type(dst) != 'table' or len(src) != len(dst):
                dst = [None] * len(src)

            # Recurse on the table
            for i in range(len(src)):
                dst[i] = self._concatTensorRecursive(src[i], dst[i], srcGpuid,
                                                srcIndex, dstGpuid, dstIndex, nModules)

        elif re.search(r'(torch|legonn)\..+Tensor', lg.type(src)):
            if dst is None or lg.type(dst) != 'torch.CudaTensor':
                # Allocate only on startup or when input table structure changes.
                # Otherwise we will just resize the tensor below.
                setDevice(dstGpuid)
                dst = lg.CudaTensor()

            if lg.numel(src) > 0:
                # Some modules return empty gradInputs if they don't actually return
                # anything.
                dstSize = src.size().totable()
                dstSize[self.dimension] = dstSize[self.dimension] * nModules
                if not equalSize(dst.size().totable(), dstSize):
                    assert srcIndex == 0
                    setDevice(dstGpuid)
                    dst.resize(*dstSize)

                # Split the tensor
                assert lg.typename(src) == 'torch.CudaTensor'
                slice = self._getSliceRange(dst, srcIndex, nModules)
                slice.copy(src)
        else:
            raise RuntimeError('input must be a nested table of tensors!')

        return dst

    def _zeroTensorRecursive(self, src, dst):
        if lg.type(src) == 'table':
            if lg.type(dst) != 'table' or len(src) != len(dst):
                dst = [None] * len(src)

            # Recurse on the table
            for i in range(len(src)):
                dst[i] = self._zeroTensorRecursive(src[i], dst[i])

        elif re.search(r'(torch|legonn)\..+Tensor', lg.type(src)):
            if dst is None or lg.type(dst) != 'torch.CudaTensor':
                dst = lg.CudaTensor()

            # Split the tensor
            assert lg.typename(src) == 'torch.CudaTensor'

            if not dst.isSameSizeAs(src):
                dst.resizeAs(src)
            dst.zero()
        else:
            raise RuntimeError('input must be a nested table of tensors!')
        return dst

    def _accumulateTensorRecursive(self, src, dst):
        if lg.type(src) == 'table':
            # Recurse on the table
            for i in range(len(src)):
                dst[i] = self._accumulateTensorRecursive(src[i], dst[i])
        elif re.search(r'(torch|legonn)\..+Tensor', lg.type(src)):
            dst.add(src)
        else:
            raise RuntimeError('input must be a nested table of tensors!')
        return dst

    def clearState(self):
        self.inputGpu = {}
        self.gradOutputGpu = {}
        self.outputGpu = {}
        self.gradInputGpu = {}

        return super().clearState()


# Backward compatibility purposes
ModelParallelTable.__version = 2

lg.register(ModelParallelTable, 'nn.ModelParallelTable')
