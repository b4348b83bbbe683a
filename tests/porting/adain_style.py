"""xunhuang1995/AdaIN-style ported line by line: lib/AdaptiveInstanceNormalization.lua,
lib/InstanceNormalization.lua, lib/ContentLossModule.lua, lib/StyleINLossModule.lua, lib/TVLossCriterion.lua,
lib/TVLossModule.lua, lib/ArtisticStyleLossCriterion.lua, lib/utils.lua (matSqrt, getPreprocessConv,
extractImageNamesRecursive, coral, sizePreprocess, add_dummy, torch.find), train.lua's decoder construction and
training closure and checkpoints (``build_encoder``, ``build_decoder``, ``move_to_gpu``, ``train``,
``maybe_save``), lib/ImageLoaderAsync.lua and test.lua (``main_test_lua``, its ``styleTransfer`` and option
handling ``style_interp_weights``). The repo's own classes are user modules, as the Lua defines them with torch.class.

The edits beyond Lua syntax and 0-based indices, each the subject of a test in test_adain_style.py:
``torch.find`` and ``torch.FloatTensor:add_dummy`` (utils.lua adds them to torch's tables) are plain functions
here; methods replaced on one object (``layer.accGradParameters = nop``, ``conv.parameters = ...``) take the
method's arguments; ``torch.type(layer):find(...)`` is a substring test (docs/porting.md's ``s:find(p)`` row);
the option strings split from ``-styleInterpWeights`` are turned into numbers with ``float`` where Lua coerces them;
``string.find(filepath, 'jpg$')`` is ``re.search``.
lib/ImageLoaderAsync.lua is ported with legonn.threads: the worker's global ``imageLoader`` lives in
``threads.local`` (each Lua thread has its own globals), the file's upvalues H, W, len are the constructor's locals
the init closure captures (Torch7 serialises them when the pool starts), and Lua's three values from
``__getBatchFromThread`` (the third nil) are the two the loader returns; a ``nextBatch()`` whose first value
alone is kept is indexed ``[0]``. The CmdLine parsing of both scripts is a dict of options, test.lua's
``cutorch.setDevice(opt.gpu + 1)`` is ``setDevice(opt['gpu'])`` (devices are 0-based).

Not ported: lib/ImageLoader.lua (the synchronous loader nothing uses), train.lua's display/printing (the
``display`` web package) and ``-resume``, testVid.lua and styVid.sh (video through ffmpeg); the repo has no
demo.lua.
"""
import math
import re
import sys

import legonn as lg
from legonn import cudnn, cutorch, image, lfs, nn, optim, paths, threads


# --- lib/AdaptiveInstanceNormalization.lua -------------------------------------------------------------------------

class AdaptiveInstanceNormalization(nn.Module):
    """AdaIN: ``{content, style}`` (C x H x W each, or N x C x H x W with as many styles as contents) -> content
    normalised per (image, plane) over its pixels, then scaled by the style plane's (biased) standard deviation and
    shifted by its mean; the output has content's shape. No backward: the Lua leaves gradInput nil."""

    def __init__(self, nOutput, disabled=None, eps=None):
        super().__init__()
        self.eps = eps or 1e-5
        self.nOutput = nOutput
        self.batchSize = -1
        self.disabled = disabled

    def updateOutput(self, input):  # {content, style}
        content = input[0]
        style = input[1]

        if self.disabled:
            self.output = content
            return self.output

        if content.nDimension() == 3:
            assert content.size(0) == self.nOutput
            assert style.size(0) == self.nOutput
            N = 1
            Hc, Wc = content.size(1), content.size(2)
            Hs, Ws = style.size(1), style.size(2)
            content = content.view(1, self.nOutput, Hc, Wc)
            style = style.view(1, self.nOutput, Hs, Ws)
        elif content.nDimension() == 4:
            assert content.size(0) == style.size(0)
            assert content.size(1) == self.nOutput
            assert style.size(1) == self.nOutput
            N = content.size(0)
            Hc, Wc = content.size(2), content.size(3)
            Hs, Ws = style.size(2), style.size(3)

        # compute target mean and standard deviation from the style input
        styleView = style.view(N, self.nOutput, Hs * Ws)
        targetStd = styleView.std(2, True).view(-1)
        targetMean = styleView.mean(2).view(-1)

        # construct the internal BN layer
        bn = getattr(self, 'bn', None)
        if N != self.batchSize or (bn is not None and self.type() != bn.type()):
            self.bn = nn.SpatialBatchNormalization(N * self.nOutput, self.eps)
            self.bn.type(self.type())
            self.batchSize = N

        # set affine params for the internal BN layer
        self.bn.weight.copy(targetStd)
        self.bn.bias.copy(targetMean)

        contentView = content.view(1, N * self.nOutput, Hc, Wc)
        self.bn.training()
        self.output = self.bn.forward(contentView).viewAs(content)
        return self.output

    def updateGradInput(self, input, gradOutput):
        # Not implemented
        self.gradInput = None
        return self.gradInput

    def clearState(self):
        self.output = self.output.new()
        self.gradInput[0] = self.gradInput[0].new()
        self.gradInput[1] = self.gradInput[1].new()
        if getattr(self, 'bn', None) is not None:
            self.bn.clearState()


# --- lib/InstanceNormalization.lua ---------------------------------------------------------------------------------

