"""jcjohnson/neural-style ported line by line: neural_style.lua's options (lines 9-49, torch.CmdLine), the
style inputs and blend weights of main() (63-105), setup_gpu's CPU branch (313-357), setup_multi_gpu
(360-405, each nn.GPU written as its chunk: docs/porting.md), the user modules ContentLoss (450-486),
GramMatrix (489-512), StyleLoss (516-564) and TVLoss (567-597) with their capture/loss modes, the older
GramMatrix() function of commit 197ad42 (lines 446-455: nn.View(-1):setNumInputDims(2), a ConcatTable of two
Identities and nn.MM(false, true)), main()'s network assembly loop (107-153: ``cnn:get(i)``, ``layer.name``,
``torch.type(layer)``, max pooling swapped for average pooling), the capture passes (155-183), the image
initialisation (197-213), ``dy``, maybe_save and build_filename, the feval closure (280-298) and both
optimisers (300-309: optim.lbfgs with maxIter/tolX/tolFun, optim.adam), preprocess/deprocess (416-437) and
original_colors (442-446).

loadcaffe's VGG-19 is replaced by a tiny VGG-like Sequential with the same layer types and Caffe names
(conv1_1, relu1_1, ..., pool1, ...); the images are 3 x 16 x 16 and built from a seeded generator, not
image.load. maybe_print is left out (its output only), lbfgs's verbose is off."""
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn, optim, paths
from tests.checks import assert_jacobian, numeric_gradient


def make_cmd():
    """neural_style.lua lines 9-49: the options and their defaults."""
    cmd = lg.CmdLine()

    # Basic options
    cmd.option('-style_image', 'examples/inputs/seated-nude.jpg',
               'Style target image')
    cmd.option('-style_blend_weights', 'nil')
    cmd.option('-content_image', 'examples/inputs/tubingen.jpg',
               'Content target image')
    cmd.option('-image_size', 512, 'Maximum height / width of generated image')
    cmd.option('-gpu', '0', 'Zero-indexed ID of the GPU to use; for CPU mode set -gpu = -1')
    cmd.option('-multigpu_strategy', '', 'Index of layers to split the network across GPUs')

    # Optimization options
    cmd.option('-content_weight', 5e0)
    cmd.option('-style_weight', 1e2)
    cmd.option('-tv_weight', 1e-3)
    cmd.option('-num_iterations', 1000)
    cmd.option('-normalize_gradients', False)
    cmd.option('-init', 'random', 'random|image')
    cmd.option('-init_image', '')
    cmd.option('-optimizer', 'lbfgs', 'lbfgs|adam')
    cmd.option('-learning_rate', 1e1)
    cmd.option('-lbfgs_num_correction', 0)

    # Output options
    cmd.option('-print_iter', 50)
    cmd.option('-save_iter', 100)
    cmd.option('-output_image', 'out.png')

    # Other options
    cmd.option('-style_scale', 1.0)
    cmd.option('-original_colors', 0)
    cmd.option('-pooling', 'max', 'max|avg')
    cmd.option('-proto_file', 'models/VGG_ILSVRC_19_layers_deploy.prototxt')
    cmd.option('-model_file', 'models/VGG_ILSVRC_19_layers.caffemodel')
    cmd.option('-backend', 'nn', 'nn|cudnn|clnn')
    cmd.option('-cudnn_autotune', False)
    cmd.option('-seed', -1)

    cmd.option('-content_layers', 'relu4_2', 'layers for content')
    cmd.option('-style_layers', 'relu1_1,relu2_1,relu3_1,relu4_1,relu5_1', 'layers for style')
    return cmd


def style_inputs(params):
    """main() lines 63-105 without the image loading: the style size, the style image list, the normalised
    blend weights and the layer lists."""
    style_size = math.ceil(params['style_scale'] * params['image_size'])
    style_image_list = params['style_image'].split(',')

    # Handle style blending weights for multiple style inputs
    style_blend_weights = None
    if params['style_blend_weights'] == 'nil':
        # Style blending not specified, so use equal weighting
        style_blend_weights = []
        for i in range(len(style_image_list)):
            style_blend_weights.append(1.0)
    else:
        style_blend_weights = params['style_blend_weights'].split(',')
        assert len(style_blend_weights) == len(style_image_list), \
            '-style_blend_weights and -style_images must have the same number of elements'
    # Normalize the style blending weights so they sum to 1
    style_blend_sum = 0
    for i in range(len(style_blend_weights)):
        style_blend_weights[i] = float(style_blend_weights[i])
        style_blend_sum = style_blend_sum + style_blend_weights[i]
    for i in range(len(style_blend_weights)):
        style_blend_weights[i] = style_blend_weights[i] / style_blend_sum

    content_layers = params['content_layers'].split(",")
    style_layers = params['style_layers'].split(",")
    return style_size, style_image_list, style_blend_weights, content_layers, style_layers


