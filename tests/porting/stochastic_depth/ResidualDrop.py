"""ResidualDrop.lua: ``nn.ResidualDrop``, a residual block (conv-BN-ReLU-conv-BN beside an identity skip, option A's
average pooling and zero padding when it downsamples) whose convolutional branch is left out while ``gate`` is
closed in training, and scaled by its survival probability ``1 - deathRate`` in testing; ``addResidualDrop`` adds
one and a ReLU to a model.

Edits beyond Lua syntax and 0-based indices: ``nn.Padding(1, ...)`` is ``nn.Padding(0, ...)`` (its dimension
counts from 0); ``nninit``'s option table is a dict;
``x = x or default`` of a tensor or a number is a None test (docs/porting.md)."""
import legonn as lg
from legonn import cudnn, nn, nninit


class ResidualDrop(nn.Container):

    def __init__(self, deathRate, nChannels, nOutChannels=None, stride=None):
        nn.Container.__init__(self)
        self.gradInput = lg.Tensor()
        self.gate = True
        self.train = True
        self.deathRate = deathRate
        nOutChannels = nOutChannels or nChannels
        stride = stride or 1

        self.net = nn.Sequential()
        self.net.add(cudnn.SpatialConvolution(nChannels, nOutChannels, 3, 3, stride, stride, 1, 1)
                     .init('weight', nninit.kaiming, {'gain': 'relu'})
                     .init('bias', nninit.constant, 0))
        self.net.add(cudnn.SpatialBatchNormalization(nOutChannels))
        self.net.add(cudnn.ReLU(True))
        self.net.add(cudnn.SpatialConvolution(nOutChannels, nOutChannels,
                                              3, 3, 1, 1, 1, 1)
                     .init('weight', nninit.kaiming, {'gain': 'relu'})
                     .init('bias', nninit.constant, 0))
        self.net.add(cudnn.SpatialBatchNormalization(nOutChannels))
        self.skip = nn.Sequential()
        self.skip.add(nn.Identity())
        if stride > 1:
            # optional downsampling
            self.skip.add(nn.SpatialAveragePooling(stride, stride, stride, stride))
        if nOutChannels > nChannels:
            # optional padding, this is option A in their paper
            self.skip.add(nn.Padding(0, (nOutChannels - nChannels), 3))
        elif nOutChannels < nChannels:
            print('Do not do this! nOutChannels < nChannels!')

        self.modules = [self.net, self.skip]

    def updateOutput(self, input):
        skip_forward = self.skip.forward(input)
        self.output.resizeAs(skip_forward).copy(skip_forward)
        if self.train:
            if self.gate:  # only compute convolutional output when gate is open
                self.output.add(self.net.forward(input))
        else:
            self.output.add(self.net.forward(input).mul(1 - self.deathRate))
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is None:
            self.gradInput = input.new()
        self.gradInput.resizeAs(input).copy(self.skip.updateGradInput(input, gradOutput))
        if self.gate:
            self.gradInput.add(self.net.updateGradInput(input, gradOutput))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale if scale is not None else 1
        if self.gate:
            self.net.accGradParameters(input, gradOutput, scale)


# -- Adds a residual block to the passed in model ----
def addResidualDrop(model, deathRate, nChannels, nOutChannels=None, stride=None):
    model.add(ResidualDrop(deathRate, nChannels, nOutChannels, stride))
    model.add(cudnn.ReLU(True))
    return model