class InstanceNormalization(nn.Module):
    """Instance normalisation (the copy of fast-neural-style's the repo carries): each (image, plane) of a
    C x H x W or N x C x H x W input normalised over its pixels, then, when ``affine`` (the default), scaled by
    ``weight[c]`` and shifted by ``bias[c]``; ``disabled`` makes it a copy."""

    def __init__(self, nOutput, disabled=None, eps=None, affine=None):
        super().__init__()
        self.eps = eps or 1e-5

        if affine is not None:
            assert type(affine) == bool, 'affine has to be true/false'
            self.affine = affine
        else:
            self.affine = True

        if self.affine:
            self.weight = lg.Tensor(nOutput).uniform()
            self.bias = lg.Tensor(nOutput).zero()
            self.gradWeight = lg.Tensor(nOutput)
            self.gradBias = lg.Tensor(nOutput)

        self.nOutput = nOutput
        self.prev_N = -1
        self.disabled = disabled

    def updateOutput(self, input):
        if self.disabled:
            self.output = input.clone()
            return self.output

        if input.nDimension() == 3:
            N, C, H, W = 1, input.size(0), input.size(1), input.size(2)
        elif input.nDimension() == 4:
            N, C = input.size(0), input.size(1)
            H, W = input.size(2), input.size(3)
        assert C == self.nOutput

        bn = getattr(self, 'bn', None)
        if N != self.prev_N or (bn is not None and self.type() != bn.type()):
            self.bn = nn.SpatialBatchNormalization(N * C, self.eps, None, self.affine)
            self.bn.type(self.type())
            self.prev_N = N

        # Set params for BN
        if self.affine:
            self.bn.weight.repeatTensor(self.weight, N)
            self.bn.bias.repeatTensor(self.bias, N)

        input_view = input.view(1, N * C, H, W)
        self.bn.training()
        self.output = self.bn.forward(input_view).viewAs(input)

        return self.output

    def updateGradInput(self, input, gradOutput):
        if input.nDimension() == 3:
            N, C, H, W = 1, input.size(0), input.size(1), input.size(2)
        elif input.nDimension() == 4:
            N, C = input.size(0), input.size(1)
            H, W = input.size(2), input.size(3)
        assert self.bn

        input_view = input.view(1, N * C, H, W)
        gradOutput_view = gradOutput.view(1, N * C, H, W)

        if self.affine:
            self.bn.gradWeight.zero()
            self.bn.gradBias.zero()

        self.bn.training()
        self.gradInput = self.bn.backward(input_view, gradOutput_view).viewAs(input)

        if self.affine:
            self.gradWeight.add(self.bn.gradWeight.view(N, C).sum(0))
            self.gradBias.add(self.bn.gradBias.view(N, C).sum(0))
        return self.gradInput

    def clearState(self):
        self.output = self.output.new()
        self.gradInput = self.gradInput.new()
        if getattr(self, 'bn', None) is not None:
            self.bn.clearState()


# --- lib/ContentLossModule.lua -------------------------------------------------------------------------------------

class ContentLossModule(nn.Module):
    """The identity forward that records ``strength`` times the MSE between its input (C x H x W or 1 x C x H x W)
    and the target set by ``setTarget``; backward adds that loss's gradient (L1-normalised when ``normalize``)."""

    def __init__(self, strength=None, normalize=None, nChannel=None):
        super().__init__()
        self.normalize = normalize or False
        self.strength = strength if strength is not None else 1
        self.target = None
        self.loss = 0
        self.nC = nChannel
        self.crit = nn.MSECriterion()

    def setTarget(self, target_features):
        if target_features.nDimension() == 3:
            C, H, W = target_features.size(0), target_features.size(1), target_features.size(2)
            target_features = target_features.view(1, C, H, W)
        self.target = target_features.clone()

    def unsetTarget(self):
        self.target = None

    def updateOutput(self, input):
        self.output = input
        if self.target is not None:
            if input.nDimension() == 3:
                C, H, W = input.size(0), input.size(1), input.size(2)
                input = input.view(1, C, H, W)
            assert input.nDimension() == 4
            N, C, H, W = self.target.size(0), self.target.size(1), self.target.size(2), self.target.size(3)
            assert input.isSameSizeAs(self.target), \
                'Input size (%d x %d x %d x %d) does not match target size (%d x %d x %d x %d)' % (
                    input.size(0), input.size(1), input.size(2), input.size(3), N, C, H, W)
            self.loss = self.crit.forward(input, self.target)
            self.loss = self.loss * self.strength
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.target is not None:
            nInputDim = input.nDimension()
            if input.nDimension() == 3:
                C, H, W = input.size(0), input.size(1), input.size(2)
                input = input.view(1, C, H, W)
            assert input.nDimension() == 4
            N, C, H, W = self.target.size(0), self.target.size(1), self.target.size(2), self.target.size(3)
            assert input.isSameSizeAs(self.target), \
                'Input size (%d x %d x %d x %d) does not match target size (%d x %d x %d x %d)' % (
                    input.size(0), input.size(1), input.size(2), input.size(3), N, C, H, W)
            self.gradInput = self.crit.backward(input, self.target).clone()

            if self.normalize:
                self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)

            if nInputDim == 3:
                C, H, W = input.size(1), input.size(2), input.size(3)
                self.gradInput = self.gradInput.view(C, H, W)

            self.gradInput.mul(self.strength)
            self.gradInput.add(gradOutput)
        else:
            self.gradInput = gradOutput
        return self.gradInput


# --- lib/StyleINLossModule.lua -------------------------------------------------------------------------------------

