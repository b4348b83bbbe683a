"""util/OneHot.lua: character codes (any tensor of 0-based codes) to one-hot rows of ``outputSize``."""
import legonn as lg
from legonn import nn


class OneHot(nn.Module):

    def __init__(self, outputSize):
        super().__init__()
        self.outputSize = outputSize
        # We'll construct one-hot encodings by using the index method to
        # reshuffle the rows of an identity matrix. To avoid recreating
        # it every iteration we'll cache it.
        self._eye = lg.eye(outputSize)

    def updateOutput(self, input):
        self.output.resize(input.size(0), self.outputSize).zero()
        if self._eye is None:
            self._eye = lg.eye(self.outputSize)
        self._eye = self._eye.float()
        longInput = input.long()
        self.output.copy(self._eye.index(0, longInput))
        return self.output


lg.register(OneHot)     # torch.class('OneHot', 'nn.Module'): lets lg.save/lg.load rebuild it (docs/porting.md)
