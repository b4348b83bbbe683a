"""SignedSquareRoot.lua (jnhwkim/cbp, all of it): sign(x) * sqrt(|x|) forward; the backward the Lua writes,
gradOutput / (2 (sqrt(|x|) + 0.1)), leaves out the sign and damps the derivative near 0 ("to avoid gradient
explosion"), so it is not the forward's derivative (the port keeps it)."""
import legonn as lg
from legonn import nn


class SignedSquareRoot(nn.Module):
    def __init__(self, args=None):
        super().__init__()
        self.module = nn.Sequential() \
            .add(nn.Abs()) \
            .add(nn.Sqrt())

    def updateOutput(self, input):
        self.output = self.module.forward(input)
        if getattr(self, 'tmp', None) is None:
            self.tmp = input.new()
        self.tmp.resizeAs(input)
        lg.sign(self.tmp, input)
        self.output.cmul(self.tmp)
        return self.output

    def updateGradInput(self, input, gradOutput):
        eps = 1e-1  # to avoid gradient explosion
        lg.cmul(self.gradInput, gradOutput,
                lg.pow(self.module.forward(input) + eps, -1) / 2)
        return self.gradInput
