"""main.lua: synthesise voxel shapes with a pretrained 3D-GAN generator (``th main.lua -class chair``).

``mat`` is the module the Lua gets from ``require('fb.mattorch')`` or ``require('matio')`` (see __init__.py);
``arg`` is the command line. The paths are the Lua's, relative to the current folder."""
import math
import os

import legonn as lg
from legonn import cudnn, cutorch, nn, xlua
from legonn import sys


def main(mat, arg=None):
    xlua.require('nn')
    xlua.require('xlua')

    cmd = lg.CmdLine()
    cmd.option('-gpu', 0, 'GPU id, starting from 1. Set it to 0 to run it in CPU mode. ')
    cmd.option('-class', 'chair', 'class to run forward with. Use all to run all 5 classes')
    cmd.option('-sample', False, 'whether to sample input latent vectors from an i.i.d. uniform distribution, or to generate shapes with demo vectors')
    cmd.option('-bs', 100, 'batch size')
    cmd.option('-ss', 100, 'number of generated shapes, only used in `-sample` mode')

    opt = cmd.parse(arg or [])
    if opt['gpu'] > 0:
        xlua.require('cunn')
        xlua.require('cudnn')
        xlua.require('cutorch')
        cutorch.setDevice(opt['gpu'] - 1)   # devices are 0-based
    all_classes = ['car', 'chair', 'desk', 'gun', 'sofa']
    class_used = []
    for _, c in enumerate(all_classes):
        if c == opt['class'] or opt['class'] == 'all':
            class_used.append(c)
    assert len(class_used) > 0, 'Invalid class name: ' + opt['class']
    # -------------------------------------------------------------------------------
    for _, class_ in enumerate(class_used):
        print("=====================================================")
        print("==> Running with class: " + class_)
        print("==> Loading network")
        if opt['gpu'] == 0:
            netG = lg.load('./models_cpu/' + class_ + '_G_cpu.t7')
        else:
            netG = lg.load('./models_gpu/' + class_ + '_G_gpu.t7')
        nz = netG.get(0).nInputPlane    # latent vector dimensions
        netG.apply(lambda m: m.bias.zero() if 'Convolution' in lg.type(m) else None)     # convolution bias is removed during training
        netG.evaluate()

        print("==> Setting inputs")
        if not opt['sample']:
            inputs = mat.load('./demo_inputs/' + class_ + '.mat')['inputs'].double()
        else:
            inputs = lg.rand(opt['ss'], nz)
        num_points = inputs.size(0)
        inputs = inputs.reshape(num_points, nz, 1, 1, 1)  # since matlab does not support singleton dimension. Reshape will fail if dimension does not match nz.
        all_res = lg.zeros(num_points, 1, 64, 64, 64).double()

        input = lg.zeros(opt['bs'], nz, 1, 1, 1)

        if opt['gpu'] > 0:
            netG = netG.cuda()
            netG = cudnn.convert(netG, cudnn)
            input = input.cuda()

        print("==> Forward propagation")
        for i in range(1, math.ceil(num_points / opt['bs']) + 1):
            ind_low = (i - 1) * opt['bs'] + 1
            ind_high = min(i * opt['bs'], num_points)
            input.zero()
            input[0:ind_high - ind_low + 1, :, :, :, :] = inputs[ind_low - 1:ind_high, :, :, :, :]
            res = netG.forward(input).double()
            all_res[ind_low - 1:ind_high, :, :, :, :] = res[0:ind_high - ind_low + 1, :, :, :, :]

        print("==> Saving result")
        os.system('mkdir -p ./output')
        if opt['sample']:
            savename = class_ + '_sample.mat'
        else:
            savename = class_ + '_demo.mat'
        savename = sys.concat('./output', savename)
        mat.save(savename, {'inputs': inputs, 'voxels': all_res})

        print("==> Saving done")
