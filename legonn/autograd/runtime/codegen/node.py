"""One recorded call of the optimized mode's graph (torch-autograd's runtime/codegen/Node.lua): the function
(``forwardFn``, an overload's description), its gradient functions, its input Values, its output Values and,
per output, the nodes that read it (``outputTargets``)."""
from legonn.autograd import util

from .source import Source
from .value import Value


class Node:
    def __init__(self, forwardFn, gradientFn, inputs, mutationFlow=None):
        self.forwardFn = forwardFn
        self.gradientFn = gradientFn
        # A tensor that is not traced is a constant of the generated code, bound by reference: its values are
        # read at each call (the Lua writes a vector's values into the code and refuses a matrix as "an upvalue
        # that should be a function argument"); a closure variable rebound to another tensor is not seen.
        self.inputs = [Value.from_(input, Source.constant(input), False, mutationFlow) for input in inputs]
        self.outputs = []
        self.outputTargets = []
        self.nReturns = None
        self.debug = None

    def differentiable(self, differentiableMap):
        """Whether a gradient reaches this node's output from the differentiated argument."""
        outputSource = self.outputs[0].source
        isDiff = differentiableMap.get(outputSource)
        if isDiff is not None:
            return isDiff
        if self.gradientFn or getattr(self.forwardFn, 'differentiable', False):
            for input in self.inputs:
                if input.source.differentiable(differentiableMap):
                    differentiableMap[outputSource] = True
                    return True
        differentiableMap[outputSource] = False
        return False

    def evaluateForward(self, mutationFlow=None):
        """Runs the function on the raw inputs, links the inputs' nodes to this one and returns the outputs
        wrapped as Values of this node (a list; a tuple the function returns is Lua's multiple returns)."""
        evalArgs = []
        for i, input in enumerate(self.inputs):
            source = input.source
            if source.type == Source.COMPUTED:
                source.node.linkOutputNode(source.index, self, i)
            elif source.type == Source.CONSTANT and input.kind == Value.TABLE:
                # constant table assembled by the user: its computed entries feed this node too
                for v in _entries(input.get()):
                    if isinstance(v, Value) and v.source.type == Source.COMPUTED:
                        v.source.node.linkOutputNode(v.source.index, self, i)
            evalArgs.append(Value.flatten(input))
        outputs = self.forwardFn.fn(*evalArgs)
        # a tuple is Lua's multiple returns: nReturns says how many, for the generated code's unpacking
        self.nReturns = len(outputs) if type(outputs) is tuple else None
        outputs = list(outputs) if self.nReturns is not None else [outputs]
        self.outputs = []
        self.outputTargets = []
        if self.forwardFn.name == Value.SET:
            # an assignment x[k] = v: its output is x wrapped anew as x', pointing at this node; later uses of
            # x are remapped to x' to keep the order of operations in the graph
            valueAlias = Value.from_(outputs[0], Source.computed(self, 0))
            mutationFlow.alias(self.inputs[0], valueAlias)
            self.outputs.append(valueAlias)
            self.outputTargets.append([])
        else:
            for i, output in enumerate(outputs):
                self.outputs.append(Value.from_(output, Source.computed(self, i)))
                self.outputTargets.append([])
        return self.outputs

    def evaluateBackward(self, mutationFlow, intermediateGrads, differentiableMap):
        """Calls the gradient function of each differentiable input (last first, as the Lua) on the first
        output's gradient, adding the result to that input's gradient; the calls are themselves traced."""
        output = self.outputs[0]   # only the first output's gradient is chained, as in the Lua
        # a constant argument (a dimension, a size, a number the user wrote) reaches the gradient functions as
        # its plain value, as the direct runtime gives it: the Lua's gradients unwrap it with getValue
        args = [Value.flatten(i) if _is_constant(i) else i for i in self.inputs]
        for i in range(len(self.inputs) - 1, -1, -1):
            input = self.inputs[i]
            source = input.source
            if not source.differentiable(differentiableMap):
                continue
            gradFn = self.gradientFn[i] if self.gradientFn is not None and i < len(self.gradientFn) else None
            if gradFn is None:
                if getattr(self.forwardFn, 'differentiable', False):
                    raise RuntimeError(f'missing gradient for argument {i} in function {self.forwardFn.name}')
                continue
            outputGradient = intermediateGrads.get(output.source)
            if outputGradient is None and output.kind == Value.TABLE and isinstance(output.raw, list):
                # a list answer (a table module's output) whose entries the function took one by one: their
                # gradients, zeros for an entry the loss did not use
                outputGradient = [_entry_gradient(intermediateGrads, v) for v in output.raw]
            if outputGradient is None:
                if output.kind == Value.TENSOR:
                    outputGradient = Value.from_(util.zerosLike(output), Source.constant(0))
                elif output.kind == Value.NUMBER:
                    outputGradient = Value.from_(0.0, Source.constant(0))
                intermediateGrads[output.source] = outputGradient
            gradUpdates = gradFn(outputGradient, output, *args)
            if input.kind == Value.TABLE:
                if gradUpdates is not None:
                    raw = input.get()
                    for k, v in (raw.items() if isinstance(raw, dict) else enumerate(raw)):
                        _accumulate(intermediateGrads, v.source, mutationFlow.remap(_entry(gradUpdates, k)))
            elif gradUpdates is not None:
                _accumulate(intermediateGrads, source, mutationFlow.remap(gradUpdates))

    def unlinkInputs(self):
        for input in self.inputs:
            if input.source.type == Source.COMPUTED:
                input.source.node.unlinkOutputNode(self)
        self.inputs = []

    def replaceInput(self, replaceInput, withInput):
        for i, input in enumerate(self.inputs):
            if input is replaceInput:
                if replaceInput.source.type == Source.COMPUTED:
                    replaceInput.source.node.unlinkOutputNode(self)
                if withInput.source.type == Source.COMPUTED:
                    inputIndex = withInput.source.node.outputParamIndex(withInput)
                    withInput.source.node.linkOutputNode(inputIndex, self, i)
                self.inputs[i] = withInput

    def linkOutputNode(self, srcIndex, node, dstIndex):
        self.outputTargets[srcIndex].append((node, dstIndex))

    def unlinkOutputNode(self, node):
        for targets in self.outputTargets:
            targets[:] = [t for t in targets if t[0] is not node]

    def outputParamIndex(self, outputValue):
        for k, output in enumerate(self.outputs):
            if output is outputValue:
                return k
        return -1

    def changeTargetIndex(self, param, target, currentIdx, newIdx):
        targets = self.outputTargets[param]
        for j, (node, index) in enumerate(targets):
            if node is target and index == currentIdx:
                targets[j] = (node, newIdx)


