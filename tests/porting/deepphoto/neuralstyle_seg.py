"""neuralstyle_seg.lua ported line by line: the first stage of Deep Photo Style Transfer, neural style with a
Gram-matrix loss per segmentation colour (StyleLossWithSeg), from a random image, with L-BFGS.

Edits beyond syntax and 0-based indices, each under a docs/porting.md rule: ``cutorch.setDevice(params.gpu + 1)``
keeps the 0-based id; ``require 'libcuda_utils'`` is this package's cuda_utils and ``require 'matio'``
legonn.matio (neither is read by this script); a list read past its end (``content_layers[next_content_idx]``)
is bounded first, Lua's read giving nil; ``collectgarbage()`` is dropped; lbfgs's extra results are taken with
``*_``; the Lua's global functions and classes (``nn.ContentLoss``, ``nn.StyleLossWithSeg``, ...) are this
module's. The script's last lines, ``cmd:parse(arg)`` and ``main(params)``, are ``script(arg)``.
"""
import math

import legonn as lg
from legonn import cutorch, image, loadcaffe, nn, optim, paths  # noqa: F401  (require 'torch', 'nn', ...)
from legonn import matio  # noqa: F401  (local matio = require 'matio')

from . import cuda_utils  # noqa: F401  (require 'libcuda_utils')

cmd = lg.CmdLine()

# Basic options
cmd.option('-style_image', 'examples/inputs/seated-nude.jpg', 'Style target image')
cmd.option('-content_image', 'examples/inputs/tubingen.jpg', 'Content target image')
cmd.option('-style_seg', '', 'Style segmentation')
cmd.option('-style_seg_idxs', '', 'Style seg idxs')
cmd.option('-content_seg', '', 'Content segmentation')
cmd.option('-content_seg_idxs', '', 'Content seg idxs')

cmd.option('-gpu', 0, 'Zero-indexed ID of the GPU to use; for CPU mode set -gpu = -1')

# Optimization options
cmd.option('-content_weight', 5e0)
cmd.option('-style_weight', 1e2)
cmd.option('-tv_weight', 1e-3)
cmd.option('-num_iterations', 1000)

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
                                               color_codes, next_style_idx, False).float().cuda()

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

    img = lg.randn(content_image.size()).float().mul(0.0001).cuda()

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

        output = lg.add(img, meanImage)  # noqa: F841  (computed and unused, as in the Lua)
        input = lg.add(content_image_caffe, meanImage)  # noqa: F841

        net.forward(img)

        gradient_VggNetwork = net.updateGradInput(img, dy)

        grad = gradient_VggNetwork

        loss = 0
        for mod in content_losses:
            loss = loss + mod.loss
        for mod in style_losses:
            loss = loss + mod.loss
        maybe_print(num_calls, loss)
        maybe_save(num_calls)

        # optim.lbfgs expects a vector for gradients
        return loss, grad.view(grad.nElement())

    # Run optimization.
    x, losses, *_ = optim.lbfgs(feval, img, optim_state)


def build_filename(output_image, iteration):
    ext = paths.extname(output_image)
    basename = paths.basename(output_image, ext)
    directory = paths.dirname(output_image)
    return '%s/%s_%d.%s' % (directory, basename, iteration, ext)


# Preprocess an image before passing it to a Caffe model.
# We need to rescale from [0, 1] to [0, 255], convert from RGB to BGR,
# and subtract the mean pixel.
def preprocess(img):
    mean_pixel = lg.DoubleTensor([103.939, 116.779, 123.68])
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).mul(256.0)
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img.add(-1, mean_pixel)
    return img


# Undo the above preprocessing.
def deprocess(img):
    mean_pixel = lg.DoubleTensor([103.939, 116.779, 123.68])
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img = img + mean_pixel
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).div(256.0)
    return img


def deepcopy(orig):
    """The Lua's deepcopy: tables (lists, dicts) are copied through, anything else (a tensor is userdata) is
    shared. A plain table has no metatable, so ``setmetatable`` has nothing to copy."""
    copy = None
    if isinstance(orig, dict):
        copy = {}
        for orig_key, orig_value in orig.items():
            copy[deepcopy(orig_key)] = deepcopy(orig_value)
    elif isinstance(orig, list):
        copy = [deepcopy(orig_value) for orig_value in orig]
    else:  # number, string, boolean, etc
        copy = orig
    return copy


