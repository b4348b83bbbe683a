"""test_wct.lua of Yijunmaverick/UniversalStyleTransfer, ported line by line: universal style transfer by whitening
and colouring transforms (WCT) at conv5_1 ... conv1_1, each followed by its decoder, or with ``-swap5`` the style swap
of whitened features at conv5_1; ``-synthesis 1`` starts from noise for three rounds. ``main(arg)`` is the script's
main chunk; ``opt`` and the loaded models are this module's globals, as the Lua's."""
import legonn as lg
from legonn import image, nn, paths
from tests.porting.style_swap.MaxCoord import MaxCoord
from tests.porting.ust.NonparametricPatchAutoencoderFactory import NonparametricPatchAutoencoderFactory
from tests.porting.ust.utils import extractImageNamesRecursive, sizePreprocess

# require 'nngraph', require 'cudnn', require 'cunn': nothing to import


def parse(arg):
    cmd = lg.CmdLine()

    cmd.option('-style', 'input/style/09.jpg', 'path to the style image')
    cmd.option('-styleDir', '', 'path to the style image folder')
    cmd.option('-content', 'input/content/04.jpg', 'path to the content image')
    cmd.option('-contentDir', '', 'path to the content image folder')

    cmd.option('-swap5', 0)
    cmd.option('-alpha', 0.6)
    cmd.option('-patchSize', 3)
    cmd.option('-patchStride', 1)
    cmd.option('-synthesis', 0, '0-transfer, 1-synthesis')

    cmd.option('-vgg1', 'models/vgg_normalised_conv1_1.t7', 'Path to the VGG conv1_1')
    cmd.option('-vgg2', 'models/vgg_normalised_conv2_1.t7', 'Path to the VGG conv2_1')
    cmd.option('-vgg3', 'models/vgg_normalised_conv3_1.t7', 'Path to the VGG conv3_1')
    cmd.option('-vgg4', 'models/vgg_normalised_conv4_1.t7', 'Path to the VGG conv4_1')
    cmd.option('-vgg5', 'models/vgg_normalised_conv5_1.t7', 'Path to the VGG conv5_1')

    cmd.option('-decoder5', 'models/feature_invertor_conv5_1.t7', 'Path to the decoder5')
    cmd.option('-decoder4', 'models/feature_invertor_conv4_1.t7', 'Path to the decoder4')
    cmd.option('-decoder3', 'models/feature_invertor_conv3_1.t7', 'Path to the decoder3')
    cmd.option('-decoder2', 'models/feature_invertor_conv2_1.t7', 'Path to the decoder2')
    cmd.option('-decoder1', 'models/feature_invertor_conv1_1.t7', 'Path to the decoder1')

    cmd.option('-contentSize', 768, 'New (minimum) size for the content image, keeping the original size if set to 0')
    cmd.option('-styleSize', 768, 'New (minimum) size for the style image, keeping the original size if set to 0')
    cmd.option('-crop', False, 'If true, center crop both content and style image before resizing')
    cmd.option('-saveExt', 'jpg', 'The extension name of the output image')
    cmd.option('-gpu', 0, 'Zero-indexed ID of the GPU to use; for CPU mode set -gpu = -1')
    cmd.option('-outputDir', 'output', 'Directory to save the output image(s)')

    global opt
    opt = cmd.parse(arg)

    assert opt['content'] != '' or opt['contentDir'] != '', 'Either --content or --contentDir should be given.'
    assert opt['style'] != '' or opt['styleDir'] != '', 'Either --style or --styleDir should be given.'
    assert opt['content'] == '' or opt['contentDir'] == '', '--content and --contentDir cannot both be given.'
    assert opt['style'] == '' or opt['styleDir'] == '', '--style and --styleDir cannot both be given.'
    return opt


def loadModel():
    global vgg1, vgg2, vgg3, vgg4, vgg5, decoder1, decoder2, decoder3, decoder4, decoder5
    vgg1 = lg.load(opt['vgg1'])
    vgg2 = lg.load(opt['vgg2'])
    vgg3 = lg.load(opt['vgg3'])
    vgg4 = lg.load(opt['vgg4'])
    vgg5 = lg.load(opt['vgg5'])

    decoder5 = lg.load(opt['decoder5'])
    decoder4 = lg.load(opt['decoder4'])
    decoder3 = lg.load(opt['decoder3'])
    decoder2 = lg.load(opt['decoder2'])
    decoder1 = lg.load(opt['decoder1'])

    if opt['gpu'] >= 0:
        print('GPU mode')
        vgg1.cuda()
        vgg2.cuda()
        vgg3.cuda()
        vgg4.cuda()
        vgg5.cuda()
        decoder1.cuda()
        decoder2.cuda()
        decoder3.cuda()
        decoder4.cuda()
        decoder5.cuda()
    else:
        print('CPU mode')
        vgg1.float()
        vgg2.float()
        vgg3.float()
        vgg4.float()
        vgg5.float()
        decoder1.float()
        decoder2.float()
        decoder3.float()
        decoder4.float()
        decoder5.float()


