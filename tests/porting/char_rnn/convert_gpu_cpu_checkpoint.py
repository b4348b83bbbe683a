"""convert_gpu_cpu_checkpoint.lua: a quick patch for converting GPU checkpoints to CPU checkpoints. Takes the path
to the model and creates a file in the same location and path, but with _cpu.t7 appended. The script's body is
``main(arg)``; ``os.exit()`` is ``SystemExit``."""
import legonn as lg
from legonn import paths

from .util import OneHot  # noqa: F401  (require 'util.OneHot': registers the class lg.load rebuilds)


def main(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Sample from a character-level language model')
    cmd.text()
    cmd.text('Options')
    cmd.argument('-model', 'GPU model checkpoint to convert')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.option('-opencl', 0, 'use OpenCL (instead of CUDA)')
    cmd.text()

    # parse input params
    opt = cmd.parse(arg)

    # check that cunn/cutorch are installed if user wants to use the GPU
    if opt['gpuid'] >= 0 and opt['opencl'] == 0:
        try:                                          # local ok, cunn = pcall(require, 'cunn')
            cunn, ok = paths.require('cunn'), True    # noqa: F841
        except ImportError:
            ok = False
        try:
            cutorch, ok2 = paths.require('cutorch'), True
        except ImportError:
            ok2 = False
        if not ok:
            print('package cunn not found!')
        if not ok2:
            print('package cutorch not found!')
        if ok and ok2:
            print('using CUDA on GPU ' + str(opt['gpuid']) + '...')
            cutorch.setDevice(opt['gpuid'])  # 0-based, as legonn's devices
        else:
            print('Error, no GPU available?')
            raise SystemExit()

    # check that clnn/cltorch are installed if user wants to use OpenCL
    if opt['gpuid'] >= 0 and opt['opencl'] == 1:
        try:
            cunn, ok = paths.require('clnn'), True    # noqa: F841
        except ImportError:
            ok = False
        try:
            cltorch, ok2 = paths.require('cltorch'), True
        except ImportError:
            ok2 = False
        if not ok:
            print('package clnn not found!')
        if not ok2:
            print('package cltorch not found!')
        if ok and ok2:
            print('using OpenCL on GPU ' + str(opt['gpuid']) + '...')
            cltorch.setDevice(opt['gpuid'])
        else:
            print('Error, no GPU available?')
            raise SystemExit()

    print('loading ' + opt['model'])
    checkpoint = lg.load(opt['model'])
    protos = checkpoint['protos']

    # convert the networks to be CPU models
    for k, v in protos.items():
        print('converting ' + k + ' to CPU')
        protos[k].double()

    savefile = opt['model'] + '_cpu.t7'  # append "cpu.t7" to filename
    lg.save(savefile, checkpoint)
    print('saved ' + savefile)
