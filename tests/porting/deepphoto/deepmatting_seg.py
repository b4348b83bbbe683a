"""deepmatting_seg.lua ported line by line: the second stage of Deep Photo Style Transfer, from neuralstyle_seg's
result (``-init_image``), adding to the style and content gradients the photorealism regularisation's gradient,
lambda times 2 L V_c / 256 for the matting Laplacian L that gen_laplacian.m saved (read with matio), and saving
every ``save_iter`` calls the smoothed best local affine reconstruction (cuda_utils.smooth_local_affine).

Its ContentLoss, GramMatrix, StyleLoss, ExtractMask, TVLoss, TVGradient, build_filename, preprocess, deprocess and
deepcopy are neuralstyle_seg.lua's, word for word (the two files differ there only in indentation), so they are
imported from that port. StyleLossWithSeg differs: its constructor takes no ``normalize`` and never sets
``self.normalize``, which its updateGradInput reads as nil; the subclass below hands nil on. Edits beyond syntax
and indices as neuralstyle_seg.py's docstring lists; ``maybe_save`` is defined and its call commented out, as in
the Lua. ``ErrorMapLocalAffine`` calls a function the C library does not register (see cuda_utils).
"""
import math

import legonn as lg
from legonn import cutorch, image, loadcaffe, nn, optim, paths  # noqa: F401  (require 'torch', 'nn', ...)
from legonn import matio  # local matio = require 'matio'

from . import cuda_utils
from . import neuralstyle_seg
from .neuralstyle_seg import (ContentLoss, ExtractMask, GramMatrix, StyleLoss, TVGradient, TVLoss,  # noqa: F401
                              build_filename, deepcopy, deprocess, preprocess)

cmd = lg.CmdLine()

# Basic options
cmd.option('-style_image', 'examples/inputs/seated-nude.jpg', 'Style target image')
cmd.option('-content_image', 'examples/inputs/tubingen.jpg', 'Content target image')
cmd.option('-style_seg', '', 'Style segmentation')
cmd.option('-style_seg_idxs', '', 'Style seg idxs')
cmd.option('-content_seg', '', 'Content segmentation')
cmd.option('-content_seg_idxs', '', 'Content seg idxs')
cmd.option('-init_image', 'examples/inputs/init.jpg', 'Initial image')

cmd.option('-gpu', 0, 'Zero-indexed ID of the GPU to use; for CPU mode set -gpu = -1')

# Optimization options
cmd.option('-content_weight', 5e0)
cmd.option('-style_weight', 1e2)
cmd.option('-tv_weight', 1e-3)
cmd.option('-num_iterations', 1000)

# Local affine params
cmd.option('-lambda', 1e4)
cmd.option('-patch', 3)
cmd.option('-eps', 1e-7)

# Reconstruct best local affine using joint bilateral smoothing
cmd.option('-f_radius', 7)
cmd.option('-f_edge', 0.05)

# Output options
cmd.option('-print_iter', 1)
cmd.option('-save_iter', 100)
cmd.option('-output_image', 'out.png')
cmd.option('-index', 1)
cmd.option('-serial', 'serial_example')

# Other options
cmd.option('-proto_file', 'models/VGG_ILSVRC_19_layers_deploy.prototxt')
cmd.option('-model_file', 'models/VGG_ILSVRC_19_layers.caffemodel')
cmd.option('-backend', 'nn', 'nn|cudnn|clnn')
cmd.option('-cudnn_autotune', False)
cmd.option('-seed', 612)

cmd.option('-content_layers', 'relu4_2', 'layers for content')
cmd.option('-style_layers', 'relu1_1,relu2_1,relu3_1,relu4_1,relu5_1', 'layers for style')


