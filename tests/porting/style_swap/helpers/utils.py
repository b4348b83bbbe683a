"""helpers/utils.lua of rtqichen/style-swap (MIT licence), ported line by line.

getPreprocessConv's ``function() --[[nop]] end`` put in the convolution's parameters and accGradParameters is an
instance of CommNet's port's registered NoGradient: train-vgg-decoder.lua saves the encoder that holds it, and
lg.save stores no code (docs/porting.md's row on a method replaced on one module).
"""
import legonn as lg
from legonn import nn
from tests.porting.commnet import NoGradient


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
    conv.parameters = NoGradient()  # --[[nop]]
    conv.accGradParameters = NoGradient()  # --[[nop]]
    return conv


def getTVDenoisingConv(strength):
    conv = nn.SpatialConvolution(3, 3, 3, 3, 1, 1, 1, 1).noBias()
    conv.weight.zero()
    for i in range(3):
        conv.weight[i, i] = lg.Tensor([
            [0, strength, 0],
            [strength, 1 - 4 * strength, strength],
            [0, strength, 0]
        ])
    return conv


def getIdentityConv():
    conv = nn.SpatialConvolution(3, 3, 3, 3, 1, 1, 1, 1)
    conv.weight.zero()
    conv.bias.zero()
    for i in range(3):
        conv.weight[i, i, 1, 1] = 1
    return conv


# simple interpolation.
def interpolate(vec_a, vec_b, weight_a):
    assert weight_a >= 0 and weight_a <= 1, 'interp coefficient must be in [0,1]'
    vec_interp = vec_a.clone()
    vec_interp.mul(weight_a).add(lg.mul(vec_b, 1 - weight_a))
    return vec_interp


def augmentWithInterpolations(inputs):
    assert inputs.nDimension() == 4
    assert inputs.size(0) > 1
    numSamples = inputs.size(0)
    batch_size = numSamples
    for b in range(1, numSamples - 1 + 1):
        batch_size = batch_size + b
    C, H, W = inputs.size(1), inputs.size(2), inputs.size(3)
    augmented_inputs = inputs.new().resize(batch_size, C, H, W)
    augmented_inputs[0:numSamples] = inputs
    next_idx = numSamples
    for i in range(numSamples):
        for j in range(i + 1, numSamples):
            interp = interpolate(inputs[i], inputs[j], 0.5)
            augmented_inputs[next_idx] = interp
            next_idx = next_idx + 1
    return augmented_inputs