def setup_gpu(params):
    """neural_style.lua 313-357 for the CPU (-gpu -1); the device ids stay 0-based (setup_gpu's ``+ 1``
    goes: cutorch's devices count from 0 in legonn)."""
    multigpu = False
    if params['gpu'].find(',') >= 0:
        multigpu = True
        params['gpu'] = params['gpu'].split(',')
        for i in range(len(params['gpu'])):
            params['gpu'][i] = int(params['gpu'][i])
    else:
        params['gpu'] = int(params['gpu'])
    dtype = 'torch.FloatTensor'
    if multigpu or params['gpu'] >= 0:
        from legonn import cutorch
        cutorch.setDevice(params['gpu'][0] if multigpu else params['gpu'])
        dtype = 'torch.CudaTensor'
    else:
        params['backend'] = 'nn'
    return dtype, multigpu


class ContentLoss(nn.Module):
    """neural_style.lua 450-486: the identity, which in 'loss' mode records strength times the MSE between
    its input and the captured target and adds strength times that MSE's gradient to gradOutput."""

    def __init__(self, strength, normalize=None):
        super().__init__()
        self.strength = strength
        self.target = lg.Tensor()
        self.normalize = normalize or False
        self.loss = 0
        self.crit = nn.MSECriterion()
        self.mode = 'none'

    def updateOutput(self, input):
        if self.mode == 'loss':
            self.loss = self.crit.forward(input, self.target) * self.strength
        elif self.mode == 'capture':
            self.target.resizeAs(input).copy(input)
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.mode == 'loss':
            if input.nElement() == self.target.nElement():
                self.gradInput = self.crit.backward(input, self.target)
            if self.normalize:
                self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)
            self.gradInput.mul(self.strength)
            self.gradInput.add(gradOutput)
        else:
            self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        return self.gradInput


class GramMatrix(nn.Module):
    """neural_style.lua 489-512: the C x C Gram matrix of a C x H x W input's flattened planes."""

    def __init__(self):
        super().__init__()

    def updateOutput(self, input):
        assert input.dim() == 3
        C, H, W = input.size(0), input.size(1), input.size(2)
        x_flat = input.view(C, H * W)
        self.output.resize(C, C)
        self.output.mm(x_flat, x_flat.t())
        return self.output

    def updateGradInput(self, input, gradOutput):
        assert input.dim() == 3 and input.size(0)
        C, H, W = input.size(0), input.size(1), input.size(2)
        x_flat = input.view(C, H * W)
        self.gradInput.resize(C, H * W).mm(gradOutput, x_flat)
        self.gradInput.addmm(gradOutput.t(), x_flat)
        self.gradInput = self.gradInput.view(C, H, W)
        return self.gradInput


def GramMatrixNet():
    """neural_style.lua at 197ad42, 444-455: 'Returns a network that computes the CxC Gram matrix from inputs
    of size C x H x W' (the Lua's function GramMatrix(), renamed beside the class above)."""
    net = nn.Sequential()
    net.add(nn.View(-1).setNumInputDims(2))
    concat = nn.ConcatTable()
    concat.add(nn.Identity())
    concat.add(nn.Identity())
    net.add(concat)
    net.add(nn.MM(False, True))
    return net


class StyleLoss(nn.Module):
    """neural_style.lua 516-564: the identity; in 'capture' mode it accumulates the blended Gram matrix of its
    input divided by the input's size, in 'loss' mode records strength times the MSE to that target and adds
    its gradient (through the Gram matrix) to gradOutput."""

    def __init__(self, strength, normalize=None):
        super().__init__()
        self.normalize = normalize or False
        self.strength = strength
        self.target = lg.Tensor()
        self.mode = 'none'
        self.loss = 0

        self.gram = GramMatrix()
        self.blend_weight = None
        self.G = None
        self.crit = nn.MSECriterion()

    def updateOutput(self, input):
        self.G = self.gram.forward(input)
        self.G.div(input.nElement())
        if self.mode == 'capture':
            if self.blend_weight is None:
                self.target.resizeAs(self.G).copy(self.G)
            elif self.target.nElement() == 0:
                self.target.resizeAs(self.G).copy(self.G).mul(self.blend_weight)
            else:
                self.target.add(self.blend_weight, self.G)
        elif self.mode == 'loss':
            self.loss = self.strength * self.crit.forward(self.G, self.target)
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.mode == 'loss':
            dG = self.crit.backward(self.G, self.target)
            dG.div(input.nElement())
            self.gradInput = self.gram.backward(input, dG)
            if self.normalize:
                self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)
            self.gradInput.mul(self.strength)
            self.gradInput.add(gradOutput)
        else:
            self.gradInput = gradOutput
        return self.gradInput


