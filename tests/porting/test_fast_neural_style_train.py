"""jcjohnson/fast-neural-style's perceptual training ported line by line: fast_neural_style/GramMatrix.lua,
ContentLoss.lua, StyleLoss.lua and DeepDreamLoss.lua as user modules, PerceptualCriterion.lua as a user
criterion, layer_utils.lua (layer strings, ``insert_after``, ``trim_network``), preprocess.lua (vgg and
resnet), utils.lua's ``parse_layers``, DataLoader.lua over an HDF5 file (legonn.hdf5's ``partial``), and
train.lua's main loop for the style task (lines 66-324: the loss network loaded with ``torch.load``, the style
target set, the closure with the perceptual and pixel losses and the lazy reflection padding, optim.adam,
the loss histories, validation, the JSON and ``.t7`` checkpoint). models.lua's ``build_model`` comes from
test_fast_neural_style.py.

Mechanical edits: layer strings address container positions, so they are 0-based here (train.lua's
default ``-content_layers 16`` is ``'15'``); hdf5's ``partial`` ranges are 0-based, both ends included;
``crit(x, t)`` (a criterion called) returns the loss first, as the porting guide says. VGG-16 (a 528 MB
download) is replaced by a four-convolution network of VGG's layer types, saved by ``lg.save_lua`` and loaded
back as train.lua loads ``models/vgg16.t7``; images are 16x16."""
import json
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, hdf5, nn, optim, paths
from tests.checks import assert_jacobian, numeric_gradient
from tests.porting.test_fast_neural_style import build_model


# --- fast_neural_style/GramMatrix.lua ----------------------------------------------------------------------

class GramMatrix(nn.Module):

    def __init__(self, normalize=None):
        super().__init__()
        if normalize is not None:
            assert isinstance(normalize, bool), 'normalize has to be true/false'
            self.normalize = normalize
        else:
            self.normalize = True
        self.buffer = lg.Tensor()

    def updateOutput(self, input):
        if input.dim() == 3:
            C, H, W = input.size(0), input.size(1), input.size(2)
            x_flat = input.view(C, H * W)
            self.output.resize(C, C)
            self.output.mm(x_flat, x_flat.t())
        elif input.dim() == 4:
            N = input.size(0)
            C, H, W = input.size(1), input.size(2), input.size(3)
            self.output.resize(N, C, C)
            x_flat = input.view(N, C, H * W)
            self.output.resize(N, C, C)
            self.output.bmm(x_flat, x_flat.transpose(1, 2))
        if self.normalize:
            self.output.div(C * H * W)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(input).zero()
        if input.dim() == 3:
            C, H, W = input.size(0), input.size(1), input.size(2)
            x_flat = input.view(C, H * W)
            self.buffer.resize(C, H * W)
            self.buffer.mm(gradOutput, x_flat)
            self.buffer.addmm(gradOutput.t(), x_flat)
            self.gradInput = self.buffer.view(C, H, W)
        elif input.dim() == 4:
            N = input.size(0)
            C, H, W = input.size(1), input.size(2), input.size(3)
            x_flat = input.view(N, C, H * W)
            self.buffer.resize(N, C, H * W)
            self.buffer.bmm(gradOutput, x_flat)
            self.buffer.baddbmm(gradOutput.transpose(1, 2), x_flat)
            self.gradInput = self.buffer.view(N, C, H, W)
        if self.normalize:
            self.buffer.div(C * H * W)
        assert self.gradInput.isContiguous()
        return self.gradInput


# --- fast_neural_style/ContentLoss.lua, StyleLoss.lua, DeepDreamLoss.lua --------------------------------

class ContentLoss(nn.Module):
    """Identity forward; in 'capture' mode it keeps its input as the target, in 'loss' mode it adds
    strength * MSE(input, target) (or SmoothL1) to the gradient on the way back."""

    def __init__(self, strength=None, loss_type=None):
        super().__init__()
        self.strength = strength or 1.0
        self.loss = 0
        self.target = lg.Tensor()

        self.mode = 'none'
        loss_type = loss_type or 'L2'
        if loss_type == 'L2':
            self.crit = nn.MSECriterion()
        elif loss_type == 'SmoothL1':
            self.crit = nn.SmoothL1Criterion()
        else:
            raise ValueError('Invalid loss_type "%s"' % loss_type)

    def updateOutput(self, input):
        if self.mode == 'capture':
            self.target.resizeAs(input).copy(input)
        elif self.mode == 'loss':
            self.loss = self.strength * self.crit.forward(input, self.target)
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.mode == 'capture' or self.mode == 'none':
            self.gradInput = gradOutput
        elif self.mode == 'loss':
            self.gradInput = self.crit.backward(input, self.target)
            self.gradInput.mul(self.strength)
            self.gradInput.add(gradOutput)
        return self.gradInput

    def setMode(self, mode):
        if mode != 'capture' and mode != 'loss' and mode != 'none':
            raise ValueError('Invalid mode "%s"' % mode)
        self.mode = mode