class StyleINLossModule(nn.Module):
    """The identity forward that records ``strength`` times the squared distance between its input's per-plane
    means and (biased) standard deviations and the target's (``setTarget``), each summed over planes and averaged
    over the batch; input C x H x W or N x C x H x W. Its nets are moved to CUDA in the constructor, as the Lua's."""

    def __init__(self, strength=None, normalize=None, nChannel=None):
        super().__init__()
        self.normalize = normalize or False
        self.strength = strength if strength is not None else 1
        self.target_mean = None
        self.target_std = None
        self.mean_loss = 0
        self.std_loss = 0
        self.loss = 0
        self.nC = nChannel

        self.std_net = nn.Sequential()  # assume the input is centered
        self.std_net.add(nn.Square())
        self.std_net.add(nn.Mean(2))
        self.std_net.add(nn.Sqrt(1e-6))
        self.mean_net = nn.Sequential()
        self.mean_net.add(nn.Mean(2))

        self.mean_criterion = nn.MSECriterion()
        self.mean_criterion.sizeAverage = False
        self.std_criterion = nn.MSECriterion()
        self.std_criterion.sizeAverage = False

        self.std_net = self.std_net.cuda()
        self.mean_net = self.mean_net.cuda()
        self.mean_criterion = self.mean_criterion.cuda()
        self.std_criterion = self.std_criterion.cuda()

    def clearState(self):
        self.std_net.clearState()
        self.mean_net.clearState()
        return super().clearState()

    def setTarget(self, target_features):
        if target_features.nDimension() == 3:
            C = target_features.size(0)
            target_features = target_features.view(1, C, -1)
        elif target_features.nDimension() == 4:
            N, C = target_features.size(0), target_features.size(1)
            target_features = target_features.view(N, C, -1)
        else:
            raise ValueError('Target must be 3D or 4D')
        self.target_mean = lg.mean(target_features, 2)  # N*C*1
        self.target_std = lg.std(target_features, 2, True)
        return self

    def unsetTarget(self):
        self.target_mean = None
        self.target_std = None
        return self

    def updateOutput(self, input):
        self.output = input
        if self.target_mean is not None and self.target_std is not None:

            if input.nDimension() == 3:
                C, H, W = input.size(0), input.size(1), input.size(2)
                input = input.view(1, C, H, W)
            assert input.nDimension() == 4

            N, C, H, W = input.size(0), input.size(1), input.size(2), input.size(3)
            assert input.size(1) == self.target_mean.size(1)
            assert input.size(1) == self.target_std.size(1)

            input_view = input.view(N, C, -1)
            if N < self.target_mean.size(0):
                self.target_mean = self.target_mean[0]
                self.target_std = self.target_std[0]
            elif N > self.target_mean.size(0):
                self.target_mean = self.target_mean.expand(N, C, 1)
                self.target_std = self.target_std.expand(N, C, 1)

            self.input_mean = self.mean_net.forward(input_view)
            # centered input
            self.input_centered = lg.add(input_view, -self.input_mean.view(N, C, 1).expand(N, C, H * W))
            self.input_std = self.std_net.forward(self.input_centered)

            self.mean_loss = self.mean_criterion.forward(self.input_mean, self.target_mean)
            self.std_loss = self.std_criterion.forward(self.input_std, self.target_std)
            self.mean_loss = self.mean_loss / N  # normalized w.r.t. batch size
            self.std_loss = self.std_loss / N  # normalized w.r.t. batch size
            self.loss = self.mean_loss + self.std_loss
            self.loss = self.loss * self.strength
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.target_mean is not None and self.target_std is not None:
            nInputDim = input.nDimension()
            if input.nDimension() == 3:
                C, H, W = input.size(0), input.size(1), input.size(2)
                input = input.view(1, C, H, W)
            assert input.nDimension() == 4

            N, C, H, W = input.size(0), input.size(1), input.size(2), input.size(3)
            assert input.size(1) == self.target_mean.size(1)
            assert input.size(1) == self.target_std.size(1)

            input_view = input.view(N, C, -1)
            mean_grad = self.mean_criterion.backward(self.input_mean, self.target_mean)
            std_grad = self.std_criterion.backward(self.input_std, self.target_std)
            self.gradInput = self.mean_net.backward(input_view, mean_grad)
            std_gradInput_centered = self.std_net.backward(self.input_centered, std_grad)
            std_gradInput = std_gradInput_centered.add(-std_gradInput_centered.mean(2).expand(N, C, H * W))
            self.gradInput.add(std_gradInput)
            self.gradInput = self.gradInput.view(N, C, H, W)
            self.gradInput.div(N)  # normalize w.r.t. batch size

            if self.normalize:
                self.gradInput.div(lg.norm(self.gradInput, 1) + 1e-8)

            if nInputDim == 3:
                self.gradInput = self.gradInput.view(C, H, W)

            self.gradInput.mul(self.strength)
            self.gradInput.add(gradOutput)
        else:
            self.gradInput = gradOutput
        return self.gradInput


# --- lib/TVLossCriterion.lua, lib/TVLossModule.lua -----------------------------------------------------------------

class TVLossCriterion(nn.Criterion):
    """Total variation: the sum of squared differences of horizontally and of vertically adjacent pixels of a
    C x H x W or N x C x H x W input (the differences are cropped pairs from nn.SpatialZeroPadding(-1, ...))."""

    def __init__(self):
        super().__init__()

        crop_l = nn.SpatialZeroPadding(-1, 0, 0, 0)
        crop_r = nn.SpatialZeroPadding(0, -1, 0, 0)
        crop_t = nn.SpatialZeroPadding(0, 0, -1, 0)
        crop_b = nn.SpatialZeroPadding(0, 0, 0, -1)
        self.target = lg.zeros(1)
        self.mse = nn.MSECriterion()
        self.mse.sizeAverage = False

        lr = nn.Sequential()
        lr.add(nn.ConcatTable().add(crop_l).add(crop_r))
        lr.add(nn.CSubTable())
        tb = nn.Sequential()
        tb.add(nn.ConcatTable().add(crop_t).add(crop_b))
        tb.add(nn.CSubTable())

        self.crit = nn.ConcatTable().add(lr).add(tb)

    def updateOutput(self, input, target=None):
        output = self.crit.forward(input)
        loss = 0
        for i in range(2):
            if output[i].nDimension() == 3:
                target = self.target.view(1, 1, 1).expandAs(output[i])
            else:
                target = self.target.view(1, 1, 1, 1).expandAs(output[i])
            loss = loss + self.mse.forward(output[i], target)
        self.output = loss
        return self.output

    def updateGradInput(self, input, target=None):
        self.gradInput.resizeAs(input).zero()
        output = self.crit.output
        df_do = []
        for i in range(2):
            if output[i].nDimension() == 3:
                target = self.target.view(1, 1, 1).expandAs(output[i])
            else:
                target = self.target.view(1, 1, 1, 1).expandAs(output[i])
            df_do.append(self.mse.backward(output[i], target).clone())
        grad = self.crit.backward(input, df_do)  # noqa: F841 (the Lua computes it twice and copies the second)
        self.gradInput.copy(self.crit.backward(input, df_do))
        return self.gradInput


