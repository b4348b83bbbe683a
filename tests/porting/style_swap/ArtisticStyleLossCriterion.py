"""lib/ArtisticStyleLossCriterion.lua of rtqichen/style-swap (MIT licence), ported line by line.

The perceptual loss: the VGG ``cnn`` cut after the last named loss layer (max-pooling floored, or replaced by
average pooling), with loss modules after the named layers, a TVLossModule in front when ``weights['tv'] > 0``
and the [0,1] RGB -> Caffe BGR preprocessing convolution first; the loss is the sum of the modules' losses.
"""
import math

import legonn as lg
from legonn import nn
from tests.porting.adain_style import ContentLossModule, getPreprocessConv
from tests.porting.style_swap.StyleGramMatrixLossModule import StyleGramMatrixLossModule
from tests.porting.style_swap.StylePatchLossModule import StylePatchLossModule
from tests.porting.style_swap.TVLossModule import TVLossModule


class ArtisticStyleLossCriterion(nn.Criterion):

    def __init__(self, cnn, layers=None, use_avg_pool=None, weights=None, target=None, only_pad_beginning=None,
                 patch_size=None, patch_stride=None, normalize=None):
        super().__init__()

        layers = layers or {}
        layers['content'] = layers.get('content') or []
        layers['gramstyle'] = layers.get('gramstyle') or []
        layers['patchstyle'] = layers.get('patchstyle') or []

        weights = weights or {}
        weights['content'] = weights.get('content') or 0
        weights['gramstyle'] = weights.get('gramstyle') or 0
        weights['patchstyle'] = weights.get('patchstyle') or 0
        weights['tv'] = weights.get('tv') or 0

        if weights['gramstyle'] + weights['patchstyle'] + weights['tv'] + weights['content'] <= 0:
            raise RuntimeError('Weights must be provided / cannot all be zero.')

        if weights['patchstyle'] <= 0:
            layers['patchstyle'] = []
        if weights['gramstyle'] <= 0:
            layers['gramstyle'] = []
        if weights['content'] <= 0:
            layers['content'] = []

        if len(layers['gramstyle']) + len(layers['patchstyle']) + len(layers['content']) == 0:
            raise RuntimeError('Must indicate layer(s) to attach loss modules to.')

        use_avg_pool = use_avg_pool or False
        only_pad_beginning = only_pad_beginning or False
        patch_stride = patch_stride or 1
        patch_size = patch_size or 3
        if normalize is None:
            normalize = True

        net = nn.Sequential()

        patchstyle_layers = []
        gramstyle_layers = []
        content_layers = []

        next_gramstyle_idx = 0
        next_patchstyle_idx = 0
        next_content_idx = 0

        if weights['tv'] > 0:
            tv_mod = TVLossModule(weights['tv'])
            net.add(tv_mod)

        def nop(*args):
            pass

        pad_depth, required_padding = 0, 0
        for i in range(len(cnn)):
            if next_patchstyle_idx < len(layers['patchstyle']) or \
                    next_gramstyle_idx < len(layers['gramstyle']) or \
                    next_content_idx < len(layers['content']):
                layer = cnn.get(i)
                name = layer.name
                if lg.type(layer) == 'nn.SpatialConvolution':
                    # remove weight gradients.
                    layer.accGradParameters = nop
                    layer.gradWeight = None
                    layer.gradBias = None
                    # setting padding to zero
                    if only_pad_beginning:
                        layer.padW = 0
                        layer.padH = 0
                        required_padding = required_padding + math.pow(2, pad_depth)
                # change max pooling to average pooling
                if lg.type(layer) == 'nn.SpatialMaxPooling':
                    layer.floor()
                    pad_depth = pad_depth + 1
                    if use_avg_pool:
                        kW, kH, dW, dH = layer.kH, layer.kW, layer.dH, layer.dW
                        layer = nn.SpatialAveragePooling(kW, kH, dW, dH)

                net.add(layer)

                # add loss modules
                if next_patchstyle_idx < len(layers['patchstyle']) and \
                        name == layers['patchstyle'][next_patchstyle_idx]:
                    loss_module = StylePatchLossModule(weights['patchstyle'], normalize)
                    net.add(loss_module)
                    patchstyle_layers.append(loss_module)
                    next_patchstyle_idx = next_patchstyle_idx + 1
                if next_gramstyle_idx < len(layers['gramstyle']) and \
                        name == layers['gramstyle'][next_gramstyle_idx]:
                    loss_module = StyleGramMatrixLossModule(weights['gramstyle'], normalize)
                    net.add(loss_module)
                    gramstyle_layers.append(loss_module)
                    next_gramstyle_idx = next_gramstyle_idx + 1
                if next_content_idx < len(layers['content']) and name == layers['content'][next_content_idx]:
                    loss_module = ContentLossModule(weights['content'], normalize)
                    net.add(loss_module)
                    content_layers.append(loss_module)
                    next_content_idx = next_content_idx + 1

        # Error checking
        if next_patchstyle_idx < len(layers['patchstyle']) - 1:
            raise RuntimeError('Could not find layer ' + layers['patchstyle'][next_patchstyle_idx])
        if next_gramstyle_idx < len(layers['gramstyle']) - 1:
            raise RuntimeError('Could not find layer ' + layers['gramstyle'][next_gramstyle_idx])
        if next_content_idx < len(layers['content']) - 1:
            raise RuntimeError('Could not find layer ' + layers['content'][next_content_idx])

        # Re-apply padding
        if only_pad_beginning:
            padding_module = nn.SpatialReflectionPadding(required_padding, required_padding, required_padding,
                                                         required_padding)
            if weights['tv'] > 0:
                net.insert(padding_module, 1)
            else:
                net.insert(padding_module, 0)

        # Insert preprocessing images from [0,1]
        # to whatever VGG-19 uses.
        net.insert(getPreprocessConv(), 0)

        # Prepare
        self.net = net

        self.patchstyle_layers = patchstyle_layers
        self.gramstyle_layers = gramstyle_layers
        self.content_layers = content_layers

        self.dy = lg.Tensor()
        if target is not None:
            self.setTargets(target, patch_size, patch_stride)

    def setTargets(self, targets, patch_size=None, patch_stride=None):
        if targets.get('style') is None and targets.get('content') is None:
            raise RuntimeError('Must provide either target.style or target.content images.')
        self.unsetTargets()

        # set latent responses from each style layer as the target
        if targets.get('style') is not None:
            self.setStyleTarget(targets['style'], patch_size, patch_stride)

        if targets.get('content') is not None:
            self.setContentTarget(targets['content'])

    def setContentTarget(self, target):
        if len(self.content_layers) == 0:
            return
        if target is None:
            raise RuntimeError('Must provide target content image.')
        assert target.nDimension() == 3 or target.nDimension() == 4, 'Content target must be 3D or 4D (batch).'
        self.targets = getattr(self, 'targets', None) or {}

        self.targets['content'] = target.clone()
        self.net.clearState()
        self.net.forward(self.targets['content'])
        for i in range(len(self.content_layers)):
            target_features = self.content_layers[i].output
            self.content_layers[i].setTarget(target_features)

    def setStyleTarget(self, target, patch_size=None, patch_stride=None):
        if len(self.patchstyle_layers) + len(self.gramstyle_layers) <= 0:
            return
        if target is None:
            raise RuntimeError('Must provide target style image.')
        assert target.nDimension() == 3 or target.nDimension() == 4, 'Content target must be 3D or 4D (batch).'
        patch_size = patch_size or 3
        patch_stride = patch_stride or 1
        self.targets = getattr(self, 'targets', None) or {}

        self.targets['style'] = target.clone()

        # temporarily remove content targets, else the module
        # may error out due to incorrect size.
        content_targets = {}
        for i in range(len(self.content_layers)):
            content_targets[i] = self.content_layers[i].target
            self.content_layers[i].target = None

        self.net.clearState()
        self.net.forward(self.targets['style'])
        for i in range(len(self.patchstyle_layers)):
            target_features = self.patchstyle_layers[i].output
            self.patchstyle_layers[i].setTarget(target_features, patch_size, patch_stride)
        for i in range(len(self.gramstyle_layers)):
            target_features = self.gramstyle_layers[i].output
            self.gramstyle_layers[i].setTarget(target_features)

        # reset the content targets
        for i in range(len(self.content_layers)):
            self.content_layers[i].target = content_targets[i]

    def addStyleTarget(self, target):
        assert len(self.patchstyle_layers) + len(self.gramstyle_layers) > 0, 'No style layers.'
        if target is None:
            raise RuntimeError('Must provide target style image.')
        assert target.nDimension() == 3, 'Only supports 3D style target.'

        assert len(self.patchstyle_layers) == 0, \
            'Only gramstyle layers are supported for addStyleTarget, but there is one or more patch-style loss.'

        self.targets = getattr(self, 'targets', None) or {}

        self.targets['style'] = target.clone()
        self.net.clearState()
        self.net.forward(self.targets['style'])
        for i in range(len(self.gramstyle_layers)):
            target_features = self.gramstyle_layers[i].output
            self.gramstyle_layers[i].addTarget(target_features)

    def unsetTargets(self):
        for i in range(len(self.patchstyle_layers)):
            self.patchstyle_layers[i].unsetTarget()
        for i in range(len(self.gramstyle_layers)):
            self.gramstyle_layers[i].unsetTarget()
        for i in range(len(self.content_layers)):
            self.content_layers[i].unsetTarget()

    # Assumes input and target are both C x H x W images. (C=3)
    # Batch mode optional.
    def updateOutput(self, input, targets=None):
        self.recompute_gradInput = True
        if not getattr(self, 'targets', None):
            self.setTargets(targets)
        self.net.forward(input)
        # accumulate losses from the style loss layers
        styleLoss = 0
        contentLoss = 0
        for mod in self.patchstyle_layers:
            styleLoss = styleLoss + mod.loss
        for mod in self.gramstyle_layers:
            styleLoss = styleLoss + mod.loss
        for mod in self.content_layers:
            contentLoss = contentLoss + mod.loss
        self.styleLoss = styleLoss
        self.contentLoss = contentLoss
        self.output = styleLoss + contentLoss
        return self.output

    def updateGradInput(self, input, targets=None):
        if self.recompute_gradInput:
            dy = self.dy.typeAs(self.net.output).resizeAs(self.net.output).zero()
            grad = self.net.backward(input, dy)
            self.gradInput = grad.clone()
            # reset targets
            if not getattr(self, 'targets', None):
                self.unsetTargets()
        self.recompute_gradInput = False
        return self.gradInput