class TVLoss(nn.Module):
    """neural_style.lua 567-597: the identity forward; backward adds strength times the gradient of
    1/2 sum((x[i,j] - x[i,j+1])^2 + (x[i,j] - x[i+1,j])^2) over the top-left (H-1) x (W-1) pixels."""

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


def build_filename(output_image, iteration):
    ext = paths.extname(output_image)
    basename = paths.basename(output_image, ext)
    directory = paths.dirname(output_image)
    return '%s/%s_%d.%s' % (directory, basename, iteration, ext)


# Combine the Y channel of the generated image and the UV channels of the
# content image to perform color-independent style transfer.
def original_colors(content, generated):
    generated_y = image.rgb2yuv(generated)[0:1]
    content_uv = image.rgb2yuv(content)[1:3]
    return image.yuv2rgb(lg.cat(generated_y, content_uv, 0))


def setup_multi_gpu(net, params):
    """neural_style.lua 360-405; ``params['gpu']`` holds 0-based device ids (setup_gpu's ``+ 1`` goes) and
    each ``nn.GPU(chunks[i], gpus[i], out_device)`` is the chunk itself (docs/porting.md: legonn drives one
    device). The split points stay the option's layer numbers, counted from 1."""
    DEFAULT_STRATEGIES = {
        2: [3],
    }
    gpu_splits = None
    if params['multigpu_strategy'] == '':
        # Use a default strategy
        gpu_splits = DEFAULT_STRATEGIES[len(params['gpu'])]
        # Offset the default strategy by one if we are using TV
        if params['tv_weight'] > 0:
            for i in range(len(gpu_splits)):
                gpu_splits[i] = gpu_splits[i] + 1
    else:
        # Use the user-specified multigpu strategy
        gpu_splits = params['multigpu_strategy'].split(',')
        for i in range(len(gpu_splits)):
            gpu_splits[i] = int(gpu_splits[i])
    assert gpu_splits is not None, 'Must specify -multigpu_strategy'
    gpus = params['gpu']

    cur_chunk = nn.Sequential()
    chunks = []
    for i in range(len(net)):
        cur_chunk.add(net.get(i))
        if gpu_splits and i + 1 == gpu_splits[0]:
            gpu_splits.pop(0)
            chunks.append(cur_chunk)
            cur_chunk = nn.Sequential()
    chunks.append(cur_chunk)
    assert len(chunks) == len(gpus)

    new_net = nn.Sequential()
    for i in range(len(chunks)):
        new_net.add(chunks[i])
    return new_net


def tiny_vgg():
    """loadcaffe.load's nn.Sequential for a two-block VGG: each layer carries its prototxt name in ``name``."""
    cnn = nn.Sequential()
    layers = [('conv1_1', nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1)), ('relu1_1', nn.ReLU(True)),
              ('conv1_2', nn.SpatialConvolution(4, 4, 3, 3, 1, 1, 1, 1)), ('relu1_2', nn.ReLU(True)),
              ('pool1', nn.SpatialMaxPooling(2, 2, 2, 2)),
              ('conv2_1', nn.SpatialConvolution(4, 6, 3, 3, 1, 1, 1, 1)), ('relu2_1', nn.ReLU(True)),
              ('conv2_2', nn.SpatialConvolution(6, 6, 3, 3, 1, 1, 1, 1)), ('relu2_2', nn.ReLU(True)),
              ('pool2', nn.SpatialMaxPooling(2, 2, 2, 2)),
              ('conv3_1', nn.SpatialConvolution(6, 8, 3, 3, 1, 1, 1, 1)), ('relu3_1', nn.ReLU(True))]
    for name, layer in layers:
        layer.name = name
        cnn.add(layer)
    return cnn


def default_params(**changes):
    """cmd:parse's table for the options main() reads, with small numbers."""
    params = {'content_weight': 5e0, 'style_weight': 1e2, 'tv_weight': 1e-3, 'num_iterations': 30,
              'normalize_gradients': False, 'init': 'random', 'optimizer': 'lbfgs', 'learning_rate': 1e1,
              'lbfgs_num_correction': 0, 'print_iter': 0, 'save_iter': 10, 'output_image': 'out.png',
              'pooling': 'max', 'seed': 123, 'content_layers': 'relu2_2', 'style_layers': 'relu1_1,relu2_1',
              'original_colors': 0}
    params.update(changes)
    return params


