"""train-vgg-decoder.lua of rtqichen/style-swap (MIT licence), ported line by line.

The script's body is split where it waits on outside things: ``build(opt, vgg)`` (the encoder cut at
``-targetLayer`` from the VGG that loadcaffe loads, the decoder mirroring it, the preprocessing and TV modules put
in front of the encoder) returns enc and dec; ``train(opt, enc, dec, contentLoader, styleLoader)`` runs the
training loop with the two ImageLoaderAsync objects given (the test passes stand-ins with their ``nextBatch``)
and returns the losses the script prints. The script is CUDA-only (``cutorch.setDevice``, ``:cuda()``), as
here. ``opt`` is lapp's dict; the script's globals (optim_state, timer) are locals of ``train``. ``-display``
(the display web package) is not ported; ``maybe_save`` writes with lg.save.
"""
import legonn as lg
from legonn import cudnn, cutorch, nn, nninit, optim, paths
from tests.porting.style_swap.helpers.utils import getPreprocessConv
from tests.porting.style_swap.InstanceNormalization import InstanceNormalization
from tests.porting.style_swap.MaxCoord import MaxCoord
from tests.porting.style_swap.NonparametricPatchAutoencoderFactory import NonparametricPatchAutoencoderFactory
from tests.porting.style_swap.TVLossModule import TVLossModule

DEFAULTS = {
    'contentDir': '', 'styleDir': '',
    'activation': 'relu', 'instanceNorm': False, 'subpixelConv': 0, 'tconv': False, 'upsample': 'nn',
    'maxIter': 80000, 'imageSize': 256, 'targetLayer': 'relu3_1', 'numSamples': 2, 'save': 'vgginv', 'resume': '',
    'gpu': 0,
    'learningRate': 1e-3, 'learningRateDecay': 1e-4, 'weightDecay': 0, 'normalize': False, 'tv': 1e-6,
    'pixelLoss': 0,
    'saveEvery': 500, 'printEvery': 10, 'display': False, 'displayEvery': 20, 'displayAddr': '0.0.0.0',
    'displayPort': 8000,
}


def build(opt, vgg):
    paths.mkdir(opt['save'])
    lg.save(paths.concat(opt['save'], 'options.t7'), opt)

    cutorch.setDevice(opt['gpu'])

    # ---- Arguments ----
    if opt['activation'] == 'relu':
        decoderActivation = nn.ReLU
    elif opt['activation'] == 'prelu':
        decoderActivation = nn.PReLU
    elif opt['activation'] == 'elu':
        decoderActivation = nn.ELU
    else:
        raise RuntimeError('Unknown activation option ' + opt['activation'])

    # ---- Extract Encoder and Create Decoder ----
    enc = nn.Sequential()
    for i in range(len(vgg)):
        layer = vgg.get(i)
        enc.add(layer)
        name = layer.name
        if name == opt['targetLayer']:
            break
    if enc.get(len(enc) - 1).name != opt['targetLayer']:
        raise RuntimeError('Could not find target layer ' + opt['targetLayer'])

    if opt['resume'] != '':
        dec = lg.load(opt['resume'])
    else:
        dec = nn.Sequential()
        lastLayerWidth = None
        for i in range(len(enc) - 1, -1, -1):
            layer = enc.get(i)

            if 'SpatialConvolution' in lg.type(layer):
                nInputPlane, nOutputPlane = layer.nOutputPlane, layer.nInputPlane
                if opt['tconv']:
                    dec.add(nn.SpatialFullConvolution(nInputPlane, nOutputPlane, 3, 3).init(
                        'weight', nninit.orthogonal, {'gain': 'relu'}))
                    dec.add(nn.SpatialZeroPadding(-1, -1, -1, -1))
                else:
                    dec.add(nn.SpatialConvolution(nInputPlane, nOutputPlane, 3, 3, 1, 1, 1, 1).init(
                        'weight', nninit.orthogonal, {'gain': 'relu'}))
                if opt['instanceNorm']:
                    dec.add(InstanceNormalization(nOutputPlane))
                else:
                    dec.add(nn.SpatialBatchNormalization(nOutputPlane))
                dec.add(decoderActivation())
                lastLayerWidth = nOutputPlane
            if 'MaxPooling' in lg.type(layer):
                if opt['subpixelConv'] > 0:
                    dec.add(nn.SpatialConvolution(lastLayerWidth, lastLayerWidth * 4, opt['subpixelConv'],
                                                  opt['subpixelConv'], 1, 1, (opt['subpixelConv'] - 1) / 2,
                                                  (opt['subpixelConv'] - 1) / 2))
                    dec.add(nn.PixelShuffle(2))
                    dec.add(decoderActivation())
                else:
                    dec.add(nn.SpatialUpSamplingNearest(2))

        dec.remove()
        dec.remove()

    enc.insert(TVLossModule(opt['tv']), 0)
    enc.insert(getPreprocessConv(), 0)

    # make sure to not cudnn the pooling layer.
    enc = cudnn.convert(enc, cudnn).cuda()
    dec = cudnn.convert(dec, cudnn).cuda()

    print(enc)
    print(dec)
    return enc, dec


