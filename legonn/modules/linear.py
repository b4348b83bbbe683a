"""Linear: y = x W^T + b; LinearWeightNorm, the same with weight normalisation."""
from ..tensor.blas_kernels import SMALL_TRANSPOSE, add_sums, addmm_into, transpose_into
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, check_number, input_error
from .base.hessian import LinearDiagHessian
from .base.initialisation import OptionalBias, uniform_reset
from .base.module import Module
from .base.view_cache import views_of
from ..tensor.reductions import reducer


def _transposed(a):
    return a.T


class Linear(LinearDiagHessian, OptionalBias, Module):
    """Affine map from ``inputSize`` to ``outputSize`` features.

    Input ``(inputSize,)`` or ``(batch, inputSize)``; output ``(outputSize,)`` or
    ``(batch, outputSize)``. ``weight`` is ``(outputSize, inputSize)``, ``bias``
    ``(outputSize,)``; ``Linear(n, m, bias=False)`` or ``noBias()`` drops the bias.
    """

    input_ranks = (1, 2)

    def parameterSizes(self):
        rows = self.weight._size[:1]   # the weight's own sizes are the hyper-parameters; the bias follows
        return {'weight': (None, None), 'bias': rows}

    def __init__(self, inputSize, outputSize, bias=True):
        super().__init__()
        check_hyper('Linear', positive=dict(inputSize=inputSize, outputSize=outputSize))
        self.weight = self.output.new(outputSize, inputSize)
        self.gradWeight = self.output.new(outputSize, inputSize)
        self.bias = self.output.new(outputSize) if bias else None
        self.gradBias = self.output.new(outputSize) if bias else None
        self.reset()

    def reset(self, stdv=None):
        """Uniform in [-stdv, stdv], stdv = 1/sqrt(inputSize) by default (Torch7's rule)."""
        uniform_reset(stdv, self.weight.size(1), self.weight, self.bias)
        return self

    def _check(self, input):
        weight = self.weight
        # the common case (a tensor of the weight's type, batch or not, the right width) in a few reads
        if type(input) is not type(weight) or len(input._size) not in self.input_ranks:
            self.checkInput(input)
            self.checkSameType(input, weight)
        if input._size[-1] != weight._size[1]:
            raise input_error(self, f"{weight._size[1]} input features", f"{input._size[-1]} (input of size "
                              f"{tuple(input.size())})")

    def updateOutput(self, input):
        self._check(input)
        x = input.array
        weight = self.weight
        output = self.output
        sizes = x.shape[:-1] + (weight._size[0],)
        if output._size != sizes:
            output.resize(sizes)
        out = output.array
        xp = input.xp
        if x.ndim == 2 and sizes[1] >= sizes[0] and not input._cuda:
            # OpenBLAS computes W x^T (outputSize x batch) faster than x W^T when the batch is the smaller
            # side (32x256 by 256x1024: about 220 against 300 us, one thread, transposing pass included;
            # bench/lstm.md, Part 1). A large transposed product lands in the output through the cache-blocked
            # transpose (128x1024: 35 against 134 us for a strided copy), then the bias is added; a small one
            # in the one strided pass that adds the bias (a few microseconds fewer a call)
            product = self.bufferLike('_productT', input, (sizes[1], sizes[0]))
            xp.matmul(weight.array, x.T, out=product)
            if product.size >= SMALL_TRANSPOSE:
                transpose_into(out, product)
                if self.bias is not None:
                    out += self.bias.array
            elif self.bias is not None:
                xp.add(product.T, self.bias.array, out=out)
            else:
                out[...] = product.T
            return output
        # weight^T made once while the weight keeps its array (each clone of an unrolled step calls this per step)
        xp.matmul(x, views_of(self, 'weight', weight.array, None, _transposed), out=out)
        # matmul then a broadcast add: measured faster than a bias-filled output with a beta=1 GEMM
        # (bench/lstm.md), since NumPy's matmul calls BLAS with less overhead than ctypes does
        if self.bias is not None:
            out += self.bias.array
        return output

    def _check_backward(self, input, gradOutput):
        """The input checks, and a gradOutput of the weight's type sized (input rows x outputSize)."""
        self._check(input)
        weight = self.weight
        # the common case (a gradOutput of the weight's type and of the output's sizes) in a few reads; else the
        # checks, which word the error
        if type(gradOutput) is not type(weight) or gradOutput._size != input._size[:-1] + (weight._size[0],):
            self.checkSameType(gradOutput, weight, 'gradOutput')
            self.checkSize(gradOutput, input._size[:-1] + (weight._size[0],))

    def updateGradInput(self, input, gradOutput):
        self._check_backward(input, gradOutput)
        if self.gradInput is None:   # Torch7's idiom for a first layer: no gradient w.r.t. the data
            return None
        gi = self.bufferLike('gradInput', input)
        input.xp.matmul(gradOutput.array, self.weight.array, out=gi)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        go = self._acc_grad_weight(input, gradOutput, scale)
        if self.bias is not None:
            add_sums(self.gradBias.array, go, 0, scale)

    def _acc_grad_weight(self, input, gradOutput, scale):
        """``gradWeight += scale * gradOutput^T input`` (a 1-D input as a batch of one), accumulated by BLAS
        without a temporary; returns gradOutput's array as a batch, for the bias's sums."""
        self._check_backward(input, gradOutput)
        go, x = gradOutput.array, input.array
        if x.ndim == 1:
            go, x = go[None, :], x[None, :]
        addmm_into(self.gradWeight.array, go, x, scale, 1.0, a_transposed=True)
        return go

    def clearState(self):
        return super().clearState('_productT')

    def __repr__(self):
        suffix = '' if self.bias is not None else ' without bias'
        return f"{lua_typename(self)}({self.weight.size(1)} -> {self.weight.size(0)}){suffix}"


