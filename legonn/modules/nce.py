"""NCEModule: the output layer of noise-contrastive estimation (dpnn's NCEModule.lua; Mnih and Teh 2012)."""
import math

from ..tensor import TENSOR_CLASSES, Tensor
from ..tensor.backend import to_module
from ..tensor.sampling import multinomialAlias, multinomialAliasSetup
from ..tensor.scatter_kernels import scatter_add
from ..tensor.introspection import typename as lua_typename
from .base.errors import check_hyper, input_error
from .base.initialisation import uniform_reset
from .base.module import Module
from .base.table_buffers import slot, trim
from ..tensor.reductions import reducer


class NCEModule(Module):
    """Unnormalised model probabilities of the targets and of ``k`` noise samples, with the noise probabilities.

    ``NCEModule(inputSize, outputSize, k, unigrams, Z=None)``: ``weight`` ``(outputSize, inputSize)`` and
    ``bias`` ``(outputSize,)`` as a Linear; ``unigrams`` (``outputSize`` weights, divided by their sum in place
    as dpnn does) is the noise distribution, drawn from by the alias method (``aliasmultinomial``, kept on the
    CPU). ``Z`` is the normalisation constant; None (or not positive) estimates it from the first batch as
    ``mean(exp(samples' scores)) * outputSize``.

    Input ``[input, target]``: ``input`` ``(batch, inputSize)``, ``target`` ``(batch,)`` 0-based classes.
    In training (and in evaluation unless ``normalized`` is set) the output is ``[Pmt, Pms, Pnt, Pns]``:
    ``Pmt = exp(w_t . x + b_t) / Z`` ``(batch,)``, ``Pms`` the same for the noise samples ``(batch, k)``,
    ``Pnt``/``Pns`` their noise probabilities. With ``batchnoise`` (default) the ``k`` samples are shared by
    the batch; ``sampleidx`` holds them, then the targets (``(k + batch,)``); otherwise each row draws its own
    and ``sampleidx`` is ``(batch, 1 + k)``, the target first. In evaluation with ``normalized`` set, the
    output is the full softmax ``(batch, outputSize)`` (log-softmax with ``logsoftmax`` set). ``gradInput`` is
    ``[d input, zeros like target]``; only the gradients of ``Pmt`` and ``Pms`` are used.
    """

    input_kind = 'table'
    input_dtypes = 'any'   # the target holds indices: checked in _parts

    def parameterSizes(self):
        return {'weight': (None, None), 'bias': self.weight._size[:1]}

    def __init__(self, inputSize, outputSize, k, unigrams, Z=None):
        super().__init__()
        check_hyper('NCEModule', positive=dict(inputSize=inputSize, outputSize=outputSize, k=k))
        if not isinstance(unigrams, Tensor) or unigrams.dim() != 1 or unigrams.size(0) != outputSize:
            got = f"{unigrams.type()} of size {tuple(unigrams.size())}" if isinstance(unigrams, Tensor) else \
                type(unigrams).__name__
            raise ValueError(f"NCEModule: unigrams must be a tensor of {outputSize} weights, got {got}")
        self.weight = self.output.new(outputSize, inputSize)
        self.gradWeight = self.output.new(outputSize, inputSize)
        self.bias = self.output.new(outputSize)
        self.gradBias = self.output.new(outputSize)
        self.reset()
        self.k = k
        self.unigrams = unigrams
        self.Z = type(self.output)([-1.0 if Z is None else float(Z)])
        self.batchnoise = True
        self.fastNoise()
        cls = type(self.output)
        self.output = [cls(), cls(), cls(), cls()]
        self.gradInput = [cls(), cls()]

    def reset(self, stdv=None):
        """With ``stdv``: weight and bias uniform in [-stdv, stdv]. Without: weight uniform in
        [-1/sqrt(inputSize), 1/sqrt(inputSize)] and every bias -log(outputSize) (a softmax's mean log-probability,
        so that Z = 1 starts near right)."""
        if stdv is not None:
            self.weight.uniform(-stdv, stdv)
            self.bias.uniform(-stdv, stdv)
        else:
            uniform_reset(None, self.weight.size(1), self.weight)
            self.bias.fill(-math.log(self.bias.size(0)))
        return self

    def fastNoise(self):
        """Normalise ``unigrams`` in place and build the alias tables the noise is drawn from."""
        self.unigrams.div(self.unigrams.sum())
        self.aliasmultinomial = multinomialAliasSetup(self.unigrams)

    # --- noise ------------------------------------------------------------------------
    def noiseSample(self, sampleidx, batchsize, k):
        """Fill ``sampleidx`` (resized to ``(batchsize, k)``) with 0-based classes drawn from the unigrams."""
        if sampleidx.type() != 'legonn.LongTensor':
            # the alias tables live on the CPU: draw there and copy to the device
            if self.__dict__.get('_noiseidx') is None:
                self._noiseidx = TENSOR_CLASSES['LongTensor']()
            self._noiseidx.resize(batchsize, k)
            multinomialAlias(self._noiseidx.view(-1), self.aliasmultinomial)
            sampleidx.resize(batchsize, k).copy(self._noiseidx)
        else:
            sampleidx.resize(batchsize, k)
            multinomialAlias(sampleidx.view(-1), self.aliasmultinomial)
        return sampleidx

    def noiseProb(self, sampleprob, sampleidx):
        """``sampleprob`` resized like ``sampleidx`` and filled with the unigram probability of each index."""
        idx = to_module(sampleidx.array, self.unigrams.xp)
        probs = Tensor._from_array(self.unigrams.array[idx])
        return sampleprob.resize(*sampleidx.size()).copy(probs)

    # --- the contract -------------------------------------------------------------------
    def _parts(self, inputTable):
        """(input, target indices as an int64 array on the weight's device), checked."""
        self.checkTable(inputTable, length=2)
        input, target = inputTable
        self.checkTensor(input, (2,), 'input[0]', floating=True)
        self.checkSameType(input, self.weight, 'input[0]')
        if input.size(1) != self.weight.size(1):
            raise input_error(self, f"input[0] of {self.weight.size(1)} columns", tuple(input.size()))
        self.checkTensor(target, (1,), 'input[1] (the targets)')
        if target.size(0) != input.size(0):
            raise input_error(self, f"{input.size(0)} targets (one per row of input[0])", target.size(0))
        return input, self.checkIndices(target, self.weight.size(0), 'targets', self.weight.xp)

    def _indexBuffer(self, sizes):
        """The ``sampleidx`` buffer, an integer tensor on the weight's device, resized to ``sizes``."""
        self.bufferLike('sampleidx', self.weight, sizes, 'Long')
        return self.sampleidx

    def _buffer(self, name, input):
        """Tensor ``self.<name>`` of ``input``'s type, made when missing."""
        t = self.__dict__.get(name)
        if t is None or type(t) is not type(input):
            t = input.new()
            setattr(self, name, t)
        return t

    def _outputs(self, input):
        out = self.output
        if not isinstance(out, list) or len(out) != 4:
            self.output = out = [input.new(), input.new(), input.new(), input.new()]
        return out

    def _normalise(self, scores):
        """Divide ``scores`` by Z in place, first estimating Z from them when it is not positive."""
        if float(self.Z[0]) <= 0:
            self.Z[0] = float(scores.mean()) * self.weight.size(0)
            print(f"normalization constant Z approximated to {float(self.Z[0])}")
        scores /= self.Z.array[0]

    def updateOutput(self, inputTable):
        input, target = self._parts(inputTable)
        x, xp, k, batch = input.array, input.xp, self.k, input.size(0)
        W, b = self.weight.array, self.bias.array
        if not self.train and self.__dict__.get('normalized'):
            lin = x @ W.T + b
            shifted = lin - lin.max(axis=1, keepdims=True)
            e = xp.exp(shifted)
            total = e.sum(axis=1, keepdims=True)
            result = shifted - xp.log(total) if self.__dict__.get('logsoftmax') else e / total
            self.output = self.output if isinstance(self.output, Tensor) else input.new()
            self.output.resize(*result.shape).array[...] = result
            return self.output
        out = self._outputs(input)
        if self.batchnoise:
            sampleidx = self._indexBuffer((k + batch,))
            sampleidx.array[k:] = target
            self.noiseSample(sampleidx, 1, k)
            sampleidx.resize(k + batch)
            idx = sampleidx.array
            self._weight, self._bias = W[idx], b[idx]
            sweight, tweight = self._weight[:k], self._weight[k:]
            Pmt = xp.exp(reducer(xp, 'sum')(x * tweight, axis=1) + self._bias[k:])
            Pms = xp.exp(self._bias[:k] + x @ sweight.T)
            self._normalise(Pms)
            Pmt /= self.Z.array[0]
            out[0].resize(batch).array[...] = Pmt
            out[1].resize(batch, k).array[...] = Pms
            self.sampleprob = self.noiseProb(self._buffer('sampleprob', input), sampleidx)
            out[2].set(self.sampleprob.narrow(0, k, batch))
            out[3].set(self.sampleprob.narrow(0, 0, k).view(1, k).expand(batch, k))
        else:
            sampleidx = self._indexBuffer((batch, k + 1))
            sampleidx.array[:, 0] = target
            if self.__dict__.get('_sampleidx') is None or self._sampleidx.type() != sampleidx.type():
                self._sampleidx = sampleidx.new()
            self.noiseSample(self._sampleidx, batch, k)
            sampleidx.array[:, 1:] = self._sampleidx.array
            idx = sampleidx.array
            self._weight, self._bias = W[idx], b[idx]   # (batch, k + 1, inputSize), (batch, k + 1)
            pm = xp.exp(self._bias + xp.einsum('bd,bjd->bj', x, self._weight))
            self._normalise(pm)
            self._pm = pm
            out[0].resize(batch).array[...] = pm[:, 0]
            out[1].resize(batch, k).array[...] = pm[:, 1:]
            self.sampleprob = self.noiseProb(self._buffer('sampleprob', input), sampleidx)
            out[2].set(self.sampleprob.select(1, 0))
            out[3].set(self.sampleprob.narrow(1, 1, k))
        return out

    def _grads(self, inputTable, gradOutput):
        input, _ = self._parts(inputTable)
        if not isinstance(self.output, list) or self.__dict__.get('_weight') is None:
            raise input_error(self, "a training forward() before backward()", "none")
        self.checkTable(gradOutput, min_length=2, what='gradOutput')
        for i in (0, 1):
            self.checkTensor(gradOutput[i], (i + 1,), f'gradOutput[{i}]', floating=True)
            if gradOutput[i]._size != self.output[i]._size:
                raise input_error(self, f"gradOutput[{i}] of size {tuple(self.output[i].size())}",
                                  tuple(gradOutput[i].size()))
        return input, gradOutput[0].array, gradOutput[1].array

    def _scoreGrads(self, inputTable, gradOutput):
        """The input, and the gradients of the scores (before exp) in ``_gradOutput`` (samples) and
        ``_tgradOutput`` (targets; with batchnoise off, column 0 of ``_gradOutput``)."""
        input, dPmt, dPms = self._grads(inputTable, gradOutput)
        # d Pm / d score = Pm (the exponential's derivative, Z a constant)
        if self.batchnoise:
            self._gradOutput = dPms * self.output[1].array
            self._tgradOutput = dPmt * self.output[0].array
        else:
            self._gradOutput = input.xp.concatenate([dPmt[:, None], dPms], axis=1) * self._pm
        return input

    def updateGradInput(self, inputTable, gradOutput):
        input = self._scoreGrads(inputTable, gradOutput)
        k = self.k
        if self.batchnoise:
            gi = self._tgradOutput[:, None] * self._weight[k:] + self._gradOutput @ self._weight[:k]
        else:
            gi = input.xp.einsum('bj,bjd->bd', self._gradOutput, self._weight)
        # slot makes the entries a table emptied by a mediumSerial save lacks, as NCEModule.lua's 'gradInput[i] or
        # new()' allows
        slot(self, 'gradInput', 0, input).array[...] = gi
        target = inputTable[1]
        # zeros of the target's type, as torch/nn's LookupTable gives for its indices (NCEModule.lua makes them of
        # input's type, which a module before the target, e.g. an Identity, refuses as its gradOutput); kept
        # zero from call to call while the target's type and size stay
        second = self.gradInput[1] if len(self.gradInput) > 1 else None
        if type(second) is not type(target) or second._size != target._size:
            slot(self, 'gradInput', 1, target).zero()
        trim(self, 'gradInput', 2)
        return self.gradInput

    def accGradParameters(self, inputTable, gradOutput, scale=1):
        input = self._scoreGrads(inputTable, gradOutput)
        x, k = input.array, self.k
        idx = self.sampleidx.array
        if self.batchnoise:
            gs, gt = scale * self._gradOutput, scale * self._tgradOutput
            scatter_add(self.gradWeight.array, idx[:k], gs.T @ x)
            scatter_add(self.gradWeight.array, idx[k:], gt[:, None] * x)
            scatter_add(self.gradBias.array, idx[k:], gt)
            scatter_add(self.gradBias.array, idx[:k], gs.sum(axis=0))
        else:
            g = scale * self._gradOutput   # (batch, k + 1)
            flat = idx.reshape(-1)
            scatter_add(self.gradWeight.array, flat, (g[:, :, None] * x[:, None, :]).reshape(-1, x.shape[1]))
            scatter_add(self.gradBias.array, flat, g.reshape(-1))

    # --- state --------------------------------------------------------------------------
    _BUFFERS = ('sampleidx', 'sampleprob', '_noiseidx', '_sampleidx', '_weight', '_bias', '_pm',
                '_gradOutput', '_tgradOutput')

    def type(self, typename=None, cache=None):
        """Convert parameters and outputs; the unigrams and the alias tables stay on the CPU, as dpnn's."""
        if typename is not None:
            for name in self._BUFFERS:
                self.__dict__.pop(name, None)
        unigrams, alias = self.__dict__.pop('unigrams'), self.__dict__.pop('aliasmultinomial')
        try:
            return super().type(typename, cache)
        finally:
            self.unigrams, self.aliasmultinomial = unigrams, alias

    def clearState(self):
        for name in self._BUFFERS:
            self.__dict__.pop(name, None)
        if isinstance(self.output, Tensor):
            self.output = [self.output.new() for _ in range(4)]
        return super().clearState()

    def __repr__(self):
        return f"{lua_typename(self)}({self.weight.size(1)} -> {self.weight.size(0)})"