class StyleLoss(nn.Module):
    """Identity forward; the loss compares the input's Gram matrices (or plane means) with the captured
    target's, a target of one image serving a whole minibatch (expandAs)."""

    def __init__(self, strength=None, loss_type=None, agg_type=None):
        super().__init__()
        self.agg_type = agg_type or 'gram'
        self.strength = strength or 1.0
        self.loss = 0
        self.target = lg.Tensor()

        if self.agg_type == 'gram':
            self.agg = GramMatrix()
        elif self.agg_type == 'mean':
            self.agg = nn.Sequential()
            self.agg.add(nn.Mean(2))
            self.agg.add(nn.Mean(2))
        else:
            raise ValueError('Unsupported aggregation type ' + agg_type)
        self.agg_out = None

        self.mode = 'none'
        loss_type = loss_type or 'L2'
        if loss_type == 'L2':
            self.crit = nn.MSECriterion()
        elif loss_type == 'SmoothL1':
            self.crit = nn.SmoothL1Criterion()
        else:
            raise ValueError('invalid loss type "%s"' % loss_type)

    def updateOutput(self, input):
        self.agg_out = self.agg.forward(input)
        if self.mode == 'capture':
            self.target.resizeAs(self.agg_out).copy(self.agg_out)
        elif self.mode == 'loss':
            target = self.target
            if self.agg_out.size(0) > 1 and self.target.size(0) == 1:
                # Handle minibatch inputs
                target = target.expandAs(self.agg_out)
            self.loss = self.strength * self.crit(self.agg_out, target)[0]
            self._target = target
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.mode == 'capture' or self.mode == 'none':
            self.gradInput = gradOutput
        elif self.mode == 'loss':
            self.crit.backward(self.agg_out, self._target)
            self.crit.gradInput.mul(self.strength)
            self.agg.backward(input, self.crit.gradInput)
            self.gradInput.add(self.agg.gradInput, gradOutput)
        return self.gradInput

    def setMode(self, mode):
        if mode != 'capture' and mode != 'loss' and mode != 'none':
            raise ValueError('Invalid mode "%s"' % mode)
        self.mode = mode


class DeepDreamLoss(nn.Module):

    def __init__(self, strength=None, max_grad=None):
        super().__init__()
        self.strength = strength or 1e-5
        self.max_grad = max_grad or 100.0
        self.clipped = lg.Tensor()
        self.loss = 0

    def updateOutput(self, input):
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput.resizeAs(gradOutput).copy(gradOutput)
        self.clipped.resizeAs(input).clamp(input, -self.max_grad, self.max_grad)
        self.gradInput.add(-self.strength, self.clipped)
        return self.gradInput


# --- fast_neural_style/layer_utils.lua ---------------------------------------------------------------------

def layer_string_to_nums(layer_string):
    nums = []
    for s in layer_string.split('-'):
        nums.append(int(s))
    return nums


def compare_layer_strings(s1, s2):
    """True if s1 comes before s2: 2-3 comes AFTER 2-3-X for all X."""
    left = layer_string_to_nums(s1)
    right = layer_string_to_nums(s2)
    out = None
    for i in range(min(len(left), len(right))):
        if left[i] < right[i]:
            out = True
        elif left[i] > right[i]:
            out = False
        if out is not None:
            break

    if out is None:
        out = (len(left) > len(right))
    return out


def get_layer(net, layer_string):
    nums = layer_string_to_nums(layer_string)
    layer = net
    for i, num in enumerate(nums):
        count = -1   # Lua's 0: the first counted layer is number 0 here
        for j in range(len(layer)):
            if not getattr(layer.get(j), '_ignore', None):
                count = count + 1
            if count == num:
                layer = layer.get(j)
                break
    return layer


def insert_after(net, layer_string, new_layer):
    """Insert a new layer immediately after the layer specified by a layer string, flagged ``_ignore`` so
    that the layer strings of the others stay as they were."""
    new_layer._ignore = True
    nums = layer_string_to_nums(layer_string)
    container = net
    for i in range(len(nums)):
        count = -1
        for j in range(len(container)):
            if not getattr(container.get(j), '_ignore', None):
                count = count + 1
            if count == nums[i]:
                if i < len(nums) - 1:
                    container = container.get(j)
                    break
                elif i == len(nums) - 1:
                    container.insert(new_layer, j + 1)
                    return