def build_net(cnn, params, dtype='torch.FloatTensor'):
    """main() lines 104-153; returns net, content_losses, style_losses."""
    content_layers = params['content_layers'].split(',')
    style_layers = params['style_layers'].split(',')

    # Set up the network, inserting style and content loss modules
    content_losses, style_losses = [], []
    next_content_idx, next_style_idx = 0, 0
    net = nn.Sequential()
    if params['tv_weight'] > 0:
        tv_mod = TVLoss(params['tv_weight']).type(dtype)
        net.add(tv_mod)
    for i in range(len(cnn)):
        if next_content_idx < len(content_layers) or next_style_idx < len(style_layers):
            layer = cnn.get(i)
            name = layer.name
            layer_type = lg.type(layer)
            is_pooling = (layer_type == 'cudnn.SpatialMaxPooling' or layer_type == 'nn.SpatialMaxPooling')
            if is_pooling and params['pooling'] == 'avg':
                assert layer.padW == 0 and layer.padH == 0
                kW, kH = layer.kW, layer.kH
                dW, dH = layer.dW, layer.dH
                avg_pool_layer = nn.SpatialAveragePooling(kW, kH, dW, dH).type(dtype)
                net.add(avg_pool_layer)
            else:
                net.add(layer)
            # a Lua table read past its end gives nil: Python's list needs the bound
            if next_content_idx < len(content_layers) and name == content_layers[next_content_idx]:
                norm = params['normalize_gradients']
                loss_module = ContentLoss(params['content_weight'], norm).type(dtype)
                net.add(loss_module)
                content_losses.append(loss_module)
                next_content_idx = next_content_idx + 1
            if next_style_idx < len(style_layers) and name == style_layers[next_style_idx]:
                norm = params['normalize_gradients']
                loss_module = StyleLoss(params['style_weight'], norm).type(dtype)
                net.add(loss_module)
                style_losses.append(loss_module)
                next_style_idx = next_style_idx + 1
    net.type(dtype)
    return net, content_losses, style_losses


def capture_targets(net, content_losses, style_losses, content_image_caffe, style_images_caffe,
                    style_blend_weights, dtype='torch.FloatTensor'):
    """main() lines 155-183."""
    # Capture content targets
    for i in range(len(content_losses)):
        content_losses[i].mode = 'capture'
    content_image_caffe = content_image_caffe.type(dtype)
    net.forward(content_image_caffe.type(dtype))

    # Capture style targets
    for i in range(len(content_losses)):
        content_losses[i].mode = 'none'
    for i in range(len(style_images_caffe)):
        for j in range(len(style_losses)):
            style_losses[j].mode = 'capture'
            style_losses[j].blend_weight = style_blend_weights[i]
        net.forward(style_images_caffe[i].type(dtype))

    # Set all loss modules to loss mode
    for i in range(len(content_losses)):
        content_losses[i].mode = 'loss'
    for i in range(len(style_losses)):
        style_losses[i].mode = 'loss'