class TVLossModule(nn.Module):
    """The identity forward that records ``strength`` times TVLossCriterion of its input; backward adds that
    loss's gradient to gradOutput."""

    def __init__(self, strength=None):
        super().__init__()
        self.strength = strength if strength is not None else 1
        self.crit = TVLossCriterion()
        self.loss = 0

    def updateOutput(self, input):
        self.loss = self.crit.forward(input)
        self.loss = self.loss * self.strength
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.crit.backward(input)
        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput


# --- lib/ArtisticStyleLossCriterion.lua ----------------------------------------------------------------------------

def nop(*args):
    """``local nop = function() end``: Lua drops the arguments it is called with; Python must accept them."""


class ArtisticStyleLossCriterion(nn.Criterion):
    """The perceptual loss of AdaIN's training: the encoder ``cnn`` cut after the last named loss layer, with a
    StyleINLossModule after each ``layers['style']`` layer and a ContentLossModule after the ``layers['content']``
    one (and a TVLossModule in front when ``weights['tv'] > 0``); the loss is the sum of the modules' losses."""

    def __init__(self, cnn, layers=None, weights=None, normalize=None):
        super().__init__()

        layers = layers or {}
        layers['content'] = layers.get('content') or []
        layers['style'] = layers.get('style') or []

        weights = weights or {}
        weights['content'] = weights.get('content') or 0
        weights['style'] = weights.get('style') or 0
        weights['tv'] = weights.get('tv') or 0

        if weights['style'] <= 0:
            layers['style'] = []
        if weights['content'] <= 0:
            layers['content'] = []

        assert len(layers['content']) == 1, 'Should have only one content layer'

        net = nn.Sequential()
        style_layers = []
        content_layers = []
        next_style_idx = 0
        next_content_idx = 0

        # Build encoder
        if weights['tv'] > 0:
            tv_mod = TVLossModule(weights['tv'])
            net.add(tv_mod)
        prevC = None
        for i in range(cnn.size()):
            if next_style_idx < len(layers['style']) or \
                    next_content_idx < len(layers['content']):  # STOP if all loss modules have been inserted
                layer = cnn.get(i)
                name = getattr(layer, 'name', None)
                if lg.type(layer) == 'nn.SpatialConvolution':
                    # Remove weight gradients because the encoder weights should be fixed.
                    layer.accGradParameters = nop
                    layer.gradWeight = None
                    layer.gradBias = None
                    prevC = layer.nOutputPlane
                net.add(layer)

                # Add loss modules
                if next_style_idx < len(layers['style']) and name == layers['style'][next_style_idx]:
                    loss_module = StyleINLossModule(weights['style'], normalize, prevC)
                    net.add(loss_module)
                    style_layers.append(loss_module)
                    next_style_idx = next_style_idx + 1
                if next_content_idx < len(layers['content']) and name == layers['content'][next_content_idx]:
                    loss_module = ContentLossModule(weights['content'], normalize, prevC)
                    net.add(loss_module)
                    content_layers.append(loss_module)
                    next_content_idx = next_content_idx + 1

        # Error checking (the Lua's `<` misses the last layer's absence: its indices then equal #layers)
        if next_style_idx + 1 < len(layers['style']):
            raise RuntimeError('Could not find layer ' + layers['style'][next_style_idx])
        if next_content_idx + 1 < len(layers['content']):
            raise RuntimeError('Could not find layer ' + layers['content'][next_content_idx])

        # Prepare
        self.net = net
        self.style_layers = style_layers
        self.content_layers = content_layers

        self.dy = lg.Tensor()

    def setTargets(self, targets):
        if targets.get('style') is None and targets.get('content') is None:
            raise ValueError('Must provide either target.style or target.content images.')
        self.unsetTargets()

        if targets.get('style') is not None:
            self.setStyleTarget(targets['style'])
        if targets.get('content') is not None:
            self.setContentTarget(targets['content'])

    def setContentTarget(self, target):
        if len(self.content_layers) == 0:
            return
        if target is None:
            raise ValueError('Must provide target content image.')
        assert target.nDimension() == 3 or target.nDimension() == 4, 'Content target must be 3D or 4D (batch).'
        self.targets = getattr(self, 'targets', None) or {}
        self.targets['content'] = target.clone()
        self.net.clearState()
        self.net.forward(self.targets['content'])
        for i in range(len(self.content_layers)):
            target_features = self.content_layers[i].output
            self.content_layers[i].setTarget(target_features)

    def setStyleTarget(self, target):
        if len(self.style_layers) <= 0:
            return
        if target is None:
            raise ValueError('Must provide target style image.')
        assert target.nDimension() == 3 or target.nDimension() == 4, 'Content target must be 3D or 4D (batch).'
        self.targets = getattr(self, 'targets', None) or {}
        self.targets['style'] = target.clone()

        # temporarily remove content targets, else the module
        # may error out due to incorrect size.
        content_targets = []
        for i in range(len(self.content_layers)):
            content_targets.append(self.content_layers[i].target)
            self.content_layers[i].target = None

        self.net.clearState()
        self.net.forward(self.targets['style'])
        for i in range(len(self.style_layers)):
            target_features = self.style_layers[i].output
            self.style_layers[i].setTarget(target_features)

        # reset the content targets
        for i in range(len(self.content_layers)):
            self.content_layers[i].target = content_targets[i]

    def unsetTargets(self):
        for i in range(len(self.style_layers)):
            self.style_layers[i].unsetTarget()
        for i in range(len(self.content_layers)):
            self.content_layers[i].unsetTarget()

    # Assumes input and target are both C x H x W images. (C=3)
    # Batch mode optional.
    def updateOutput(self, input, targets=None):
        self.recompute_gradInput = True
        if getattr(self, 'targets', None) is None:
            self.setTargets(targets)
        self.net.forward(input)
        # accumulate losses from the style loss layers
        styleLoss = 0
        contentLoss = 0
        for mod in self.style_layers:
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
            if getattr(self, 'targets', None) is None:
                self.unsetTargets()
        self.recompute_gradInput = False
        return self.gradInput