def trim_network(net):
    """Remove the layers of the network that occur after the last _ignore."""
    def contains_ignore(layer):
        if lg.isTypeOf(layer, nn.Container):
            found = False
            for i in range(layer.size()):
                found = found or contains_ignore(layer.get(i))
            return found
        else:
            return getattr(layer, '_ignore', None) is True
    last_layer = -1
    for i in range(len(net)):
        if contains_ignore(net.get(i)):
            last_layer = i
    num_to_remove = len(net) - 1 - last_layer
    for i in range(num_to_remove):
        net.remove()
    return net


# --- fast_neural_style/PerceptualCriterion.lua ------------------------------------------------------------

class PerceptualCriterion(nn.Criterion):
    """The content, style and DeepDream losses of a CNN with loss modules inserted after the named layers.
    ``updateOutput``'s ``self.setStyleTarget(...)`` is the Lua's (a dot where a colon belongs, which Lua
    would call without self; train.lua sets the style target directly, so that line never runs there)."""

    def __init__(self, args):
        super().__init__()
        args['content_layers'] = args.get('content_layers') or []
        args['style_layers'] = args.get('style_layers') or []
        args['deepdream_layers'] = args.get('deepdream_layers') or []

        self.net = args['cnn']
        self.net.evaluate()
        self.content_loss_layers = []
        self.style_loss_layers = []
        self.deepdream_loss_layers = []

        # Set up content loss layers
        for i, layer_string in enumerate(args['content_layers']):
            weight = args['content_weights'][i]
            content_loss_layer = ContentLoss(weight, args.get('loss_type'))
            insert_after(self.net, layer_string, content_loss_layer)
            self.content_loss_layers.append(content_loss_layer)

        # Set up style loss layers
        for i, layer_string in enumerate(args['style_layers']):
            weight = args['style_weights'][i]
            style_loss_layer = StyleLoss(weight, args.get('loss_type'), args.get('agg_type'))
            insert_after(self.net, layer_string, style_loss_layer)
            self.style_loss_layers.append(style_loss_layer)

        # Set up DeepDream layers
        for i, layer_string in enumerate(args['deepdream_layers']):
            weight = args['deepdream_weights'][i]
            deepdream_loss_layer = DeepDreamLoss(weight)
            insert_after(self.net, layer_string, deepdream_loss_layer)
            self.deepdream_loss_layers.append(deepdream_loss_layer)

        trim_network(self.net)
        self.grad_net_output = lg.Tensor()

    def setStyleTarget(self, target):
        """target: (1, 3, H, W) pixels of the style image."""
        for content_loss_layer in self.content_loss_layers:
            content_loss_layer.setMode('none')
        for style_loss_layer in self.style_loss_layers:
            style_loss_layer.setMode('capture')
        self.net.forward(target)

    def setContentTarget(self, target):
        """target: (N, 3, H, W) pixels of the content images."""
        for style_loss_layer in self.style_loss_layers:
            style_loss_layer.setMode('none')
        for content_loss_layer in self.content_loss_layers:
            content_loss_layer.setMode('capture')
        self.net.forward(target)

    def setStyleWeight(self, weight):
        for style_loss_layer in self.style_loss_layers:
            style_loss_layer.strength = weight

    def setContentWeight(self, weight):
        for content_loss_layer in self.content_loss_layers:
            content_loss_layer.strength = weight

    def updateOutput(self, input, target):
        if target.get('content_target') is not None:
            self.setContentTarget(target['content_target'])
        if target.get('style_target') is not None:
            self.setStyleTarget(target['style_target'])

        # Make sure to set all content and style loss layers to loss mode before
        # running the image forward.
        for content_loss_layer in self.content_loss_layers:
            content_loss_layer.setMode('loss')
        for style_loss_layer in self.style_loss_layers:
            style_loss_layer.setMode('loss')

        output = self.net.forward(input)

        # Set up a tensor of zeros to pass as gradient to net in backward pass
        self.grad_net_output.resizeAs(output).zero()

        # Go through and add up losses
        self.total_content_loss = 0
        self.content_losses = []
        self.total_style_loss = 0
        self.style_losses = []
        for content_loss_layer in self.content_loss_layers:
            self.total_content_loss = self.total_content_loss + content_loss_layer.loss
            self.content_losses.append(content_loss_layer.loss)
        for style_loss_layer in self.style_loss_layers:
            self.total_style_loss = self.total_style_loss + style_loss_layer.loss
            self.style_losses.append(style_loss_layer.loss)

        self.output = self.total_style_loss + self.total_content_loss
        return self.output

    def updateGradInput(self, input, target):
        self.gradInput = self.net.updateGradInput(input, self.grad_net_output)
        return self.gradInput


# --- fast_neural_style/preprocess.lua ------------------------------------------------------------------------

def check_input(img):
    assert img.dim() == 4, 'img must be N x C x H x W'
    assert img.size(1) == 3, 'img must have three channels'


resnet_mean = [0.485, 0.456, 0.406]
resnet_std = [0.229, 0.224, 0.225]


