"""Recurrent and Recurrence: rnn's general recurrences built from modules (Recurrent.lua, Recurrence.lua)."""
import numbers

from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.base.nn_utils import utils
from ..modules.scaling import Add
from ..modules.smooth_activations import Sigmoid
from ..modules.table_arithmetic import CAddTable
from ..tensor import Tensor
from ..tensor.introspection import typename as lua_typename
from .abstract_recurrent import AbstractRecurrent
from .container import Container
from .tables import ParallelTable
from .sequential import Sequential


def _indent(text, pad):
    return text.replace('\n', '\n' + pad)


class Recurrent(AbstractRecurrent):
    """The simple recurrence h[0] = transfer(start(input(x[0]))), h[t] = transfer(merge({input(x[t]),
    feedback(h[t-1])})), one step per forward (0-based steps), as Recurrent.lua. ``start`` is a module, or
    a size (a number or a table of sizes) for ``nn.Add(size)``; ``transfer`` defaults to Sigmoid, ``merge`` to
    CAddTable, ``rho`` to 99999. Step 0 runs ``initialModule`` = Sequential(input's sharedClone, start,
    transfer's sharedClone); the later steps run step clones of ``recurrentModule`` = Sequential(ParallelTable(
    input, feedback), merge, transfer). The input and output are those of ``input`` and ``transfer``."""

    def __init__(self, start, input, feedback, transfer=None, rho=None, merge=None):
        super().__init__(rho)
        if isinstance(start, numbers.Integral) or isinstance(start, (list, tuple)):
            start = Add(start)
        for name, m in (('start', start), ('input', input), ('feedback', feedback), ('transfer', transfer),
                        ('merge', merge)):
            if m is not None and not isinstance(m, Module):
                raise TypeError(f"nn.Recurrent: expected {name} to be an nn module"
                                f"{' (or a size for nn.Add)' if name == 'start' else ''}, got a {type(m).__name__}")
        if input is None or feedback is None:
            raise TypeError("nn.Recurrent: expected the input and feedback modules, Recurrent.lua's "
                            "(start, input, feedback, transfer, rho, merge)")
        self.startModule = start
        self.inputModule = input
        self.feedbackModule = feedback
        self.transferModule = Sigmoid() if transfer is None else transfer
        self.mergeModule = CAddTable() if merge is None else merge
        for m in (self.startModule, self.inputModule, self.feedbackModule, self.transferModule, self.mergeModule):
            self.add(m)
        self.buildInitialModule()
        self.buildRecurrentModule()
        self.sharedClones[1] = self.recurrentModule

    def buildInitialModule(self):
        """The module of step 0: input (a sharedClone), start, transfer (a sharedClone)."""
        self.initialModule = Sequential().add(self.inputModule.sharedClone()).add(self.startModule) \
            .add(self.transferModule.sharedClone())

    def buildRecurrentModule(self):
        """The module of steps 1, 2, ...: {input(x[t]), feedback(h[t-1])}, merged, then transfer."""
        parallel = ParallelTable().add(self.inputModule).add(self.feedbackModule)
        self.recurrentModule = Sequential().add(parallel).add(self.mergeModule).add(self.transferModule)

    def updateOutput(self, input):
        if self.step == 0:
            self.keepShared(self.initialModule, self.inputModule, self.startModule, self.transferModule)
            output = self.run_module(self.initialModule, "Recurrent[step 0]", 'updateOutput', input)
        else:
            output = self.run_module(self._step_module(), f"Recurrent[step {self.step}]", 'updateOutput',
                                     [input, self.outputs[self.step - 1]])
        return self._record_step(output)

    def _updateGradInput(self, input, gradOutput):
        step = self.updateGradInputStep - 1
        # the gradient reaching h[step] from step + 1, added to the step's own gradOutput
        if self.gradPrevOutput is not None:
            self._gradOutputs[step] = utils.recursiveCopy(self._gradOutputs.get(step), self.gradPrevOutput)[0]
            utils.recursiveAdd(self._gradOutputs[step], gradOutput)
            gradOutput = self._gradOutputs[step]
        if step == 0:
            return self.run_module(self.initialModule, "Recurrent[step 0]", 'updateGradInput', input, gradOutput)
        module = self._backwardStepModule(step)
        gradInput, self.gradPrevOutput = self.run_module(module, f"Recurrent[step {step}]", 'updateGradInput',
                                                         [input, self.outputs[step - 1]], gradOutput)
        return gradInput

    def _accGradParameters(self, input, gradOutput, scale):
        step = self.accGradParametersStep - 1
        if step != self.step - 1:
            gradOutput = self._gradOutputs[step]
        if step == 0:
            self.run_module(self.initialModule, "Recurrent[step 0]", 'accGradParameters', input, gradOutput, scale)
        else:
            self.run_module(self._backwardStepModule(step), f"Recurrent[step {step}]", 'accGradParameters',
                            [input, self.outputs[step - 1]], gradOutput, scale)

    def _backwardStepModule(self, step):
        """The clone of step ``step`` (1 or later), its nested recurrent modules showing that step's output."""
        module = self.getStepModule(step)
        # as AbstractRecurrent's (Recurrent.lua omits it), but a nested recurrent module has run from step 1 on
        # (step 0 ran initialModule's copy), so outer step ``step`` is its step ``step - 1``
        module.setOutputStep(step - 1)
        return module

    def forget(self):
        # step 0's initialModule holds its own copy (a sharedClone) of the input module: a recurrent one keeps a
        # step counter and hidden state of its own, which a new sequence must restart too (Recurrent.lua's
        # forget leaves it, so its step 0 carried on from the last sequence's)
        self.initialModule.forget()
        return super().forget()

    def includingSharedClones(self, f):
        # step 0's initialModule is reached too (its clones of input and transfer, e.g. a Dropout's train flag)
        modules = self.modules
        self.modules = list(modules) + [self.initialModule]
        try:
            return super().includingSharedClones(f)
        finally:
            self.modules = modules

    def clearState(self, *names):
        # step 0's module holds clones of the input and transfer modules, with buffers of their own
        self.initialModule.clearState()
        return super().clearState(*names)

    def maskZero(self, *args):
        raise TypeError("nn.Recurrent: maskZero is not supported, as step 0 runs another module than the later "
                        "steps (Recurrent.lua); use nn.Recurrence instead")

    def trimZero(self, *args):
        raise TypeError("nn.Recurrent: trimZero is not supported, as step 0 runs another module than the later "
                        "steps (Recurrent.lua); use nn.Recurrence instead")

    def __repr__(self):
        pad, branch, ext = '  ', '  |`-> ', '  |    '
        lines = [lua_typename(self) + " {", f"{pad}[{{input(t), output(t-1)}} -> (0) -> (1) -> (2) -> output(t)]",
                 f"{pad}(0):  {{", f"{pad}{pad}input(t)",
                 f"{pad}{pad}{branch}(t==0): " + _indent(repr(self.startModule), pad + pad + ext),
                 f"{pad}{pad}{branch}(t~=0): " + _indent(repr(self.inputModule), pad + pad + ext),
                 f"{pad}{pad}output(t-1)",
                 f"{pad}{pad}{branch}" + _indent(repr(self.feedbackModule), pad + pad + ext),
                 f"{pad}}}",
                 f"{pad}(1): " + _indent(repr(self.mergeModule), pad),
                 f"{pad}(2): " + _indent(repr(self.transferModule), pad), "}"]
        return '\n'.join(lines)


