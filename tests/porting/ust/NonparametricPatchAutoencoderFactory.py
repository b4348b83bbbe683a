"""lib/NonparametricPatchAutoencoderFactory.lua of Yijunmaverick/UniversalStyleTransfer, ported line by line.

rtqichen/style-swap's factory (tests/porting/style_swap/NonparametricPatchAutoencoderFactory.py) with two changes
this repo made: the decoder's SpatialFullConvolutions keep their (randomly initialised) bias, the ``:noBias()``
commented out, and the patches are copied one by one from the image instead of through ``unfold``.
"""
import math

import legonn as lg
from legonn import nn


class NonparametricPatchAutoencoderFactory:

    @staticmethod
    def buildAutoencoder(target_img, patch_size=None, stride=None, shuffle=None, normalize=None, interpolate=None):
        nDim = 3
        assert target_img.nDimension() == nDim, 'target image must be of dimension 3.'

        patch_size = patch_size or 3
        stride = stride or 1

        type = target_img.type()  # noqa: F841 (unused in the Lua too)
        C = target_img.size(nDim - 3)
        target_patches = NonparametricPatchAutoencoderFactory._extract_patches(target_img, patch_size, stride,
                                                                               shuffle)
        npatches = target_patches.size(0)

        conv_enc, conv_dec = NonparametricPatchAutoencoderFactory._build(patch_size, stride, C, target_patches,
                                                                         npatches, normalize, interpolate)
        return conv_enc, conv_dec

    @staticmethod
    def _build(patch_size, stride, C, target_patches, npatches, normalize, interpolate):
        # for each patch, divide by its L2 norm.
        enc_patches = target_patches.clone()
        for i in range(npatches):
            enc_patches[i].mul(1 / (lg.norm(enc_patches[i], 2) + 1e-8))

        # ---- Convolution for computing the semi-normalized cross correlation ----
        conv_enc = nn.SpatialConvolution(C, npatches, patch_size, patch_size, stride, stride).noBias()
        conv_enc.weight = enc_patches
        conv_enc.gradWeight = None
        conv_enc.accGradParameters = __nop__
        conv_enc.parameters = __nop__

        if normalize:
            # normalize each cross-correlation term by L2-norm of the input
            aux = conv_enc.clone()
            aux.weight.fill(1)
            aux.gradWeight = None
            aux.accGradParameters = __nop__
            aux.parameters = __nop__
            compute_L2 = nn.Sequential()
            compute_L2.add(nn.Square())
            compute_L2.add(aux)
            compute_L2.add(nn.Sqrt())

            normalized_conv_enc = nn.Sequential()
            concat = nn.ConcatTable()
            concat.add(conv_enc)
            concat.add(compute_L2)
            normalized_conv_enc.add(concat)
            normalized_conv_enc.add(nn.CDivTable())
            normalized_conv_enc.nInputPlane = conv_enc.nInputPlane
            normalized_conv_enc.nOutputPlane = conv_enc.nOutputPlane
            conv_enc = normalized_conv_enc

        # ---- Backward convolution for one patch ----
        conv_dec = nn.SpatialFullConvolution(npatches, C, patch_size, patch_size, stride, stride)  # .noBias()
        conv_dec.weight = target_patches
        conv_dec.gradWeight = None
        conv_dec.accGradParameters = __nop__
        conv_dec.parameters = __nop__

        # normalize input so the result of each pixel location is a
        # weighted combination of the backward conv filters, where
        # the weights sum to one and are proportional to the input.
        # the result is an interpolation of all filters.
        if interpolate:
            aux = nn.SpatialFullConvolution(1, 1, patch_size, patch_size, stride, stride)  # .noBias()
            aux.weight.fill(1)
            aux.gradWeight = None
            aux.accGradParameters = __nop__
            aux.parameters = __nop__

            counting = nn.Sequential()
            counting.add(nn.Sum(0, 3))           # sum up the channels
            counting.add(nn.Unsqueeze(0, 2))     # add back the channel dim
            counting.add(aux)
            counting.add(nn.Squeeze(0, 3))
            counting.add(nn.Replicate(C, 0, 2))  # replicates the channel dim C times.

            interpolating_conv_dec = nn.Sequential()
            concat = nn.ConcatTable()
            concat.add(conv_dec)
            concat.add(counting)
            interpolating_conv_dec.add(concat)
            interpolating_conv_dec.add(nn.CDivTable())
            interpolating_conv_dec.nInputPlane = conv_dec.nInputPlane
            interpolating_conv_dec.nOutputPlane = conv_dec.nOutputPlane
            conv_dec = interpolating_conv_dec

        return conv_enc, conv_dec

    @staticmethod
    def _extract_patches(img, patch_size, stride, shuffle):
        nDim = 3
        assert img.nDimension() == nDim, 'image must be of dimension 3.'
        C, H, W = img.size(nDim - 3), img.size(nDim - 2), img.size(nDim - 1)
        nH = math.floor((H - patch_size) / stride + 1)
        nW = math.floor((W - patch_size) / stride + 1)

        # extract patches
        patches = lg.Tensor(nH * nW, C, patch_size, patch_size).typeAs(img)
        for i in range(nH * nW):
            h = math.floor(i / nW)  # zero-index
            w = math.floor(i % nW)  # zero-index
            patches[i] = img[:, h * stride:h * stride + patch_size, w * stride:w * stride + patch_size]

        if shuffle:
            shuf = lg.randperm(patches.size(0)).long()
            patches = patches.index(0, shuf)

        return patches


def __nop__(*args):
    # do nothing
    pass