def run_style_transfer(params, content_image, style_images, dtype='torch.FloatTensor'):
    """main() from the images on: preprocess, assembly, capture, initialisation, maybe_save, feval and the
    optimiser loop. Returns img, the losses feval saw (each call's) and the loss modules."""
    lg.manualSeed(0)
    cnn = tiny_vgg().type(dtype)
    content_image_caffe = preprocess(content_image).float()
    style_images_caffe = [preprocess(img).float() for img in style_images]
    style_blend_weights = [1.0 / len(style_images)] * len(style_images)

    net, content_losses, style_losses = build_net(cnn, params, dtype)
    capture_targets(net, content_losses, style_losses, content_image_caffe, style_images_caffe,
                    style_blend_weights, dtype)

    # We don't need the base CNN anymore, so clean it up to save memory.
    cnn = None
    for i in range(len(net.modules)):
        module = net.modules[i]
        if lg.type(module) == 'nn.SpatialConvolutionMM':
            # remove these, not used, but uses gpu memory
            module.gradWeight = None
            module.gradBias = None

    # Initialize the image
    if params['seed'] >= 0:
        lg.manualSeed(params['seed'])
    img = None
    if params['init'] == 'random':
        img = lg.randn(content_image.size()).float().mul(0.001)
    elif params['init'] == 'image':
        img = content_image_caffe.clone()
    else:
        raise ValueError('Invalid init type')
    img = img.type(dtype)

    # Run it through the network once to get the proper size for the gradient
    # All the gradients will come from the extra loss modules, so we just pass
    # zeros into the top of the net on the backward pass.
    y = net.forward(img)
    dy = img.new(y.size()).zero()

    optim_state = None
    if params['optimizer'] == 'lbfgs':
        optim_state = {
            'maxIter': params['num_iterations'],
            'verbose': False,
            'tolX': -1,
            'tolFun': -1,
        }
        if params['lbfgs_num_correction'] > 0:
            optim_state['nCorrection'] = params['lbfgs_num_correction']
    elif params['optimizer'] == 'adam':
        optim_state = {
            'learningRate': params['learning_rate'],
        }
    else:
        raise ValueError('Unrecognized optimizer "%s"' % params['optimizer'])

    saved = []

    def maybe_save(t):
        should_save = params['save_iter'] > 0 and t % params['save_iter'] == 0
        should_save = should_save or t == params['num_iterations']
        if should_save:
            disp = deprocess(img.double())
            disp = image.minmax({'tensor': disp, 'min': 0, 'max': 1})
            filename = build_filename(params['output_image'], t)
            if t == params['num_iterations']:
                filename = params['output_image']
            image.save(filename, disp)
            saved.append(filename)

    num_calls = 0
    losses = []

    def feval(x):
        nonlocal num_calls
        num_calls = num_calls + 1
        net.forward(x)
        grad = net.updateGradInput(x, dy)
        loss = 0
        for mod in content_losses:
            loss = loss + mod.loss
        for mod in style_losses:
            loss = loss + mod.loss
        maybe_save(num_calls)
        losses.append(loss)
        # optim.lbfgs expects a vector for gradients
        return loss, grad.view(grad.nElement())

    # Run optimization.
    if params['optimizer'] == 'lbfgs':
        x, fs, *_ = optim.lbfgs(feval, img, optim_state)
    elif params['optimizer'] == 'adam':
        for t in range(params['num_iterations']):
            x, fs = optim.adam(feval, img, optim_state)
    return img, losses, content_losses, style_losses, saved


def tiny_images():
    """Two 3 x 16 x 16 images in [0, 1]: a smooth content image and a striped style image."""
    rng = np.random.RandomState(0)
    yy, xx = np.mgrid[0:16, 0:16] / 15.0
    content = np.stack([xx, yy, 0.5 * (xx + yy)]) * 0.8 + 0.1 * rng.rand(3, 16, 16)
    style = np.stack([(np.sin(xx * 12) > 0), (np.cos(yy * 9) > 0), (np.sin((xx + yy) * 7) > 0)]) * 0.9
    return lg.from_numpy(content.astype(np.float32)), lg.from_numpy(style.astype(np.float32))


def test_command_line_and_style_inputs():
    """cmd:parse of the Lua's options: defaults as declared, numbers read as numbers, a bare boolean flag
    turns true; two style images with -style_blend_weights '3,1' blend 0.75 / 0.25; setup_gpu with -gpu -1
    keeps FloatTensor and the nn backend."""
    cmd = make_cmd()
    params = cmd.parse([])
    assert params['image_size'] == 512 and params['style_weight'] == 1e2 and params['normalize_gradients'] is False
    assert params['style_layers'] == 'relu1_1,relu2_1,relu3_1,relu4_1,relu5_1' and params['seed'] == -1
    params = cmd.parse(['-style_image', 'a.jpg,b.jpg', '-style_blend_weights', '3,1', '-image_size', '64',
                        '-style_scale', '0.5', '-normalize_gradients', '-gpu', '-1', '-backend', 'cudnn'])
    style_size, images, weights, content_layers, style_layers = style_inputs(params)
    assert style_size == 32 and images == ['a.jpg', 'b.jpg'] and weights == [0.75, 0.25]
    assert content_layers == ['relu4_2'] and len(style_layers) == 5 and params['normalize_gradients'] is True
    assert style_inputs(cmd.parse(['-style_image', 'a.jpg,b.jpg,c.jpg']))[2] == [1 / 3] * 3
    with pytest.raises(AssertionError, match='same number of elements'):
        style_inputs(cmd.parse(['-style_image', 'a.jpg,b.jpg', '-style_blend_weights', '1']))
    assert setup_gpu(params) == ('torch.FloatTensor', False) and params['backend'] == 'nn'


