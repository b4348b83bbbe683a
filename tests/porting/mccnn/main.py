"""main.lua (jzbontar/mc-cnn): the script as ``main(arg)``, ``arg`` the command line after the script's name
(``main(['kitti', 'fast', '-a', 'train_tr'])`` is ``./main.lua kitti fast -a train_tr``). It trains the fast or the
accurate (slow) network on patch triplets made from the .bin files preprocess_kitti.lua writes, saves it under net/,
and runs the stereo method (cost volume, cross-based cost aggregation, semi-global matching, left-right check,
interpolation, subpixel enhancement, median and bilateral filters) on the test pairs or on the -left/-right PNGs
(-a predict, writing disp.bin).

Edits beyond Lua syntax and 0-based indices, each a docs/porting.md row:
* ``_, d = torch.min(vol, 2)`` over the cost volume, whose entries with no right pixel are NaN: the cutorch of 2015
  the repository ran on skips a NaN (THCTensorMathTransformReduce.cu's ``minvalue_functor``), Torch7's CPU min
  and legonn's take it; the port takes the minimum with NaN read as +inf.
* ``disp_max = opt.disp_max`` (a string from the command line, ``cmd:option('-disp_max', '')``, which Lua's
  constructors, ``for`` limits and arithmetic read as a number) is ``int(opt['disp_max'])``.
The classes main.lua includes are the package's (``Margin2(...)`` for ``nn.Margin2(...)``, the torch.class row).
savePNG and saveOutlier (debug images through adcensus's grey2jet) and the 'submit' and 'time' actions' output
(adcensus.writePNG16 / writePFM, zip) are left out, as is -subset (adcensus.subset_dataset); 'time' runs.
``collectgarbage()`` calls are left out (they free memory only).
"""
import math
import os

import legonn as lg
from legonn import cudnn, cutorch, image, nn
from legonn import sys

from . import adcensus, cv
from .BCECriterion2 import BCECriterion2
from .Margin2 import Margin2
from .Normalize2 import Normalize2
from .SpatialConvolution1_fw import SpatialConvolution1_fw
from .StereoJoin import StereoJoin
from .StereoJoin1 import StereoJoin1


