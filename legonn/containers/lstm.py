"""LSTM and FastLSTM: the rnn package's step-by-step long short-term memories (LSTM.lua, FastLSTM.lua).

Each forward is one time step. The step module (``recurrentModule``, cloned per step by AbstractRecurrent)
is built from nn modules as the Lua builds it: it maps ``[x[t], h[t-1], c[t-1]]`` to ``[h[t], c[t]]``. Steps
are 0-based; the state before step 0 (step -1) is ``userPrevOutput``/``userPrevCell`` when set, else zeros.
"""
from ..modules.batch_normalization import BatchNormalization
from ..modules.linear import Linear, LinearNoBias
from ..modules.reshape import Reshape
from ..modules.scaling import Add, CMul
from ..modules.smooth_activations import Sigmoid, Tanh
from ..modules.table_arithmetic import CAddTable, CMulTable
from ..modules.table_structure import FlattenTable, NarrowTable, SelectTable, SplitTable
from .recurrent_cell import RecurrentCell, first_set
from .sequential import Sequential
from .tables import ConcatTable, ParallelTable


class LSTM(RecurrentCell):
    """``LSTM(inputSize, outputSize=inputSize, rho=9999, cell2gate=True, p=0, mono=False)``: one step per forward,
    input ``(inputSize,)`` or ``(batch, inputSize)``, output ``h[t]`` ``(outputSize,)`` or ``(batch, outputSize)``::

        i[t] = sigmoid(W[x->i] x[t] + W[h->i] h[t-1] + w[c->i] * c[t-1] + b[i])
        f[t] = sigmoid(W[x->f] x[t] + W[h->f] h[t-1] + w[c->f] * c[t-1] + b[f])
        z[t] = tanh(W[x->z] x[t] + W[h->z] h[t-1] + b[z])
        c[t] = f[t] * c[t-1] + i[t] * z[t]
        o[t] = sigmoid(W[x->o] x[t] + W[h->o] h[t-1] + w[c->o] * c[t] + b[o])
        h[t] = o[t] * tanh(c[t])

    The peephole terms ``w[c->.] * c`` (a CMul each) are there when ``cell2gate``. Each map into a gate or the
    hidden is a Linear from x and a LinearNoBias from h, each after a lazy Dropout of probability ``p`` (Gal's
    Bayesian dropout; ``mono``: one mask row for the whole batch). The factory methods ``buildGate``,
    ``buildInputGate``, ``buildForgetGate``, ``buildHidden``, ``buildCell``, ``buildOutputGate`` and
    ``buildModel`` make the step module (``recurrentModule``) and may be overridden; ``inputGate``,
    ``forgetGate``, ``hiddenLayer``, ``cellLayer``, ``outputGate`` are its parts. ``cells[t]`` is step t's
    cell, ``cell`` the latest. ``userPrevOutput``/``userPrevCell`` set the state before step 0,
    ``userNextGradOutput``/``userNextGradCell`` the gradient after the last step.
    """

    def __init__(self, inputSize, outputSize=None, rho=9999, cell2gate=True, p=0, mono=False):
        self.cell2gate = bool(cell2gate)   # read by buildModel
        self.cells = {}
        self.gradCells = {}
        super().__init__(inputSize, inputSize if outputSize is None else outputSize, rho, p, mono)
        self.userPrevCell = None
        self.userNextGradCell = None

    # --- factory methods --------------------------------------------------------------------------------
    def _input_map(self):
        """x -> outputSize features: Dropout, then Linear."""
        return Sequential().add(self._dropout()).add(Linear(self.inputSize, self.outputSize))

    def _output_map(self):
        """h -> outputSize features: Dropout, then LinearNoBias."""
        return Sequential().add(self._dropout()).add(LinearNoBias(self.outputSize, self.outputSize))

    def buildGate(self):
        """``[x, h, c] -> sigmoid(W x + b + U h (+ w * c))``."""
        gate = Sequential()
        if not self.cell2gate:
            gate.add(NarrowTable(0, 2))
        para = ParallelTable().add(self._input_map()).add(self._output_map())
        if self.cell2gate:
            para.add(CMul(self.outputSize))   # the diagonal cell-to-gate weights
        return gate.add(para).add(CAddTable()).add(Sigmoid())

    def buildInputGate(self):
        self.inputGate = self.buildGate()
        return self.inputGate

    def buildForgetGate(self):
        self.forgetGate = self.buildGate()
        return self.forgetGate

    def buildHidden(self):
        """``[x, h, c] -> tanh(W x + b + U h)``."""
        hidden = Sequential().add(NarrowTable(0, 2))
        hidden.add(ParallelTable().add(self._input_map()).add(self._output_map()))
        self.hiddenLayer = hidden.add(CAddTable()).add(Tanh())
        return self.hiddenLayer

    def buildCell(self):
        """``[x, h, c] -> forgetGate(x, h, c) * c + inputGate(x, h, c) * hiddenLayer(x, h, c)``."""
        self.inputGate = self.buildInputGate()
        self.forgetGate = self.buildForgetGate()
        self.hiddenLayer = self.buildHidden()
        forget = Sequential().add(ConcatTable().add(self.forgetGate).add(SelectTable(2))).add(CMulTable())
        input = Sequential().add(ConcatTable().add(self.inputGate).add(self.hiddenLayer)).add(CMulTable())
        self.cellLayer = Sequential().add(ConcatTable().add(forget).add(input)).add(CAddTable())
        return self.cellLayer

    def buildOutputGate(self):
        self.outputGate = self.buildGate()
        return self.outputGate

    def buildModel(self):
        """``[x, h[t-1], c[t-1]] -> [h[t], c[t]]``, the output gate reading the new cell."""
        self.cellLayer = self.buildCell()
        self.outputGate = self.buildOutputGate()
        model = Sequential().add(ConcatTable().add(NarrowTable(0, 2)).add(self.cellLayer))
        model.add(FlattenTable())   # [x, h[t-1], c[t]]
        cellAct = Sequential().add(SelectTable(2)).add(Tanh())
        output = Sequential().add(ConcatTable().add(self.outputGate).add(cellAct)).add(CMulTable())
        return model.add(ConcatTable().add(output).add(SelectTable(2)))

    # --- hidden state ----------------------------------------------------------------------------------
    def getHiddenState(self, step=None, input=None):
        """``[h, c]`` after step ``step`` (0-based; default the latest; -1: the state before step 0, which is
        ``userPrevOutput``/``userPrevCell``, a state set for step -1, or zeros sized by ``input``)."""
        step = self._state_step(step, self.step)
        if step == -1:
            prevOutput = first_set(self._user('userPrevOutput'), self.outputs.get(-1), self.zeroTensor)
            prevCell = first_set(self._user('userPrevCell'), self.cells.get(-1), self.zeroTensor)
            self._zero_state(input)
            return [prevOutput, prevCell]
        return [self.outputs.get(step), self.cells.get(step)]

    def setHiddenState(self, step, hiddenState):
        """Set ``[h, c]`` after step ``step`` (0-based; None: the latest; -1: the state step 0 starts from)."""
        step = self._state_step(step, self.step)
        self._check_pair('setHiddenState', hiddenState)
        self.outputs[step], self.cells[step] = hiddenState

    def getGradHiddenState(self, step=None, input=None):
        """``[grad h, grad c]`` of the state after step ``step`` (0-based; default: the one the next backward
        step reads). After the last step it is ``userNextGradOutput``/``userNextGradCell``, a gradient set
        there, or zeros."""
        step = self._state_step(step, self._backward_counter())
        if step == self.step - 1:
            return [first_set(self._user('userNextGradOutput'), self.gradOutputs.get(step), self.zeroTensor),
                    first_set(self._user('userNextGradCell'), self.gradCells.get(step), self.zeroTensor)]
        return [self.gradOutputs.get(step), self.gradCells.get(step)]

    def setGradHiddenState(self, step, gradHiddenState):
        step = self._state_step(step, self._backward_counter())
        self._check_pair('setGradHiddenState', gradHiddenState)
        self.gradOutputs[step], self.gradCells[step] = gradHiddenState

    def _check_pair(self, method, state):
        if not isinstance(state, (list, tuple)) or len(state) != 2:
            got = f"a table of {len(state)}" if isinstance(state, (list, tuple)) else f"a {type(state).__name__}"
            raise TypeError(f"{self.shortName()}.{method}: expected a table [h, c] of two tensors, got {got}")

    # --- forward and backward, one step per call -------------------------------------------------------
    def updateOutput(self, input):
        self._check_step_input(input)
        prevOutput, prevCell = self.getHiddenState(self.step - 1, input)
        output, cell = self.run_module(self._step_module(), self._label(self.step), 'updateOutput',
                                       [input, prevOutput, prevCell])
        self.cells[self.step] = cell
        self.cell = cell
        return self._record_step(output)

    def _backward_inputs(self, input, step):
        return [input] + self.getHiddenState(step - 1)

    def _updateGradInput(self, input, gradOutput):
        step = self.updateGradInputStep - 1
        gradH, gradCell = self.getGradHiddenState(step)
        total = self._output_gradient(step, gradH, gradOutput)
        gradInputs = self.run_module(self.getStepModule(step), self._label(step), 'updateGradInput',
                                     self._backward_inputs(input, step), [total, gradCell])
        self.setGradHiddenState(step - 1, gradInputs[1:3])
        return gradInputs[0]

    def _accGradParameters(self, input, gradOutput, scale):
        step = self.accGradParametersStep - 1
        grads = self.getGradHiddenState(step)
        grads[0] = first_set(self._gradOutputs.get(step), grads[0])
        self.run_module(self.getStepModule(step), self._label(step), 'accGradParameters',
                        self._backward_inputs(input, step), grads, scale)

    def forget(self):
        super().forget()
        if self.train:   # the cell records go with the output records (AbstractRecurrent.forget)
            self.cells = {}
            self.gradCells = {}
        return self

    def clearState(self, *names):
        for name in ('userPrevOutput', 'userPrevCell', 'userGradPrevOutput', 'userGradPrevCell'):
            if self.__dict__.get(name) is not None:
                self.__dict__[name].set()
        super().clearState(*names)
        self.cells = {}
        self.gradCells = {}
        return self

    def type(self, typename=None, cache=None):
        # LSTM.lua: a conversion ends the sequence and empties the states (GRU.lua converts them)
        if typename is not None:
            self.forget()
            self.clearState()
        return super().type(typename, cache)