# --- lib/utils.lua -------------------------------------------------------------------------------------------------

def matSqrt(x):
    U, D, V = lg.svd(x)
    result = U @ (D.pow(0.5).diag()) @ V.t()
    return result


# Prepares an RGB image in [0,1] for VGG
def getPreprocessConv():
    mean_pixel = lg.Tensor([103.939, 116.779, 123.68])
    conv = nn.SpatialConvolution(3, 3, 1, 1)
    conv.weight.zero()
    conv.weight[0, 2] = 255
    conv.weight[1, 1] = 255
    conv.weight[2, 0] = 255
    conv.bias = -mean_pixel
    conv.gradBias = None
    conv.gradWeight = None
    conv.parameters = nop
    conv.accGradParameters = nop
    return conv


def extractImageNamesRecursive(dir):
    files = []
    print("Extracting image paths: " + dir)

    def browseFolder(root, pathTable):
        for entity in lfs.dir(root):
            if entity != "." and entity != "..":
                fullPath = root + '/' + entity
                mode = lfs.attributes(fullPath, "mode")
                if mode == "file":
                    filepath = paths.concat(root, entity)
                    if re.search('jpg$', filepath) \
                            or re.search('png$', filepath) \
                            or re.search('jpeg$', filepath) \
                            or re.search('JPEG$', filepath) \
                            or re.search('ppm$', filepath):
                        pathTable.append(filepath)
                elif mode == "directory":
                    browseFolder(fullPath, pathTable)

    browseFolder(dir, files)
    return files


# correlation alignment
def coral(source, target):
    assert source.size(0) == 3
    assert target.size(0) == 3
    H, W = source.size(1), source.size(2)  # noqa: F841 (read by the Lua, unused there too)
    source_flatten = source.view(3, -1)
    target_flatten = target.view(3, -1)
    source_flatten_mean = source_flatten.mean(1)
    source_flatten_std = source_flatten.std(1)
    source_flatten_norm = lg.cdiv(source_flatten - source_flatten_mean.expandAs(source_flatten),
                                  source_flatten_std.expandAs(source_flatten))
    target_flatten_mean = target_flatten.mean(1)
    target_flatten_std = target_flatten.std(1)
    target_flatten_norm = lg.cdiv(target_flatten - target_flatten_mean.expandAs(target_flatten),
                                  target_flatten_std.expandAs(target_flatten))
    source_flatten_cov_eye = source_flatten_norm @ source_flatten_norm.t() + lg.eye(3).float()
    target_flatten_cov_eye = target_flatten_norm @ target_flatten_norm.t() + lg.eye(3).float()
    source_flatten_norm_transfer = matSqrt(target_flatten_cov_eye) @ lg.inverse(matSqrt(source_flatten_cov_eye)) \
        @ source_flatten_norm
    source_flatten_transfer = lg.cmul(source_flatten_norm_transfer, target_flatten_std.expandAs(source_flatten_norm)) \
        + target_flatten_mean.expandAs(source_flatten_norm)
    return source_flatten_transfer.viewAs(source)


# image size preprocessing
def sizePreprocess(x, crop, newSize):
    assert x.dim() == 3
    minSize = lg.min(lg.Tensor([x.size(1), x.size(2)]))
    if crop:
        x = image.crop(x, 'c', minSize, minSize)  # center crop
    if newSize != 0:
        x = image.scale(x, '^' + str(newSize))
    return x


# adds first dummy dimension (utils.lua defines it as a method of torch.FloatTensor)
def add_dummy(self):
    sz = self.size()
    new_sz = lg.Tensor(len(sz) + 1)
    new_sz[0] = 1
    new_sz.narrow(0, 1, len(sz)).copy(lg.Tensor(list(sz)))

    if self.isContiguous():
        return self.view(new_sz.long().storage())
    else:
        return self.reshape(new_sz.long().storage())


# torchx's find, which utils.lua copies into torch.find: the (0-based) positions of val
def find(tensor, val, dim=None):
    i = 0
    indice = []
    if dim is not None:
        assert tensor.dim() == 2, "torch.find dim arg only supports matrices for now"
        assert dim == 1, "torch.find only supports dim=2 for now"

        colSize, rowSize = tensor.size(0), tensor.size(1)
        rowIndice = []

        def visit_row(x):
            nonlocal i, rowIndice
            if x == val:
                rowIndice.append(i)
            if i == rowSize - 1:
                i = 0
                indice.append(rowIndice)
                rowIndice = []
            else:
                i = i + 1
        tensor.apply(visit_row)
    else:
        def visit(x):
            nonlocal i
            if x == val:
                indice.append(i)
            i = i + 1
        tensor.apply(visit)
    return indice


# --- lib/ImageLoaderAsync.lua -------------------------------------------------------------------------------------

# Asynchronous image loader.
result = {}