def train(opt, enc, dec, contentLoader, styleLoader):
    # ---- Criterion -----
    criterion = nn.MSECriterion().cuda()
    pixCriterion = nn.AbsCriterion().cuda()

    # ---- Style Swap ----

    def style_swap(content_latent, style_latent):
        swap_enc, swap_dec = NonparametricPatchAutoencoderFactory.buildAutoencoder(
            style_latent, opt['patchSize'], 1, False, False, True)

        swap = nn.Sequential()
        swap.add(swap_enc)
        swap.add(MaxCoord())
        swap.add(swap_dec)
        swap.evaluate()
        swap.cuda()

        swap_latent = swap.forward(content_latent).clone()
        swap.clearState()
        swap = None

        return swap_latent

    # ---- Training -----
    optim_state = {
        'learningRate': opt['learningRate'],
        'learningRateDecay': opt['learningRateDecay'],
        'weightDecay': opt['weightDecay'],
    }

    def maybe_print(trainLoss, timer):
        if optim_state['iterCounter'] % opt['printEvery'] == 0:
            print('%7d\t\t%e\t%.2f\t%e' % (
                optim_state['iterCounter'], trainLoss, timer.time()['real'], optim_state['learningRate']))
            timer.reset()

    def maybe_save():
        if optim_state['iterCounter'] % opt['saveEvery'] == 0:
            paths.mkdir(opt['save'])
            loc = paths.concat(opt['save'], 'dec-%06d.t7' % optim_state['iterCounter'])
            lg.save(loc, cudnn.convert(dec.clearState().clone().float(), nn))
            lg.save(paths.concat(opt['save'], 'enc.t7'), cudnn.convert(enc.clearState().clone().float(), nn))

    losses = []
    optim_state['iterCounter'] = optim_state.get('iterCounter') or 0

    weights, gradients = dec.getParameters()
    print('Training...\tTrainErr\ttime\tLearningRate')
    timer = lg.Timer()
    while optim_state['iterCounter'] < opt['maxIter']:
        def feval(x):
            gradients.zero()
            optim_state['iterCounter'] = optim_state['iterCounter'] + 1

            inputs = lg.FloatTensor(opt['numSamples'] * 2, 3, opt['imageSize'], opt['imageSize'])
            inputs[0:opt['numSamples']] = contentLoader.nextBatch()
            inputs[opt['numSamples']:opt['numSamples'] * 2] = styleLoader.nextBatch()
            inputs = inputs.cuda()

            latent = enc.forward(inputs).clone()

            C, H, W = latent.size(1), latent.size(2), latent.size(3)
            # add more batch dimensions to account for style swaps
            latent.resize(opt['numSamples'] * 2 + opt['numSamples'] ** 2, C, H, W)

            add = 0
            for c in range(opt['numSamples']):
                for s in range(opt['numSamples']):
                    content = latent[c]
                    style = latent[opt['numSamples'] + s]
                    latent[opt['numSamples'] * 2 + add] = style_swap(content, style)
                    add = add + 1

            # ---- Dec -> Enc -> Loss

            reconstructed_inputs = dec.forward(latent)

            reconstructed_latent = enc.forward(reconstructed_inputs)
            loss = criterion.forward(reconstructed_latent, latent)
            enc_grad = criterion.backward(reconstructed_latent, latent)

            if opt['normalize']:
                enc_grad.div(lg.norm(enc_grad, 1) + 1e-8)

            dec_grad = enc.backward(reconstructed_inputs, enc_grad)

            if opt['pixelLoss'] > 0:
                pixLoss = pixCriterion.forward(reconstructed_inputs[0:opt['numSamples'] * 2], inputs)  # noqa: F841
                dec_grad_pix = pixCriterion.backward(reconstructed_inputs[0:opt['numSamples'] * 2], inputs)
                dec_grad_pix.mul(opt['pixelLoss'])
                dec_grad[0:opt['numSamples'] * 2].add(dec_grad_pix)

            dec.backward(latent, dec_grad)

            maybe_print(loss, timer)
            maybe_save()
            losses.append(loss)

            return loss, gradients
        optim.adam(feval, weights, optim_state)
    return losses
