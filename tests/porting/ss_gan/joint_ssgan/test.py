"""joint-ssgan/test.lua: loads ``../ssgan_models/joint_SSGAN.net`` (G and G1), moves both to the GPU (``:cuda()``,
so the script runs on a GPU only) and writes 100 batches of 10 samples to ``../results/joint_all_results/``: G1's
normal map, upsampled to 128 x 128 and normalised by ``model_upsample``, and G's image drawn on it, as JPEGs.
``main(nbatches)``: the Lua's ``for i = 1,100`` loop runs ``nbatches`` times (100 by default). The globals are
``threads.local``'s; returns that namespace."""
import os

import legonn as lg
from legonn import cutorch, image, nn, paths, threads, xlua
from legonn.pl import lapp


def main(nbatches=100):
    G = threads.local
    xlua.require('torch')
    xlua.require('nngraph')
    xlua.require('cunn')
    xlua.require('optim')
    xlua.require('image')
    xlua.require('pl')
    xlua.require('paths')
    xlua.require('nnx')

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

    model = lg.load('../ssgan_models/joint_SSGAN.net')
    G.model_G = model['G'].cuda()
    G.model_G1 = model['G1'].cuda()

    # model = lg.load('../ssgan_models/joint_Style_GAN.net')
    # model_G = model['G']
    # model = lg.load('../ssgan_models/Structure_GAN.net')
    # model_G1 = model['G']
    # model_G = model_G.cuda()
    # model_G1 = model_G1.cuda()

    opt['noiseDim'] = [100, 1, 1]
    opt['geometry'] = [3, opt['scale'], opt['scale']]
    opt['condDim'] = [3, opt['scale'], opt['scale']]

    opt['div_num'] = 127.5
    opt['finescale'] = opt['scale'] * 2

    G.model_upsample = nn.Sequential()
    G.model_upsample.add(nn.SpatialReSampling({'owidth': 128, 'oheight': 128}))

    G.model_upsample.add(nn.Transpose([1, 2], [2, 3]))
    G.model_upsample.add(nn.View(-1, 3))
    G.model_upsample.add(nn.Normalize(2))
    G.model_upsample.add(nn.View(-1, 128, 128, 3))
    G.model_upsample.add(nn.Transpose([3, 2], [2, 1]))

    G.model_upsample.float()

    # Get examples to plot
    def getSamples(dataset, N=None, beg=0):

        resultpath = '../results/joint_all_results/'
        os.system('mkdir -p ' + resultpath)

        N = N or 8
        noise_inputs = lg.Tensor(N, opt['noiseDim'][0], opt['noiseDim'][1], opt['noiseDim'][2]).type(tensortype)
        noise_inputs2 = lg.Tensor(N, opt['noiseDim'][0], opt['noiseDim'][1], opt['noiseDim'][2]).type(tensortype)
        cond_inputs = lg.Tensor(N, opt['condDim'][0], opt['condDim'][1], opt['condDim'][2]).type(tensortype)
        gt_inputs = lg.Tensor(N, opt['condDim'][0], opt['condDim'][1], opt['condDim'][2]).type(tensortype)

        # Generate samples
        noise_inputs.uniform(-1, 1)
        noise_inputs2.uniform(-1, 1)

        samples1 = G.model_G1.forward(noise_inputs)
        samples = G.model_upsample.forward(samples1.float())
        imgsamples = G.model_G.forward([noise_inputs2, samples.cuda()])

        # to_plot = lg.FloatTensor(3, opt['scale'] * 10, opt['scale'] * 30)
        for i in range(N):
            G.output_name = paths.concat(resultpath, '%04d_norm.jpg' % (i + 1 + beg))
            G.output_imgname = paths.concat(resultpath, '%04d_img.jpg' % (i + 1 + beg))

            samples[i] = (samples[i] + 1) * opt['div_num']
            imgsamples[i] = (imgsamples[i] + 1) * opt['div_num']

            G.output_norm = samples[i].clone()
            G.output_norm = G.output_norm.byte().clone()
            image.save(G.output_name, G.output_norm)

            G.output_img = imgsamples[i].clone()
            G.output_img = G.output_img.byte().clone()
            image.save(G.output_imgname, G.output_img)
        G.samples, G.imgsamples = samples, imgsamples     # locals of getSamples; kept for the checks
    G.getSamples = getSamples

    for i in range(nbatches):
        getSamples(getattr(G, 'trainData', None), 10, i * 10)
    return G