class LinearWeightNorm(Linear):
    """y = x W^T + b with each row W_i = g_i v_i / ||v_i||: direction ``v`` and length ``g`` learnt apart.

    ``LinearWeightNorm(inputSize, outputSize, bias=True, eps=1e-16)``; parameters are
    ``v`` ``(outputSize, inputSize)``, ``g`` ``(outputSize, 1)`` and ``bias``; ``weight`` is
    recomputed from them at each training forward and on ``evaluate()``. Input and output as
    Linear. ``LinearWeightNorm.fromLinear(linear)`` and ``toLinear()`` convert.
    """

    def __init__(self, inputSize, outputSize, bias=True, eps=1e-16):
        Module.__init__(self)   # Linear's constructor would reset before v and g exist
        check_hyper('LinearWeightNorm', positive=dict(inputSize=inputSize, outputSize=outputSize))
        self.eps = check_number('LinearWeightNorm', 'eps', eps)
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
        uniform_reset(stdv, self.inputSize, self.weight, self.bias)
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
        dg = reducer(input.xp, 'sum')(gw * v, axis=1, keepdims=True) / norm
        dv = (self.g.array / norm) * (gw - dg * v / norm)
        # both computed before either is added: accUpdateGradParameters adds into v and g themselves
        self.gradG.array += dg
        self.gradV.array += dv
        if self.bias is not None:
            self.gradBias.array += scale * go.sum(axis=0)

    def accUpdatePairs(self):
        return ((self, 'gradV', 'v'), (self, 'gradG', 'g'), (self, 'gradBias', 'bias'))

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
        return (f"{lua_typename(self)}({self.inputSize} -> {self.outputSize})"
                f"{'' if self.bias is not None else ' without bias'}")


class LinearNoBias(Linear):
    """y = x W^T: a Linear without its bias (the rnn package's LinearNoBias.lua, used by its LSTM and GRU
    for the hidden-to-gate maps). ``LinearNoBias(inputSize, outputSize)``; input and output as Linear,
    ``weight`` ``(outputSize, inputSize)``, reset uniform in +-1/sqrt(inputSize) as Linear's."""

    def __init__(self, inputSize, outputSize):
        check_hyper('LinearNoBias', positive=dict(inputSize=inputSize, outputSize=outputSize))
        super().__init__(inputSize, outputSize, bias=False)

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(1)} -> {self.weight.size(0)})"


