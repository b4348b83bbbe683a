"""convnet-benchmarks' torch7/imagenet_winners/benchmark.lua ported line by line: each ImageNet winner built with
cudnn's kernels, moved to the GPU and timed over its updateOutput, updateGradInput and accGradParameters.

Edits beyond Lua syntax and 0-based indices:

* The script runs its loop when loaded; the port keeps the file-level set-up (the ``require`` lines, ``nets``,
  ``libs``, ``steps``, ``nDryRuns``, ``makeInput``) and puts the rest, from the 'Running on device' line, in
  ``main()``. ``require 'alexnet'`` returns the function the file defines: an import of it.
* ``print(a, b, c)`` of several values: Lua (and th's trepl print) separate them with tabs, Python with spaces:
  ``sep='\\t'`` (docs/porting.md's row), so the lines split as output.log's do.
* ``cudnn.benchmark = true`` and ``cudnn.verbose = false``, process-wide flags the Lua sets when loaded, are set
  when ``main()`` runs, so that importing the port changes no flag for other code.
* ``collectgarbage()`` is ``gc.collect()``; ``pcall(function() ... end)`` a ``try``; ``output`` (no ``local``) is
  a module global.
"""
import gc

import legonn as lg
from legonn import cudnn, cutorch
from legonn import sys as tsys

from .alexnet import alexnet
from .googlenet import googlenet
from .overfeat import overfeat_fast
from .vgg_a import vgg_a

# require 'fbcunn'
# require 'nnbhwd' -- not compiling anymore, file an issue
nets = []
nets.append(alexnet)
nets.append(overfeat_fast)
nets.append(vgg_a)
nets.append(googlenet)

libs = []
libs.append([cudnn.SpatialConvolution, cudnn.SpatialMaxPooling, cudnn.ReLU, 'BDHW', 'cudnn'])
# libs.append([fbnn.SpatialConvolution, cudnn.SpatialMaxPooling, cudnn.ReLU, 'BDHW', 'fbnn'])
# libs.append([nn.SpatialConvolutionMM, nn.SpatialMaxPooling, nn.ReLU, 'BDHW', 'nn'])
# libs.append([nn.SpatialConvolutionBHWD, nn.SpatialMaxPoolingBHWD, nn.ReLU, 'BHWD', 'nnBHWD'])

steps = 10  # nb of steps in loop to average perf
nDryRuns = 10

output = None


def makeInput(config, size):
    layout = config[3]
    if layout == 'BDHW':
        osize = size
    elif layout == 'DHWB':
        osize = [size[1], size[2], size[3], size[0]]
    elif layout == 'BHWD':
        osize = [size[0], size[2], size[3], size[1]]
    return lg.randn(lg.LongStorage(osize))


def main():
    global output
    cudnn.benchmark = True  # run manual auto-tuner provided by cudnn
    cudnn.verbose = False
    print('Running on device: ' + cutorch.getDeviceProperties(cutorch.getDevice())['name'])

    for i in range(len(nets)):
        for j in range(len(libs)):
            gc.collect()
            model, model_name, size = nets[i](libs[j])
            model = model.cuda()
            input = makeInput(libs[j], size).cuda()
            lib_name = libs[j][4]
            print('ModelType: ' + model_name, 'Kernels: ' + lib_name,
                  'Input shape: ' + lg.tostring(input.size(0)) + 'x' + lg.tostring(input.size(1)) +
                  'x' + lg.tostring(input.size(2)) + 'x' + lg.tostring(input.size(3)), sep='\t')

            # dry-run
            for i in range(nDryRuns):
                model.zeroGradParameters()
                output = model.updateOutput(input)
                gradInput = model.updateGradInput(input, output)  # noqa: F841
                model.accGradParameters(input, output)
                cutorch.synchronize()
                gc.collect()

            tsys.tic()
            for t in range(steps):
                output = model.updateOutput(input)
            cutorch.synchronize()
            tmf = tsys.toc() / steps
            print("%-30s %25s %10.2f" % (lib_name, ':updateOutput():', tmf * 1000))

            gc.collect()
            tsys.tic()
            for t in range(steps):
                model.updateGradInput(input, output)
            cutorch.synchronize()
            tmbi = tsys.toc() / steps
            print("%-30s %25s %10.2f" % (lib_name, ':updateGradInput():', tmbi * 1000))

            gc.collect()
            tsys.tic()
            ok = 1
            for t in range(steps):
                try:
                    model.accGradParameters(input, output)
                    ok = True
                except Exception:
                    ok = False
            cutorch.synchronize()
            tmbg = tsys.toc() / steps
            if not ok:
                print("%-30s %25s %s" % (lib_name, ':accGradParameters():', 'FAILED!'))
            else:
                print("%-30s %25s %10.2f" % (lib_name, ':accGradParameters():', tmbg * 1000))
            print("%-30s %25s %10.2f" % (lib_name, ':Forward:', (tmf) * 1000))
            print("%-30s %25s %10.2f" % (lib_name, ':Backward:', (tmbi + tmbg) * 1000))
            print("%-30s %25s %10.2f" % (lib_name, ':TOTAL:', (tmf + tmbi + tmbg) * 1000))
            print()

    print('')