def main(params):
    cutorch.setDevice(params['gpu'])
    cutorch.setHeapTracking(True)

    lg.manualSeed(params['seed'])

    idx = cutorch.getDevice()
    print('gpu, idx = ', params['gpu'], idx)

    # content: pitie transferred input image
    content_image = image.load(params['content_image'], 3)
    content_image_caffe = preprocess(content_image).float().cuda()
    content_layers = params['content_layers'].split(",")

    # style: target model image
    style_image = image.load(params['style_image'], 3)
    style_image_caffe = preprocess(style_image).float().cuda()
    style_layers = params['style_layers'].split(",")

    c, h, w = content_image.size(0), content_image.size(1), content_image.size(2)
    _, h2, w2 = style_image.size(0), style_image.size(1), style_image.size(2)
    index = params['index']

    # init: used for initialize the image
    init_image = image.load(params['init_image'], 3)
    init_image = image.scale(init_image, w, h, 'bilinear')
    init_image_caffe = preprocess(init_image).float().cuda()

    # segmentation images
    content_seg = image.load(params['content_seg'], 3)
    content_seg = image.scale(content_seg, w, h, 'bilinear')
    style_seg = image.load(params['style_seg'], 3)
    style_seg = image.scale(style_seg, w2, h2, 'bilinear')
    color_codes = ['blue', 'green', 'black', 'white', 'red', 'yellow', 'grey', 'lightblue', 'purple']
    color_content_masks, color_style_masks = [], []
    for j in range(len(color_codes)):
        content_mask_j = ExtractMask(content_seg, color_codes[j])
        style_mask_j = ExtractMask(style_seg, color_codes[j])
        color_content_masks.append(content_mask_j)
        color_style_masks.append(style_mask_j)

    # Set up the network, inserting style and content loss modules
    content_losses, style_losses = [], []
    next_content_idx, next_style_idx = 0, 0
    net = nn.Sequential()

    if params['tv_weight'] > 0:
        tv_mod = TVLoss(params['tv_weight']).float().cuda()
        net.add(tv_mod)

    # load VGG-19 network
    cnn = loadcaffe.load(params['proto_file'], params['model_file'], params['backend']).float().cuda()

    # load matting laplacian
    CSR_fn = 'gen_laplacian/Input_Laplacian_' + str(params['patch']) + 'x' + str(params['patch']) + '_1e-7_CSR' + \
        str(index) + '.mat'
    print('loading matting laplacian...', CSR_fn)
    CSR = matio.load(CSR_fn)['CSR'].cuda()

    paths.mkdir(str(params['serial']))
    print('Exp serial:', params['serial'])

    for i in range(len(cnn)):
        if next_content_idx < len(content_layers) or next_style_idx < len(style_layers):
            layer = cnn.get(i)
            name = layer.name
            layer_type = lg.type(layer)
            is_pooling = (layer_type == 'nn.SpatialMaxPooling' or layer_type == 'cudnn.SpatialMaxPooling')
            is_conv = (layer_type == 'nn.SpatialConvolution' or layer_type == 'cudnn.SpatialConvolution')

            net.add(layer)

            if is_pooling:
                for k in range(len(color_codes)):
                    color_content_masks[k] = image.scale(color_content_masks[k],
                                                         math.ceil(color_content_masks[k].size(1) / 2),
                                                         math.ceil(color_content_masks[k].size(0) / 2))
                    color_style_masks[k] = image.scale(color_style_masks[k],
                                                       math.ceil(color_style_masks[k].size(1) / 2),
                                                       math.ceil(color_style_masks[k].size(0) / 2))
            elif is_conv:
                sap = nn.SpatialAveragePooling(3, 3, 1, 1, 1, 1).float()
                for k in range(len(color_codes)):
                    color_content_masks[k] = sap.forward(color_content_masks[k].repeatTensor(1, 1, 1))[0].clone()
                    color_style_masks[k] = sap.forward(color_style_masks[k].repeatTensor(1, 1, 1))[0].clone()
            color_content_masks = deepcopy(color_content_masks)
            color_style_masks = deepcopy(color_style_masks)

            if next_content_idx < len(content_layers) and name == content_layers[next_content_idx]:
                print("Setting up content layer", i, ":", layer.name)
                target = net.forward(content_image_caffe).clone()
                loss_module = ContentLoss(params['content_weight'], target, False).float().cuda()
                net.add(loss_module)
                content_losses.append(loss_module)
                next_content_idx = next_content_idx + 1

            if next_style_idx < len(style_layers) and name == style_layers[next_style_idx]:
                print("Setting up style layer  ", i, ":", layer.name)
                gram = GramMatrix().float().cuda()
                target_features = net.forward(style_image_caffe).clone()

                target_grams = []

                for j in range(len(color_codes)):
                    l_style_mask_ori = color_style_masks[j].clone().cuda()
                    l_style_mask = l_style_mask_ori.repeatTensor(1, 1, 1).expandAs(target_features)
                    l_style_mean = l_style_mask_ori.mean()

                    masked_target_features = lg.cmul(l_style_mask, target_features)
                    masked_target_gram = gram.forward(masked_target_features).clone()
                    if l_style_mean > 0:
                        masked_target_gram.div(target_features.nElement() * l_style_mean)
                    target_grams.append(masked_target_gram)

                loss_module = StyleLossWithSeg(params['style_weight'], target_grams, color_content_masks,
                                               color_codes, next_style_idx).float().cuda()

                net.add(loss_module)
                style_losses.append(loss_module)
                next_style_idx = next_style_idx + 1

    # We don't need the base CNN anymore, so clean it up to save memory.
    cnn = None
    for i in range(len(net.modules)):
        module = net.modules[i]
        if lg.type(module) == 'nn.SpatialConvolutionMM':
            # remove these, not used, but uses gpu memory
            module.gradWeight = None
            module.gradBias = None

    mean_pixel = lg.CudaTensor([103.939, 116.779, 123.68])
    meanImage = mean_pixel.view(3, 1, 1).expandAs(content_image_caffe)

    img = init_image_caffe

    # Run it through the network once to get the proper size for the gradient
    # All the gradients will come from the extra loss modules, so we just pass
    # zeros into the top of the net on the backward pass.
    y = net.forward(img)
    dy = img.new(y.size()).zero()

    # Declaring this here lets us access it in maybe_print
    optim_state = {
        'maxIter': params['num_iterations'],
        'tolX': 0, 'tolFun': -1,
        'verbose': True,
    }

    def maybe_print(t, loss):
        verbose = (params['print_iter'] > 0 and t % params['print_iter'] == 0)
        if verbose:
            print('Iteration %d / %d' % (t, params['num_iterations']))
            for i, loss_module in enumerate(content_losses):
                print('  Content %d loss: %f' % (i + 1, loss_module.loss))
            for i, loss_module in enumerate(style_losses):
                print('  Style %d loss: %f' % (i + 1, loss_module.loss))
            print('  Total loss: %f' % loss)

    def maybe_save(t):
        should_save = params['save_iter'] > 0 and t % params['save_iter'] == 0
        should_save = should_save or t == params['num_iterations']
        if should_save:
            disp = deprocess(img.double())
            disp = image.minmax({'tensor': disp, 'min': 0, 'max': 1})
            filename = params['serial'] + '/out' + str(index) + '_t_' + str(t) + '.png'
            image.save(filename, disp)

    num_calls = 0

    def feval(AffineModel):
        nonlocal num_calls
        num_calls = num_calls + 1

        output = lg.add(img, meanImage)
        input = lg.add(content_image_caffe, meanImage)

        net.forward(img)

        gradient_VggNetwork = net.updateGradInput(img, dy)
        gradient_LocalAffine = MattingLaplacian(output, CSR, h, w).mul(params['lambda'])

        if num_calls % params['save_iter'] == 0:
            best = SmoothLocalAffine(output, input, params['eps'], params['patch'], h, w, params['f_radius'],
                                     params['f_edge'])
            fn = params['serial'] + '/best' + str(params['index']) + '_t_' + str(num_calls) + '.png'
            image.save(fn, best)

        grad = lg.add(gradient_VggNetwork, gradient_LocalAffine)

        loss = 0
        for mod in content_losses:
            loss = loss + mod.loss
        for mod in style_losses:
            loss = loss + mod.loss
        maybe_print(num_calls, loss)
        # maybe_save(num_calls)

        # optim.lbfgs expects a vector for gradients
        return loss, grad.view(grad.nElement())

    # Run optimization.
    x, losses, *_ = optim.lbfgs(feval, img, optim_state)