def test_gram_matrix_module_and_view_mm_net_agree():
    """The class (489-512) and 197ad42's View/ConcatTable/MM net give X X^T for X the C x (H W) planes, and
    the same gradient gradOutput X + gradOutput^T X; both Jacobians agree with finite differences."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    x = lg.Tensor(3, 4, 5).normal(0, 1)
    X = x.numpy().reshape(3, 20)
    gram, net = GramMatrix(), GramMatrixNet()
    np.testing.assert_allclose(gram.forward(x).numpy(), X @ X.T, rtol=1e-12)
    np.testing.assert_allclose(net.forward(x).numpy(), X @ X.T, rtol=1e-12)
    g = lg.Tensor(3, 3).normal(0, 1)
    G = g.numpy()
    expected = (G @ X + G.T @ X).reshape(3, 4, 5)
    np.testing.assert_allclose(gram.backward(x, g).numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(net.backward(x, g).numpy(), expected, rtol=1e-12)
    assert tuple(net.gradInput.size()) == (3, 4, 5)
    assert_jacobian(gram, x)
    assert_jacobian(net, x)


def test_loss_modules_gradients_match_their_losses():
    """In 'loss' mode each module's gradInput minus gradOutput is the gradient of its recorded loss (content:
    strength * mean((x - t)^2); style: strength * mean((G/n - T)^2)), checked by finite differences in double;
    'none'/'capture' modes pass gradOutput through; TVLoss adds strength times the gradient of
    1/2 sum of squared neighbour differences."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    x = lg.Tensor(3, 5, 4).normal(0, 1)
    other = lg.Tensor(3, 5, 4).normal(0, 1)
    gout = lg.Tensor(3, 5, 4).normal(0, 1)
    X = x.numpy().copy()

    content = ContentLoss(2.0)
    content.mode = 'capture'
    content.forward(other)
    assert content.target.numpy() is not other.numpy() and np.array_equal(content.target.numpy(), other.numpy())
    np.testing.assert_array_equal(content.backward(x, gout).numpy(), gout.numpy())
    content.mode = 'loss'

    def content_loss():
        content.forward(lg.from_numpy(X))
        return content.loss
    assert content_loss() == pytest.approx(2.0 * ((X - other.numpy()) ** 2).mean(), rel=1e-12)
    content.forward(x)
    grad = content.backward(x, gout).numpy() - gout.numpy()
    np.testing.assert_allclose(grad, numeric_gradient(content_loss, X), rtol=1e-6, atol=1e-9)

    style = StyleLoss(3.0)
    style.mode = 'capture'
    style.blend_weight = 0.25
    style.forward(other)
    style.forward(other * 2)                                      # target = 0.25 G(o) + 0.25 G(2o) = 1.25 G(o)
    O = other.numpy().reshape(3, 20)
    np.testing.assert_allclose(style.target.numpy(), 1.25 * O @ O.T / 60, rtol=1e-12)
    style.mode = 'loss'

    def style_loss():
        style.forward(lg.from_numpy(X))
        return style.loss
    Xf = X.reshape(3, 20)
    assert style_loss() == pytest.approx(3.0 * ((Xf @ Xf.T / 60 - style.target.numpy()) ** 2).mean(), rel=1e-12)
    style.forward(x)
    grad = style.backward(x, gout).numpy() - gout.numpy()
    np.testing.assert_allclose(grad, numeric_gradient(style_loss, X), rtol=1e-6, atol=1e-9)

    tv = TVLoss(0.5)
    assert tv.forward(x) is x

    def tv_energy():
        dx = X[:, :-1, :-1] - X[:, :-1, 1:]
        dy = X[:, :-1, :-1] - X[:, 1:, :-1]
        return 0.5 * ((dx ** 2).sum() + (dy ** 2).sum())
    grad = tv.backward(x, gout).numpy() - gout.numpy()
    np.testing.assert_allclose(grad, 0.5 * numeric_gradient(tv_energy, X), rtol=1e-6, atol=1e-9)


