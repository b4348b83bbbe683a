"""convnet-benchmarks' torch7/layerwise_benchmarks/multigpu.lua ported line by line: a five-layer convnet timed
forward and backward on the GPU (the 'cudnn' net type the file selects).

Edits beyond Lua syntax and 0-based indices:

* ``require 'ccn2'`` is left out (legonn has no cuda-convnet2 bindings); the ``nettype == 'ccn2'`` branch is kept
  and would fail on its ``ccn2`` name, as the Lua would without the package.
* The file's statements after the set-up (``fSize``, ``inputSize``, ``batchSize``, ``nettype``) are ``main()``;
  ``model``, ``input``, ``output`` and ``a`` stay module globals.
* ``print('FORWARD free run time:', a:time().real)``: Lua's print separates its values with tabs, ``sep='\\t'``
  (docs/porting.md's row), and the number as Lua's ``tostring`` writes it (``lg.tostring``).
"""
from legonn import cudnn, cutorch, nn
import legonn as lg

# cutorch.setDevice(4)

fSize = [3, 96, 128, 128, 384]
inputSize = [3, 64, 64]
batchSize = 128

nettype = 'cudnn'

model = input = output = a = None


def main():
    global model, input, output, a
    if nettype == 'cudnn':
        model = nn.Sequential()
        model.add(cudnn.SpatialConvolution(fSize[0], fSize[1], 9, 9))
        model.add(cudnn.ReLU())
        model.add(cudnn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(cudnn.SpatialConvolution(fSize[1], fSize[2], 5, 5))
        model.add(cudnn.ReLU())
        model.add(cudnn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(cudnn.SpatialConvolution(fSize[2], fSize[3], 4, 4))
        model.add(cudnn.ReLU())
        model.add(cudnn.SpatialConvolution(fSize[3], fSize[4], 3, 3))
        model.add(cudnn.ReLU())
        model.add(cudnn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(cudnn.SpatialConvolution(fSize[4], fSize[4], 3, 3))
        # model.add(nn.Reshape(fSize[4]))
        # model.add(nn.Linear(fSize[4], 1))
    elif nettype == 'ccn2':
        model = nn.Sequential()
        model.add(nn.Transpose([0, 3], [0, 2], [0, 1]))
        model.add(ccn2.SpatialConvolution(fSize[0], fSize[1], 9))  # noqa: F821  (no ccn2 in legonn)
        model.add(nn.ReLU())
        model.add(ccn2.SpatialMaxPooling(2, 2))  # noqa: F821
        model.add(ccn2.SpatialConvolution(fSize[1], fSize[2], 5))  # noqa: F821
        model.add(nn.ReLU())
        model.add(ccn2.SpatialMaxPooling(2, 2))  # noqa: F821
        model.add(ccn2.SpatialConvolution(fSize[2], fSize[3], 5))  # noqa: F821
        model.add(nn.ReLU())
        model.add(ccn2.SpatialConvolution(fSize[3], fSize[4], 3))  # noqa: F821
        model.add(nn.ReLU())
        model.add(ccn2.SpatialMaxPooling(2, 2))  # noqa: F821
        model.add(ccn2.SpatialConvolution(fSize[4], fSize[4], 3))  # noqa: F821
    elif nettype == 'MM':
        model = nn.Sequential()
        model.add(nn.SpatialConvolutionMM(fSize[0], fSize[1], 9, 9))
        model.add(nn.ReLU())
        model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(nn.SpatialConvolutionMM(fSize[1], fSize[2], 5, 5))
        model.add(nn.ReLU())
        model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(nn.SpatialConvolutionMM(fSize[2], fSize[3], 4, 4))
        model.add(nn.ReLU())
        model.add(nn.SpatialConvolutionMM(fSize[3], fSize[4], 3, 3))
        model.add(nn.ReLU())
        model.add(nn.SpatialMaxPooling(2, 2, 2, 2))
        model.add(nn.SpatialConvolutionMM(fSize[4], fSize[4], 3, 3))
        model.add(nn.Reshape(fSize[4]))

    model = model.cuda()

    input = lg.rand(batchSize, inputSize[0], inputSize[1], inputSize[2]).cuda()

    # first run
    # print(model.forward(input).size())
    output = model.forward(input)
    cutorch.synchronize()

    a = lg.Timer()
    output = model.forward(input)
    print('FORWARD free run time:', lg.tostring(a.time()['real']), sep='\t')

    cutorch.synchronize()
    a.reset()
    output = model.forward(input)
    cutorch.synchronize()
    print('FORWARD sync time:', lg.tostring(a.time()['real']), sep='\t')

    cutorch.synchronize()
    a.reset()
    model.backward(input, output)
    print('BACKWARD free run time:', lg.tostring(a.time()['real']), sep='\t')

    cutorch.synchronize()
    a.reset()
    model.backward(input, output)
    cutorch.synchronize()
    print('BACKWARD sync time:', lg.tostring(a.time()['real']), sep='\t')