# Define an nn Module to compute content loss in-place
class ContentLoss(nn.Module):

    def __init__(self, strength, target, normalize):
        super().__init__()
        self.strength = strength
        self.target = target
        self.normalize = normalize or False
        self.loss = 0
        self.crit = nn.MSECriterion()

    def updateOutput(self, input):
        if input.nElement() == self.target.nElement():
            self.loss = self.crit.forward(input, self.target) * self.strength
        else:
            print('WARNING: Skipping content loss')
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if input.nElement() == self.target.nElement():
            self.gradInput = self.crit.backward(input, self.target)
        if self.normalize:
            self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)
        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput


# Returns a network that computes the CxC Gram matrix from inputs
# of size C x H x W
def GramMatrix():
    net = nn.Sequential()
    net.add(nn.View(-1).setNumInputDims(2))
    concat = nn.ConcatTable()
    concat.add(nn.Identity())
    concat.add(nn.Identity())
    net.add(concat)
    net.add(nn.MM(False, True))
    return net


# Define an nn Module to compute style loss in-place
class StyleLoss(nn.Module):

    def __init__(self, strength, target, normalize):
        super().__init__()
        self.normalize = normalize or False
        self.strength = strength
        self.target = target
        self.loss = 0

        self.gram = GramMatrix()
        self.G = None
        self.crit = nn.MSECriterion()

    def updateOutput(self, input):
        self.G = self.gram.forward(input)
        self.G.div(input.nElement())
        self.loss = self.crit.forward(self.G, self.target)
        self.loss = self.loss * self.strength
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        dG = self.crit.backward(self.G, self.target)
        dG.div(input.nElement())
        self.gradInput = self.gram.backward(input, dG)
        if self.normalize:
            self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)
        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput


def ExtractMask(seg, color):
    mask = None
    if color == 'green':
        mask = lg.lt(seg[0], 0.1)
        mask.cmul(lg.gt(seg[1], 1 - 0.1))
        mask.cmul(lg.lt(seg[2], 0.1))
    elif color == 'black':
        mask = lg.lt(seg[0], 0.1)
        mask.cmul(lg.lt(seg[1], 0.1))
        mask.cmul(lg.lt(seg[2], 0.1))
    elif color == 'white':
        mask = lg.gt(seg[0], 1 - 0.1)
        mask.cmul(lg.gt(seg[1], 1 - 0.1))
        mask.cmul(lg.gt(seg[2], 1 - 0.1))
    elif color == 'red':
        mask = lg.gt(seg[0], 1 - 0.1)
        mask.cmul(lg.lt(seg[1], 0.1))
        mask.cmul(lg.lt(seg[2], 0.1))
    elif color == 'blue':
        mask = lg.lt(seg[0], 0.1)
        mask.cmul(lg.lt(seg[1], 0.1))
        mask.cmul(lg.gt(seg[2], 1 - 0.1))
    elif color == 'yellow':
        mask = lg.gt(seg[0], 1 - 0.1)
        mask.cmul(lg.gt(seg[1], 1 - 0.1))
        mask.cmul(lg.lt(seg[2], 0.1))
    elif color == 'grey':
        mask = lg.cmul(lg.gt(seg[0], 0.5 - 0.1), lg.lt(seg[0], 0.5 + 0.1))
        mask.cmul(lg.cmul(lg.gt(seg[1], 0.5 - 0.1), lg.lt(seg[1], 0.5 + 0.1)))
        mask.cmul(lg.cmul(lg.gt(seg[2], 0.5 - 0.1), lg.lt(seg[2], 0.5 + 0.1)))
    elif color == 'lightblue':
        mask = lg.lt(seg[0], 0.1)
        mask.cmul(lg.gt(seg[1], 1 - 0.1))
        mask.cmul(lg.gt(seg[2], 1 - 0.1))
    elif color == 'purple':
        mask = lg.gt(seg[0], 1 - 0.1)
        mask.cmul(lg.lt(seg[1], 0.1))
        mask.cmul(lg.gt(seg[2], 1 - 0.1))
    else:
        print('ExtractMask(): color not recognized, color = ', color)
    return mask.float()