def main(arg):
    for i in range(len(arg)):
        print(arg[i] + ' ', end='')
    print('')
    dataset = arg.pop(0)
    arch = arg.pop(0)
    assert dataset == 'kitti' or dataset == 'kitti2015' or dataset == 'mb'
    assert arch == 'fast' or arch == 'slow' or arch == 'ad' or arch == 'census'

    cmd = lg.CmdLine()
    cmd.option('-gpu', 1, 'gpu id')
    cmd.option('-seed', 42, 'random seed')
    cmd.option('-debug', False)
    cmd.option('-d', 'kitti | mb')
    cmd.option('-a', 'train_tr | train_all | test_te | test_all | submit | time | predict', 'train')
    cmd.option('-net_fname', '')
    cmd.option('-make_cache', False)
    cmd.option('-use_cache', False)
    cmd.option('-print_args', False)
    cmd.option('-sm_terminate', '', 'terminate the stereo method after this step')
    cmd.option('-sm_skip', '', 'which part of the stereo method to skip')
    cmd.option('-tiny', False)
    cmd.option('-subset', 1)
    cmd.option('-left', '')
    cmd.option('-right', '')
    cmd.option('-disp_max', '')
    if dataset == 'kitti' or dataset == 'kitti2015':
        cmd.option('-hflip', 0)
        cmd.option('-vflip', 0)
        cmd.option('-rotate', 7)
        cmd.option('-hscale', 0.9)
        cmd.option('-scale', 1)
        cmd.option('-trans', 0)
        cmd.option('-hshear', 0.1)
        cmd.option('-brightness', 0.7)
        cmd.option('-contrast', 1.3)
        cmd.option('-d_vtrans', 0)
        cmd.option('-d_rotate', 0)
        cmd.option('-d_hscale', 1)
        cmd.option('-d_hshear', 0)
        cmd.option('-d_brightness', 0.3)
        cmd.option('-d_contrast', 1)
    elif dataset == 'mb':
        cmd.option('-hflip', 0)
        cmd.option('-vflip', 0)
        cmd.option('-rotate', 28)
        cmd.option('-hscale', 0.8)
        cmd.option('-scale', 0.8)
        cmd.option('-trans', 0)
        cmd.option('-hshear', 0.1)
        cmd.option('-brightness', 1.3)
        cmd.option('-contrast', 1.1)
        cmd.option('-d_vtrans', 1)
        cmd.option('-d_rotate', 3)
        cmd.option('-d_hscale', 0.9)
        cmd.option('-d_hshear', 0.3)
        cmd.option('-d_brightness', 0.7)
        cmd.option('-d_contrast', 1.1)
    cmd.option('-rect', 'imperfect')
    cmd.option('-color', 'gray')
    if arch == 'slow':
        if dataset == 'kitti' or dataset == 'kitti2015':
            cmd.option('-at', 0)
            cmd.option('-l1', 4)
            cmd.option('-fm', 112)
            cmd.option('-ks', 3)
            cmd.option('-l2', 4)
            cmd.option('-nh2', 384)
            cmd.option('-lr', 0.003)
            cmd.option('-bs', 128)
            cmd.option('-mom', 0.9)
            cmd.option('-true1', 1)
            cmd.option('-false1', 4)
            cmd.option('-false2', 10)
        
            if dataset == 'kitti':
                cmd.option('-L1', 5)
                cmd.option('-cbca_i1', 2)
                cmd.option('-cbca_i2', 0)
                cmd.option('-tau1', 0.13)
                cmd.option('-pi1', 1.32)
                cmd.option('-pi2', 24.25)
                cmd.option('-sgm_i', 1)
                cmd.option('-sgm_q1', 3)
                cmd.option('-sgm_q2', 2)
                cmd.option('-alpha1', 2)
                cmd.option('-tau_so', 0.08)
                cmd.option('-blur_sigma', 5.99)
                cmd.option('-blur_t', 6)
            elif dataset == 'kitti2015':
                cmd.option('-L1', 5)
                cmd.option('-cbca_i1', 2)
                cmd.option('-cbca_i2', 4)
                cmd.option('-tau1', 0.03)
                cmd.option('-pi1', 2.3)
                cmd.option('-pi2', 24.25)
                cmd.option('-sgm_i', 1)
                cmd.option('-sgm_q1', 3)
                cmd.option('-sgm_q2', 2)
                cmd.option('-alpha1', 1.75)
                cmd.option('-tau_so', 0.08)
                cmd.option('-blur_sigma', 5.99)
                cmd.option('-blur_t', 5)
        elif dataset == 'mb':
            cmd.option('-ds', 2001)
            cmd.option('-d_exp', 0.2)
            cmd.option('-d_light', 0.2)
            cmd.option('-l1', 5)
            cmd.option('-fm', 112)
            cmd.option('-ks', 3)
            cmd.option('-l2', 3)
            cmd.option('-nh2', 384)
            cmd.option('-lr', 0.003)
            cmd.option('-bs', 128)
            cmd.option('-mom', 0.9)
            cmd.option('-true1', 0.5)
            cmd.option('-false1', 1.5)
            cmd.option('-false2', 18)
            cmd.option('-L1', 14)
            cmd.option('-tau1', 0.02)
            cmd.option('-cbca_i1', 2)
            cmd.option('-cbca_i2', 16)
            cmd.option('-pi1', 1.3)
            cmd.option('-pi2', 13.9)
            cmd.option('-sgm_i', 1)
            cmd.option('-sgm_q1', 4.5)
            cmd.option('-sgm_q2', 2)
            cmd.option('-alpha1', 2.75)
            cmd.option('-tau_so', 0.13)
            cmd.option('-blur_sigma', 1.67)
            cmd.option('-blur_t', 2)
    elif arch == 'census':
        if dataset == 'kitti' or dataset == 'kitti2015':
            cmd.option('-L1', 0)
            cmd.option('-cbca_i1', 4)
            cmd.option('-cbca_i2', 8)
            cmd.option('-tau1', 0.01)
            cmd.option('-pi1', 4)
            cmd.option('-pi2', 128.00)
            cmd.option('-sgm_i', 1)
            cmd.option('-sgm_q1', 3)
            cmd.option('-sgm_q2', 3.5)
            cmd.option('-alpha1', 1.25)
            cmd.option('-tau_so', 1.0)
            cmd.option('-blur_sigma', 7.74)
            cmd.option('-blur_t', 6)
        elif dataset == 'mb':
            cmd.option('-L1', 5)
            cmd.option('-cbca_i1', 8)
            cmd.option('-cbca_i2', 8)
            cmd.option('-tau1', 0.22)
            cmd.option('-pi1', 4.0)
            cmd.option('-pi2', 32.0)
            cmd.option('-sgm_i', 1)
            cmd.option('-sgm_q1', 4)
            cmd.option('-sgm_q2', 3)
            cmd.option('-alpha1', 1.5)
            cmd.option('-tau_so', 1.00)
            cmd.option('-blur_sigma', 2.78)
            cmd.option('-blur_t', 3)
    elif arch == 'ad':
        if dataset == 'kitti' or dataset == 'kitti2015':
            cmd.option('-L1', 3)
            cmd.option('-cbca_i1', 0)
            cmd.option('-cbca_i2', 4)
            cmd.option('-tau1', 0.03)
            cmd.option('-pi1', 0.76)
            cmd.option('-pi2', 13.93)
            cmd.option('-sgm_i', 1)
            cmd.option('-sgm_q1', 3.5)
            cmd.option('-sgm_q2', 2)
            cmd.option('-alpha1', 2.5)
            cmd.option('-tau_so', 0.01)
            cmd.option('-blur_sigma', 7.74)
            cmd.option('-blur_t', 6)
        elif dataset == 'mb':
            cmd.option('-L1', 5)
            cmd.option('-cbca_i1', 0)
            cmd.option('-cbca_i2', 4)
            cmd.option('-tau1', 0.36)
            cmd.option('-pi1', 0.4)
            cmd.option('-pi2', 8.0)
            cmd.option('-sgm_i', 1)
            cmd.option('-sgm_q1', 3)
            cmd.option('-sgm_q2', 4)
            cmd.option('-alpha1', 2.5)
            cmd.option('-tau_so', 0.08)
            cmd.option('-blur_sigma', 7.74)
            cmd.option('-blur_t', 1)
    elif arch == 'fast':
        if dataset == 'kitti':
            cmd.option('-at', 0)
            cmd.option('-m', 0.2, 'margin')
            cmd.option('-pow', 1)
            cmd.option('-l1', 4)
            cmd.option('-fm', 64)
            cmd.option('-ks', 3)
            cmd.option('-lr', 0.002)
            cmd.option('-bs', 128)
            cmd.option('-mom', 0.9)
            cmd.option('-true1', 1)
            cmd.option('-false1', 4)
            cmd.option('-false2', 10)
            cmd.option('-L1', 0)
            cmd.option('-cbca_i1', 0)
            cmd.option('-cbca_i2', 0)
            cmd.option('-tau1', 0)
            cmd.option('-pi1', 4)
            cmd.option('-pi2', 55.72)
            cmd.option('-sgm_i', 1)
            cmd.option('-sgm_q1', 3)
            cmd.option('-sgm_q2', 2.5)
            cmd.option('-alpha1', 1.5)
            cmd.option('-tau_so', 0.02)
            cmd.option('-blur_sigma', 7.74)
            cmd.option('-blur_t', 5)
        elif dataset == 'kitti2015':
            cmd.option('-at', 0)
            cmd.option('-m', 0.2, 'margin')
            cmd.option('-pow', 1)
            cmd.option('-l1', 4)
            cmd.option('-fm', 64)
            cmd.option('-ks', 3)
            cmd.option('-lr', 0.002)
            cmd.option('-bs', 128)
            cmd.option('-mom', 0.9)
            cmd.option('-true1', 1)
            cmd.option('-false1', 4)
            cmd.option('-false2', 10)
            cmd.option('-L1', 0)
            cmd.option('-cbca_i1', 0)
            cmd.option('-cbca_i2', 0)
            cmd.option('-tau1', 0)
            cmd.option('-pi1', 2.3)
            cmd.option('-pi2', 18.38)
            cmd.option('-sgm_i', 1)
            cmd.option('-sgm_q1', 3)
            cmd.option('-sgm_q2', 2)
            cmd.option('-alpha1', 1.25)
            cmd.option('-tau_so', 0.08)
            cmd.option('-blur_sigma', 4.64)
            cmd.option('-blur_t', 5)
        elif dataset == 'mb':
            cmd.option('-m', 0.2, 'margin')
            cmd.option('-pow', 1)
            cmd.option('-ds', 2001)
            cmd.option('-d_exp', 0.2)
            cmd.option('-d_light', 0.2)
            cmd.option('-l1', 5)
            cmd.option('-fm', 64)
            cmd.option('-ks', 3)
            cmd.option('-lr', 0.002)
            cmd.option('-bs', 128)
            cmd.option('-mom', 0.9)
            cmd.option('-true1', 0.5)
            cmd.option('-false1', 1.5)
            cmd.option('-false2', 6)
            cmd.option('-L1', 0)
            cmd.option('-tau1', 0.0)
            cmd.option('-cbca_i1', 0)
            cmd.option('-cbca_i2', 0)
            cmd.option('-pi1', 2.3)
            cmd.option('-pi2', 24.3)
            cmd.option('-sgm_i', 1)
            cmd.option('-sgm_q1', 4)
            cmd.option('-sgm_q2', 2)
            cmd.option('-alpha1', 1.5)
            cmd.option('-tau_so', 0.08)
            cmd.option('-blur_sigma', 6)
            cmd.option('-blur_t', 2)
    

    opt = cmd.parse(arg)

    if opt['print_args']:
        print((opt['ks'] - 1) * opt['l1'] + 1, 'arch_patch_size')
        print(opt['l1'], 'arch1_num_layers')
        print(opt['fm'], 'arch1_num_feature_maps')
        print(opt['ks'], 'arch1_kernel_size')
        print(opt['l2'], 'arch2_num_layers')
        print(opt['nh2'], 'arch2_num_units_2')
        print(opt['false1'], 'dataset_neg_low')
        print(opt['false2'], 'dataset_neg_high')
        print(opt['true1'], 'dataset_pos_low')
        print(opt['tau1'], 'cbca_intensity')
        print(opt['L1'], 'cbca_distance')
        print(opt['cbca_i1'], 'cbca_num_iterations_1')
        print(opt['cbca_i2'], 'cbca_num_iterations_2')
        print(opt['pi1'], 'sgm_P1')
        print(opt['pi1'] * opt['pi2'], 'sgm_P2')
        print(opt['sgm_q1'], 'sgm_Q1')
        print(opt['sgm_q1'] * opt['sgm_q2'], 'sgm_Q2')
        print(opt['alpha1'], 'sgm_V')
        print(opt['tau_so'], 'sgm_intensity')
        print(opt['blur_sigma'], 'blur_sigma')
        print(opt['blur_t'], 'blur_threshold')
        return

    cudnn.benchmark = True

    lg.manualSeed(opt['seed'])
    cutorch.manualSeed(opt['seed'])
    cutorch.setDevice(int(opt['gpu']) - 1)

    cmd_str = dataset + '_' + arch
    for i in range(len(arg)):
        cmd_str = cmd_str + '_' + arg[i]

    def isnan(n):
        return str(n) == str(math.nan)

    def fromfile(fname):
        file = open(fname + '.dim')
        dim = []
        for line in file:
            dim.append(int(line))
        if len(dim) == 1 and dim[0] == 0:
            return lg.Tensor()

        file = open(fname + '.type')
        type = file.read()

        if type == 'float32':
            x = lg.FloatTensor(lg.FloatStorage(fname))
        elif type == 'int32':
            x = lg.IntTensor(lg.IntStorage(fname))
        elif type == 'int64':
            x = lg.LongTensor(lg.LongStorage(fname))
        else:
            print(fname, type)
            assert False

        x = x.reshape(lg.LongStorage(dim))
        return x

    def get_window_size(net):
        nonlocal ws
        ws = 1
        for i in range(len(net.modules)):
            module = net.get(i)
            if lg.typename(module) == 'cudnn.SpatialConvolution':
                ws = ws + module.kW - 1
        return ws

    ws = None
    # load training data
    if dataset == 'kitti' or dataset == 'kitti2015':
        height = 350
        width = 1242
        disp_max = 228
        n_te = 195 if dataset == 'kitti' else 200
        n_input_plane = 1
        err_at = 3

        if opt['a'] == 'train_tr' or opt['a'] == 'train_all' or opt['a'] == 'test_te' or opt['a'] == 'test_all' \
                or opt['a'] == 'submit':
            if opt['at'] == 1:
                def load(fname):
                    X_12 = fromfile('data.kitti/' + fname)
                    X_15 = fromfile('data.kitti2015/' + fname)
                    X = lg.cat(X_12[0:194], X_15[0:200], 0)
                    X = lg.cat(X, X_12[194:389] if dataset == 'kitti' else X_15[199:400], 0)
                    return X
                X0 = load('x0.bin')
                X1 = load('x1.bin')
                metadata = load('metadata.bin')

                dispnoc = lg.cat(fromfile('data.kitti/dispnoc.bin'), fromfile('data.kitti2015/dispnoc.bin'), 0)
                tr = lg.cat(fromfile('data.kitti/tr.bin'), fromfile('data.kitti2015/tr.bin').add(194))
                te = fromfile('data.kitti/te.bin') if dataset == 'kitti' else \
                    fromfile('data.kitti2015/te.bin').add(194)

                def load_nnz(fname):
                    X_12 = fromfile('data.kitti/' + fname)
                    X_15 = fromfile('data.kitti2015/' + fname)
                    X_15[:, 0].add(194)
                    return lg.cat(X_12, X_15, 0)
                nnz_tr = load_nnz('nnz_tr.bin')
                nnz_te = load_nnz('nnz_te.bin')
            elif dataset == 'kitti':
                X0 = fromfile('data.kitti/x0.bin')
                X1 = fromfile('data.kitti/x1.bin')
                dispnoc = fromfile('data.kitti/dispnoc.bin')
                metadata = fromfile('data.kitti/metadata.bin')
                tr = fromfile('data.kitti/tr.bin')
                te = fromfile('data.kitti/te.bin')
                nnz_tr = fromfile('data.kitti/nnz_tr.bin')
                nnz_te = fromfile('data.kitti/nnz_te.bin')
            elif dataset == 'kitti2015':
                X0 = fromfile('data.kitti2015/x0.bin')
                X1 = fromfile('data.kitti2015/x1.bin')
                dispnoc = fromfile('data.kitti2015/dispnoc.bin')
                metadata = fromfile('data.kitti2015/metadata.bin')
                tr = fromfile('data.kitti2015/tr.bin')
                te = fromfile('data.kitti2015/te.bin')
                nnz_tr = fromfile('data.kitti2015/nnz_tr.bin')
                nnz_te = fromfile('data.kitti2015/nnz_te.bin')
    elif dataset == 'mb':
        if opt['color'] == 'rgb':
            n_input_plane = 3
        else:
            n_input_plane = 1
        err_at = 1

        if opt['a'] == 'train_tr' or opt['a'] == 'train_all' or opt['a'] == 'test_te' or opt['a'] == 'test_all' \
                or opt['a'] == 'submit':
            data_dir = 'data.mb.%s_%s' % (opt['rect'], opt['color'])
            te = fromfile('%s/te.bin' % data_dir)
            metadata = fromfile('%s/meta.bin' % data_dir)
            nnz_tr = fromfile('%s/nnz_tr.bin' % data_dir)
            nnz_te = fromfile('%s/nnz_te.bin' % data_dir)
            fname_submit = []
            for line in open('%s/fname_submit.txt' % data_dir, 'r'):
                fname_submit.append(line.rstrip('\n'))
            X = []
            dispnoc = []
            height = 1500
            width = 1000
            for n in range(metadata.size(0)):
                XX = []
                light = 0
                while True:
                    fname = '%s/x_%d_%d.bin' % (data_dir, n + 1, light + 1)  # preprocess_mb.py's names count from 1
                    if not os.path.isfile(fname):
                        break
                    XX.append(fromfile(fname))
                    light = light + 1
                    if opt['a'] == 'test_te' or opt['a'] == 'submit':
                        break  # we don't need to load training data
                X.append(XX)

                fname = '%s/dispnoc%d.bin' % (data_dir, n + 1)
                if os.path.isfile(fname):
                    dispnoc.append(fromfile(fname))

    def gaussian(sigma):
        kr = math.ceil(sigma * 3)
        ks = kr * 2 + 1
        k = lg.Tensor(ks, ks)
        for i in range(ks):
            for j in range(ks):
                y = i - kr
                x = j - kr
                k[i, j] = math.exp(-(x * x + y * y) / (2 * sigma * sigma))
        return k

    def print_net(net):
        t = lg.typename(net)
        if t == 'cudnn.SpatialConvolution':
            print('conv(in=%d, out=%d, k=%d)' % (net.nInputPlane, net.nOutputPlane, net.kW))
        elif t == 'nn.SpatialConvolutionMM_dsparse':
            print('conv_dsparse(in=%d, out=%d, k=%d, s=%d)' % (net.nInputPlane, net.nOutputPlane, net.kW, net.sW))
        elif t == 'cudnn.SpatialMaxPooling':
            print('max_pool(k=%d, d=%d)' % (net.kW, net.dW))
        elif t == 'nn.StereoJoin':
            print('StereoJoin(%d)' % net.disp_max)
        elif t == 'nn.Margin2':
            print('Margin2(margin=%f, pow=%d)' % (opt['m'], opt['pow']))
        elif t == 'nn.GHCriterion':
            print('GHCriterion(m_pos=%f, m_neg=%f, pow=%d)' % (opt['m_pos'], opt['m_neg'], opt['pow']))
        elif t == 'nn.Sequential':
            for i in range(len(net.modules)):
                print_net(net.modules[i])
        else:
            print(net)

    def clean_net(net):
        net.output = lg.CudaTensor()
        net.gradInput = None
        net.weight_v = None
        net.bias_v = None
        net.gradWeight = None
        net.gradBias = None
        net.iDesc = None
        net.oDesc = None
        net.finput = lg.CudaTensor()
        net.fgradInput = lg.CudaTensor()
        net.tmp_in = lg.CudaTensor()
        net.tmp_out = lg.CudaTensor()
        if getattr(net, 'modules', None) is not None:
            for module in net.modules:
                clean_net(module)
        return net

    def save_net(epoch):
        if arch == 'slow':
            obj = [clean_net(net_te), clean_net(net_te2), opt]
        elif arch == 'fast':
            obj = [clean_net(net_te), opt]
        if epoch == 0:
            fname = 'net/net_%s.t7' % cmd_str
        else:
            fname = 'net/net_%s_%d.t7' % (cmd_str, epoch)
        lg.save(fname, obj, 'ascii')
        return fname

    if opt['a'] == 'train_tr' or opt['a'] == 'train_all' or opt['a'] == 'time':
        def mul32(a, b):
            return [a[0] * b[0] + a[1] * b[3], a[0] * b[1] + a[1] * b[4], a[0] * b[2] + a[1] * b[5] + a[2],
                    a[3] * b[0] + a[4] * b[3], a[3] * b[1] + a[4] * b[4], a[3] * b[2] + a[4] * b[5] + a[5]]

        def make_patch(src, dst, dim3, dim4, scale, phi, trans, hshear, brightness, contrast):
            m = [1, 0, -dim4, 0, 1, -dim3]
            m = mul32([1, 0, trans[0], 0, 1, trans[1]], m)  # translate
            m = mul32([scale[0], 0, 0, 0, scale[1], 0], m)  # scale
            c = math.cos(phi)
            s = math.sin(phi)
            m = mul32([c, s, 0, -s, c, 0], m)  # rotate
            m = mul32([1, hshear, 0, 0, 1, 0], m)  # shear
            m = mul32([1, 0, (ws - 1) / 2, 0, 1, (ws - 1) / 2], m)
            m = lg.FloatTensor(m)
            cv.warp_affine(src, dst, m)
            dst.mul(contrast).add(brightness)

        # subset training dataset
        if opt['subset'] < 1:
            raise NotImplementedError('-subset needs adcensus.subset_dataset, which the port leaves out')

        if opt['a'] == 'train_all':
            nnz = lg.cat(nnz_tr, nnz_te, 0)
        elif opt['a'] == 'train_tr' or opt['a'] == 'time':
            nnz = nnz_tr

        if opt['a'] != 'time':
            perm = lg.randperm(nnz.size(0))

        fm = lg.totable(lg.linspace(opt['fm'], opt['fm'], opt['l1']).int())

        # network for training
        if arch == 'slow':
            net_tr = nn.Sequential()
            for i in range(len(fm)):
                net_tr.add(cudnn.SpatialConvolution(n_input_plane if i == 0 else fm[i - 1], fm[i], opt['ks'],
                                                    opt['ks']))
                net_tr.add(cudnn.ReLU(True))
            net_tr.add(nn.Reshape(opt['bs'], 2 * fm[len(fm) - 1]))
            for i in range(opt['l2']):
                net_tr.add(nn.Linear(2 * fm[len(fm) - 1] if i == 0 else opt['nh2'], opt['nh2']))
                net_tr.add(cudnn.ReLU(True))
            net_tr.add(nn.Linear(opt['nh2'], 1))
            net_tr.add(cudnn.Sigmoid(False))
            net_tr.cuda()
            criterion = BCECriterion2().cuda()

            # network for testing (make sure it's synched with net_tr)
            pad = (opt['ks'] - 1) // 2
            net_te = nn.Sequential()
            for i in range(len(fm)):
                net_te.add(cudnn.SpatialConvolution(n_input_plane if i == 0 else fm[i - 1], fm[i], opt['ks'],
                                                    opt['ks'], 1, 1, pad, pad))
                net_te.add(cudnn.ReLU(True))
            net_te.cuda()

            net_te2 = nn.Sequential()
            for i in range(opt['l2']):
                net_te2.add(SpatialConvolution1_fw(2 * fm[len(fm) - 1] if i == 0 else opt['nh2'], opt['nh2']))
                net_te2.add(cudnn.ReLU(True))
            net_te2.add(SpatialConvolution1_fw(opt['nh2'], 1))
            net_te2.add(cudnn.Sigmoid(True))
            net_te2.cuda()

            # tie weights
            net_te_all = []
            for v in net_te.modules:
                net_te_all.append(v)
            for v in net_te2.modules:
                net_te_all.append(v)

            finput = lg.CudaTensor()
            i_tr = 0
            i_te = 0
            while i_tr < net_tr.size():
                module_tr = net_tr.get(i_tr)
                module_te = net_te_all[i_te]

                skip = {'nn.Reshape': 1, 'nn.Dropout': 1}
                while lg.typename(module_tr) in skip:
                    i_tr = i_tr + 1
                    module_tr = net_tr.get(i_tr)

                if module_tr.weight is not None:
                    # print(('tie weights of %s and %s'):format(torch.typename(module_te), torch.typename(module_tr)))
                    assert module_te.weight.nElement() == module_tr.weight.nElement()
                    assert module_te.bias.nElement() == module_tr.bias.nElement()
                    module_te.weight = lg.CudaTensor(module_tr.weight.storage(), 0, module_te.weight.size())
                    module_te.bias = lg.CudaTensor(module_tr.bias.storage(), 0, module_te.bias.size())

                i_tr = i_tr + 1
                i_te = i_te + 1
        elif arch == 'fast':
            net_tr = nn.Sequential()
            for i in range(len(fm)):
                net_tr.add(cudnn.SpatialConvolution(n_input_plane if i == 0 else fm[i - 1], fm[i], opt['ks'],
                                                    opt['ks']))
                if i < len(fm) - 1:
                    net_tr.add(cudnn.ReLU(True))
            net_tr.add(Normalize2())
            net_tr.add(StereoJoin1())
            net_tr.cuda()

            net_te = net_tr.clone('weight', 'bias')
            net_te.modules[len(net_te.modules) - 1] = StereoJoin(1).cuda()
            for i in range(len(net_te.modules)):
                m = net_te.get(i)
                if lg.typename(m) == 'cudnn.SpatialConvolution':
                    m.padW = 1
                    m.padH = 1

            criterion = Margin2(opt['m'], opt['pow']).cuda()

        print_net(net_tr)

        params = []
        grads = []
        momentums = []
        for i in range(net_tr.size()):
            m = net_tr.get(i)
            if m.weight is not None:
                m.weight_v = lg.CudaTensor(m.weight.size()).zero()
                params.append(m.weight)
                grads.append(m.gradWeight)
                momentums.append(m.weight_v)
            if m.bias is not None:
                m.bias_v = lg.CudaTensor(m.bias.size()).zero()
                params.append(m.bias)
                grads.append(m.gradBias)
                momentums.append(m.bias_v)

        ws = get_window_size(net_tr)
        x_batch_tr = lg.CudaTensor(opt['bs'] * 2, n_input_plane, ws, ws)
        y_batch_tr = lg.CudaTensor(opt['bs'])
        x_batch_tr_ = lg.FloatTensor(x_batch_tr.size())
        y_batch_tr_ = lg.FloatTensor(y_batch_tr.size())

        time = sys.clock()
        for epoch in range(1, 15):
            if opt['a'] == 'time':
                break
            if epoch == 12:
                opt['lr'] = opt['lr'] / 10

            err_tr = 0
            err_tr_cnt = 0
            for t in range(0, nnz.size(0) - opt['bs'] // 2, opt['bs'] // 2):
                for i in range(opt['bs'] // 2):
                    d_pos = lg.uniform(-opt['true1'], opt['true1'])
                    d_neg = lg.uniform(opt['false1'], opt['false2'])
                    if lg.uniform() < 0.5:
                        d_neg = -d_neg

                    assert opt['hscale'] <= 1 and opt['scale'] <= 1
                    s = lg.uniform(opt['scale'], 1)
                    scale = [s * lg.uniform(opt['hscale'], 1), s]
                    if opt['hflip'] == 1 and lg.uniform() < 0.5:
                        scale[0] = -scale[0]
                    if opt['vflip'] == 1 and lg.uniform() < 0.5:
                        scale[1] = -scale[1]
                    hshear = lg.uniform(-opt['hshear'], opt['hshear'])
                    trans = [lg.uniform(-opt['trans'], opt['trans']), lg.uniform(-opt['trans'], opt['trans'])]
                    phi = lg.uniform(-opt['rotate'] * math.pi / 180, opt['rotate'] * math.pi / 180)
                    brightness = lg.uniform(-opt['brightness'], opt['brightness'])
                    assert opt['contrast'] >= 1 and opt['d_contrast'] >= 1
                    contrast = lg.uniform(1 / opt['contrast'], opt['contrast'])

                    scale_ = [scale[0] * lg.uniform(opt['d_hscale'], 1), scale[1]]
                    hshear_ = hshear + lg.uniform(-opt['d_hshear'], opt['d_hshear'])
                    trans_ = [trans[0], trans[1] + lg.uniform(-opt['d_vtrans'], opt['d_vtrans'])]
                    phi_ = phi + lg.uniform(-opt['d_rotate'] * math.pi / 180, opt['d_rotate'] * math.pi / 180)
                    brightness_ = brightness + lg.uniform(-opt['d_brightness'], opt['d_brightness'])
                    contrast_ = contrast * lg.uniform(1 / opt['d_contrast'], opt['d_contrast'])

                    ind = perm[t + i]
                    img = nnz[ind, 0]
                    dim3 = nnz[ind, 1]
                    dim4 = nnz[ind, 2]
                    d = nnz[ind, 3]
                    if dataset == 'kitti' or dataset == 'kitti2015':
                        x0 = X0[img]
                        x1 = X1[img]
                    elif dataset == 'mb':
                        img = int(img)  # a Lua table's key 2.0 is 2; a Python list takes an int only
                        light = (lg.random() % (len(X[img]) - 1)) + 1
                        exp = (lg.random() % X[img][light].size(0))
                        light_ = light
                        exp_ = exp
                        if lg.uniform() < opt['d_exp']:
                            exp_ = (lg.random() % X[img][light].size(0))
                        if lg.uniform() < opt['d_light']:
                            light_ = max(1, light - 1)
                        x0 = X[img][light][exp, 0]
                        x1 = X[img][light_][exp_, 1]

                    make_patch(x0, x_batch_tr_[i * 4 + 0], dim3, dim4, scale, phi, trans, hshear, brightness,
                               contrast)
                    make_patch(x1, x_batch_tr_[i * 4 + 1], dim3, dim4 - d + d_pos, scale_, phi_, trans_, hshear_,
                               brightness_, contrast_)
                    make_patch(x0, x_batch_tr_[i * 4 + 2], dim3, dim4, scale, phi, trans, hshear, brightness,
                               contrast)
                    make_patch(x1, x_batch_tr_[i * 4 + 3], dim3, dim4 - d + d_neg, scale_, phi_, trans_, hshear_,
                               brightness_, contrast_)

                    y_batch_tr_[i * 2 + 0] = 0
                    y_batch_tr_[i * 2 + 1] = 1

                x_batch_tr.copy(x_batch_tr_)
                y_batch_tr.copy(y_batch_tr_)

                for i in range(len(params)):
                    grads[i].zero()

                net_tr.forward(x_batch_tr)
                err = criterion.forward(net_tr.output, y_batch_tr)
                if err >= 0 and err < 100:
                    err_tr = err_tr + err
                    err_tr_cnt = err_tr_cnt + 1
                else:
                    print('WARNING! err=%f' % err)

                criterion.backward(net_tr.output, y_batch_tr)
                net_tr.backward(x_batch_tr, criterion.gradInput)

                for i in range(len(params)):
                    momentums[i].mul(opt['mom']).add(-opt['lr'], grads[i])
                    params[i].add(momentums[i])

            if opt['debug']:
                save_net(epoch)
            print(epoch, err_tr / err_tr_cnt, opt['lr'], sys.clock() - time)
        opt['net_fname'] = save_net(0)
        if opt['a'] == 'train_tr':
            opt['a'] = 'test_te'
        elif opt['a'] == 'train_all':
            opt['a'] = 'submit'

    if not opt['use_cache']:
        if arch == 'slow':
            net = lg.load(opt['net_fname'], 'ascii')
            net_te = net[0]
            net_te2 = net[1]
        elif arch == 'fast':
            net_te = lg.load(opt['net_fname'], 'ascii')[0]
            net_te.modules.pop()
            net_te2 = StereoJoin(1).cuda()

    x_batch_te1 = lg.CudaTensor()
    x_batch_te2 = lg.CudaTensor()

    def forward_free(net, input):
        currentOutput = input
        for i in range(len(net.modules)):
            net.modules[i].oDesc = None
            nextOutput = net.modules[i].updateOutput(currentOutput)
            if currentOutput.storage() != nextOutput.storage():
                currentOutput.storage().resize(1)
                currentOutput.resize(0)
            currentOutput = nextOutput
        net.output = currentOutput
        return currentOutput

    def fix_border(net, vol, direction):
        n = (get_window_size(net) - 1) // 2
        for i in range(1, n + 1):
            # Lua's column direction * i: the i-th from the left (1) or from the right (-1)
            vol[:, :, :, i - 1 if direction == 1 else -i].copy(vol[:, :, :, n if direction == 1 else -(n + 1)])

    def stereo_predict(x_batch, id):
        nonlocal sm_active

        if arch == 'ad':
            vols = lg.CudaTensor(2, disp_max, x_batch.size(2), x_batch.size(3)).fill(math.nan)
            adcensus.ad(x_batch[0:1], x_batch[1:2], vols[0:1], -1)
            adcensus.ad(x_batch[1:2], x_batch[0:1], vols[1:2], 1)

        if arch == 'census':
            vols = lg.CudaTensor(2, disp_max, x_batch.size(2), x_batch.size(3)).fill(math.nan)
            adcensus.census(x_batch[0:1], x_batch[1:2], vols[0:1], -1)
            adcensus.census(x_batch[1:2], x_batch[0:1], vols[1:2], 1)

        if arch == 'fast':
            forward_free(net_te, x_batch.clone())
            vols = lg.CudaTensor(2, disp_max, x_batch.size(2), x_batch.size(3)).fill(math.nan)
            adcensus.StereoJoin(net_te.output[0:1], net_te.output[1:2], vols[0:1], vols[1:2])
            fix_border(net_te, vols[0:1], -1)
            fix_border(net_te, vols[1:2], 1)
            clean_net(net_te)

        disp = {}
        mb_directions = [1, -1] if opt['a'] == 'predict' else [-1]
        for direction in (mb_directions if dataset == 'mb' else [1, -1]):
            sm_active = True

            if arch == 'slow':
                if opt['use_cache']:
                    vol = lg.load('cache/%s_%d.t7' % (id, direction))
                else:
                    output = forward_free(net_te, x_batch.clone())
                    clean_net(net_te)

                    vol = lg.CudaTensor(1, disp_max, output.size(2), output.size(3)).fill(math.nan)
                    for d in range(1, disp_max + 1):
                        l = output[0:1, :, :, d - 1:]
                        r = output[1:2, :, :, :output.size(3) - d + 1]
                        x_batch_te2.resize(2, r.size(1), r.size(2), r.size(3))
                        x_batch_te2[0].copy(l)
                        x_batch_te2[1].copy(r)
                        x_batch_te2.resize(1, 2 * r.size(1), r.size(2), r.size(3))
                        forward_free(net_te2, x_batch_te2)
                        cols = slice(d - 1, None) if direction == -1 else slice(0, vol.size(3) - d + 1)
                        vol[0, d - 1, :, cols].copy(net_te2.output[0, 0])
                    clean_net(net_te2)
                    fix_border(net_te, vol, direction)
                    if opt['make_cache']:
                        lg.save('cache/%s_%d.t7' % (id, direction), vol)
            elif arch == 'fast' or arch == 'ad' or arch == 'census':
                vol = vols[0:1] if direction == -1 else vols[1:2]
            sm_active = sm_active and (opt['sm_terminate'] != 'cnn')

            # cross computation
            if sm_active and opt['sm_skip'] != 'cbca':
                x0c = lg.CudaTensor(1, 4, vol.size(2), vol.size(3))
                x1c = lg.CudaTensor(1, 4, vol.size(2), vol.size(3))
                adcensus.cross(x_batch[0], x0c, opt['L1'], opt['tau1'])
                adcensus.cross(x_batch[1], x1c, opt['L1'], opt['tau1'])
                tmp_cbca = lg.CudaTensor(1, disp_max, vol.size(2), vol.size(3))
                for i in range(opt['cbca_i1']):
                    adcensus.cbca(x0c, x1c, vol, tmp_cbca, direction)
                    vol.copy(tmp_cbca)
                tmp_cbca = None
            sm_active = sm_active and (opt['sm_terminate'] != 'cbca1')

            if sm_active and opt['sm_skip'] != 'sgm':
                vol = vol.transpose(1, 2).transpose(2, 3).clone()
                out = lg.CudaTensor(1, vol.size(1), vol.size(2), vol.size(3))
                tmp = lg.CudaTensor(vol.size(2), vol.size(3))
                for _ in range(opt['sgm_i']):
                    out.zero()
                    adcensus.sgm2(x_batch[0], x_batch[1], vol, out, tmp, opt['pi1'], opt['pi2'], opt['tau_so'],
                                  opt['alpha1'], opt['sgm_q1'], opt['sgm_q2'], direction)
                    vol.copy(out).div(4)
                vol.resize(1, disp_max, x_batch.size(2), x_batch.size(3))
                vol.copy(out.transpose(2, 3).transpose(1, 2)).div(4)
            sm_active = sm_active and (opt['sm_terminate'] != 'sgm')

            if sm_active and opt['sm_skip'] != 'cbca':
                tmp_cbca = lg.CudaTensor(1, disp_max, vol.size(2), vol.size(3))
                for i in range(opt['cbca_i2']):
                    adcensus.cbca(x0c, x1c, vol, tmp_cbca, direction)
                    vol.copy(tmp_cbca)
            sm_active = sm_active and (opt['sm_terminate'] != 'cbca2')

            if opt['a'] == 'predict':
                fname = 'left' if direction == -1 else 'right'
                print('Writing %s.bin, %d x %d x %d x %d' % (fname, vol.size(0), vol.size(1), vol.size(2),
                                                              vol.size(3)))
                lg.DiskFile('%s.bin' % fname, 'w').binary().writeFloat(vol.float().storage())

            # cutorch's min skips the NaN of the pixels with no match (docs/porting.md)
            _, d = lg.min(vol.clone().maskedFill(vol.ne(vol), math.inf), 1)
            disp[0 if direction == 1 else 1] = d.cuda()

        if dataset == 'kitti' or dataset == 'kitti2015':
            outlier = lg.CudaTensor().resizeAs(disp[1]).zero()
            adcensus.outlier_detection(disp[1], disp[0], outlier, disp_max)
            if sm_active and opt['sm_skip'] != 'occlusion':
                disp[1] = adcensus.interpolate_occlusion(disp[1], outlier)
            sm_active = sm_active and (opt['sm_terminate'] != 'occlusion')

            if sm_active and opt['sm_skip'] != 'occlusion':
                disp[1] = adcensus.interpolate_mismatch(disp[1], outlier)
            sm_active = sm_active and (opt['sm_terminate'] != 'mismatch')
        if sm_active and opt['sm_skip'] != 'subpixel_enchancement':
            disp[1] = adcensus.subpixel_enchancement(disp[1], vol, disp_max)
        sm_active = sm_active and (opt['sm_terminate'] != 'subpixel_enchancement')

        if sm_active and opt['sm_skip'] != 'median':
            disp[1] = adcensus.median2d(disp[1], 5)
        sm_active = sm_active and (opt['sm_terminate'] != 'median')

        if sm_active and opt['sm_skip'] != 'bilateral':
            disp[1] = adcensus.mean2d(disp[1], gaussian(opt['blur_sigma']).cuda(), opt['blur_t'])

        return disp[1]

    sm_active = None
    if opt['a'] == 'predict':
        x0 = image.load(opt['left'], None, 'byte').float()
        x1 = image.load(opt['right'], None, 'byte').float()

        if x0.size(0) == 3:
            assert x1.size(0) == 3
            x0 = image.rgb2y(x0)
            x1 = image.rgb2y(x1)
        disp_max = int(opt['disp_max'])

        x0.add(-x0.mean()).div(x0.std())
        x1.add(-x1.mean()).div(x1.std())

        x_batch = lg.CudaTensor(2, 1, x0.size(1), x0.size(2))
        x_batch[0].copy(x0)
        x_batch[1].copy(x1)
        disp = stereo_predict(x_batch, 0)
        print('Writing disp.bin, %d x %d x %d x %d' % (disp.size(0), disp.size(1), disp.size(2), disp.size(3)))
        lg.DiskFile('disp.bin', 'w').binary().writeFloat(disp.float().storage())
        return

    if opt['a'] == 'submit':
        raise NotImplementedError("-a submit writes PNG16/PFM files through adcensus, which the port leaves out")
    elif opt['a'] == 'test_te':
        if dataset == 'kitti' or dataset == 'kitti2015':
            examples = lg.totable(te)
        elif dataset == 'mb':
            examples = []
            for i in range(te.nElement()):
                examples.append([te[i], 1])
            examples.append([4, 2])
            examples.append([4, 3])
    elif opt['a'] == 'test_all':
        if dataset == 'kitti' or dataset == 'kitti2015':
            examples = lg.totable(lg.cat(tr, te))
        elif dataset == 'mb':
            assert False, 'test_all not supported on Middlebury.'

    if opt['a'] == 'time':
        if opt['tiny']:
            x_batch = lg.CudaTensor(2, 1, 240, 320)
            disp_max = 32
        elif dataset == 'kitti':
            x_batch = lg.CudaTensor(2, 1, 350, 1242)
            disp_max = 228
        elif dataset == 'mb':
            x_batch = lg.CudaTensor(2, 1, 1000, 1500)
            disp_max = 200

        N = 30 if arch == 'fast' else 3
        runtime_min = math.inf
        for _ in range(N):
            cutorch.synchronize()
            sys.tic()

            stereo_predict(x_batch, id)

            cutorch.synchronize()
            runtime = sys.toc()
            if runtime < runtime_min:
                runtime_min = runtime
        print(runtime_min)

        return

    err_sum = 0
    x_batch = lg.CudaTensor(2, 1, height, width)
    pred_good = lg.CudaTensor()
    pred_bad = lg.CudaTensor()
    for i in examples:
        if dataset == 'kitti' or dataset == 'kitti2015':
            img_height = metadata[i, 0]
            img_width = metadata[i, 1]
            id = metadata[i, 2]
            x0 = X0[i:i + 1, :, :, 0:img_width]
            x1 = X1[i:i + 1, :, :, 0:img_width]
        elif dataset == 'mb':
            i, right = i
            id = '%d_%d' % (i, right)
            disp_max = metadata[i, 2]
            x0 = X[i][0][0:1]
            x1 = X[i][0][right:right + 1]

        x_batch.resize(2, 1, x0.size(2), x0.size(3))
        x_batch[0].copy(x0)
        x_batch[1].copy(x1)

        cutorch.synchronize()
        sys.tic()
        pred = stereo_predict(x_batch, id)
        cutorch.synchronize()
        runtime = sys.toc()

        assert not isnan(pred.sum())
        if dataset == 'kitti' or dataset == 'kitti2015':
            actual = dispnoc[i, :, :, 0:img_width].cuda()
        elif dataset == 'mb':
            actual = dispnoc[i].cuda()
        pred_good.resizeAs(actual)
        pred_bad.resizeAs(actual)
        mask = lg.CudaTensor().resizeAs(actual).ne(actual, 0)
        actual.add(-1, pred).abs()
        pred_bad.gt(actual, err_at).cmul(mask)
        pred_good.le(actual, err_at).cmul(mask)
        err = pred_bad.sum() / mask.sum()
        err_sum = err_sum + err
        print(runtime, err)

    print(err_sum / len(examples))