class QDRiemaNNLinear(Linear):
    """A Linear whose accGradParameters turns the gradient into a Riemannian one: nnx's QDRiemaNNLinear.lua
    (Lua's ``nnx.QDRiemaNNLinear``), the quasi-diagonal (``qdFlag``, default) or diagonal reduction of the
    metric of Marceau-Caron and Ollivier's "Practical Riemannian Neural Networks".

    ``QDRiemaNNLinear(inputSize, outputSize, gamma=0.01, qdFlag=True)``; forward and updateGradInput are
    Linear's, for a batch ``(batch, inputSize)`` only. accGradParameters adds the plain gradient (the scale is
    ignored, as the Lua file drops it), then updates the running metrics with g2 = gradOutput**2, as moving
    averages of rate ``gamma`` after a first batch that sets them: ``Mii`` += g2^T x**2, ``M0i`` += g2^T x,
    ``M00`` += g2^T 1; and replaces the accumulated gradients by their preconditioned values (diagonal: divided
    by Mii + 1e-12 and M00 + 1e-12, which stay added to the metrics, as the Lua file's in-place adds). reset():
    weight normal(0, 1/sqrt(inputSize)), bias 0, metrics to be set anew."""

    def __init__(self, inputSize, outputSize, gamma=0.01, qdFlag=True):
        check_hyper('QDRiemaNNLinear', positive=dict(inputSize=inputSize, outputSize=outputSize))
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0 <= gamma <= 1:
            raise ValueError(f"QDRiemaNNLinear: gamma must be a number in [0, 1], got {gamma!r}")
        self.qdFlag = bool(qdFlag)
        super().__init__(inputSize, outputSize)
        self.gamma = float(gamma)
        self.matReg = 1e-12
        self.initMetric = True
        self.Mii = self.weight.new(outputSize, inputSize)
        self.M0i = self.weight.new(outputSize, inputSize) if self.qdFlag else None
        self.M00 = self.weight.new(outputSize)

    def reset(self, stdv=None):
        """Weight normal(0, 1/sqrt(inputSize)) (or ``stdv``), bias 0; the next batch sets the metrics anew."""
        self.initMetric = True
        self.weight.normal(0, stdv if stdv is not None else 1 / self.weight.size(1) ** 0.5)
        self.bias.zero()
        return self

    def accGradParameters(self, input, gradOutput, scale=1):
        if input.dim() != 2:
            raise input_error(self, "a batch (batch, inputSize): the metric sums over its rows",
                              f"{input.dim()}-D input")
        super().accGradParameters(input, gradOutput, 1)
        xp, x = input.xp, input.array
        g2t = (gradOutput.array ** 2).T
        stats = [(self.Mii, g2t @ x ** 2), (self.M00, g2t.sum(axis=1))] + ([(self.M0i, g2t @ x)] if self.qdFlag else [])
        for metric, batch in stats:
            if self.initMetric:
                metric.array[...] = batch
            else:
                metric.array[...] = (1 - self.gamma) * metric.array + self.gamma * batch
        self.initMetric = False
        gw, gb, mii, m00 = self.gradWeight.array, self.gradBias.array, self.Mii.array, self.M00.array
        if self.qdFlag:
            m0i = self.M0i.array
            numerator = gw * m00[:, None] - m0i * gb[:, None]
            denominator = xp.clip(mii * m00[:, None] - m0i ** 2, self.matReg, 1e25)
            gw[...] = numerator / denominator
            gb[...] = (gb - (m0i * gw).sum(axis=1)) / (m00 + self.matReg)
        else:
            mii += self.matReg
            m00 += self.matReg
            gw /= mii
            gb /= m00

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(1)} -> {self.weight.size(0)})"