class ImageLoaderAsync:
    """Batches of ``batchSize`` images (batchSize x 3 x H x W FloatTensors) and their paths, read from every image
    under ``dir`` in a random order by ``options['n']`` worker threads, each image scaled so its shorter side is
    ``options['len']`` and then randomly cropped to H x W (``crop``) or scaled to it."""
    typename = 'ImageLoaderAsync'

    def __init__(self, dir, batchSize, options=None, crop=None):
        if not batchSize:
            raise ValueError('Predetermined batch size is required for asynchronous loader.')
        options = options or {}
        n = options.get('n') or 1

        # upvalues
        H, W = options.get('H'), options.get('W')
        len_ = options.get('len')

        self.batchSize = batchSize
        self._type = 'torch.FloatTensor'

        # initialize thread and its image loader
        def init():
            threads.local.imageLoader = ImageLoader(dir)
            if H is not None and W is not None:
                threads.local.imageLoader.setWidthAndHeight(W, H)
            if len_ is not None:
                threads.local.imageLoader.setFitToHeightOrWidth(len_)
            threads.local.imageLoader.crop = crop
        self.threads = threads.Threads(n, init)

        # get size
        def size_job():
            return threads.local.imageLoader.size()

        def size_end(size):
            result[0] = size
        self.threads.addjob(size_job, size_end)
        self.threads.dojob()
        self._size = result[0]
        result.pop(0, None)
        result.pop(1, None)
        result.pop(2, None)

        # add job
        for i in range(n):
            self.threads.addjob(self.__getBatchFromThread, self.__pushResult, self.batchSize)

    def size(self):
        return self._size

    def type(self, type=None):
        if not type:
            return self._type
        else:
            assert lg.Tensor().type(type), 'Invalid type ' + type + '?'
            self._type = type
        return self

    @staticmethod
    def __getBatchFromThread(batchSize):
        a, b = threads.local.imageLoader.nextBatch(batchSize)
        return a, b

    @staticmethod
    def __pushResult(batch, names):
        result[0] = batch
        result[1] = names

    def nextBatch(self):
        self.threads.addjob(self.__getBatchFromThread, self.__pushResult, self.batchSize)
        self.threads.dojob()
        batch = result.pop(0)
        names = result.pop(1)
        return batch.type(self._type), names


# Implementation of the actual image loader.
class ImageLoader:
    """The per-thread loader (ImageLoaderAsync.lua's local ImageLoader table); the setters train.lua never
    reaches (setVerbose, setMaximumSize, setDivisibleBy) are left out."""

    def __init__(self, dir):
        files = extractImageNamesRecursive(dir)
        self.dir = dir
        self.files = files
        self.tm = lg.Timer()
        self.tm.reset()
        self.rebatch()

    def size(self):
        return len(self.files)

    def rebatch(self):
        self.perm = lg.randperm(self.size())
        self.idx = 0

    def nextBatch(self, batchSize):
        img, name = self.next()[:2]
        batch = lg.FloatTensor(batchSize, 3, img.size(1), img.size(2))
        names = []
        batch[0] = img
        names.append(name)
        for i in range(1, batchSize):
            temp, tempname = self.next()[:2]
            batch[i] = temp
            names.append(tempname)
        return batch, names

    def next(self):
        # load image
        img = None
        numErr = 0
        while True:
            if self.idx >= self.size():
                self.rebatch()
            i = int(self.perm[self.idx])
            self.idx = self.idx + 1
            name = self.files[i]
            loc = paths.concat(self.dir, name)
            try:
                img = image.load(loc, 3, 'float')  # load in range (0,1)
                if getattr(self, 'verbose', None):
                    print('Loaded ' + self.files[i])
                break
            except Exception as err:
                print('WARNING: Failed to load ' + loc + ' due to error: ' + str(err), file=sys.stderr)

        # preprocess
        H, W = img.size(1), img.size(2)

        if getattr(self, 'len', None) is not None:  # resize without changing aspect ratio
            img = image.scale(img, "^" + str(self.len))

        if getattr(self, 'crop', None):
            img = self._randomCrop(img, self.H, self.W)
        else:
            if getattr(self, 'W', None) and getattr(self, 'H', None):  # resize
                img = image.scale(img, self.W, self.H)
            elif getattr(self, 'max_len', None):  # resize without changing aspect ratio
                if H > self.max_len or W > self.max_len:
                    img = image.scale(img, self.max_len)

        return img, name, numErr

    # Optional preprocessing
    def setWidthAndHeight(self, W, H):
        self.H = H
        self.W = W

    def setFitToHeightOrWidth(self, len):
        assert len is not None
        self.len = len
        self.max_len = None

    def _randomCrop(self, img, oheight, owidth):
        assert img.dim() == 3
        H, W = img.size(1), img.size(2)
        assert oheight <= H
        assert owidth <= W
        y = math.floor(lg.uniform(0, H - oheight + 1))
        x = math.floor(lg.uniform(0, W - owidth + 1))
        crop_img = image.crop(img, x, y, x + owidth, y + oheight)
        return crop_img


# --- test.lua ------------------------------------------------------------------------------------------------------

def style_interp_weights(option):
    """test.lua lines 148-154: the comma-separated weights, normalised to sum to 1 (Lua coerces the split strings
    to numbers in ``torch.Tensor`` and ``/``; Python needs ``float``)."""
    styleInterpWeights = [float(w) for w in option.split(',')]
    styleInterpWeightsSum = lg.Tensor(styleInterpWeights).sum()
    for i in range(len(styleInterpWeights)):  # normalize weights so they sum to 1
        styleInterpWeights[i] = styleInterpWeights[i] / styleInterpWeightsSum
    return styleInterpWeights


def encoder_of_test_lua(vgg):
    """test.lua lines 51-55: the encoder cut after relu4_1 (modules 32 to 53 removed) and its AdaIN layer."""
    for i in range(52, 30, -1):
        vgg.remove(i)
    adain = AdaptiveInstanceNormalization(vgg.get(len(vgg) - 2).nOutputPlane)
    return vgg, adain