def resnet_preprocess(img):
    check_input(img)
    mean = img.new(resnet_mean).view(1, 3, 1, 1).expandAs(img)
    std = img.new(resnet_std).view(1, 3, 1, 1).expandAs(img)
    return (img - mean).cdiv(std)


def resnet_deprocess(img):
    check_input(img)
    mean = img.new(resnet_mean).view(1, 3, 1, 1).expandAs(img)
    std = img.new(resnet_std).view(1, 3, 1, 1).expandAs(img)
    return lg.cmul(img, std).add(mean)


vgg_mean = [103.939, 116.779, 123.68]


def vgg_preprocess(img):
    """[0, 1] RGB to VGG's input: BGR, [0, 255], the mean subtracted."""
    check_input(img)
    mean = img.new(vgg_mean).view(1, 3, 1, 1).expandAs(img)
    perm = lg.LongTensor([2, 1, 0])
    return img.index(1, perm).mul(255).add(-1, mean)


def vgg_deprocess(img):
    check_input(img)
    mean = img.new(vgg_mean).view(1, 3, 1, 1).expandAs(img)
    perm = lg.LongTensor([2, 1, 0])
    return (img + mean).div(255).index(1, perm)


preprocess_table = {'resnet': {'preprocess': resnet_preprocess, 'deprocess': resnet_deprocess},
                    'vgg': {'preprocess': vgg_preprocess, 'deprocess': vgg_deprocess}}


# --- fast_neural_style/utils.lua ------------------------------------------------------------------------------

def parse_num_list(s):
    nums = []
    for ss in s.split(','):
        nums.append(float(ss))
    return nums


def parse_layers(layers_string, weights_string):
    """Comma-separated layer strings and weights; one weight is repeated for every layer."""
    layers = layers_string.split(',')
    weights = parse_num_list(weights_string)
    if len(weights) == 1 and len(layers) > 1:
        # Duplicate the same weight for all layers
        w = weights[0]
        weights = []
        for i in range(len(layers)):
            weights.append(w)
    elif len(weights) != len(layers):
        msg = 'size mismatch between layers "%s" and weights "%s"'
        raise ValueError(msg % (layers_string, weights_string))
    return layers, weights


def write_json(path, j):
    cjson.encode_sparse_array(True, 2, 10)
    text = cjson.encode(j)
    with open(path, 'w') as f:
        f.write(text)


# --- fast_neural_style/DataLoader.lua --------------------------------------------------------------------------

class DataLoader:

    def __init__(self, opt):
        assert opt.get('h5_file'), 'Must provide h5_file'
        assert opt.get('batch_size'), 'Must provide batch size'
        self.preprocess_fn = preprocess_table[opt['preprocessing']]['preprocess']

        self.task = opt['task']

        self.h5_file = hdf5.open(opt['h5_file'], 'r')
        self.batch_size = opt['batch_size']

        self.split_idxs = {'train': 0, 'val': 0}

        self.image_paths = {'train': '/train2014/images', 'val': '/val2014/images'}

        train_size = self.h5_file.read(self.image_paths['train']).dataspaceSize()
        self.split_sizes = {
            'train': train_size[0],
            'val': self.h5_file.read(self.image_paths['val']).dataspaceSize()[0],
        }
        self.num_channels = train_size[1]
        self.image_height = train_size[2]
        self.image_width = train_size[3]

        self.num_minibatches = {}
        for k, v in self.split_sizes.items():
            self.num_minibatches[k] = math.floor(v / self.batch_size)

        if opt.get('max_train') and opt['max_train'] > 0:
            self.split_sizes['train'] = opt['max_train']

        self.rgb_to_gray = lg.FloatTensor([0.2989, 0.5870, 0.1140])

    def reset(self, split):
        self.split_idxs[split] = 0

    def getBatch(self, split):
        path = self.image_paths[split]

        start_idx = self.split_idxs[split]
        end_idx = min(start_idx + self.batch_size - 1, self.split_sizes[split] - 1)

        # Load images out of the HDF5 file
        images = self.h5_file.read(path).partial(
            [start_idx, end_idx],
            [0, self.num_channels - 1],
            [0, self.image_height - 1],
            [0, self.image_width - 1]).float().div(255)

        # Advance counters, maybe rolling back to the start
        self.split_idxs[split] = end_idx + 1
        if self.split_idxs[split] > self.split_sizes[split] - 1:
            self.split_idxs[split] = 0

        # Preprocess images
        images_pre = self.preprocess_fn(images)

        if self.task == 'style':
            # For style transfer just return the images twice
            return images_pre, images_pre


# --- the stand-in loss network and data --------------------------------------------------------------------

