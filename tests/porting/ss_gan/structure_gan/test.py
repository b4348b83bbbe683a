"""structure-gan/test.lua: loads ``../ssgan_models/Structure_GAN.net``, moves its G to the GPU (``:cuda()``, so
the script runs on a GPU only) and writes 10 batches of 10 sampled normal maps as JPEGs to
``../results/test_structure_gan/``. ``main(nbatches)``: the Lua's ``for i = 1,10`` loop runs ``nbatches`` times
(10 by default). The globals are ``threads.local``'s; returns that namespace."""
import os

import legonn as lg
from legonn import cutorch, image, paths, threads, xlua
from legonn.pl import lapp


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
  -b,--batchSize     (default 100)         batch size
  -m,--momentum      (default 0)           momentum, for SGD only
  --coefL1           (default 0)           L1 penalty on the weights
  --coefL2           (default 0)           L2 penalty on the weights
  -t,--threads       (default 4)           number of threads
  -g,--gpu           (default 0)           gpu to run on (default cpu)
  -d,--noiseDim      (default 100)         dimensionality of noise vector
  --K                (default 1)           number of iterations to optimize D for
  -w, --window       (default 3)           windsow id of sample image
  --hidden_G         (default 8000)        number of units in hidden layers of G
  --hidden_D         (default 1600)        number of units in hidden layers of D
  --scale            (default 72)          scale of images to train on
""")

    if opt['gpu'] < 0 or opt['gpu'] > 8:
        opt['gpu'] = False
    print(opt)

    # fix seed
    lg.manualSeed(lg.random(1, 10001))

    # lg.manualSeed(1)

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

    model = lg.load('../ssgan_models/Structure_GAN.net')
    G.model_G = model['G']
    G.model_G = G.model_G.cuda()

    opt['noiseDim'] = [100, 1, 1]

    opt['div_num'] = 127.5

    # Get examples to plot
    def getSamples(dataset, N=None, beg=0):

        resultpath = '../results/test_structure_gan/'
        os.system('mkdir -p ' + resultpath)
        N = N or 8
        noise_inputs = lg.Tensor(N, opt['noiseDim'][0], opt['noiseDim'][1], opt['noiseDim'][2]).type(tensortype)

        # Generate samples
        noise_inputs.uniform(-1, 1)

        samples = G.model_G.forward(noise_inputs)
        G.sample_norm = lg.norm(samples, 2, 1)
        G.sample_norm = lg.cat([G.sample_norm, G.sample_norm, G.sample_norm], 1)
        samples = lg.cdiv(samples, G.sample_norm)

        # to_plot = lg.FloatTensor(3, opt['scale'] * 10, opt['scale'] * 30)
        for i in range(N):
            G.output_name = paths.concat(resultpath, 'img_%04d.jpg' % (i + 1 + beg))
            samples[i] = (samples[i] + 1) * opt['div_num']

            G.output_img = samples[i].clone()
            G.output_img = G.output_img.byte().clone()
            image.save(G.output_name, G.output_img)
        G.samples = samples             # a local of getSamples; kept for the checks
    G.getSamples = getSamples

    for i in range(nbatches):
        getSamples(getattr(G, 'trainData', None), 10, i * 10)
    return G