# Define style loss with segmentation
class StyleLossWithSeg(nn.Module):

    def __init__(self, strength, target_grams, color_content_masks, color_codes, layer_id, normalize):
        super().__init__()
        self.strength = strength
        self.target_grams = target_grams
        self.color_content_masks = deepcopy(color_content_masks)
        self.color_codes = color_codes
        self.normalize = normalize

        self.loss = 0
        self.gram = GramMatrix()
        self.crit = nn.MSECriterion()

        self.layer_id = layer_id

    def updateOutput(self, input):
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.loss = 0
        self.gradInput = gradOutput.clone()
        self.gradInput.zero()
        for j in range(len(self.color_codes)):
            l_content_mask_ori = self.color_content_masks[j].clone().cuda()
            l_content_mask = l_content_mask_ori.repeatTensor(1, 1, 1).expandAs(input)
            l_content_mean = l_content_mask_ori.mean()

            masked_input_features = lg.cmul(l_content_mask, input)
            masked_input_gram = self.gram.forward(masked_input_features).clone()
            if l_content_mean > 0:
                masked_input_gram.div(input.nElement() * l_content_mean)

            loss_j = self.crit.forward(masked_input_gram, self.target_grams[j])
            loss_j = loss_j * self.strength * l_content_mean
            self.loss = self.loss + loss_j

            dG = self.crit.backward(masked_input_gram, self.target_grams[j])

            dG.div(input.nElement())

            gradient = self.gram.backward(masked_input_features, dG)

            if self.normalize:
                gradient.div(lg.norm(gradient, 1) + 1e-8)

            self.gradInput.add(gradient)

        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput


class TVLoss(nn.Module):

    def __init__(self, strength):
        super().__init__()
        self.strength = strength
        self.x_diff = lg.Tensor()
        self.y_diff = lg.Tensor()

    def updateOutput(self, input):
        self.output = input
        return self.output

    # TV loss backward pass inspired by kaishengtai/neuralart
    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        C, H, W = input.size(0), input.size(1), input.size(2)
        self.x_diff.resize(3, H - 1, W - 1)
        self.y_diff.resize(3, H - 1, W - 1)
        self.x_diff.copy(input[:, 0:-1, 0:-1])
        self.x_diff.add(-1, input[:, 0:-1, 1:])
        self.y_diff.copy(input[:, 0:-1, 0:-1])
        self.y_diff.add(-1, input[:, 1:, 0:-1])
        self.gradInput[:, 0:-1, 0:-1].add(self.x_diff).add(self.y_diff)
        self.gradInput[:, 0:-1, 1:].add(-1, self.x_diff)
        self.gradInput[:, 1:, 0:-1].add(-1, self.y_diff)
        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput


def TVGradient(input, gradOutput, strength):
    C, H, W = input.size(0), input.size(1), input.size(2)
    gradInput = lg.CudaTensor(C, H, W).zero()
    x_diff = lg.CudaTensor()
    y_diff = lg.CudaTensor()
    x_diff.resize(3, H - 1, W - 1)
    y_diff.resize(3, H - 1, W - 1)
    x_diff.copy(input[:, 0:-1, 0:-1])
    x_diff.add(-1, input[:, 0:-1, 1:])
    y_diff.copy(input[:, 0:-1, 0:-1])
    y_diff.add(-1, input[:, 1:, 0:-1])
    gradInput[:, 0:-1, 0:-1].add(x_diff).add(y_diff)
    gradInput[:, 0:-1, 1:].add(-1, x_diff)
    gradInput[:, 1:, 0:-1].add(-1, y_diff)
    gradInput.mul(strength)
    gradInput.add(gradOutput)
    return gradInput


def script(arg):
    """The main chunk's last lines: ``local params = cmd:parse(arg)``, ``main(params)``."""
    params = cmd.parse(arg)
    main(params)
