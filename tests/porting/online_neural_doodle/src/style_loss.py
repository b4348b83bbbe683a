"""src/style_loss.lua of DmitryUlyanov/online-neural-doodle, ported line by line: nn.MergeLastDims (B x C x W x H
to B x C x WH), ``GramMatrix()`` (the batched Gram matrices, B x C x C) and nn.StyleLoss, the identity whose
backward adds, for each mask colour k, the gradient of the MSE between the Gram matrix of the input masked by
colour k (divided by the mask's mean times C*W*H) and the style's target Gram matrix of that colour (L1-normalised
when ``normalize``); ``loss`` sums the MSEs. ``:cuda()`` is ``.type(utils.dtype)`` (the package's docstring)."""
import legonn as lg
from legonn import nn

from . import utils


class MergeLastDims(nn.Module):

    def __init__(self):
        super().__init__()

    def updateOutput(self, input):
        # Assume input is 4D
        # B x C x W x H
        sz = input.size()
        # B x C x WH
        self.output = input.view(sz[0], sz[1], sz[2] * sz[3])

        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = gradOutput.viewAs(input)
        return self.gradInput


# Returns a network that computes the CxC Gram matrix from inputs
# of size C x H x W
def GramMatrix():
    net = nn.Sequential()
    net.add(MergeLastDims())
    concat = nn.ConcatTable()
    concat.add(nn.Identity())
    concat.add(nn.Identity())
    net.add(concat)
    net.add(nn.MM(False, True))
    return net


# Define an nn Module to compute style loss in-place
class StyleLoss(nn.Module):

    def __init__(self, strength, target_grams, normalize=None):
        super().__init__()
        self.normalize = normalize or False
        self.strength = strength
        self.target_grams = target_grams
        self.loss = 0

        # B x M x W x H
        self.target_masks = None

        self.gram = GramMatrix().type(utils.dtype)
        # self.crit = nn.SmoothL1Criterion()
        self.crit = nn.MSECriterion().type(utils.dtype)

        self.gradInput = None

    def updateOutput(self, input):
        # We do everything in updateGradInput to save memory
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):

        self.gradInput = self.gradInput if self.gradInput is not None else gradOutput.clone()
        self.gradInput.zero()

        self.loss = 0

        # B x M
        mask_norms = (self.target_masks.mean(2).mean(3) + 1e-6) * input[0].nElement()

        # Apply masks
        for k in range(self.target_masks.size(1)):

            # B x M x W x H -> B x 1 x W x H
            this_mask = self.target_masks.narrow(1, k, 1)

            # B x 1 x 1
            this_mask_norm = mask_norms.narrow(1, k, 1).reshape(mask_norms.size(0), 1, 1)

            # B x C x W x H
            this_mask = this_mask.expandAs(input)

            # Forward
            masked_input = lg.cmul(input, this_mask)
            # B x C x C
            G = self.gram.forward(masked_input)

            # Normalize
            G.cdiv(this_mask_norm.expandAs(G))

            target_gram_exp = self.target_grams[k].expandAs(G)
            self.loss = self.loss + self.crit.forward(G, target_gram_exp)

            # Backward
            dG = self.crit.backward(G, target_gram_exp)

            # Normalize grad
            dG.cdiv(this_mask_norm.expandAs(G))

            gradInput = self.gram.backward(masked_input, dG)

            gradInput.cmul(this_mask)

            if self.normalize:
                gradInput.div(lg.norm(gradInput, 1) + 1e-8)

            self.gradInput.add(gradInput)

        self.gradInput.add(gradOutput)
        return self.gradInput
