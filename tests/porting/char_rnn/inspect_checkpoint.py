"""inspect_checkpoint.lua: a simple script that loads a checkpoint and prints its opts (and validation losses).
The script's body is ``main(arg)``."""
import legonn as lg
from legonn import paths

from .util import OneHot  # noqa: F401  (require 'util.OneHot': registers the class lg.load rebuilds)


def main(arg):
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Load a checkpoint and print its options and validation losses.')
    cmd.text()
    cmd.text('Options')
    cmd.argument('-model', 'model to load')
    cmd.option('-gpuid', 0, 'gpu to use')
    cmd.option('-opencl', 0, 'use OpenCL (instead of CUDA)')
    cmd.text()

    # parse input params
    opt = cmd.parse(arg)

    if opt['gpuid'] >= 0 and opt['opencl'] == 0:
        print('using CUDA on GPU ' + str(opt['gpuid']) + '...')
        cutorch = paths.require('cutorch')
        paths.require('cunn')
        cutorch.setDevice(opt['gpuid'])

    if opt['gpuid'] >= 0 and opt['opencl'] == 1:
        print('using OpenCL on GPU ' + str(opt['gpuid']) + '...')
        cltorch = paths.require('cltorch')     # no OpenCL in legonn: an ImportError, as Lua's require fails
        paths.require('clnn')
        cltorch.setDevice(opt['gpuid'])

    model = lg.load(opt['model'])

    print('opt:')
    print(model['opt'])
    print('val losses:')
    print(model['val_losses'])