class Recurrence(AbstractRecurrent):
    """output[t] = module({x[t], output[t-1]}), one step per forward (0-based steps), as Recurrence.lua: the
    module (``recurrentModule``) takes the table {input, previous output} and returns the output (a tensor, or
    a nested table of them for a state of several tensors). Before step 0 the previous output is zeros of
    ``outputSize`` (a number, a table of sizes, or a table of such for a table output), with a batch
    dimension first when the input (its first tensor, depth first) has ``nInputDim + 1`` dimensions; or
    ``userPrevOutput`` when set. ``userNextGradOutput`` is the gradient of the last step's output from after
    the sequence (zeros by default). ``rho`` defaults to 9999."""

    zero_mask_steps = True   # torch/rnn's maskZero() and setZeroMask

    def __init__(self, module, outputSize, nInputDim, rho=None):
        super().__init__(9999 if rho is None else rho)
        if isinstance(outputSize, numbers.Integral):
            outputSize = [outputSize]
        if not isinstance(outputSize, (list, tuple)) or not outputSize:
            raise TypeError(f"nn.Recurrence: expected outputSize as a number, a table of sizes or a table of "
                            f"those, got {outputSize!r}")
        if not isinstance(nInputDim, numbers.Integral) or isinstance(nInputDim, bool):
            raise TypeError(f"nn.Recurrence: expected nInputDim (a number of dimensions) as the third argument, "
                            f"got {nInputDim!r}")
        if not isinstance(module, Module):
            raise TypeError(f"nn.Recurrence: expected an nn module as the first argument, got a "
                            f"{type(module).__name__}")
        self.outputSize = list(outputSize)
        self.nInputDim = int(nInputDim)
        self.recurrentModule = module
        self.module = module
        self.add(module)
        self.sharedClones[0] = module
        self.userPrevOutput = None
        self.userNextGradOutput = None
        # its type is the module's type: the zeros of the initial state are made of it
        self.typeTensor = self.output.new()
        self.zeroTensor = None

    def _zeros(self, tensor, size, batch):
        """Zeros of ``size`` (sizes, or a table of such), after a batch dimension when ``batch`` is not None,
        reusing ``tensor``."""
        if isinstance(size, (list, tuple)) and size and not isinstance(size[0], numbers.Integral):
            old = tensor if isinstance(tensor, list) else []
            return [self._zeros(old[i] if i < len(old) else None, s, batch) for i, s in enumerate(size)]
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,)
        tensor = tensor if isinstance(tensor, Tensor) and type(tensor) is type(self.typeTensor) \
            else self.typeTensor.new()
        return tensor.resize(((batch,) if batch is not None else ()) + sizes).zero()

    def getBatchSize(self, input, nInputDim=None):
        """The batch size of ``input`` (its first tensor, depth first): None when it has ``nInputDim``
        dimensions, its first size when it has one more."""
        nInputDim = self.nInputDim if nInputDim is None else nInputDim
        if isinstance(input, list):
            return self.getBatchSize(input[0])
        if not isinstance(input, Tensor):
            raise input_error(self, "a tensor or a table of tensors as input", type(input).__name__, TypeError)
        if input.dim() == nInputDim:
            return None
        if input.dim() == nInputDim + 1:
            return input.size(0)
        raise input_error(self, f"an input of {nInputDim} dimensions (nInputDim) or {nInputDim + 1} (a batch)",
                          f"{input.dim()} dimensions")

    def setStartState(self, startState=None):
        """torch/rnn's AbstractRecurrent.lua: the output before step 0 (``userPrevOutput``); None: zeros."""
        self.userPrevOutput = startState
        return self

    def getHiddenState(self, step, input=None):
        """[output of step ``step`` (0-based; step -1: the initial state, zeros or ``userPrevOutput``), the
        module's own hidden state at that step]."""
        if step == -1:
            if input is not None:
                self.zeroTensor = self._zeros(self.zeroTensor, self.outputSize, self.getBatchSize(input))
            prev = self.userPrevOutput
            if prev is None:
                prev = self.outputs.get(step, self.zeroTensor)
        else:
            prev = self.outputs.get(step)
        return [prev, Container.getHiddenState(self, step)]

    def setHiddenState(self, step, hiddenState):
        self._set_pair('setHiddenState', "[output, module's state]", self.outputs, Container.setHiddenState, step,
                       hiddenState)

    def _set_pair(self, method, form, records, set_modules, step, pair):
        """``method``'s work: ``records[step]`` = pair[0], and the modules' state (``set_modules``) = pair[1] when
        given; a pair not a non-empty table is a TypeError naming ``form``."""
        if not isinstance(pair, (list, tuple)) or not pair:
            raise TypeError(f"{self.shortName()}.{method}: expected a table {form}, got {type(pair).__name__}")
        records[step] = pair[0]
        if len(pair) > 1 and pair[1] is not None:
            set_modules(self, step, pair[1])

    def getGradHiddenState(self, step, input=None):
        """[gradient of the output of step ``step`` (for the last step: ``userNextGradOutput`` or zeros), the
        module's own]."""
        if step == self.step - 1:
            grad = self.userNextGradOutput
            if grad is None:
                grad = self.gradOutputs.get(step, self.zeroTensor)
        else:
            grad = self.gradOutputs.get(step)
        return [grad, Container.getGradHiddenState(self, step)]

    def setGradHiddenState(self, step, gradHiddenState):
        self._set_pair('setGradHiddenState', "[gradient of the output, module's]", self.gradOutputs,
                       Container.setGradHiddenState, step, gradHiddenState)

    def updateOutput(self, input):
        prev = self.getHiddenState(self.step - 1, input)[0]
        return self._record_step(self.run_module(self._masked_step_module(), f"Recurrence[step {self.step}]",
                                                 'updateOutput', [input, prev]))

    def _updateGradInput(self, input, gradOutput):
        step = self.updateGradInputStep - 1
        # a recurrent module nested in the step module is shown this step's output, as Recursor.lua does
        # (Recurrence.lua does not, and the layer after it got the last step's)
        module = self._backwardStepModule(step)
        # the step's gradOutput plus the gradient its output gets from the next step. Recurrence.lua copies the
        # latter and adds the former; the sum is the same, but at the last step the latter is the zero state,
        # of outputSize without a batch dimension when the input has nInputDim dimensions (the README's step
        # of one index: zeros of (hiddenSize) for a (1, hiddenSize) output), and the copy gives the sum its
        # sizes: copying the step's gradOutput first keeps the output's sizes, which the step module checks
        after = self.getGradHiddenState(step)[0]
        self._gradOutputs[step] = utils.recursiveCopy(self._gradOutputs.get(step), gradOutput)[0]
        utils.recursiveAdd(self._gradOutputs[step], after)
        grads = self.run_module(module, f"Recurrence[step {step}]", 'updateGradInput',
                                [input, self.getHiddenState(step - 1)[0]], self._gradOutputs[step])
        self.setGradHiddenState(step - 1, grads[1:])
        return grads[0]

    def _accGradParameters(self, input, gradOutput, scale):
        step = self.accGradParametersStep - 1
        grad = self._gradOutputs.get(step)
        if grad is None:
            grad = self.getGradHiddenState(step)[0]
        self.run_module(self._backwardStepModule(step), f"Recurrence[step {step}]", 'accGradParameters',
                        [input, self.getHiddenState(step - 1)[0]], grad, scale)

    def __repr__(self):
        return lua_typename(self) + ' @ ' + repr(self.modules[0])