def feature_swap_whiten(contentFeature, styleFeature):

    # content feature whitening
    sg = contentFeature.size()
    contentFeature1 = contentFeature.view(sg[0], sg[1] * sg[2])
    c_mean = lg.mean(contentFeature1, 1)
    contentFeature1 = contentFeature1 - c_mean.expandAs(contentFeature1)
    contentCov = lg.mm(contentFeature1, contentFeature1.t()).div(sg[1] * sg[2] - 1)  # 512*512
    c_u, c_e, c_v = lg.svd(contentCov.float(), 'A')

    k_c = sg[0]
    for i in range(sg[0]):
        if c_e[i] < 0.00001:
            k_c = i
            break

    # style feature whitening
    sz = styleFeature.size()
    styleFeature1 = styleFeature.view(sz[0], sz[1] * sz[2])
    s_mean = lg.mean(styleFeature1, 1)
    styleFeature1 = styleFeature1 - s_mean.expandAs(styleFeature1)
    styleCov = lg.mm(styleFeature1, styleFeature1.t()).div(sz[1] * sz[2] - 1)  # 512*512
    s_u, s_e, s_v = lg.svd(styleCov.float(), 'A')

    k_s = sz[0]
    for i in range(sz[0]):
        if s_e[i] < 0.00001:
            k_s = i
            break

    s_d = lg.sqrt(s_e[0:k_s]).pow(-1)

    whiten_styleFeature = None
    if opt['gpu'] >= 0:
        whiten_styleFeature = (s_v[:, 0:k_s].cuda()) @ lg.diag(s_d.cuda()) @ (s_v[:, 0:k_s].t().cuda()) @ styleFeature1
    else:
        whiten_styleFeature = s_v[:, 0:k_s] @ lg.diag(s_d) @ (s_v[:, 0:k_s].t()) @ styleFeature1

    # borrow from https://github.com/rtqichen/style-swap/blob/master/style-swap.lua
    swap_enc, swap_dec = NonparametricPatchAutoencoderFactory.buildAutoencoder(
        whiten_styleFeature.resize(sz[0], sz[1], sz[2]), opt['patchSize'], opt['patchStride'], False, False, True)

    swap = nn.Sequential()
    swap.add(swap_enc)
    swap.add(MaxCoord())
    swap.add(swap_dec)
    swap.evaluate()
    if opt['gpu'] >= 0:
        swap.cuda()
    else:
        swap.float()

    c_d = lg.sqrt(c_e[0:k_c]).pow(-1)
    s_d1 = lg.sqrt(s_e[0:k_s])

    whiten_contentFeature = None
    targetFeature = None
    if opt['gpu'] >= 0:
        whiten_contentFeature = (c_v[:, 0:k_c].cuda()) @ lg.diag(c_d.cuda()) @ (c_v[:, 0:k_c].t().cuda()) \
            @ contentFeature1
        swap_latent = swap.forward(whiten_contentFeature.resize(sg[0], sg[1], sg[2])).clone()
        swap_latent1 = swap_latent.view(sg[0], sg[1] * sg[2])
        targetFeature = (s_v[:, 0:k_s].cuda()) @ (lg.diag(s_d1.cuda())) @ (s_v[:, 0:k_s].t().cuda()) @ swap_latent1
    else:
        whiten_contentFeature = c_v[:, 0:k_c] @ lg.diag(c_d) @ (c_v[:, 0:k_c].t()) @ contentFeature1
        swap_latent = swap.forward(whiten_contentFeature.resize(sg[0], sg[1], sg[2])).clone()
        swap_latent1 = swap_latent.view(sg[0], sg[1] * sg[2])
        targetFeature = s_v[:, 0:k_s] @ lg.diag(s_d1) @ (s_v[:, 0:k_s].t()) @ swap_latent1

    targetFeature = targetFeature + s_mean.expandAs(targetFeature)
    tFeature = targetFeature.resize(sg[0], sg[1], sg[2])

    return tFeature


