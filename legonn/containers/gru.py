"""GRU and MuFuRu: the rnn package's step-by-step gated recurrent units (GRU.lua, Mufuru.lua).

Each forward is one time step; the step module (``recurrentModule``, cloned per step by AbstractRecurrent) is
built from nn modules as the Lua builds it and maps ``[x[t], s[t-1]]`` to ``s[t]``. Steps are 0-based; the
state before step 0 (step -1) is ``userPrevOutput`` when set, else zeros.
"""
from ..modules.arithmetic import Abs, MulConstant, SAdd, Sqrt
from ..modules.identity import Identity
from ..modules.linear import Linear, LinearNoBias
from ..modules.reductions import Max, Min, Sum
from ..modules.reshape import Reshape, View
from ..modules.shape import Transpose, Unsqueeze
from ..modules.smooth_activations import Sigmoid, Tanh
from ..modules.softmax import SoftMax
from ..modules.table_arithmetic import CAddTable, CMulTable, CSubTable
from ..modules.table_structure import FlattenTable, JoinTable, NarrowTable, SelectTable, SplitTable
from ..tensor import Tensor
from ..tensor.introspection import typename as lua_typename
from .recurrent_cell import RecurrentCell, first_set
from .sequential import Sequential
from .tables import ConcatTable, MapTable, ParallelTable