def test_normalize_gradients_divides_by_l1_norm():
    """``-normalize_gradients``: the loss gradient is divided by its L1 norm (+1e-8) before the strength."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    x, t = lg.Tensor(3, 4, 4).normal(0, 1), lg.Tensor(3, 4, 4).normal(0, 1)
    zeros = lg.zeros(3, 4, 4)
    plain, normed = ContentLoss(5.0), ContentLoss(5.0, True)
    for m in (plain, normed):
        m.mode = 'capture'
        m.forward(t)
        m.mode = 'loss'
        m.forward(x)
    g = plain.backward(x, zeros).numpy() / 5.0
    np.testing.assert_allclose(normed.backward(x, zeros).numpy(), 5.0 * g / (np.abs(g).sum() + 1e-8), rtol=1e-12)


def test_preprocess_deprocess_round_trip():
    """preprocess reverses the channels (index with the LongTensor {3, 2, 1}, here [2, 1, 0]), scales by 256
    and subtracts the BGR mean pixel; deprocess undoes it; the caller's image is left unchanged."""
    content, _ = tiny_images()
    before = content.numpy().copy()
    caffe = preprocess(content)
    mean = np.array([103.939, 116.779, 123.68], dtype=np.float32)[:, None, None]
    np.testing.assert_allclose(caffe.numpy(), before[::-1] * 256 - mean, rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(content.numpy(), before)
    back = deprocess(caffe.double())
    assert back.type() == 'torch.DoubleTensor'
    np.testing.assert_allclose(back.numpy(), before, rtol=1e-5, atol=1e-5)


def test_assembly_loop_inserts_losses_after_named_layers():
    """The loop walks cnn:get(i) until every content and style layer has its loss module: TVLoss first, a
    StyleLoss after relu1_1 and relu2_1, a ContentLoss after relu2_2, nothing after it (pool2 onwards are
    left out); with -pooling avg the max pooling becomes SpatialAveragePooling(2, 2, 2, 2)."""
    cnn = tiny_vgg()
    net, content_losses, style_losses = build_net(cnn, default_params())
    names = [lg.type(m) for m in net.modules]
    assert names == ['nn.TVLoss', 'nn.SpatialConvolution', 'nn.ReLU', 'nn.StyleLoss', 'nn.SpatialConvolution',
                     'nn.ReLU', 'nn.SpatialMaxPooling', 'nn.SpatialConvolution', 'nn.ReLU', 'nn.StyleLoss',
                     'nn.SpatialConvolution', 'nn.ReLU', 'nn.ContentLoss']
    assert net.get(1) is cnn.get(0) and len(content_losses) == 1 and len(style_losses) == 2
    assert len(net.findModules('nn.StyleLoss')[0]) == 2
    net, _, _ = build_net(tiny_vgg(), default_params(pooling='avg', tv_weight=0))
    pool = net.get(5)
    assert lg.type(pool) == 'nn.SpatialAveragePooling' and (pool.kW, pool.kH, pool.dW, pool.dH) == (2, 2, 2, 2)
    assert lg.type(net.get(0)) == 'nn.SpatialConvolution'


def test_lbfgs_style_transfer_lowers_loss_and_saves(tmp_path):
    """The whole of main() with L-BFGS (maxIter 30, tolX = tolFun = -1 so every iteration runs, verbose off)
    from -init image: 30 fevals (lbfgs skips the re-evaluation after its last step), the total loss ends
    under 1% of its first value (lbfgs without a line search overshoots on the way: the loss is quartic in
    the image); maybe_save writes out_10.png and out_20.png by build_filename and out.png at the last
    iteration through image.minmax and image.save; the saved image reads back in [0, 1]."""
    content, style = tiny_images()
    params = default_params(init='image', output_image=os.path.join(str(tmp_path), 'out.png'))
    img, losses, content_losses, style_losses, saved = run_style_transfer(params, content, [style])
    assert len(losses) == 30 and np.isfinite(losses).all()
    assert losses[-1] < 0.01 * losses[0]
    assert all(m.loss > 0 for m in style_losses) and content_losses[0].loss > 0
    assert [os.path.basename(f) for f in saved] == ['out_10.png', 'out_20.png', 'out.png']
    for f in saved:
        assert os.path.exists(f)
    back = image.load(saved[-1], 3, 'float')
    assert tuple(back.size()) == (3, 16, 16) and float(back.min()) >= 0 and float(back.max()) <= 1


def test_adam_style_transfer_lowers_style_loss(tmp_path):
    """-optimizer adam (learning_rate 10, one feval per step) on style alone (content_weight 0) from the
    random image: after 40 steps the loss is under 30% of its first value; save_iter 0 still saves the last
    iteration; two style images blend with weights 1/2 each."""
    content, style = tiny_images()
    params = default_params(optimizer='adam', num_iterations=40, save_iter=0, content_weight=0, tv_weight=0,
                            learning_rate=10.0, output_image=os.path.join(str(tmp_path), 'out.png'))
    img, losses, content_losses, style_losses, saved = run_style_transfer(params, content, [style, style])
    assert saved == [params['output_image']] and len(losses) == 40
    assert losses[-1] < 0.3 * losses[0]
    assert style_losses[1].target.nElement() == 36 and style_losses[0].target.nElement() == 16


def test_style_blend_weights_sum_the_targets():
    """Capturing with blend weights 1/4 and 3/4 (lines 168-175) gives 1/4 G(a) + 3/4 G(b) in each StyleLoss,
    G the Gram matrix divided by the feature map's size."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    content, style = tiny_images()
    a, b = preprocess(content.double()), preprocess(style.double())
    cnn = tiny_vgg()
    net, content_losses, style_losses = build_net(cnn, default_params(), 'torch.DoubleTensor')
    capture_targets(net, content_losses, style_losses, a, [a, b], [0.25, 0.75], 'torch.DoubleTensor')
    fa = cnn.get(1).forward(cnn.get(0).forward(a)).numpy().reshape(4, -1).copy()
    fb = cnn.get(1).forward(cnn.get(0).forward(b)).numpy().reshape(4, -1).copy()
    expected = 0.25 * fa @ fa.T / fa.size + 0.75 * fb @ fb.T / fb.size
    np.testing.assert_allclose(style_losses[0].target.numpy(), expected, rtol=1e-10)
    assert content_losses[0].mode == 'loss' and style_losses[1].mode == 'loss'


def test_multigpu_split_and_original_colors():
    """setup_multi_gpu with two devices and the default strategy (layer 3, one later for the TVLoss) cuts the
    net after its 4th module: the two chunks give the unsplit net's output and gradient; -multigpu_strategy
    '2,5' with three devices makes chunks of 2, 3 and the rest. original_colors keeps the generated image's
    Y and the content's U and V (rgb2yuv, torch.cat along the channels, yuv2rgb)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    content, style = tiny_images()
    net, content_losses, style_losses = build_net(tiny_vgg(), default_params(), 'torch.DoubleTensor')
    a, b = preprocess(content.double()), preprocess(style.double())
    capture_targets(net, content_losses, style_losses, a, [b], [1.0], 'torch.DoubleTensor')
    x = a.clone().mul(0.5)
    y = net.forward(x).clone()
    grad = net.updateGradInput(x, lg.zeros(y.size())).clone()
    modules = list(net.modules)
    split = setup_multi_gpu(net, dict(default_params(), gpu=[0, 1], multigpu_strategy=''))
    assert [len(chunk) for chunk in split.modules] == [4, len(modules) - 4]
    assert [m for chunk in split.modules for m in chunk.modules] == modules
    np.testing.assert_allclose(split.forward(x).numpy(), y.numpy(), rtol=1e-12)
    np.testing.assert_allclose(split.updateGradInput(x, lg.zeros(y.size())).numpy(), grad.numpy(), rtol=1e-12)
    three = setup_multi_gpu(net, dict(default_params(), gpu=[0, 1, 2], multigpu_strategy='2,5'))
    assert [len(chunk) for chunk in three.modules] == [2, 3, len(modules) - 5]

    # torch/image's rgb2yuv and yuv2rgb coefficients (5 digits) are inverses only to about 2e-5
    same = original_colors(content.double(), content.double())
    np.testing.assert_allclose(same.numpy(), content.numpy(), atol=1e-4)
    mixed = original_colors(content.double(), style.double())
    yuv = image.rgb2yuv(mixed).numpy()
    np.testing.assert_allclose(yuv[0], image.rgb2yuv(style.double()).numpy()[0], atol=1e-4)
    np.testing.assert_allclose(yuv[1:], image.rgb2yuv(content.double()).numpy()[1:], atol=1e-4)
    assert np.abs(mixed.numpy() - content.numpy()).max() > 0.1


@pytest.mark.gpu
def test_style_transfer_on_the_gpu(tmp_path):
    """setup_gpu's dtype torch.CudaTensor: the net, the loss modules and the image on CUDA; adam and lbfgs
    (on the CUDA image) lower the loss as on the CPU; maybe_save's img:double() comes back to the CPU."""
    content, style = tiny_images()
    for optimizer, init in (('adam', 'random'), ('lbfgs', 'image')):
        params = default_params(optimizer=optimizer, init=init, num_iterations=10, save_iter=0,
                                learning_rate=10.0, output_image=os.path.join(str(tmp_path), 'out.png'))
        img, losses, content_losses, style_losses, saved = run_style_transfer(params, content, [style],
                                                                               'torch.CudaTensor')
        assert img.type() == 'torch.CudaTensor' and style_losses[0].target.type() == 'torch.CudaTensor'
        assert len(losses) == 10 and losses[-1] < losses[0] and saved == [params['output_image']]