def feature_wct(contentFeature, styleFeature):

    # content feature whitening
    sg = contentFeature.size()
    contentFeature1 = contentFeature.view(sg[0], sg[1] * sg[2])
    c_mean = lg.mean(contentFeature1, 1)
    contentFeature1 = contentFeature1 - c_mean.expandAs(contentFeature1)
    contentCov = lg.mm(contentFeature1, contentFeature1.t()).div(sg[1] * sg[2] - 1)  # 512*512
    # --------------------------------------------------------
    # Currently, we only perform the SVD using CPU.
    # A GPU-supported math library can be found here (not tested yet):
    # http://jinjiren.github.io/blog/gpu-math-using-torch-and-magma/
    # --------------------------------------------------------
    c_u, c_e, c_v = lg.svd(contentCov.float(), 'A')

    k_c = sg[0]
    for i in range(sg[0]):
        if c_e[i] < 0.00001:
            k_c = i
            break

    # style feature whitening
    sz = styleFeature.size()
    styleFeature1 = styleFeature.view(sz[0], sz[1] * sz[2])
    s_mean = lg.mean(styleFeature1, 1)
    styleFeature1 = styleFeature1 - s_mean.expandAs(styleFeature1)
    styleCov = lg.mm(styleFeature1, styleFeature1.t()).div(sz[1] * sz[2] - 1)  # 512*512
    s_u, s_e, s_v = lg.svd(styleCov.float(), 'A')

    k_s = sz[0]
    for i in range(sz[0]):
        if s_e[i] < 0.00001:
            k_s = i
            break

    c_d = c_e[0:k_c].sqrt().pow(-1)
    s_d1 = s_e[0:k_s].sqrt()

    whiten_contentFeature = None
    targetFeature = None
    if opt['gpu'] >= 0:
        whiten_contentFeature = (c_v[:, 0:k_c].cuda()) @ lg.diag(c_d.cuda()) @ (c_v[:, 0:k_c].t().cuda()) \
            @ contentFeature1
        targetFeature = (s_v[:, 0:k_s].cuda()) @ (lg.diag(s_d1.cuda())) @ (s_v[:, 0:k_s].t().cuda()) \
            @ whiten_contentFeature
    else:
        whiten_contentFeature = c_v[:, 0:k_c] @ lg.diag(c_d) @ (c_v[:, 0:k_c].t()) @ contentFeature1
        targetFeature = s_v[:, 0:k_s] @ (lg.diag(s_d1)) @ (s_v[:, 0:k_s].t()) @ whiten_contentFeature

    targetFeature = targetFeature + s_mean.expandAs(targetFeature)
    tFeature = targetFeature.resize(sg[0], sg[1], sg[2])

    return tFeature