def styleTransfer(opt, vgg, adain, decoder, content, style, mask=None, styleInterpWeights=None):
    """test.lua lines 71-118 (its globals ``opt``, ``mask``, ``styleInterpWeights`` as arguments); also returns the
    target feature handed to the decoder."""
    if opt['gpu'] >= 0:
        content = content.cuda()
        style = style.cuda()
    else:
        content = content.float()
        style = style.float()

    styleFeature = vgg.forward(style).clone()
    contentFeature = vgg.forward(content).clone()

    if opt['mask'] != '':  # spatial control
        assert styleFeature.size(0) == 2  # expect two style images
        styleFeatureFG = styleFeature[0]
        styleFeatureBG = styleFeature[1]
        C, H, W = contentFeature.size(0), contentFeature.size(1), contentFeature.size(2)
        maskResized = image.scale(mask, W, H, 'simple')
        maskView = maskResized.view(-1)
        fgmask = lg.LongTensor(find(maskView, 1))  # foreground indices
        bgmask = lg.LongTensor(find(maskView, 0))  # background indices

        contentFeatureView = contentFeature.view(C, -1)
        contentFeatureFG = contentFeatureView.index(1, fgmask).view(C, fgmask.nElement(), 1)  # C * #fg
        contentFeatureBG = contentFeatureView.index(1, bgmask).view(C, bgmask.nElement(), 1)  # C * #bg

        targetFeatureFG = adain.forward([contentFeatureFG, styleFeatureFG]).clone().squeeze()
        targetFeatureBG = adain.forward([contentFeatureBG, styleFeatureBG]).squeeze()
        targetFeature = contentFeatureView.clone().zero()  # C * (H*W)
        targetFeature.indexCopy(1, fgmask, targetFeatureFG)
        targetFeature.indexCopy(1, bgmask, targetFeatureBG)
        targetFeature = targetFeature.viewAs(contentFeature)

    elif opt['styleInterpWeights'] != '':  # style interpolation
        assert styleFeature.size(0) == len(styleInterpWeights), \
            '-styleInterpWeights and -style must have the same number of elements'
        targetFeature = contentFeature.clone().zero()
        for i in range(styleFeature.size(0)):
            targetFeature.add(styleInterpWeights[i], adain.forward([contentFeature, styleFeature[i]]))
    else:
        targetFeature = adain.forward([contentFeature, styleFeature])

    targetFeature = targetFeature.squeeze()
    targetFeature = opt['alpha'] * targetFeature + (1 - opt['alpha']) * contentFeature
    return decoder.forward(targetFeature), targetFeature


def main_test_lua(opt):
    """test.lua lines 39-209 (after ``cmd:parse``): the encoder and decoder loaded, every (content, style) pair
    (a style entry may be a comma-separated list: interpolation or, with -mask, spatial control) stylised and
    saved in ``opt['outputDir']``."""
    print(opt)
    # require 'cudnn', require 'cunn': nothing to import

    assert opt['content'] != '' or opt['contentDir'] != '', 'Either --content or --contentDir should be given.'
    assert opt['style'] != '' or opt['styleDir'] != '', 'Either --style or --styleDir should be given.'
    assert opt['content'] == '' or opt['contentDir'] == '', '--content and --contentDir cannot both be given.'
    assert opt['style'] == '' or opt['styleDir'] == '', '--style and --styleDir cannot both be given.'
    assert paths.filep(opt['decoder']), 'Decoder ' + opt['decoder'] + ' does not exist.'

    vgg = lg.load(opt['vgg'])
    vgg, adain = encoder_of_test_lua(vgg)
    decoder = lg.load(opt['decoder'])

    if opt['gpu'] >= 0:
        cutorch.setDevice(opt['gpu'])  # -gpu is 0-based, as cutorch's devices are in legonn
        vgg = cudnn.convert(vgg, cudnn).cuda()
        adain.cuda()
        decoder.cuda()
    else:
        vgg.float()
        adain.float()
        decoder.float()

    print('Creating save folder at ' + opt['outputDir'])
    paths.mkdir(opt['outputDir'])

    mask = None
    if opt['mask'] != '':
        mask = image.load(opt['mask'], 1, 'float')  # binary mask

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

    styleInterpWeights = None
    if opt['styleInterpWeights'] != '':
        styleInterpWeights = style_interp_weights(opt['styleInterpWeights'])

    numContent = len(contentPaths)
    numStyle = len(stylePaths)
    print("# Content images: " + str(numContent))
    print("# Style images: " + str(numStyle))

    for i in range(numContent):
        contentPath = contentPaths[i]
        contentExt = paths.extname(contentPath)
        contentImg = image.load(contentPath, 3, 'float')
        contentName = paths.basename(contentPath, contentExt)
        contentImg = sizePreprocess(contentImg, opt['crop'], opt['contentSize'])

        for j in range(numStyle):  # generate a transferred image for each (content, style) pair
            stylePath = stylePaths[j]
            if isinstance(stylePath, list):  # style blending
                styleImg = []
                styleName = ''
                for s in range(len(stylePath)):
                    style = image.load(stylePath[s], 3, 'float')
                    styleExt = paths.extname(stylePath[s])
                    styleName = styleName + '_' + paths.basename(stylePath[s], styleExt)
                    style = sizePreprocess(style, opt['crop'], opt['styleSize'])
                    if opt['preserveColor']:
                        style = coral(style, contentImg)
                    style = add_dummy(style)
                    styleImg.append(style)
                styleImg = lg.cat(styleImg, 0)
                styleName = styleName[1:]
            else:
                styleExt = paths.extname(stylePath)
                styleImg = image.load(stylePath, 3, 'float')
                styleImg = sizePreprocess(styleImg, opt['crop'], opt['styleSize'])
                if opt['preserveColor']:
                    styleImg = coral(styleImg, contentImg)
                styleName = paths.basename(stylePath, styleExt)

            output = styleTransfer(opt, vgg, adain, decoder, contentImg, styleImg, mask, styleInterpWeights)[0]

            savePath = paths.concat(opt['outputDir'], contentName + '_stylized_' + styleName + '.' + opt['saveExt'])
            print('Output image saved at: ' + savePath)
            image.save(savePath, output)

            if opt['saveOriginal']:
                # also save the original images
                image.save(paths.concat(opt['outputDir'], contentName + '.' + contentExt), contentImg)
                image.save(paths.concat(opt['outputDir'], styleName + '.' + styleExt), styleImg)


