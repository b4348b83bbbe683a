"""style-swap.lua of rtqichen/style-swap (MIT licence), ported line by line.

The script's body is ``main(opt, vgg)``: ``opt`` is the dict lapp gives (every option, with its default), ``vgg``
what ``loadcaffe.load`` returns (the test passes a stand-in of VGG-19's layout: a download in the repo). Its
globals (criterion, swap, decoder, optim_losses) are the function's locals the nested synth and swapTransfer see;
``main`` returns the last stylized image and the table of losses that ``-saveLoss`` saves.
"""
import math
import re

import legonn as lg
from legonn import cudnn, cutorch, image, nn, optim, paths
from tests.porting.style_swap.ArtisticStyleLossCriterion import ArtisticStyleLossCriterion
from tests.porting.style_swap.ImageLoader import ImageLoader
from tests.porting.style_swap.MaxCoord import MaxCoord
from tests.porting.style_swap.NonparametricPatchAutoencoderFactory import NonparametricPatchAutoencoderFactory

DEFAULTS = {
    'style': '', 'content': '', 'contentBatch': '',
    'maxContentSize': 640, 'maxStyleSize': 512, 'cpu': False, 'save': 'output', 'saveOriginal': False,
    'gpu': 0, 'patchSize': 3, 'patchStride': 1, 'pooling': 'max', 'numSwap': 1,
    'decoder': '', 'optim': False,
    'learningRate': 0.05, 'init': 'content', 'tv': 1e-7, 'layer': 'relu3_1', 'optimIter': 100, 'printEvery': 50,
    'saveLoss': False,
}


def main(opt, vgg):
    print(opt)

    if opt['style'] == '':
        raise RuntimeError('--style must be provided.')

    if opt['content'] == '' and opt['contentBatch'] == '':
        raise RuntimeError('--content or --contentBatch must be provided.')

    if not paths.filep(opt['style']):
        raise RuntimeError('Style image ' + opt['style'] + ' does not exist.')

    if opt['content'] != '' and not paths.filep(opt['content']):
        raise RuntimeError('Content image ' + opt['content'] + ' does not exist.')

    if opt['contentBatch'] != '' and not paths.dirp(opt['contentBatch']):
        raise RuntimeError('Content directory ' + opt['contentBatch'] + ' does not exist.')

    if opt['decoder'] != '' and not paths.filep(opt['decoder']):
        raise RuntimeError('Decoder ' + opt['decoder'] + ' does not exist.')

    print('Loading Lua modules...')

    if not opt['cpu']:
        cutorch.setDevice(opt['gpu'])

    for i in range(45, 36 - 1, -1):
        vgg.remove(i)

    layers = {}
    layers['content'] = [opt['layer']]

    weights = {}
    weights['content'] = 1
    weights['tv'] = opt['tv']

    use_avg_pooling = opt['pooling'] == 'avg'
    criterion = ArtisticStyleLossCriterion(vgg, layers, use_avg_pooling, weights, None, False)
    vgg = None

    if not opt['cpu']:
        criterion.net = cudnn.convert(criterion.net, cudnn).cuda()
    else:
        criterion.net.float()

    print(criterion.net)

    decoder = None
    if opt['decoder'] != '':
        dec = lg.load(opt['decoder'])
        decoder = nn.Sequential()
        decoder.add(nn.Unsqueeze(0))  # add batch dim
        decoder.add(dec)
        decoder.add(nn.Squeeze(0))    # remove batch dim
        if not opt['cpu']:
            decoder.cuda()
        else:
            decoder.float()
        print(dec)

    optim_losses = []

    def synth(img):
        x = img.clone()

        sgdState = {
            'learningRate': opt['learningRate']
        }

        losses = lg.Tensor(opt['optimIter'])

        for i in range(opt['optimIter']):
            def feval(x):
                disp = x.clamp(0, 1)  # noqa: F841

                loss = criterion.forward(x)
                loss_grad = criterion.backward(x)

                losses[i] = loss

                if (i + 1) % opt['printEvery'] == 0:
                    print('%d, %e' % (i + 1, loss))

                return loss, loss_grad.view(-1)
            optim.adam(feval, x, sgdState)
        optim_losses.append(losses)
        print('Done')
        return x

    style_img = image.load(opt['style'], 3)
    if style_img.size(1) > opt['maxStyleSize'] or style_img.size(2) > opt['maxStyleSize']:
        style_img = image.scale(style_img, opt['maxStyleSize'])
    if not opt['cpu']:
        style_img = style_img.cuda()
    else:
        style_img = style_img.float()

    criterion.targets = True    # override behavior
    criterion.net.forward(style_img)
    style_latent = criterion.net.output.clone()

    swap_enc, swap_dec = NonparametricPatchAutoencoderFactory.buildAutoencoder(
        style_latent, opt['patchSize'], opt['patchStride'], False, False, True)

    swap = nn.Sequential()
    swap.add(swap_enc)
    swap.add(MaxCoord())
    swap.add(swap_dec)
    swap.evaluate()

    if not opt['cpu']:
        swap.cuda()
    else:
        swap.float()

    print(swap)

    def swapTransfer(img, name):
        if opt['saveOriginal']:
            image.save(opt['save'] + '/' + name, img)

        if not opt['cpu']:
            img = img.cuda()
        else:
            img = img.float()

        criterion.unsetTargets()
        criterion.net.forward(img)
        img_latent = criterion.net.output.clone()

        criterion.net.clearState()

        swap_latent = swap.forward(img_latent).clone()
        swap.clearState()

        if opt['decoder'] != '':
            x = decoder.forward(swap_latent).clone()
            decoder.clearState()

            criterion.net.modules[-1].setTarget(swap_latent)

            if not opt['optim']:
                dec_loss = criterion.forward(x)
                optim_losses.append(lg.Tensor([dec_loss]))
            else:
                x = synth(x)

        else:
            nUpsample = int(re.search(r'(\d)_\d', opt['layer']).group(1)) - 1
            H, W = swap_latent.size(1) * math.pow(2, nUpsample), swap_latent.size(2) * math.pow(2, nUpsample)
            img = image.crop(img.float(), 0, 0, W, H)
            if not opt['cpu']:
                img = img.cuda()
            if opt['init'] == 'random':
                img.uniform()
            criterion.net.modules[-1].setTarget(swap_latent)
            x = synth(img)

        ext = paths.extname(name)
        image.save(opt['save'] + '/' + re.sub('.' + ext, '_stylized.' + ext, name), x)

        criterion.net.clearState()

        return x

    print('Creating save folder at ' + opt['save'])
    paths.mkdir(opt['save'])

    if opt['content'] != '':
        img = image.load(opt['content'], 3)
        H, W = img.size(1), img.size(2)
        if H > opt['maxContentSize'] or W > opt['maxContentSize']:
            img = image.scale(img, opt['maxContentSize'])

        name = paths.basename(opt['content'])
        for i in range(opt['numSwap']):
            img = swapTransfer(img, name)
    else:
        imageLoader = ImageLoader(opt['contentBatch'])
        imageLoader.setMaximumSize(opt['maxContentSize'])

        for i in range(len(imageLoader.files)):
            img, name = imageLoader.next()
            for i in range(opt['numSwap']):
                img = swapTransfer(img, name)

    if opt['saveLoss']:
        lg.save(opt['save'] + '/loss.t7', optim_losses)

    return img, optim_losses
