"""layers/Normalize.lua: x/(eps + sum_i |x_i|^p)^(1/p) for all finite p > 0 (not p = inf). It replaces torch/nn's
Normalize's methods for the whole Lua process; here a subclass the port uses (a 1-D input's output is a view of
row 0 of its buffer, as the Lua's ``self.output[1]``)."""
import legonn as lg
from legonn import nn

from ._or import _or


class Normalize(nn.Normalize):
    """this version of Normalize computes x/(eps + sum_i x_i^p)^(1/p) for all finite p > 0,
    but not for p = inf"""

    def __init__(self, p, eps=None):
        nn.Module.__init__(self)
        assert p, 'p-norm not provided'
        assert p > 0, str(p) + '-norm not supported'
        self.p = p
        self.eps = eps if eps is not None else 1e-10

    def updateOutput(self, input):
        assert input.dim() <= 2, 'only 1d layer supported'
        is_batch = True
        if input.dim() == 1:
            input = input.view(1, -1)
            is_batch = False

        self.output.resizeAs(input)

        self.norm = _or(getattr(self, 'norm', None), input.new())
        self.normp = _or(getattr(self, 'normp', None), input.new())
        self.buffer = _or(getattr(self, 'buffer', None), input.new())

        if self.p % 2 != 0:
            self.buffer.abs(input).pow(self.p)
        else:
            self.buffer.pow(input, self.p)
        self.normp.sum(self.buffer, 1).add(self.eps)
        self.norm.pow(self.normp, 1 / self.p)
        self.output.cdiv(input, self.norm.view(-1, 1).expandAs(self.output))

        if not is_batch:
            self.output = self.output[0]
        return self.output

    def updateGradInput(self, input, gradOutput):
        assert input.dim() <= 2, 'only 1d layer supported'
        assert gradOutput.dim() <= 2, 'only 1d layer supported'

        is_batch = True
        if input.dim() == 1:
            input = input.view(1, -1)
            is_batch = False

        n = input.size(0)  # batch size
        d = input.size(1)  # dimensionality of vectors
        # compute diagonal term
        self.eye = _or(getattr(self, 'eye', None), lg.eye(d).typeAs(input).view(1, d, d))
        if self.eye.size(1) != d:
            self.eye.resize(1, d, d)
            if lg.type(self.eye) == 'torch.CudaTensor':
                # cuda doesn't implement eye
                self.eye.double().eye(d).typeAs(input)
            else:
                self.eye.eye(d).typeAs(input)
            self.eye = self.eye.view(1, d, d)
        eyeExpand = self.eye.expand(n, d, d)
        self.diag = _or(getattr(self, 'diag', None), self.eye.new())
        self.diag.cmul(eyeExpand, self.normp.view(n, 1, 1).expand(n, d, d))
        # compute cross term
        self.buffer.abs(input).pow(self.p - 2).cmul(input)
        b1 = self.buffer.view(n, d, 1)
        b2 = input.view(n, 1, d)

        self.diag.baddbmm(-1, b1, b2)
        # compute the local gradient of the Lp transformation
        self.buffer.cmul(self.normp, self.norm)
        self.diag.cdiv(self.buffer.view(n, 1, 1).expand(n, d, d))
        # chain the gradient
        self.gradInput.resize(n, d, 1)
        self.gradInput.bmm(self.diag, gradOutput.view(n, d, 1))
        self.gradInput = self.gradInput.view(n, d)

        if not is_batch:
            self.gradInput = self.gradInput[0]

        return self.gradInput

    def __tostring__(self):
        # different prints if the norm is integer
        if self.p % 1 == 0:
            s = '%s(%d)'
        else:
            s = '%s(%f)'
        return s % (lg.type(self), self.p)


# Torch7 saves it as nn.Normalize; lg.save needs a name of its own (docs/porting.md, the nn.LinearNoBias row)
lg.register(Normalize, 'lie_access_memory.Normalize')