# --- train.lua -----------------------------------------------------------------------------------------------------

def build_encoder(vgg, targetContentLayer):
    """train.lua lines 95-111: the encoder up to the content layer and its AdaIN layer."""
    enc = nn.Sequential()
    for i in range(len(vgg)):
        layer = vgg.get(i)
        enc.add(layer)
        name = getattr(layer, 'name', None)
        if name == targetContentLayer:
            break

    # Build AdaIN layer
    if getattr(enc.get(len(enc) - 1), 'nOutputPlane', None) is not None:
        adain = AdaptiveInstanceNormalization(enc.get(len(enc) - 1).nOutputPlane)  # the last encoder layer is Conv
    else:
        adain = AdaptiveInstanceNormalization(enc.get(len(enc) - 2).nOutputPlane)  # the last encoder layer is ReLU
    return enc, adain


def build_decoder(enc, decoderActivation):
    """train.lua lines 121-138: the encoder mirrored (reflection-padded 3x3 convolutions, nearest up-sampling for
    each pooling), its last four modules (the mirror of the preprocessing conv and the last activation) removed."""
    dec = nn.Sequential()
    for i in range(len(enc) - 1, -1, -1):
        layer = enc.get(i)
        if 'SpatialConvolution' in lg.type(layer):
            nInputPlane, nOutputPlane = layer.nOutputPlane, layer.nInputPlane
            dec.add(nn.SpatialReflectionPadding(1, 1, 1, 1))
            dec.add(nn.SpatialConvolution(nInputPlane, nOutputPlane, 3, 3, 1, 1))
            dec.add(decoderActivation())
        if 'MaxPooling' in lg.type(layer):
            dec.add(nn.SpatialUpSamplingNearest(2))
    dec.remove()
    dec.remove()
    dec.remove()
    dec.remove()
    return dec


def move_to_gpu(criterion, adain, dec):
    """train.lua lines 152-154: the loss network and the decoder converted to cudnn's modules, all on the GPU."""
    criterion.net = cudnn.convert(criterion.net, cudnn).cuda()
    adain = adain.cuda()
    dec = cudnn.convert(dec, cudnn).cuda()
    return adain, dec


def maybe_save(opt, optimState, dec, criterion, history):
    """train.lua lines 217-229: every ``saveEvery`` iterations the decoder, cleared, converted back to nn's modules
    and float, is saved with the loss history and the optimiser's state."""
    if optimState['iterCounter'] % opt['saveEvery'] == 0:
        loc = paths.concat(opt['save'], 'dec-%06d.t7' % optimState['iterCounter'])
        decSaved = dec.clearState().clone()
        lg.save(loc, cudnn.convert(decSaved.float(), nn))
        lg.save(paths.concat(opt['save'], 'history.t7'), history)
        lg.save(paths.concat(opt['save'], 'optimState.t7'), optimState)
        dec.clearState()
        criterion.net.clearState()
        decSaved = None


def train(opt, criterion, adain, dec, contentLoader, styleLoader, history, optimState):
    """train.lua lines 231-305 (display and printing left out): AdaIN's output of the encoded content
    and style batches is decoded, and the decoder trained on the criterion's content loss against that output and
    style loss against the style batch."""
    optimState['iterCounter'] = optimState.get('iterCounter') or 0
    weights, gradients = dec.getParameters()
    while optimState['iterCounter'] < opt['maxIter']:
        def feval(x):
            gradients.zero()
            optimState['iterCounter'] = optimState['iterCounter'] + 1
            contentInput = contentLoader.nextBatch()[0]  # Lua keeps the first of the values it returns
            styleInput, styleNames = styleLoader.nextBatch()
            contentInput = contentInput.float().cuda()
            styleInput = styleInput.float().cuda()

            # Forward style image through the encoder
            criterion.setStyleTarget(styleInput)
            styleLatent = criterion.net.output.clone()

            # Forward content image through the encoder
            criterion.setContentTarget(contentInput)
            contentLatent = criterion.net.output.clone()

            # Perform AdaIN
            outputLatent = adain.forward([contentLatent, styleLatent])

            # Set content target
            criterion.content_layers[0].setTarget(outputLatent)

            # Compute loss
            output = dec.forward(outputLatent).clone()  # generate transformed images
            loss = criterion.forward(output)  # forward through loss network, compute loss functions
            contentLoss = criterion.contentLoss
            styleLoss = criterion.styleLoss
            tvLoss = 0
            if opt['tvWeight'] > 0:
                # the Lua's get(2) is the encoder's first conv (the TVLossModule is module 1): nil there, and
                # maybe_print's string.format('%e', nil) fails at the first print; here the read fails at once
                tvLoss = criterion.net.get(1).loss  # noqa: F841 (read for maybe_print, left out)

            # Backpropagate gradients
            decGrad = criterion.backward(output)  # gradients w.r.t. the transformed images
            dec.backward(outputLatent, decGrad)  # backprop gradients through decoder

            # Optionally train the decoder to reconstruct style images
            styleReconLoss = 0
            if opt['reconStyle']:
                criterion.setContentTarget(styleInput)
                styleRecon = dec.forward(styleLatent).clone()
                styleReconLoss = criterion.forward(styleRecon)
                decGrad = criterion.backward(styleRecon)
                dec.backward(styleLatent, decGrad)
                loss = loss + styleReconLoss

            history.append([optimState['iterCounter'], loss, contentLoss, styleLoss, styleReconLoss])
            criterion.net.clearState()
            maybe_save(opt, optimState, dec, criterion, history)
            return loss, gradients

        if opt['optimizer'] == 'adam':
            optim.adam(feval, weights, optimState)
        elif opt['optimizer'] == 'sgd':
            optim.sgd(feval, weights, optimState)
        else:
            raise ValueError("Not supported optimizer: " + opt['optimizer'])
