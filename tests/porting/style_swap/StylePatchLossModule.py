"""lib/StylePatchLossModule.lua of rtqichen/style-swap (MIT licence), ported line by line: the identity forward
that records the mean squared error between each input patch and its best-correlated target patch (``setTarget``
extracts the target's patches, a convolution with the normalised patches finds the match), over N and the
input's elements, times ``strength``; backward adds its gradient (the matches held fixed), computed in closed form
with a transposed convolution counting the patches over each pixel.

The Lua reconfigures its two 1x1 convolutions after building them (kH, kW, dH, dW, the plane counts, the weight
tensors), as here. The commented-out slower variants of _extract_patches and updateGradInput are not ported.
"""
import math

import legonn as lg
from legonn import nn


class StylePatchLossModule(nn.Module):

    def __init__(self, strength, normalize=None):
        super().__init__()
        self.strength = strength
        self.normalize = normalize or False

        self.target_patches = None
        self.stitched_patches = None
        self.conv_cc = nn.SpatialConvolution(1, 1, 1, 1).noBias()
        self.conv_cc.gradWeight = None

        self.conv_norm = nn.SpatialFullConvolution(1, 1, 1, 1).noBias()
        self.conv_norm.gradWeight = None

        self.crit = nn.MSECriterion()

    @staticmethod
    def _extract_patches(img, patch_size, stride):
        nDim = 3
        assert img.nDimension() == nDim, 'image must be of dimension 3.'

        kH, kW = patch_size, patch_size
        dH, dW = stride, stride
        patches = img.unfold(1, kH, dH).unfold(2, kW, dW)
        n1, n2, n3, n4, n5 = patches.size(0), patches.size(1), patches.size(2), patches.size(3), patches.size(4)
        patches = patches.permute(1, 2, 0, 3, 4).contiguous().view(n2 * n3, n1, n4, n5)

        return patches

    def setTarget(self, target_features, patch_size, patch_stride):
        assert target_features.nDimension() == 3, 'Target must be 3D'
        target_patches = self._extract_patches(target_features, patch_size, patch_stride)
        npatches, C, kH, kW = target_patches.size(0), target_patches.size(1), target_patches.size(2), \
            target_patches.size(3)
        assert patch_size == kH and patch_size == kW, '%d~=%d or %d~=%d' % (patch_size, kH, patch_size, kW)
        self.target_patches = target_patches.clone()

        # convolution for computing cross correlation
        self.conv_cc.kH = kH
        self.conv_cc.kW = kW
        self.conv_cc.dH = patch_stride
        self.conv_cc.dW = patch_stride
        self.conv_cc.nInputPlane = C
        self.conv_cc.nOutputPlane = npatches
        weight = target_patches.clone()
        # normalize the patches to compute correlation
        for i in range(weight.size(0)):
            if lg.norm(weight[i], 2) < 1e-6:
                weight[i].zero()
            else:
                weight[i].mul(1 / lg.norm(weight[i], 2))
        self.conv_cc.weight = weight

        # convolution for computing normalization factor
        self.conv_norm.kH = kH
        self.conv_norm.kW = kW
        self.conv_norm.dH = patch_stride
        self.conv_norm.dW = patch_stride
        self.conv_norm.nInputPlane = 1
        self.conv_norm.nOutputPlane = 1
        self.conv_norm.weight = lg.Tensor(1, 1, kH, kW).fill(1).typeAs(target_features)

        self.conv_cc.clearState()
        self.conv_norm.clearState()

    def unsetTarget(self):
        self.target_patches = None

    def updateOutput(self, input):
        self.output = input

        if self.target_patches is not None:
            if input.nDimension() == 3:
                C, H, W = input.size(0), input.size(1), input.size(2)
                input = input.view(1, C, H, W)
            assert input.nDimension() == 4

            N = input.size(0)
            kH, kW = self.conv_cc.kH, self.conv_cc.kW
            dH, dW = self.conv_cc.dH, self.conv_cc.dW
            responses = self.conv_cc.forward(input)
            self.loss = 0
            self.last_targets = lg.Tensor().typeAs(input).resizeAs(input).zero()
            for b in range(N):
                _, argmax = lg.max(responses[b], 0)
                for h in range(argmax.size(1)):
                    for w in range(argmax.size(2)):
                        ind = argmax[0, h, w]
                        target_patch = self.target_patches[ind]
                        input_patch = input[b, :, h * dH:h * dH + kH, w * dW:w * dW + kW]
                        self.last_targets[b, :, h * dH:h * dH + kH, w * dW:w * dW + kW].add(target_patch)
                        self.loss = self.loss + self.crit.forward(input_patch.reshape(input_patch.nElement()),
                                                                  target_patch.view(-1))
            self.loss = self.loss / N
            self.loss = self.loss / input.nElement()
            self.loss = self.loss * self.strength

        return self.output

    # Equivalent to above code. Forces the use of MSE loss.
    def updateGradInput(self, input, gradOutput):
        assert input.isSameSizeAs(gradOutput)
        if self.target_patches is not None:
            nInputDim = input.nDimension()
            if input.nDimension() == 3:
                C, H, W = input.size(0), input.size(1), input.size(2)
                input = input.view(1, C, H, W)
            assert input.nDimension() == 4

            N, C, H, W = input.size(0), input.size(1), input.size(2), input.size(3)
            kH, kW = self.conv_cc.kH, self.conv_cc.kW
            dH, dW = self.conv_cc.dH, self.conv_cc.dW

            oH = math.floor((H - kH) / dH + 1)
            oW = math.floor((W - kW) / dW + 1)
            ones = lg.Tensor().typeAs(input).resize(N, 1, oH, oW).fill(1)
            normalization = self.conv_norm.forward(ones).expandAs(input)

            self.gradInput = input.clone()
            self.gradInput.cmul(normalization).add(-self.last_targets)
            self.gradInput.mul(2 / (kH * kW) / C)
            self.gradInput.div(input.nElement())

            if self.normalize:
                for b in range(N):
                    self.gradInput[b].div(lg.norm(self.gradInput[b], 1) + 1e-8)

            if nInputDim == 3:
                C, H, W = input.size(1), input.size(2), input.size(3)
                self.gradInput = self.gradInput.view(C, H, W)

            self.gradInput.mul(self.strength)
            self.gradInput.add(gradOutput)
        else:
            self.gradInput = gradOutput
        return self.gradInput
