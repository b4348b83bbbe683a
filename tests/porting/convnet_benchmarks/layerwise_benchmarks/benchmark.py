"""convnet-benchmarks' torch7/layerwise_benchmarks/benchmark.lua ported line by line: five convolution layers
timed with cudnn.SpatialConvolution and nn.SpatialConvolutionMM on the GPU.

Edits beyond Lua syntax and 0-based indices:

* ``require 'ccn2'`` (cuda-convnet2's Torch7 bindings) is left out: legonn has no ccn2, and the file only names
  it in the ccn2.SpatialConvolution line it keeps commented out and in a ``torch.typename`` test that is then
  never true.
* The loop over ``runs`` runs when the Lua file is loaded; here it is ``main()``, after the same file-level
  ``steps`` and ``runs``. ``i1`` (no ``local``) is a module global.
* ``cudnn.benchmark = true`` and ``cudnn.verbose = false``, process-wide flags the Lua sets when loaded, are set
  when ``main()`` runs, so that importing the port changes no flag for other code.
* ``collectgarbage()`` is ``gc.collect()``; ``pcall(function() ... end)`` a ``try``.
"""
import gc

import legonn as lg
from legonn import cudnn, cutorch, nn
from legonn import sys as tsys

# require 'fbcunn'
# require 'nnbhwd'

steps = 10  # nb of steps in loop to average perf

runs = [

    {
        # first layer
        'ni': 3,
        'no': 96,
        'kw': 11,
        'kh': 11,
        'iw': 128,
        'ih': 128,
        'bs': 128,
        'dw': 1,
        'dh': 1,
    },
    {
        # second layer
        'ni': 64,
        'no': 128,
        'kw': 9,
        'kh': 9,
        'iw': 64,
        'ih': 64,
        'bs': 128,
        'dw': 1,
        'dh': 1,
    },
    {
        # third layer
        'ni': 128,
        'no': 128,
        'kw': 9,
        'kh': 9,
        'iw': 32,
        'ih': 32,
        'bs': 128,
        'dw': 1,
        'dh': 1,
    },
    {
        # fourth layer
        'ni': 128,
        'no': 128,
        'kw': 7,
        'kh': 7,
        'iw': 16,
        'ih': 16,
        'bs': 128,
        'dw': 1,
        'dh': 1,
    },
    {  # layers with small inputs/kernels, seen at the lower ends of the network
        'ni': 384,
        'no': 384,
        'kw': 3,
        'kh': 3,
        'iw': 13,
        'ih': 13,
        'bs': 128,
        'dw': 1,
        'dh': 1,
    },
]

i1 = None


def main():
    global i1
    cudnn.benchmark = True  # run manual auto-tuner provided by cudnn
    cudnn.verbose = False
    print('Running on device: ' + cutorch.getDeviceProperties(cutorch.getDevice())['name'])

    for i, run in enumerate(runs):
        # params for run:
        ni, no, kw, kh, bs, iw, ih, dw, dh = (run['ni'], run['no'], run['kw'], run['kh'], run['bs'], run['iw'],
                                              run['ih'], run['dw'], run['dh'])
        print('')
        print('CONFIG: input = ' + lg.tostring(ni) + 'x' + lg.tostring(iw) + 'x' + lg.tostring(ih) +
              ' * ker = ' + lg.tostring(ni) + 'x' + lg.tostring(no) + 'x' + lg.tostring(kw) + 'x' + lg.tostring(kh) +
              ' (bs = ' + lg.tostring(bs) + ', stride = ' + lg.tostring(dw) + ')')
        mods = []
        mods.append(cudnn.SpatialConvolution(ni, no, kw, kh, dw, dh).cuda())
        mods.append(nn.SpatialConvolutionMM(ni, no, kw, kh, dw, dh).cuda())
        # mods.append(ccn2.SpatialConvolution(ni, no, kw, dw, 0, 1, 4).cuda())
        # mods.append(nn.SpatialConvolutionCuFFT(ni, no, kw, kh, dw, dh).cuda())
        # mods.append(nn.SpatialConvolutionBHWD(ni, no, kw, kh, dw, dh).cuda())
        for j in range(len(mods)):
            gc.collect()
            if lg.typename(mods[j]) == 'ccn2.SpatialConvolution':
                i1 = lg.randn(ni, ih, iw, bs).cuda()
            elif lg.typename(mods[j]) == 'nn.SpatialConvolutionBHWD':
                i1 = lg.randn(bs, ih, iw, ni).cuda()
            else:
                i1 = lg.randn(bs, ni, ih, iw).cuda()
            gc.collect()
            o1 = mods[j].forward(i1)
            cutorch.synchronize()
            gc.collect()
            tsys.tic()
            for t in range(steps):
                o1 = mods[j].updateOutput(i1)
            cutorch.synchronize()
            tmf = tsys.toc() / steps
            print("%-30s %25s %10.2f" % (lg.typename(mods[j]), ':updateOutput():', tmf * 1000))

            cutorch.synchronize()
            gc.collect()
            tsys.tic()
            for t in range(steps):
                mods[j].updateGradInput(i1, o1)
            cutorch.synchronize()
            tmbi = tsys.toc() / steps
            print("%-30s %25s %10.2f" % (lg.typename(mods[j]), ':updateGradInput():', tmbi * 1000))

            cutorch.synchronize()
            gc.collect()
            tsys.tic()
            ok = 1
            for t in range(steps):
                try:
                    mods[j].accGradParameters(i1, o1)
                    ok = True
                except Exception:
                    ok = False
            cutorch.synchronize()
            tmbg = tsys.toc() / steps
            if not ok:
                print("%-30s %25s %s" % (lg.typename(mods[j]), ':accGradParameters():', 'FAILED!'))
            else:
                print("%-30s %25s %10.2f" % (lg.typename(mods[j]), ':accGradParameters():', tmbg * 1000))
            print("%-30s %25s %10.2f" % (lg.typename(mods[j]), ':TOTAL:', (tmf + tmbi + tmbg) * 1000))
            print()

    print('')
