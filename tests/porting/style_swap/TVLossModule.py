"""lib/TVLossModule.lua of rtqichen/style-swap (MIT licence), ported line by line: the identity forward that
records the total variation of its input in ``loss`` (unscaled, unlike AdaIN-style's copy); backward adds
``strength`` times its gradient to gradOutput. TVLossCriterion.lua is the same file as AdaIN-style's."""
import legonn as lg
from legonn import nn
from tests.porting.adain_style import TVLossCriterion


class TVLossModule(nn.Module):

    def __init__(self, strength=None):
        super().__init__()
        self.strength = strength if strength is not None else 1
        self.crit = TVLossCriterion()
        self.loss = 0

    def updateOutput(self, input):
        self.loss = self.crit.forward(input)
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.crit.backward(input)
        self.gradInput.mul(self.strength)
        self.gradInput.add(gradOutput)
        return self.gradInput


# torch.class makes a class that torch.save can write; legonn's save needs it registered (docs/porting.md's
# torch.class row): train-vgg-decoder.lua saves the encoder, which holds this module and its criterion.
lg.register(TVLossModule)
lg.register(TVLossCriterion)
