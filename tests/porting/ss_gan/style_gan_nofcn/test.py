"""style-gan-nofcn/test.lua: loads ``../ssgan_models/Style_GAN_nofcn.net``, moves its G to the GPU (``:cuda()``,
so the script runs on a GPU only), runs donkey.lua here for its ``trainLoader`` and writes, for 10 batches of 10
listed images, G's image drawn on each normal map, the map and the photo as JPEGs to ``../results/test_style_gan/``.
``main(nbatches)``: the Lua's ``for i = 1,10`` loop runs ``nbatches`` times (10 by default);
``trainLoader:get(beg + 1, beg + N)`` is ``get(beg, beg + N - 1)`` (0-based, both ends included). The globals are
``threads.local``'s; returns that namespace."""
import os

import legonn as lg
from legonn import cutorch, image, paths, threads, xlua
from legonn.pl import lapp

from .donkey import donkey


def main(nbatches=10):
    G = threads.local
    xlua.require('torch')
    xlua.require('nngraph')
    xlua.require('cunn')
    xlua.require('optim')
    xlua.require('image')
    # require 'datasets.scaled_3d_test'
    xlua.require('pl')
    xlua.require('paths')

    try:
        disp = xlua.require('display')
        ok = True
    except ImportError:
        ok = False
    if not ok:
        print('display not found. unable to plot')

    G.opt = opt = lapp("""
  -s,--save          (default "logs")      subdirectory to save logs
  --saveFreq         (default 10)          save every saveFreq epochs
  -n,--network       (default "")          reload pretrained network
  -p,--plot                                plot while training
  -r,--learningRate  (default 0.02)        learning rate
  -b,--batchSize     (default 10)         batch size
  -m,--momentum      (default 0)           momentum, for SGD only
  --coefL1           (default 0)           L1 penalty on the weights
  --coefL2           (default 0)           L2 penalty on the weights
  -t,--threads       (default 4)           number of threads
  -g,--gpu           (default 0)           gpu to run on (default cpu)
  -d,--noiseDim      (default 100)         dimensionality of noise vector
  --K                (default 1)           number of iterations to optimize D for
  -w, --window       (default 3)           windsow id of sample image
  --scale            (default 128)          scale of images to train on
  --high             (default 1)           high resolution
""")

    if opt['gpu'] < 0 or opt['gpu'] > 8:
        opt['gpu'] = False
    print(opt)

    # fix seed
    lg.manualSeed(lg.random(1, 10001))

    # threads
    lg.setnumthreads(opt['threads'])
    print('<torch> set nb of threads to ' + str(lg.getnumthreads()))

    if opt['gpu'] is not False:          # Lua's `if opt.gpu then`: a number, 0 included, is true
        cutorch.setDevice(opt['gpu'])    # the Lua's opt.gpu + 1, a 1-based device
        print('<gpu> using device ' + str(opt['gpu']))
        tensortype = 'torch.CudaTensor'  # torch.setdefaulttensortype('torch.CudaTensor'): named where used
    else:
        tensortype = 'torch.FloatTensor'
    lg.setdefaulttensortype('torch.FloatTensor')

    model = lg.load('../ssgan_models/Style_GAN_nofcn.net')
    G.model_G = model['G']
    G.model_G = G.model_G.cuda()

    opt['noiseDim'] = [100, 1, 1]
    opt['geometry'] = [3, opt['scale'], opt['scale']]
    opt['condDim'] = [3, opt['scale'], opt['scale']]
    opt['div_num'] = 127.5
    opt['loadSize'] = opt['scale']

    donkey()

    # Get examples to plot
    def getSamples(dataset, N=None, beg=0):

        resultpath = '../results/test_style_gan/'
        os.system('mkdir -p ' + resultpath)
        N = N or 8
        noise_inputs = lg.Tensor(N, opt['noiseDim'][0], opt['noiseDim'][1], opt['noiseDim'][2]).type(tensortype)
        cond_inputs = lg.Tensor(N, opt['condDim'][0], opt['condDim'][1], opt['condDim'][2]).type(tensortype)
        gt_inputs = lg.Tensor(N, opt['condDim'][0], opt['condDim'][1], opt['condDim'][2]).type(tensortype)

        # Generate samples
        noise_inputs.uniform(-1, 1)
        G.batch_data = G.makeData(*G.trainLoader.get(beg, beg + N - 1))

        gt_inputs.copy(G.batch_data[0])
        cond_inputs.copy(G.batch_data[2])

        samples = G.model_G.forward([noise_inputs.cuda(), cond_inputs.cuda()])

        for i in range(N):

            G.output_name = paths.concat(resultpath, '%04d_pred.jpg' % (i + 1 + beg))
            G.norm_name = paths.concat(resultpath, '%04d_norm.jpg' % (i + 1 + beg))
            G.gt_name = paths.concat(resultpath, '%04d_ori.jpg' % (i + 1 + beg))

            samples[i] = (samples[i] + 1) * opt['div_num']
            cond_inputs[i] = (cond_inputs[i] + 1) * opt['div_num']
            gt_inputs[i] = (gt_inputs[i] + 1) * opt['div_num']

            G.output_img = samples[i].clone()
            G.norm_img = cond_inputs[i].clone()
            G.gt_img = gt_inputs[i].clone()

            G.output_img = G.output_img.byte().clone()
            G.norm_img = G.norm_img.byte().clone()
            G.gt_img = G.gt_img.byte().clone()

            image.save(G.output_name, G.output_img)
            image.save(G.norm_name, G.norm_img)
            image.save(G.gt_name, G.gt_img)
        G.samples = samples             # a local of getSamples; kept for the checks
    G.getSamples = getSamples

    for i in range(nbatches):
        getSamples(getattr(G, 'trainData', None), 10, i * 10)
    return G
