"""code/module/GaussianNoise.lua (``torch.class('nn.GaussianNoise', 'nn.Module')``): adds N(0, std) noise in
training (in place with ``ip``), passes the input through in evaluation; the gradient passes unchanged (in place,
the noise is taken back out of the input)."""
import legonn as lg
from legonn import nn


class GaussianNoise(nn.Module):
    def __init__(self, std, ip=None):
        super().__init__()
        assert isinstance(std, (int, float)), 'input is not scalar!'
        self.std = std

        # default for inplace is false
        self.inplace = ip or False
        if ip and not isinstance(ip, bool):
            raise RuntimeError('in-place flag must be boolean')

        self.noise = lg.Tensor()
        self.train = True

    def training(self):
        self.train = True

    def evaluate(self):
        self.train = False

    def updateOutput(self, input):
        if self.train and self.std > 0:
            # Generate noise
            self.noise.resizeAs(input).normal(0, self.std)

            if self.inplace:
                input.add(self.noise)
                self.output.set(input)
            else:
                self.output.resizeAs(input)
                self.output.copy(input)
                self.output.add(self.noise)
        else:
            if self.inplace:
                self.output.set(input)
            else:
                self.output.resizeAs(input)
                self.output.copy(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.inplace and self.train and self.std > 0:
            self.gradInput.set(gradOutput)
            # restore previous input value
            input.add(-1, self.noise)
        else:
            self.gradInput.resizeAs(gradOutput)
            self.gradInput.copy(gradOutput)
        return self.gradInput


lg.register(GaussianNoise)