def MattingLaplacian(output, CSR, h, w):
    N, c = CSR.size(0), CSR.size(1)
    CSR_rowIdx = lg.CudaIntTensor(N).copy(lg.round(CSR[0:, 0]))
    CSR_colIdx = lg.CudaIntTensor(N).copy(lg.round(CSR[0:, 1]))
    CSR_val = lg.CudaTensor(N).copy(CSR[0:, 2])

    output01 = lg.div(output, 256.0)

    grad = cuda_utils.matting_laplacian(output01, h, w, CSR_rowIdx, CSR_colIdx, CSR_val, N)

    grad.div(256.0)
    return grad


def SmoothLocalAffine(output, input, epsilon, patch, h, w, f_r, f_e):
    output01 = lg.div(output, 256.0)
    input01 = lg.div(input, 256.0)

    filter_radius = f_r
    sigma1, sigma2 = filter_radius / 3, f_e

    best01 = cuda_utils.smooth_local_affine(output01, input01, epsilon, patch, h, w, filter_radius, sigma1, sigma2)

    return best01


def ErrorMapLocalAffine(output, input, epsilon, patch, h, w):
    output01 = lg.div(output, 256.0)
    input01 = lg.div(input, 256.0)

    err_map, best01, Mt_M, invMt_M = cuda_utils.error_map_local_affine(output01, input01, epsilon, patch, h, w)

    return err_map, best01


# Define style loss with segmentation
class StyleLossWithSeg(neuralstyle_seg.StyleLossWithSeg):

    def __init__(self, strength, target_grams, color_content_masks, color_codes, layer_id):
        super().__init__(strength, target_grams, color_content_masks, color_codes, layer_id, None)


def script(arg):
    """The main chunk's last lines: ``local params = cmd:parse(arg)``, ``main(params)``."""
    params = cmd.parse(arg)
    main(params)