class FastLSTM(LSTM):
    """``FastLSTM(inputSize, outputSize=inputSize, rho=9999, eps=None, momentum=None, affine=True, p=0,
    mono=False)``: the LSTM without peepholes, its four maps computed as one Linear(inputSize, 4 outputSize)
    ``i2g`` from x and one LinearNoBias(outputSize, 4 outputSize) ``o2g`` from h (with ``p`` > 0: four lazy
    Dropout + Linear pairs each, joined), their sum cut into the input gate, hidden, forget gate and output
    gate, in that order::

        [i, z, f, o] = W x[t] + b + U h[t-1];  c[t] = sigmoid(f) * c[t-1] + sigmoid(i) * tanh(z)
        h[t] = sigmoid(o) * tanh(c[t])

    With the class flag ``FastLSTM.bn`` set when it is built (Cooijmans et al.'s recurrent batch normalisation,
    as FastLSTM.lua's graph builds it): ``BN(W x + b) + BN(U h) + b'`` (``b'`` an Add) and ``h[t] = sigmoid(o)
    * tanh(BN(c[t]))``, three BatchNormalization(size, eps, momentum, affine) whose weights start at 0.1; eps and
    momentum default to BatchNormalization's. The class flag ``FastLSTM.usenngraph`` makes FastLSTM.lua build
    the step module as an nngraph gModule; legonn's containers may not import the graph package, so the step
    module is the same container tree whatever the flag (the maths and the parameters are the same).
    """

    usenngraph = False
    bn = False

    def __init__(self, inputSize, outputSize=None, rho=9999, eps=None, momentum=None, affine=True, p=0,
                 mono=False):
        self.eps = eps
        self.momentum = momentum
        self.affine = bool(affine)
        super().__init__(inputSize, outputSize, rho, None, p, mono)

    def _batch_norm(self, size):
        bn = BatchNormalization(size, self.eps, self.momentum, self.affine)
        if bn.weight is not None:
            bn.weight.fill(0.1)   # the gamma the paper recommends
        return bn

    def buildModel(self):
        """``[x, h[t-1], c[t-1]] -> [h[t], c[t]]``."""
        n = self.outputSize
        self.i2g = self._gate_maps(Linear, self.inputSize, 4)
        self.o2g = self._gate_maps(LinearNoBias, n, 4)
        i2h, h2h, cellNorm = self.i2g, self.o2g, None
        if self.bn:
            i2h = Sequential().add(self.i2g).add(self._batch_norm(4 * n))
            # the bias comes after the normalisation, as in the paper
            h2h = Sequential().add(self.o2g).add(self._batch_norm(4 * n)).add(Add(4 * n))
            cellNorm = self._batch_norm(n)
        gates = Sequential().add(NarrowTable(0, 2)).add(ParallelTable().add(i2h).add(h2h)).add(CAddTable())
        gates.add(Reshape(4, n)).add(SplitTable(0, 2))
        gates.add(ParallelTable().add(Sigmoid()).add(Tanh()).add(Sigmoid()).add(Sigmoid()))
        seq = Sequential().add(ConcatTable().add(gates).add(SelectTable(2)))
        seq.add(FlattenTable())   # [input gate, hidden, forget gate, output gate, c[t-1]]
        hidden = Sequential().add(NarrowTable(0, 2)).add(CMulTable())
        cell = Sequential().add(ConcatTable().add(SelectTable(2)).add(SelectTable(4))).add(CMulTable())
        nextCell = Sequential().add(ConcatTable().add(hidden).add(cell)).add(CAddTable())
        seq.add(ConcatTable().add(nextCell).add(SelectTable(3)))
        seq.add(FlattenTable())   # [c[t], output gate]
        cellAct = Sequential().add(SelectTable(0))
        if cellNorm is not None:
            cellAct.add(cellNorm)
        cellAct.add(Tanh())
        output = Sequential().add(ConcatTable().add(cellAct).add(SelectTable(1))).add(CMulTable())
        return seq.add(ConcatTable().add(output).add(SelectTable(0)))

    def _not_built_here(self):
        raise NotImplementedError("FastLSTM builds its step module in buildModel alone (FastLSTM.lua)")

    buildGate = buildInputGate = buildForgetGate = buildHidden = buildCell = buildOutputGate = _not_built_here
