"""modules/Inspiration.lua: MSG-Net's CoMatch layer. With P = Weight * target (C x C, target the Gram matrix of
a style's features), the output is P^T X for each C x (H*W) feature map X; input C x H x W or B x C x H x W,
output the same shape.

``Weight`` is spelt with a capital W, so Module.lua's ``parameters()`` (which looks at ``weight`` and ``bias``)
returns none: ``getParameters`` leaves it out and MSG-Net's training never updates it, in Torch7 as here;
``accGradParameters`` still computes ``gradWeight``. ``setTarget``'s ``assert(self and image)`` reads Lua's
global ``image`` (the package main.lua requires), which is the imported ``legonn.image`` here."""
import math

import legonn as lg
from legonn import image, nn

from tests.porting.test_texture_nets import add_dummy


def isint(x):
    return isinstance(x, (int, float)) and x == math.floor(x)


class Inspiration(nn.Module):

    def __init__(self, C):
        super().__init__()
        assert self and C, 'should specify C'
        assert isint(C), 'C should be integers'

        self.C = C
        self.MM_WG = nn.MM()
        self.MM_PX = nn.MM(True, False)
        self.target = lg.Tensor(C, C)
        self.Weight = lg.Tensor(C, C)
        self.P = lg.Tensor(C, C)

        self.gradWeight = lg.Tensor(C, C)
        self.gradWG = [lg.Tensor(C, C), lg.Tensor(C, C)]
        self.gradPX = [lg.Tensor(), lg.Tensor()]
        self.gradInput = lg.Tensor()
        self.reset()

    def reset(self, stdv=None):
        if stdv:
            stdv = stdv * math.sqrt(2)
        else:
            stdv = 1. / math.sqrt(self.C)
        self.Weight.uniform(-stdv, stdv)
        self.target.uniform(-stdv, stdv)
        return self

    def setTarget(self, nT):
        assert self and image
        self.target = nT

    def updateOutput(self, input):
        assert self
        # P=WG Y=XP
        # self.output:resizeAs(input)
        if input.dim() == 3:
            self.P = self.MM_WG.forward([self.Weight, self.target])
            self.output = self.MM_PX.forward([self.P, input.view(self.C, -1)]).viewAs(input)
        elif input.dim() == 4:
            B = input.size(0)
            self.P = self.MM_WG.forward([self.Weight, self.target])
            self.output = self.MM_PX.forward([add_dummy(self.P).expand(B, self.C, self.C),
                                              input.view(B, self.C, -1)]).viewAs(input)
        else:
            raise RuntimeError('Unsupported dimention for Inspiration layer')
        return self.output

    def updateGradInput(self, input, gradOutput):
        assert self and self.gradInput is not None

        # self.gradInput:resizeAs(input):fill(0)
        if input.dim() == 3:
            self.gradPX = self.MM_PX.backward([self.P, input.view(self.C, -1)], gradOutput.view(self.C, -1))
        elif input.dim() == 4:
            B = input.size(0)
            self.gradPX = self.MM_PX.backward([add_dummy(self.P).expand(B, self.C, self.C),
                                               input.view(B, self.C, -1)], gradOutput.view(B, self.C, -1))
        else:
            raise RuntimeError('Unsupported dimention for Inspiration layer')

        self.gradInput = self.gradPX[1].viewAs(input)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        assert self
        scale = scale or 1

        if input.dim() == 3:
            self.gradWG = self.MM_WG.backward([self.Weight, self.target], self.gradPX[0])
            self.gradWeight = scale * self.gradWG[0]
        elif input.dim() == 4:
            self.gradWG = self.MM_WG.backward([self.Weight, self.target], self.gradPX[0].sum(0).squeeze())
            self.gradWeight = scale * self.gradWG[0]
        else:
            raise RuntimeError('Unsupported dimention for Inspiration layer')

    def __tostring__(self):
        return lg.type(self) + '(%dxHxW, -> %dxHxW)' % (self.C, self.C)