class GRU(RecurrentCell):
    """``GRU(inputSize, outputSize, rho=9999, p=0, mono=False)``: one step per forward, input ``(inputSize,)``
    or ``(batch, inputSize)``, output ``s[t]`` ``(outputSize,)`` or ``(batch, outputSize)``::

        r[t] = sigmoid(W[x->r] x[t] + U[s->r] s[t-1] + b[r])
        z[t] = sigmoid(W[x->z] x[t] + U[s->z] s[t-1] + b[z])
        h[t] = tanh(W[x->h] x[t] + U[rs->h] (r[t] * s[t-1]) + b[h])
        s[t] = (1 - z[t]) * h[t] + z[t] * s[t-1]

    ``i2g`` (a Linear(inputSize, 2 outputSize)) and ``o2g`` (a LinearNoBias(outputSize, 2 outputSize)) make
    [r, z]. With ``p`` > 0 (Bayesian GRU, Gal's dropout) each of the four maps into r, z and h from x and from
    s (or r * s) reads its own lazy Dropout (``mono``: one mask row for the whole batch), and i2g and o2g are
    two Dropout + Linear pairs each, joined. ``userPrevOutput`` sets the state before step 0,
    ``userNextGradOutput`` the gradient after the last step.
    """

    def __init__(self, inputSize, outputSize, rho=9999, p=0, mono=False):
        super().__init__(inputSize, outputSize, rho, p, mono)

    # --- the step module -------------------------------------------------------------------------------
    def buildModel(self):
        """``[x[t], s[t-1]] -> s[t]``."""
        n = self.outputSize
        self.i2g = self._gate_maps(Linear, self.inputSize, 2)
        self.o2g = self._gate_maps(LinearNoBias, n, 2)
        gates = Sequential().add(ParallelTable().add(self.i2g).add(self.o2g)).add(CAddTable())
        gates.add(Reshape(2, n)).add(SplitTable(0, 2))
        gates.add(ParallelTable().add(Sigmoid()).add(Sigmoid()))
        seq = Sequential().add(ConcatTable().add(Identity()).add(gates))
        seq.add(FlattenTable())   # [x, s[t-1], r, z]
        seq.add(ConcatTable().add(NarrowTable(0, 4)).add(SelectTable(1))).add(FlattenTable())   # [x, s, r, z, s]
        fromInput = Sequential().add(SelectTable(0))
        fromState = Sequential().add(NarrowTable(1, 2)).add(CMulTable())
        if self.p != 0:
            fromInput.add(self._dropout())
            fromState.add(self._dropout())
        fromInput.add(Linear(self.inputSize, n))
        fromState.add(LinearNoBias(n, n))
        hidden = Sequential().add(ConcatTable().add(fromInput).add(fromState)).add(CAddTable()).add(Tanh())
        oneMinusZ = Sequential().add(SelectTable(3)).add(SAdd(-1, True))   # -(z - 1)
        zState = Sequential().add(NarrowTable(3, 2)).add(CMulTable())
        newPart = Sequential().add(ConcatTable().add(hidden).add(oneMinusZ)).add(CMulTable())
        return seq.add(Sequential().add(ConcatTable().add(newPart).add(zState)).add(CAddTable()))

    # --- hidden state ----------------------------------------------------------------------------------
    def getHiddenState(self, step=None, input=None):
        """``s`` after step ``step`` (0-based; default the latest; -1: the state before step 0, which is
        ``userPrevOutput``, a state set for step -1, or zeros sized by ``input``)."""
        step = self._state_step(step, self.step)
        if step == -1:
            prevOutput = first_set(self._user('userPrevOutput'), self.outputs.get(-1), self.zeroTensor)
            self._zero_state(input)
            return prevOutput
        return self.outputs.get(step)

    def setHiddenState(self, step, hiddenState):
        """Set ``s`` after step ``step`` (0-based; None: the latest; -1: the state step 0 starts from)."""
        step = self._state_step(step, self.step)
        self._check_state('setHiddenState', hiddenState)
        self.outputs[step] = hiddenState

    def getGradHiddenState(self, step=None, input=None):
        """The gradient of ``s`` after step ``step`` (0-based; default: the one the next backward step reads);
        after the last step ``userNextGradOutput``, a gradient set there, or zeros."""
        step = self._state_step(step, self._backward_counter())
        if step == self.step - 1:
            return first_set(self._user('userNextGradOutput'), self.gradOutputs.get(step), self.zeroTensor)
        return self.gradOutputs.get(step)

    def setGradHiddenState(self, step, gradHiddenState):
        step = self._state_step(step, self._backward_counter())
        self._check_state('setGradHiddenState', gradHiddenState)
        self.gradOutputs[step] = gradHiddenState

    def _check_state(self, method, state):
        if not isinstance(state, Tensor):
            raise TypeError(f"{self.shortName()}.{method}: expected a tensor, got {type(state).__name__}")

    # --- forward and backward, one step per call -------------------------------------------------------
    def updateOutput(self, input):
        self._check_step_input(input)
        prevOutput = self.getHiddenState(self.step - 1, input)
        output = self.run_module(self._step_module(), self._label(self.step), 'updateOutput', [input, prevOutput])
        return self._record_step(output)

    def _updateGradInput(self, input, gradOutput):
        step = self.updateGradInputStep - 1
        total = self._output_gradient(step, self.getGradHiddenState(step), gradOutput)
        gradInputs = self.run_module(self.getStepModule(step), self._label(step), 'updateGradInput',
                                     [input, self.getHiddenState(step - 1)], total)
        self.setGradHiddenState(step - 1, gradInputs[1])
        return gradInputs[0]

    def _accGradParameters(self, input, gradOutput, scale):
        step = self.accGradParametersStep - 1
        grad = first_set(self._gradOutputs.get(step), self.getGradHiddenState(step))
        self.run_module(self.getStepModule(step), self._label(step), 'accGradParameters',
                        [input, self.getHiddenState(step - 1)], grad, scale)

    def migrate(self, params):
        """Copy the six parameters of a GRU without dropout (``params``, as its ``parameters()[0]`` lists them)
        into this Bayesian GRU's nine (GRU.lua's migrate)."""
        mine = self.parameters()[0]
        if self.p == 0:
            raise ValueError(f"{self.shortName()}.migrate: only a GRU with dropout (p > 0) takes another's "
                             "parameters")
        if len(params) != 6 or len(mine) != 9:
            raise ValueError(f"{self.shortName()}.migrate: expected the 6 parameters of a GRU without dropout "
                             f"(into this one's 9), got {len(params)}")
        n = self.outputSize
        sources = [params[0].narrow(0, 0, n), params[1].narrow(0, 0, n), params[0].narrow(0, n, n),
                   params[1].narrow(0, n, n), params[2].narrow(0, 0, n), params[2].narrow(0, n, n),
                   params[3], params[4], params[5]]
        for target, source in zip(mine, sources):
            target.copy(source)
        return self

    def __repr__(self):
        return f"{lua_typename(self)}({self.inputSize} -> {self.outputSize}, {self.p:.2f})"


def _extremum(reduce):
    """``[a, b] -> reduce`` over the two, element by element (MuFuRu.lua's max and min)."""
    return Sequential().add(MapTable(Unsqueeze(0))).add(JoinTable(0)).add(reduce(0))


