"""LinearWeightNorm: a Linear layer with weight normalisation (Salimans & Kingma, 2016)."""
from .linear import Linear
from .module import Module
from .scaling import uniform_reset


class LinearWeightNorm(Linear):
    """y = x W^T + b with each row W_i = g_i v_i / ||v_i||: direction ``v`` and length ``g`` learnt apart.

    ``LinearWeightNorm(inputSize, outputSize, bias=True, eps=1e-16)``; parameters are
    ``v`` ``(outputSize, inputSize)``, ``g`` ``(outputSize, 1)`` and ``bias``; ``weight`` is
    recomputed from them at each training forward and on ``evaluate()``. Input and output as
    Linear. ``LinearWeightNorm.fromLinear(linear)`` and ``toLinear()`` convert.
    """

    def __init__(self, inputSize, outputSize, bias=True, eps=1e-16):
        Module.__init__(self)   # Linear's constructor would reset before v and g exist
        for name, v in (('inputSize', inputSize), ('outputSize', outputSize)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"LinearWeightNorm: {name} must be a positive integer, got {v!r}")
        self.eps = eps
        self.inputSize, self.outputSize = inputSize, outputSize
        new = self.output.new
        self.v, self.gradV = new(outputSize, inputSize), new(outputSize, inputSize)
        self.g, self.gradG = new(outputSize, 1), new(outputSize, 1)
        self.weight = new(outputSize, inputSize)
        self.gradWeight = None
        self.bias = new(outputSize) if bias else None
        self.gradBias = new(outputSize) if bias else None
        self.reset()

    def parameters(self):
        params, grads = [self.v, self.g], [self.gradV, self.gradG]
        if self.bias is not None:
            params.append(self.bias)
            grads.append(self.gradBias)
        return params, grads

    def reset(self, stdv=None):
        uniform_reset(stdv, self.inputSize, self.weight, *([self.bias] if self.bias is not None else []))
        self.initFromWeight()
        return self

    def initFromWeight(self, weight=None):
        """Set v to ``weight`` (default: the current one) and g to its row norms."""
        w = (self.weight if weight is None else weight).array
        xp = self.weight.xp
        self.v.array[...] = w
        self.g.array[...] = xp.maximum(xp.sqrt((w * w).sum(axis=1, keepdims=True)), self.eps)
        return self

    def _norm(self):
        v = self.v.array
        return self.v.xp.maximum(self.v.xp.sqrt((v * v).sum(axis=1, keepdims=True)), self.eps)

    def updateWeightMatrix(self):
        self.weight.array[...] = self.v.array * (self.g.array / self._norm())
        return self

    def updateOutput(self, input):
        self._check(input)
        if self.train:
            self.updateWeightMatrix()
        return super().updateOutput(input)

    def evaluate(self):
        if self.train:
            self.updateWeightMatrix()
        return super().evaluate()

    def accGradParameters(self, input, gradOutput, scale=1):
        self._check(input)
        self.checkGradOutput(gradOutput, self.output)
        x = input.array.reshape(-1, self.inputSize)
        go = gradOutput.array.reshape(-1, self.outputSize)
        gw = scale * (go.T @ x)                                  # d loss / d weight for this call
        norm, v = self._norm(), self.v.array
        dg = (gw * v).sum(axis=1, keepdims=True) / norm
        dv = (self.g.array / norm) * (gw - dg * v / norm)
        # both computed before either is added: accUpdateGradParameters adds into v and g themselves
        self.gradG.array += dg
        self.gradV.array += dv
        if self.bias is not None:
            self.gradBias.array += scale * go.sum(axis=0)

    def accUpdateGradParameters(self, input, gradOutput, lr):
        """Step v, g and bias directly by -lr times their gradient (no gradient kept)."""
        saved = self.gradV, self.gradG, self.gradBias
        self.gradV, self.gradG, self.gradBias = self.v, self.g, self.bias
        try:
            self.accGradParameters(input, gradOutput, -lr)
        finally:
            self.gradV, self.gradG, self.gradBias = saved

    @staticmethod
    def fromLinear(linear):
        module = LinearWeightNorm(linear.weight.size(1), linear.weight.size(0), linear.bias is not None)
        module.type(linear.type())
        module.weight.copy(linear.weight)
        module.initFromWeight()
        if linear.bias is not None:
            module.bias.copy(linear.bias)
        return module

    def toLinear(self):
        self.updateWeightMatrix()
        module = Linear(self.inputSize, self.outputSize, self.bias is not None).type(self.type())
        module.weight.copy(self.weight)
        if self.bias is not None:
            module.bias.copy(self.bias)
        return module

    def __repr__(self):
        return (f"nn.LinearWeightNorm({self.inputSize} -> {self.outputSize})"
                f"{'' if self.bias is not None else ' without bias'}")