def _is_constant(value):
    """Whether ``value`` is a constant with no traced value inside."""
    if value.source.getRoot().type != Source.CONSTANT:
        return False
    if value.kind != Value.TABLE:
        return True
    raw = value.get()
    return all(_is_constant(v) for v in _entries(raw))


def _entries(table):
    return table.values() if isinstance(table, dict) else table


def _entry(table, k):
    """``table[k]``, None where it has no such key (a Lua table's nil)."""
    if isinstance(table, dict):
        return table.get(k)
    return table[k] if 0 <= k < len(table) else None


def _entry_gradient(intermediateGrads, v):
    """The gradient kept for the entry ``v`` of a list answer, zeros of its size when there is none."""
    g = intermediateGrads.get(v.source)
    if g is None and v.kind == Value.TENSOR:
        g = Value.from_(util.zerosLike(v), Source.constant(0))
    return g


def _accumulate(intermediateGrads, source, gradUpdate):
    """Adds ``gradUpdate`` to the gradient kept for ``source`` (through the traced ``+``)."""
    if gradUpdate is None:
        return
    sourceGradient = intermediateGrads.get(source)
    if sourceGradient is None or (not isinstance(sourceGradient, Value) and sourceGradient == 0):
        intermediateGrads[source] = gradUpdate
    else:
        intermediateGrads[source] = sourceGradient + gradUpdate
