"""src/utils.lua of DmitryUlyanov/online-neural-doodle, ported line by line: ``convc``/``conv`` (a replication
padding and a convolution of the global ``backend``), ``bn``, ``add_dummy``, the user modules DummyGradOutput (the
same Lua as texture_nets' src/utils.lua, whose port is imported), NoiseFill (masks, masks times uniform noise,
noise channels), GradNormalization and GenNoise, and ``preprocess``/``deprocess``.

The Lua's globals that other files read are this module's: ``backend`` (set by feedforward_neural_doodle) and
``dtype``, the type the Lua's ``:cuda()`` calls give (tests/porting/online_neural_doodle's docstring)."""
import legonn as lg
from legonn import nn
from tests.porting.test_texture_nets import DummyGradOutput  # noqa: F401  (descriptor_net reads it here)

backend = nn
dtype = 'torch.CudaTensor'


# ---------------------------------------------------------
# Shortcuts
# ---------------------------------------------------------
def convc(in_, out_, k, s=None, m=None):
    m = m or 1
    s = s or 1

    pad = (k - 1) / 2 * m

    if pad == 0:
        return backend.SpatialConvolution(in_, out_, k, k, s, s, 0, 0)
    else:
        net = nn.Sequential()
        net.add(nn.SpatialReplicationPadding(pad, pad, pad, pad))
        net.add(backend.SpatialConvolution(in_, out_, k, k, s, s, 0, 0))

        return net


conv = convc


def bn(in_, m=None):
    return nn.SpatialBatchNormalization(in_, None, m)


# ---------------------------------------------------------
# Helper function
# ---------------------------------------------------------

# adds first dummy dimension
def add_dummy(self):
    sz = self.size()
    new_sz = lg.Tensor(len(sz) + 1)
    new_sz[0] = 1
    new_sz.narrow(0, 1, len(sz)).copy(lg.Tensor(list(sz)))

    if self.isContiguous():
        return self.view(new_sz.long().storage())
    else:
        return self.reshape(new_sz.long().storage())


# ---------------------------------------------------------
# DummyGradOutput: imported above (Simpulates Identity operation with 0 gradOutput)
# ---------------------------------------------------------

# ---------------------------------------------------------
# NoiseFill
# ---------------------------------------------------------
class NoiseFill(nn.Module):

    def __init__(self, num_noise_channels, num_mask_noise_times, n_colors):
        super().__init__()

        # last `num_noise_channels` maps will be filled with noise
        self.num_noise_channels = num_noise_channels
        self.num_mask_noise_times = num_mask_noise_times
        self.n_colors = n_colors

        self.out_size = self.n_colors + self.num_mask_noise_times * self.n_colors + self.num_noise_channels

        self.mult_noise_mask = 1.0
        self.mult_noise = 1.0

    def updateOutput(self, input):
        self.output = self.output if self.output is not None else input.new()
        self.output.resize(input.size(0), self.out_size, input.size(2), input.size(3))

        self.output.narrow(1, 0, self.n_colors).copy(input)

        # first n_colors channels  = mask
        masks = self.output.narrow(1, 0, self.n_colors)

        # second n_colors channels = mask* uniform
        for i in range(1, self.num_mask_noise_times + 1):
            masks_uniform = self.output.narrow(1, self.n_colors * i, self.n_colors)
            masks_uniform.uniform().cmul(masks).mul(self.mult_noise_mask)

        # then                     = uniform
        if self.num_noise_channels > 0:
            self.output.narrow(1, (self.num_mask_noise_times + 1) * self.n_colors,
                               self.num_noise_channels).uniform().mul(self.mult_noise)

        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput
        return self.gradInput


# torch.class('nn.NoiseFill'): texture_nets' port holds legonn's 'nn.NoiseFill' (another NoiseFill), so the
# name saved is the repository's (docs/porting.md's torch.class rows)
lg.register(NoiseFill, 'online_neural_doodle.NoiseFill')


# ----------------------------------------------------------
# GradNormalization
# ----------------------------------------------------------
class GradNormalization(nn.Module):

    def updateOutput(self, input):
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput
        self.gradInput.div(lg.abs(self.gradInput).sum())
        return self.gradInput


# ----------------------------------------------------------
# GenNoise
# ----------------------------------------------------------
# Generates a new tensor with noise of spatial size as `input`
# Forgets about `input` returning 0 gradInput.
class GenNoise(nn.Module):

    def __init__(self, num_planes):
        # the Lua never calls parent.__init: legonn's Module fields come from the class then
        self.num_planes = num_planes
        self.mult = 1

    def updateOutput(self, input):
        self.sz = input.size()

        self.sz_ = list(input.size())
        self.sz_[1] = self.num_planes

        self.output = self.output if self.output is not None else input.new()
        self.output.resize(lg.LongStorage(self.sz_))

        # It is concated with normed data, so gen from N(0,1)
        self.output.normal(0, 1).mul(self.mult)

        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.gradInput if self.gradInput is not None else input.new()
        self.gradInput.resize(self.sz).zero()
        return self.gradInput


lg.register(GenNoise, 'online_neural_doodle.GenNoise')


# ---------------------------------------------------------
# Image processing
# ---------------------------------------------------------

# Preprocess an image before passing it to a Caffe model.
# We need to rescale from [0, 1] to [0, 255], convert from RGB to BGR,
# and subtract the mean pixel.
def preprocess(img):
    mean_pixel = lg.DoubleTensor([103.939, 116.779, 123.68])
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).mul(255.0)
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img.add(-1, mean_pixel)
    return img


# Undo the above preprocessing.
def deprocess(img):
    mean_pixel = lg.DoubleTensor([103.939, 116.779, 123.68])
    mean_pixel = mean_pixel.view(3, 1, 1).expandAs(img)
    img = img + mean_pixel
    perm = lg.LongTensor([2, 1, 0])
    img = img.index(0, perm).div(255.0)
    return img
