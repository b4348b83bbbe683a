"""test_wct_interpolation2.lua of Yijunmaverick/UniversalStyleTransfer, ported line by line: the content features
whitened once and coloured by two styles, the results mixed ``beta : 1 - beta`` at each of conv5_1 ... conv1_1.
``main(arg)`` is the script's main chunk; ``opt`` and the loaded models are this module's globals, as the Lua's.
feature_decomposition divides the covariance by ``H - 1`` (``sg[2]-1``), not test_wct.lua's ``H*W - 1``: kept."""
import legonn as lg
from legonn import image, paths
from tests.porting.ust.utils import extractImageNamesRecursive, sizePreprocess  # noqa: F401

# require 'nngraph', require 'cudnn', require 'cunn': nothing to import


def parse(arg):
    cmd = lg.CmdLine()

    cmd.option('-style', 'input/style/002937.jpg,input/style/brick.jpg', 'two style images, separate by comma')
    cmd.option('-content', 'input/content/04.jpg', 'content image')

    cmd.option('-alpha', 0.6, 'the stylization weight')
    cmd.option('-synthesis', 0, '0-transfer, 1-synthesis')
    cmd.option('-beta', 0.5, 'the interpolation weight')

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

    cmd.option('-contentSize', 256, 'New (minimum) size for the content image, keeping the original size if set to 0')
    cmd.option('-styleSize', 256, 'New (minimum) size for the style image, keeping the original size if set to 0')
    cmd.option('-crop', False, 'If true, center crop both content and style image before resizing')
    cmd.option('-saveExt', 'jpg', 'The extension name of the output image')
    cmd.option('-gpu', 0, 'Zero-indexed ID of the GPU to use; for CPU mode set -gpu = -1')
    cmd.option('-outputDir', 'output', 'Directory to save the output image(s)')

    global opt
    opt = cmd.parse(arg)
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


def feature_decomposition(feature):

    # feature whitening
    sg = feature.size()
    feature1 = feature.view(sg[0], sg[1] * sg[2])
    c_mean = lg.mean(feature1, 1)
    feature1 = feature1 - c_mean.expandAs(feature1)
    featureCov = lg.mm(feature1, feature1.t()).div(sg[1] - 1)  # 512*512
    c_u, c_e, c_v = lg.svd(featureCov.float(), 'A')

    k_c = sg[0]
    for i in range(sg[0]):
        if c_e[i] < 0.00001:
            k_c = i
            break

    return c_e, c_v, k_c, c_mean, feature1


def feature_whitening(feature):

    c_e, c_v, k_c, _, feature1 = feature_decomposition(feature)
    c_d = c_e[0:k_c].sqrt().pow(-1)

    whiten_feature = None
    if opt['gpu'] >= 0:
        whiten_feature = (c_v[:, 0:k_c].cuda()) @ lg.diag(c_d.cuda()) @ (c_v[:, 0:k_c].t().cuda()) @ feature1
    else:
        whiten_feature = c_v[:, 0:k_c] @ lg.diag(c_d) @ (c_v[:, 0:k_c].t()) @ feature1

    return whiten_feature


def feature_coloring(whiten_contentFeature, styleFeature):

    s_e, s_v, k_s, s_mean, _ = feature_decomposition(styleFeature)
    s_d1 = s_e[0:k_s].sqrt()

    tFeature = None
    if opt['gpu'] >= 0:
        tFeature = (s_v[:, 0:k_s].cuda()) @ (lg.diag(s_d1.cuda())) @ (s_v[:, 0:k_s].t().cuda()) \
            @ whiten_contentFeature
    else:
        tFeature = s_v[:, 0:k_s] @ (lg.diag(s_d1)) @ (s_v[:, 0:k_s].t()) @ whiten_contentFeature

    tFeature = tFeature + s_mean.expandAs(tFeature)

    return tFeature


def feature_wct(cF, sF1, sF2):

    contentFeature = cF
    styleFeature1 = sF1
    styleFeature2 = sF2

    sg = contentFeature.size()

    whiten_contentFeature = feature_whitening(contentFeature)

    tFeature1 = feature_coloring(whiten_contentFeature, styleFeature1)
    tFeature2 = feature_coloring(whiten_contentFeature, styleFeature2)

    tFeature = opt['beta'] * tFeature1 + (1 - opt['beta']) * tFeature2
    tFeature = tFeature.resize(sg[0], sg[1], sg[2])

    return tFeature