def loss_network():
    """VGG-16's first layers in kind (3x3 convolutions with padding 1, ReLU, 2x2 max pooling), narrow:
    positions 0 conv, 1 relu, 2 conv, 3 relu, 4 pool, 5 conv, 6 relu, 7 conv, 8 relu, 9 pool."""
    cnn = nn.Sequential()
    cnn.add(nn.SpatialConvolution(3, 6, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    cnn.add(nn.SpatialConvolution(6, 6, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    cnn.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    cnn.add(nn.SpatialConvolution(6, 8, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    cnn.add(nn.SpatialConvolution(8, 8, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True))
    cnn.add(nn.SpatialMaxPooling(2, 2, 2, 2))
    return cnn


def write_images(path, n_train=6, n_val=4, size=16, seed=0):
    """An HDF5 file laid out as make_style_dataset.py writes it: uint8 N x 3 x H x W under
    /train2014/images and /val2014/images, smooth random images."""
    h5py = pytest.importorskip('h5py')
    rng = np.random.default_rng(seed)

    def images(n):
        coarse = rng.uniform(0, 255, size=(n, 3, size // 4, size // 4))
        return np.kron(coarse, np.ones((1, 1, 4, 4))).astype(np.uint8)
    with h5py.File(path, 'w') as f:
        f.create_dataset('train2014/images', data=images(n_train))
        f.create_dataset('val2014/images', data=images(n_val))
    return path


def _train_opt(tmp_path, **changes):
    """train.lua's options for the style task, small: a tiny transformation network, the stand-in loss
    network, content at layer 5 (0-based), style at 1, 3, 6 and 8."""
    opt = {'arch': 'c3s1-4,d8,R8,u4,c3s1-3', 'use_instance_norm': 1, 'task': 'style',
           'h5_file': str(write_images(tmp_path / 'data.h5')), 'padding_type': 'reflect-start',
           'tanh_constant': 150, 'preprocessing': 'vgg', 'pixel_loss_type': 'L2', 'pixel_loss_weight': 0.0,
           'percep_loss_weight': 1.0, 'tv_strength': 1e-6, 'content_weights': '1.0', 'content_layers': '5',
           'loss_network': str(tmp_path / 'vgg16.t7'), 'style_image_size': 16, 'style_weights': '5.0',
           'style_layers': '1,3,6,8', 'style_target_type': 'gram', 'num_iterations': 12, 'max_train': -1,
           'batch_size': 2, 'learning_rate': 1e-2, 'lr_decay_every': -1, 'lr_decay_factor': 0.5,
           'checkpoint_name': str(tmp_path / 'cv' / 'checkpoint'), 'checkpoint_every': 6, 'num_val_batches': 2,
           'gpu': -1}
    opt.update(changes)
    return opt


def main(opt, style_image):
    """train.lua's main(): returns the loss histories and the model (the printing kept short)."""
    # Parse layer strings and weights
    opt['content_layers'], opt['content_weights'] = parse_layers(opt['content_layers'], opt['content_weights'])
    opt['style_layers'], opt['style_weights'] = parse_layers(opt['style_layers'], opt['style_weights'])

    # Figure out preprocessing
    if opt['preprocessing'] not in preprocess_table:
        msg = 'invalid -preprocessing "%s"; must be "vgg" or "resnet"'
        raise ValueError(msg % opt['preprocessing'])
    preprocess = preprocess_table[opt['preprocessing']]

    dtype, use_cudnn = 'torch.FloatTensor', False    # utils.setup_gpu(-1, ...)

    model = build_model(opt).type(dtype)
    model.training()

    # Set up the pixel loss function
    pixel_crit = None
    if opt['pixel_loss_weight'] > 0:
        pixel_crit = nn.MSECriterion().type(dtype)

    # Set up the perceptual loss function
    percep_crit = None
    if opt['percep_loss_weight'] > 0:
        loss_net = lg.load(opt['loss_network'])
        crit_args = {
            'cnn': loss_net,
            'style_layers': opt['style_layers'],
            'style_weights': opt['style_weights'],
            'content_layers': opt['content_layers'],
            'content_weights': opt['content_weights'],
            'agg_type': opt['style_target_type'],
        }
        percep_crit = PerceptualCriterion(crit_args).type(dtype)

        if opt['task'] == 'style':
            # Load the style image and set it (image.load and image.scale of the file: given here)
            H, W = style_image.size(1), style_image.size(2)
            style_image = preprocess['preprocess'](style_image.view(1, 3, H, W))
            percep_crit.setStyleTarget(style_image.type(dtype))

    loader = DataLoader(opt)
    params, grad_params = model.getParameters()

    def shave_y(x, y, out):
        if opt['padding_type'] == 'none':
            H, W = x.size(2), x.size(3)
            HH, WW = out.size(2), out.size(3)
            xs = (H - HH) // 2
            ys = (W - WW) // 2
            return y[:, :, xs:H - xs, ys:W - ys]
        else:
            return y

    def f(x):
        assert x is params
        grad_params.zero()

        x, y = loader.getBatch('train')
        x, y = x.type(dtype), y.type(dtype)

        # Run model forward
        out = model.forward(x)
        grad_out = None

        # if we are using reflect-start padding and the output is not the same size as the input, lazily add
        # reflection padding to the start of the model so the input and output have the same size.
        if opt['padding_type'] == 'reflect-start' and x.size(2) != out.size(2):
            ph = (x.size(2) - out.size(2)) / 2
            pw = (x.size(3) - out.size(3)) / 2
            pad_mod = nn.SpatialReflectionPadding(pw, pw, ph, ph).type(dtype)
            model.insert(pad_mod, 0)
            out = model.forward(x)

        y = shave_y(x, y, out)

        # Compute pixel loss and gradient
        pixel_loss = 0
        if pixel_crit is not None:
            pixel_loss = pixel_crit.forward(out, y)
            pixel_loss = pixel_loss * opt['pixel_loss_weight']
            grad_out_pix = pixel_crit.backward(out, y)
            if grad_out is not None:
                grad_out.add(opt['pixel_loss_weight'], grad_out_pix)
            else:
                grad_out_pix.mul(opt['pixel_loss_weight'])
                grad_out = grad_out_pix

        # Compute perceptual loss and gradient
        percep_loss = 0
        if percep_crit is not None:
            target = {'content_target': y}
            percep_loss = percep_crit.forward(out, target)
            percep_loss = percep_loss * opt['percep_loss_weight']
            grad_out_percep = percep_crit.backward(out, target)
            if grad_out is not None:
                grad_out.add(opt['percep_loss_weight'], grad_out_percep)
            else:
                grad_out_percep.mul(opt['percep_loss_weight'])
                grad_out = grad_out_percep

        loss = pixel_loss + percep_loss

        # Run model backward
        model.backward(x, grad_out)
        return loss, grad_params

    optim_state = {'learningRate': opt['learning_rate']}
    train_loss_history = []
    val_loss_history = []
    val_loss_history_ts = []
    style_loss_history = None
    if opt['task'] == 'style':
        style_loss_history = {}
        for k in opt['style_layers']:
            style_loss_history['style-%d' % int(k)] = []
        for k in opt['content_layers']:
            style_loss_history['content-%d' % int(k)] = []

    for t in range(1, opt['num_iterations'] + 1):
        _, loss = optim.adam(f, params, optim_state)

        train_loss_history.append(loss[0])

        if opt['task'] == 'style':
            for i, k in enumerate(opt['style_layers']):
                style_loss_history['style-%d' % int(k)].append(percep_crit.style_losses[i])
            for i, k in enumerate(opt['content_layers']):
                style_loss_history['content-%d' % int(k)].append(percep_crit.content_losses[i])

        if t % opt['checkpoint_every'] == 0:
            # Check loss on the validation set
            loader.reset('val')
            model.evaluate()
            val_loss = 0
            val_batches = opt['num_val_batches']
            for j in range(val_batches):
                x, y = loader.getBatch('val')
                x, y = x.type(dtype), y.type(dtype)
                out = model.forward(x)
                y = shave_y(x, y, out)
                percep_loss = 0
                if percep_crit is not None:
                    percep_loss = percep_crit.forward(out, {'content_target': y})
                    percep_loss = opt['percep_loss_weight'] * percep_loss
                val_loss = val_loss + percep_loss
            val_loss = val_loss / val_batches
            val_loss_history.append(val_loss)
            val_loss_history_ts.append(t)
            model.training()

            # Save a JSON checkpoint
            checkpoint = {
                'opt': opt,
                'train_loss_history': train_loss_history,
                'val_loss_history': val_loss_history,
                'val_loss_history_ts': val_loss_history_ts,
                'style_loss_history': style_loss_history,
            }
            filename = '%s.json' % opt['checkpoint_name']
            paths.mkdir(paths.dirname(filename))
            write_json(filename, checkpoint)

            # Save a torch checkpoint; convert the model to float first
            model.clearState()
            model.float()
            checkpoint['model'] = model
            filename = '%s.t7' % opt['checkpoint_name']
            lg.save(filename, checkpoint)

            # Convert the model back
            model.type(dtype)
            params, grad_params = model.getParameters()

        if opt['lr_decay_every'] > 0 and t % opt['lr_decay_every'] == 0:
            new_lr = opt['lr_decay_factor'] * optim_state['learningRate']
            optim_state = {'learningRate': new_lr}

    return train_loss_history, style_loss_history, val_loss_history, model


# --- tests ---------------------------------------------------------------------------------------------------

def _features(rng, *shape):
    return lg.from_numpy(rng.standard_normal(shape))


def test_gram_matrix_values_and_gradients():
    """GramMatrix: X X^T / (C H W) of each image's C x HW features, for one image (C x C) and a batch
    (N x C x C); the Jacobian agrees with finite differences in float64 both ways."""
    rng = np.random.default_rng(0)
    x = _features(rng, 2, 3, 4, 5)
    gram = GramMatrix().double()
    flat = x.numpy().reshape(2, 3, 20)
    np.testing.assert_allclose(gram.forward(x).numpy(), flat @ flat.transpose(0, 2, 1) / 60, rtol=1e-12)
    np.testing.assert_allclose(GramMatrix(False).double().forward(x[0]).numpy(), flat[0] @ flat[0].T,
                               rtol=1e-12)
    assert_jacobian(GramMatrix(), x, params=False)
    assert_jacobian(GramMatrix(), x[1], params=False)


def test_layer_strings_insert_after_and_trim():
    """Layer strings count the layers not flagged _ignore, so inserting loss modules keeps the others'
    strings; '1-0' reaches into a nested container; compare_layer_strings puts 1-2 after 1-2-0;
    trim_network drops what follows the last inserted layer."""
    net = nn.Sequential()
    net.add(nn.Linear(2, 2))
    inner = nn.Sequential().add(nn.Tanh()).add(nn.Sigmoid())
    net.add(inner).add(nn.ReLU()).add(nn.Linear(2, 3)).add(nn.SoftMax())
    assert get_layer(net, '1-1') is inner.get(1) and get_layer(net, '3') is net.get(3)
    first, nested = ContentLoss(), StyleLoss()
    insert_after(net, '0', first)
    insert_after(net, '1-0', nested)
    assert net.get(1) is first and inner.get(1) is nested and inner.get(2).__class__ is nn.Sigmoid
    assert get_layer(net, '1-1') is inner.get(2) and get_layer(net, '3') is net.get(4)
    assert compare_layer_strings('1-2-0', '1-2') and not compare_layer_strings('1-2', '1-2-0')
    assert compare_layer_strings('0-5', '1') and not compare_layer_strings('2', '1-9')
    trim_network(net)
    assert len(net) == 3 and net.get(2) is inner      # ReLU, Linear and SoftMax came after the last loss


def test_perceptual_criterion_loss_and_gradient():
    """The criterion's loss is strength * MSE of the content layer's features against the captured content
    target plus, per style layer, strength * MSE of the Gram matrices against the style image's (one image
    for the batch: expandAs); its gradient agrees with finite differences (float64)."""
    lg.manualSeed(1)
    rng = np.random.default_rng(1)
    crit = PerceptualCriterion({'cnn': loss_network(), 'content_layers': ['3'], 'content_weights': [2.0],
                                'style_layers': ['1', '6'], 'style_weights': [3.0, 0.5]}).double()
    # three loss modules in; what follows the last (style at the third ReLU) trimmed: 7 + 3 layers
    assert len(crit.net) == 10 and crit.net.get(9) is crit.style_loss_layers[1]
    style = _features(rng, 1, 3, 8, 8)
    content = _features(rng, 2, 3, 8, 8)
    x = _features(rng, 2, 3, 8, 8)
    crit.setStyleTarget(style)
    loss = crit.forward(x, {'content_target': content})

    plain = loss_network().double()
    for to, frm in zip(plain.parameters()[0], crit.net.parameters()[0]):
        to.copy(frm)

    def features(images, upto):
        out = images
        for i in range(upto + 1):
            out = plain.get(i).forward(out).clone()
        return out.numpy()

    def gram(f):
        flat = f.reshape(f.shape[0], f.shape[1], -1)
        return flat @ flat.transpose(0, 2, 1) / flat[0].size
    want = 2.0 * np.mean((features(x, 3) - features(content, 3)) ** 2)
    want_styles = [w * np.mean((gram(features(x, k)) - gram(features(style, k))) ** 2)
                   for k, w in ((1, 3.0), (6, 0.5))]
    assert crit.content_losses == pytest.approx([want], rel=1e-10)
    assert crit.style_losses == pytest.approx(want_styles, rel=1e-10)
    assert loss == pytest.approx(want + sum(want_styles), rel=1e-10)

    grad = crit.backward(x, {'content_target': content}).numpy().copy()
    array = x.numpy()

    def total():
        return crit.forward(x, {})                     # the targets stay as captured
    np.testing.assert_allclose(grad, numeric_gradient(total, array), rtol=1e-5, atol=1e-8)


def test_deep_dream_loss_adds_the_clipped_input():
    """DeepDreamLoss: identity forward; the gradient is gradOutput - strength * clamp(input, +-max_grad)."""
    m = DeepDreamLoss(0.5, 1.0)
    x = lg.Tensor([[-3, 0.25], [2, -0.5]])
    assert m.forward(x) is x
    g = m.backward(x, lg.Tensor([[1, 1], [1, 1]]))
    np.testing.assert_allclose(g.numpy(), [[1.5, 0.875], [0.5, 1.25]])


def test_preprocess_and_deprocess():
    """vgg: RGB [0, 1] to BGR [0, 255] minus VGG's mean, and back; resnet: (x - mean) / std, and back."""
    rng = np.random.default_rng(2)
    img = lg.from_numpy(rng.uniform(0, 1, size=(2, 3, 4, 4)).astype(np.float32))
    pre = vgg_preprocess(img)
    want = img.numpy()[:, ::-1] * 255 - np.array(vgg_mean, np.float32)[None, :, None, None]
    np.testing.assert_allclose(pre.numpy(), want, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(vgg_deprocess(pre).numpy(), img.numpy(), atol=1e-5)
    np.testing.assert_allclose(resnet_deprocess(resnet_preprocess(img)).numpy(), img.numpy(), atol=1e-6)
    with pytest.raises(AssertionError, match='three channels'):
        vgg_preprocess(img[:, :2])


def test_parse_layers():
    assert parse_layers('1,4,7', '5.0') == (['1', '4', '7'], [5.0, 5.0, 5.0])
    assert parse_layers('3,8', '1,2.5') == (['3', '8'], [1.0, 2.5])
    with pytest.raises(ValueError, match='size mismatch'):
        parse_layers('3,8,9', '1,2')


def test_data_loader_reads_batches_in_turn_and_wraps(tmp_path):
    """getBatch reads batch_size images of the split through hdf5's partial (0-based, both ends in), as
    floats / 255 preprocessed for VGG, a short last batch, then starts again; the style task returns the
    images twice; reset starts a split over."""
    h5py = pytest.importorskip('h5py')
    path = write_images(tmp_path / 'd.h5', n_train=5, n_val=3)
    loader = DataLoader({'h5_file': str(path), 'batch_size': 2, 'preprocessing': 'vgg', 'task': 'style'})
    assert loader.split_sizes == {'train': 5, 'val': 3} and loader.num_minibatches == {'train': 2, 'val': 1}
    raw = h5py.File(path, 'r')['train2014/images'][()]
    seen = []
    for _ in range(4):
        x, y = loader.getBatch('train')
        assert x is y
        seen.append(vgg_deprocess(x).numpy() * 255)
    for got, rows in zip(seen, ([0, 1], [2, 3], [4], [0, 1])):
        np.testing.assert_allclose(got, raw[rows].astype(np.float32), atol=2e-3)
    loader.getBatch('val')
    loader.reset('val')
    assert loader.split_idxs['val'] == 0


@pytest.fixture
def cjson_settings():
    """utils.write_json sets lua-cjson's sparse-array setting for the process, as in Lua: put it back after."""
    before = cjson.encode_sparse_array()
    yield
    cjson.encode_sparse_array(*before)


def test_train_lua_style_task(tmp_path, cjson_settings):
    """train.lua's main loop: the loss network goes through a .t7 file (save_lua, then torch.load's
    lg.load), the transformation network gets its reflection padding at the first forward, the perceptual
    loss falls over twelve adam steps, the per-layer histories are kept, validation runs at each checkpoint,
    and the JSON and model checkpoints read back (the model gives the trained model's output)."""
    lg.manualSeed(3)
    cnn = loss_network()
    lg.save_lua(str(tmp_path / 'vgg16.t7'), cnn)
    opt = _train_opt(tmp_path)
    style = lg.from_numpy(np.kron(np.random.default_rng(4).uniform(0, 1, size=(3, 2, 2)),
                                  np.ones((1, 8, 8))).astype(np.float32))
    history, per_layer, val, model = main(opt, style)
    assert len(history) == 12 and all(math.isfinite(v) for v in history)
    assert np.mean(history[-3:]) < 0.7 * np.mean(history[:3])
    assert lg.typename(model.get(0)) == 'nn.SpatialReflectionPadding'
    assert sorted(per_layer) == ['content-5', 'style-1', 'style-3', 'style-6', 'style-8']
    assert all(len(v) == 12 for v in per_layer.values()) and len(val) == 2
    saved = json.loads(open(str(tmp_path / 'cv' / 'checkpoint.json')).read())
    assert saved['train_loss_history'] == pytest.approx(history) and saved['val_loss_history_ts'] == [6, 12]
    checkpoint = lg.load(str(tmp_path / 'cv' / 'checkpoint.t7'))
    x = lg.Tensor(1, 3, 16, 16).uniform(-50, 50)
    model.evaluate()
    checkpoint['model'].evaluate()
    np.testing.assert_allclose(checkpoint['model'].forward(x).numpy(), model.forward(x).numpy(), rtol=1e-5,
                               atol=1e-4)