# each takes [s[t-1], v[t]] to a candidate state (Mufuru.lua's operations)
OPERATIONS = {
    'max': lambda: _extremum(Max),
    'keep': lambda: SelectTable(0),
    'replace': lambda: SelectTable(1),
    'mul': CMulTable,
    'min': lambda: _extremum(Min),
    'diff': CSubTable,
    'forget': lambda: Sequential().add(SelectTable(0)).add(MulConstant(0.0)),
    'sqrt_diff': lambda: Sequential().add(CSubTable()).add(Abs()).add(Sqrt()).add(MulConstant(0.25)),
}


class MuFuRu(GRU):
    """``MuFuRu(inputSize, outputSize, ops=all eight, rho=9999)``: the multi-function recurrent unit (Mufuru.lua);
    input ``(batch, inputSize)`` (the Lua step module joins along the feature dimension of a batch), output
    ``(batch, outputSize)``::

        r[t] = sigmoid(W[x->r] x[t] + b + W[s->r] s[t-1] + b')
        v[t] = sigmoid(W[xs->v] [x[t], r[t] * s[t-1]] + b[v])
        p[t] = softmax over the ops of (W[xs->p] [x[t], s[t-1]] + b[p])      (one weight per op and unit)
        s[t] = sum over the ops j of p[t][j] * op_j(s[t-1], v[t])

    ``ops`` is a list of names among 'keep' (s), 'replace' (v), 'mul' (s v), 'diff' (s - v), 'forget' (0),
    'sqrt_diff' (0.25 sqrt|s - v|), 'max', 'min'; keep and replace alone make a GRU-like unit. v goes through a
    sigmoid, as the Lua builds it (its README writes tanh).
    """

    ALL_OPS = ('keep', 'replace', 'mul', 'diff', 'forget', 'sqrt_diff', 'max', 'min')

    def __init__(self, inputSize, outputSize, ops=None, rho=9999):
        ops = list(self.ALL_OPS if ops is None else ops)
        unknown = [op for op in ops if op not in OPERATIONS]
        if not ops or unknown:
            raise ValueError(f"nn.MuFuRu: expected ops, a non-empty list of names among {list(self.ALL_OPS)}, "
                             f"got {ops!r}")
        self.ops = ops
        self.num_ops = len(ops)
        super().__init__(inputSize, outputSize, rho)

    def buildModel(self):
        """``[x[t], s[t-1]] -> s[t]``."""
        n, nx = self.outputSize, self.inputSize
        resetGate = Sequential().add(ParallelTable().add(Linear(nx, n)).add(Linear(n, n)))
        resetGate.add(CAddTable()).add(Sigmoid())
        # [x, s, r] -> v
        resetState = Sequential().add(NarrowTable(1, 2)).add(CMulTable())
        featureVec = Sequential().add(ConcatTable().add(SelectTable(0)).add(resetState)).add(JoinTable(1))
        featureVec.add(Linear(nx + n, n)).add(Sigmoid())
        # [x, s, r] -> the op weights, ops x batch x n (SoftMax of a 3-D input normalises its first dimension)
        opWeights = Sequential().add(NarrowTable(0, 2)).add(JoinTable(1)).add(Linear(nx + n, self.num_ops * n))
        opWeights.add(View(self.num_ops, n).setNumInputDims(1)).add(Transpose([0, 1])).add(SoftMax())
        allOps = ConcatTable()
        for op in self.ops:
            allOps.add(OPERATIONS[op]())
        candidates = Sequential().add(NarrowTable(0, 2)).add(allOps).add(MapTable(Unsqueeze(0)))
        candidates.add(JoinTable(0, 3))
        combine = Sequential().add(ConcatTable().add(candidates).add(SelectTable(2))).add(CMulTable())
        combine.add(Sum(0, 3))
        cell = Sequential().add(ConcatTable().add(SelectTable(0)).add(SelectTable(1)).add(resetGate))
        cell.add(ConcatTable().add(SelectTable(1)).add(featureVec).add(opWeights))   # [s, v, op weights]
        return cell.add(combine)

    def _check_step_input(self, input):
        self.checkTensor(input, ranks=(2,), floating=True)
        super()._check_step_input(input)

    def migrate(self, params):
        raise NotImplementedError("nn.MuFuRu: migrate is not supported (Mufuru.lua)")

    def __repr__(self):
        return f"{lua_typename(self)}({self.inputSize} -> {self.outputSize}) {{ {' '.join(self.ops)} }}"