def styleTransfer(content, style, iteration):
    global vgg1, vgg2, vgg3, vgg4, vgg5, decoder1, decoder2, decoder3, decoder4, decoder5

    # We delete the model after using it to save momery for performing transfer on large image size
    # So we need to reload it each time for a new round of transfer
    loadModel()

    if opt['gpu'] >= 0:
        content = content.cuda()
        if opt['synthesis'] == 1 and iteration == 1:
            gg = content.size()
            content = lg.zeros(gg[0], gg[1], gg[2]).uniform().cuda()
            print('input noise for synthesis')
        style = style.cuda()
    else:
        content = content.float()
        if opt['synthesis'] == 1 and iteration == 1:
            gg = content.size()
            content = lg.zeros(gg[0], gg[1], gg[2]).uniform().float()
            print('input noise for synthesis')
        style = style.float()

    # WCT on conv5_1
    # --------------------------------------------------------------------------
    # Note that since conv5 feature is hard to invert,
    # if you want to better preserve the content, you can start from WCT on
    # conv4_1 first, i.e., on Line 283,
    # local cF4 = vgg4:forward(content):clone()
    # --------------------------------------------------------------------------
    cF5 = vgg5.forward(content).clone()
    sF5 = vgg5.forward(style).clone()
    vgg5 = None

    csF5 = None
    if opt['swap5'] != 0:
        csF5 = feature_swap_whiten(cF5, sF5)
    else:
        csF5 = feature_wct(cF5, sF5)

    csF5 = opt['alpha'] * csF5 + (1.0 - opt['alpha']) * cF5
    Im5 = decoder5.forward(csF5)
    decoder5 = None

    # WCT on conv4_1
    cF4 = vgg4.forward(Im5).clone()
    sF4 = vgg4.forward(style).clone()
    vgg4 = None

    csF4 = feature_wct(cF4, sF4)
    csF4 = opt['alpha'] * csF4 + (1.0 - opt['alpha']) * cF4
    Im4 = decoder4.forward(csF4)
    decoder4 = None

    # WCT on conv3_1
    cF3 = vgg3.forward(Im4).clone()
    sF3 = vgg3.forward(style).clone()
    vgg3 = None

    csF3 = feature_wct(cF3, sF3)
    csF3 = opt['alpha'] * csF3 + (1.0 - opt['alpha']) * cF3

    Im3 = decoder3.forward(csF3)
    decoder3 = None

    # WCT on conv2_1
    cF2 = vgg2.forward(Im3).clone()
    sF2 = vgg2.forward(style).clone()
    vgg2 = None

    csF2 = feature_wct(cF2, sF2)
    csF2 = opt['alpha'] * csF2 + (1.0 - opt['alpha']) * cF2

    Im2 = decoder2.forward(csF2)
    decoder2 = None

    # WCT on conv1_1
    cF1 = vgg1.forward(Im2).clone()
    sF1 = vgg1.forward(style).clone()
    vgg1 = None

    csF1 = feature_wct(cF1, sF1)
    csF1 = opt['alpha'] * csF1 + (1.0 - opt['alpha']) * cF1

    Im1 = decoder1.forward(csF1)
    decoder1 = None

    return Im1


def main(arg):
    """The script's main chunk: returns the saved paths (the Lua prints them)."""
    parse(arg)
    saved = []

    print('Creating save folder at ' + opt['outputDir'])
    paths.mkdir(opt['outputDir'])

    contentPaths = []
    stylePaths = []

    if opt['content'] != '':  # use a single content image
        contentPaths.append(opt['content'])
    else:  # use a batch of content images
        assert opt['contentDir'] != '', "Either opt.contentDir or opt.content should be non-empty!"
        contentPaths = extractImageNamesRecursive(opt['contentDir'])

    if opt['style'] != '':
        style_image_list = opt['style'].split(',')
        if len(style_image_list) == 1:
            style_image_list = style_image_list[0]
        stylePaths.append(style_image_list)
    else:  # use a batch of style images
        assert opt['styleDir'] != '', "Either opt.styleDir or opt.style should be non-empty!"
        stylePaths = extractImageNamesRecursive(opt['styleDir'])

    numContent = len(contentPaths)
    numStyle = len(stylePaths)
    print("# Content images: " + str(numContent))
    print("# Style images: " + str(numStyle))

    for i in range(numContent):
        contentPath = contentPaths[i]
        contentExt = paths.extname(contentPath)
        contentImg = image.load(contentPath, 3, 'float')
        contentName = paths.basename(contentPath, contentExt)
        contentImg = sizePreprocess(contentImg, opt['contentSize'])

        for j in range(numStyle):

            stylePath = stylePaths[j]

            styleExt = paths.extname(stylePath)
            styleImg = image.load(stylePath, 3, 'float')
            styleImg = sizePreprocess(styleImg, opt['styleSize'])
            styleName = paths.basename(stylePath, styleExt)

            output = None
            if opt['synthesis'] == 0:
                output = styleTransfer(contentImg, styleImg, 1)
                savePath = paths.concat(opt['outputDir'], contentName + '_stylized_by_' + styleName + '_alpha_'
                                        + lg.tostring(opt['alpha'] * 100) + '.' + opt['saveExt'])
                print('Output image saved at: ' + savePath)
                image.save(savePath, output)
                saved.append(savePath)

            else:
                # We empirically find that 3 iterations are enough for a visually-pleasing result
                # By default, for texture synthesis, we set alpha = 1.0 because there are no content features here
                # to blend
                opt['alpha'] = 1.0
                for iter in range(1, 4):
                    output = styleTransfer(contentImg, styleImg, iter)
                    savePath = paths.concat(opt['outputDir'], styleName + '_iter' + str(iter) + '_alpha_'
                                            + lg.tostring(opt['alpha'] * 100) + '.' + opt['saveExt'])
                    print('Output image saved at: ' + savePath)
                    image.save(savePath, output)
                    saved.append(savePath)
                    contentImg = output
    return saved