def styleTransfer(content, style, iteration):
    global vgg1, vgg2, vgg3, vgg4, vgg5, decoder1, decoder2, decoder3, decoder4, decoder5

    loadModel()

    s1 = style[0]
    s2 = style[1]

    if opt['gpu'] >= 0:
        content = content.cuda()
        if opt['synthesis'] == 1 and iteration == 1:
            gg = content.size()
            content = lg.zeros(gg[0], gg[1], gg[2]).uniform().cuda()
            print('input noise for synthesis')
        s1 = s1.cuda()
        s2 = s2.cuda()
    else:
        content = content.float()
        if opt['synthesis'] == 1 and iteration == 1:
            gg = content.size()
            content = lg.zeros(gg[0], gg[1], gg[2]).uniform().float()
            print('input noise for synthesis')
        s1 = s1.float()
        s2 = s2.float()

    # WCT on conv5_1
    cF5 = vgg5.forward(content).clone()
    sF51 = vgg5.forward(s1).clone()
    sF52 = vgg5.forward(s2).clone()
    vgg5 = None
    csF5 = feature_wct(cF5, sF51, sF52)

    csF5 = opt['alpha'] * csF5 + (1 - opt['alpha']) * cF5
    Im5 = decoder5.forward(csF5)
    decoder5 = None

    # WCT on conv4_1
    cF4 = vgg4.forward(Im5).clone()
    sF41 = vgg4.forward(s1).clone()
    sF42 = vgg4.forward(s2).clone()
    vgg4 = None

    csF4 = feature_wct(cF4, sF41, sF42)

    csF4 = opt['alpha'] * csF4 + (1 - opt['alpha']) * cF4

    Im4 = decoder4.forward(csF4)
    decoder4 = None

    # WCT on conv3_1
    cF3 = vgg3.forward(Im4).clone()
    sF31 = vgg3.forward(s1).clone()
    sF32 = vgg3.forward(s2).clone()
    vgg3 = None

    csF3 = feature_wct(cF3, sF31, sF32)
    csF3 = opt['alpha'] * csF3 + (1 - opt['alpha']) * cF3
    Im3 = decoder3.forward(csF3)
    decoder3 = None

    # WCT on conv2_1
    cF2 = vgg2.forward(Im3).clone()
    sF21 = vgg2.forward(s1).clone()
    sF22 = vgg2.forward(s2).clone()
    vgg2 = None

    csF2 = feature_wct(cF2, sF21, sF22)
    csF2 = opt['alpha'] * csF2 + (1 - opt['alpha']) * cF2
    Im2 = decoder2.forward(csF2)
    decoder2 = None

    # WCT on conv1_1
    cF1 = vgg1.forward(Im2).clone()
    sF11 = vgg1.forward(s1).clone()
    sF12 = vgg1.forward(s2).clone()
    vgg1 = None

    csF1 = feature_wct(cF1, sF11, sF12)
    csF1 = opt['alpha'] * csF1 + (1 - opt['alpha']) * cF1
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
        for i in range(len(style_image_list)):
            stylePaths.append(style_image_list[i])

    numContent = len(contentPaths)
    numStyle = len(stylePaths)
    print("# Content images: " + str(numContent))
    print("# Style images: " + str(numStyle))
    print("Make sure that you specify two style images.")

    for i in range(numContent):
        contentPath = contentPaths[i]
        contentExt = paths.extname(contentPath)
        contentImg = image.load(contentPath, 3, 'float')
        contentName = paths.basename(contentPath, contentExt)
        contentImg = sizePreprocess(contentImg, opt['contentSize'])

        styleImg = []
        styleName = ''
        for j in range(numStyle):
            stylePath = stylePaths[j]
            styleExt = paths.extname(stylePath)
            style = image.load(stylePath, 3, 'float')
            style = sizePreprocess(style, opt['styleSize'])
            styleImg.append(style)
            styleName = paths.basename(stylePath, styleExt)  # noqa: F841 (unused in the Lua too)

        output = None
        if opt['synthesis'] == 0:
            output = styleTransfer(contentImg, styleImg, 1)
            savePath = paths.concat(opt['outputDir'], contentName + '_stylized_interpolation_' + 'weight_'
                                    + lg.tostring(opt['beta'] * 100) + '.' + opt['saveExt'])
            print('Output image saved at: ' + savePath)
            image.save(savePath, output)
            saved.append(savePath)
        else:
            # We empirically find that 3 iterations are enough for a visually-pleasing result
            # By default, for texture synthesis, we set alpha = 1.0 because there are no content features here to
            # blend
            opt['alpha'] = 1.0
            for iter in range(1, 4):
                output = styleTransfer(contentImg, styleImg, iter)
                savePath = paths.concat(opt['outputDir'], contentName + '_iter' + str(iter) + '_beta_'
                                        + lg.tostring(opt['beta'] * 100) + '.' + opt['saveExt'])
                print('Output image saved at: ' + savePath)
                image.save(savePath, output)
                saved.append(savePath)
                contentImg = output
    return saved
