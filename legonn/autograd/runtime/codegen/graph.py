"""The optimized mode's trace (torch-autograd's runtime/codegen/Graph.lua): ``Graph.record`` runs the user's
function on Values with the overloads installed, so every captured call becomes a Node; then it walks the
nodes backwards calling their gradient functions, which are traced too, so the gradient is part of the same
graph. ``optimize`` then rewrites the graph (subtraction as addition of a negation, identity operators
dropped, operators turned into the legonn functions that can write into a given result tensor) for the
code generator."""
import functools
import threading

from legonn.autograd import overload, util
from legonn.autograd.overload import FnDesc

from .mutation_flow import MutationFlow
from .node import Node
from .source import Source
from .value import Value

_INTERNAL_SET = 'Value._internal_set'


class _TraceState(threading.local):
    """Per thread, as the Lua's module locals are per Lua state: the nesting depth of the overloaded calls
    (only the outermost is recorded), the nesting depth of traces (a gradient of a gradient), the assignment
    aliases and the debugger capturing call stacks."""
    def __init__(self):
        self.applyDepth = 0
        self.reentryDepth = 0
        self.mutationFlow = MutationFlow()
        self.nodeDebugger = None


_state = _TraceState()


def overloadHook(fn, gradFn, *inputs, **kwargs):
    """The codegen runtime's ``apply_fn``: the outermost captured call while a trace runs becomes a Node (its
    outputs returned as Values); any other call runs ``fn.fn`` on the raw values. Keyword arguments are
    constants of the call (a traced value must be passed positionally)."""
    if kwargs:
        if any(isinstance(v, Value) for v in kwargs.values()):
            raise TypeError(f'autograd: {fn.name} got a traced value as a keyword argument; pass it positionally')
        fn = FnDesc(fn.name, functools.partial(fn.fn, **kwargs), fn.capture, fn.differentiable, fn.unsupported,
                    fn.operator, fn.object, fn.raw, fn.method)
    state = _state
    state.applyDepth += 1
    try:
        if state.reentryDepth != 0 and state.applyDepth == 1 and fn.capture:
            if fn.unsupported:
                if not any(_holds_value(a) for a in inputs):
                    # on plain values it makes a constant, as the direct runtime runs it (the Lua refuses it)
                    return fn.fn(*inputs)
                raise RuntimeError(f'function {fn.name} not currently supported by autograd')
            n = Node(fn, gradFn, inputs, state.mutationFlow)
            values = n.evaluateForward(state.mutationFlow)
            if state.nodeDebugger is not None:
                state.nodeDebugger.captureCallStack(n)
            return tuple(values) if n.nReturns is not None else values[0]
        return fn.fn(*[Value.flatten(a) for a in inputs])
    finally:
        state.applyDepth -= 1


def _holds_value(a):
    if isinstance(a, Value):
        return True
    if isinstance(a, (list, tuple, dict)):
        return any(_holds_value(e) for e in (a.values() if isinstance(a, dict) else a))
    return False


def reentryDepth():
    return _state.reentryDepth


def collectGradients(val, intermediateGrads, differentiableMap, grads=None):
    """(param Value, gradient Value) pairs for every Value under ``val``; a differentiable parameter the
    output does not reach gets a zero gradient (the Lua notes this could also be an error)."""
    grads = [] if grads is None else grads
    if isinstance(val, Value):
        rootSource = val.source.getRoot()
        gradient = intermediateGrads.get(val.source)
        # (the Lua asks the root's mark, which a table's entries never set: their gradients stayed nil, where
        # the direct runtime gives zeros)
        if gradient is None and rootSource.type == Source.PARAM and differentiableMap.get(val.source):
            if val.kind == Value.TENSOR:
                gradient = Value.from_(util.zerosLike(val), Source.constant(val))
            elif val.kind == Value.NUMBER:
                gradient = Value.from_(0.0, Source.constant(0))
            intermediateGrads[val.source] = gradient
        if gradient is not None:
            grads.append((val, gradient))
        if val.kind == Value.TABLE:
            collectGradients(val.get(), intermediateGrads, differentiableMap, grads)
    elif isinstance(val, (dict, list, tuple)):
        for v in (val.values() if isinstance(val, dict) else val):
            collectGradients(v, intermediateGrads, differentiableMap, grads)
    return grads


def _same_size(a, b):
    return a.raw.size() == b.raw.size()


def convertOperators(execOrder):
    """Operators on tensors become the legonn functions with a result form the code generator can point at a
    reusable buffer. Python's operators follow NumPy (docs/porting.md), so where the Lua turns ``mul`` of two
    matrices into ``mm``, here ``@`` does, and ``*`` of two tensors is ``cmul`` only of equal sizes (``+``
    likewise ``add``): a broadcasting operator stays an operator. (The result form writes into a tensor of the
    operator's answer type, so ``/`` of an IntTensor stays a DoubleTensor.)"""
    T, N = Value.TENSOR, Value.NUMBER
    for node in execOrder:
        op = getattr(node.forwardFn, 'operator', None)
        if op is None:
            continue
        kinds = tuple(i.kind for i in node.inputs)
        if op == 'matmul' and kinds == (T, T):
            dims = (node.inputs[0].raw.dim(), node.inputs[1].raw.dim())
            # (legonn's @ of two vectors is a 0-dim tensor, lg.dot's a number: that one stays an operator)
            name = {(2, 2): 'torch.mm', (2, 1): 'torch.mv'}.get(dims)
            if name is not None:
                node.forwardFn = FnDesc(name, None)
        elif op in ('mul', 'add') and kinds == (T, T) and _same_size(*node.inputs):
            node.forwardFn = FnDesc('torch.cmul' if op == 'mul' else 'torch.add', None)
        elif op in ('mul', 'add') and kinds == (T, N):
            node.forwardFn = FnDesc(f'torch.{op}', None)
        elif op in ('mul', 'add') and kinds == (N, T):
            node.forwardFn = FnDesc(f'torch.{op}', None)
            node.inputs[0].source.changeNodeTargetIndex(node, 0, 1)
            node.inputs[1].source.changeNodeTargetIndex(node, 1, 0)
            node.inputs.reverse()
        elif op == 'div' and kinds == (T, N):
            node.forwardFn = FnDesc('torch.div', None)
        elif op == 'unm' and kinds == (T,):
            node.forwardFn = FnDesc('torch.neg', None)


def replaceNode(nodeValue, withNodeValue, outputNodes):
    """Makes every reader of ``nodeValue`` (a node's output) read ``withNodeValue`` instead; the graph's
    outputs that were that node's point at the replacement's source."""
    node = nodeValue.source.node
    node.unlinkInputs()
    toRemove = [target for targets in node.outputTargets for target, _ in targets]
    for target in toRemove:
        target.replaceInput(nodeValue, withNodeValue)
    rootValues = outputNodes.get(node)
    if rootValues is not None:
        for value in rootValues:
            if value.source.type == Source.TABLE:
                value.source.changeRoot(withNodeValue.source)
            else:
                value.source = withNodeValue.source
        # the Lua files them under a key nothing reads; here the replacement's node becomes the output node
        root = withNodeValue.source.getRoot()
        if root.type == Source.COMPUTED:
            outputNodes.setdefault(root.node, []).extend(rootValues)
        outputNodes[node] = []


def _is_constant(value, number):
    return value.kind == Value.NUMBER and value.source.type == Source.CONSTANT and value.get() == number


def _writtenInto(node):
    """Whether a reader of ``node``'s output may write into it: only an operator is sure not to (an assignment
    ``y[k] = v``, a Tensor method, ``lg.scatter(y, ...)`` write into ``y``, as Torch7's do)."""
    return any(target.forwardFn.operator is None for targets in node.outputTargets for target, _ in targets)


def removeIdentityOperators(execOrder, outputNodes):
    """Drops ``x * 1``, ``1 * x``, ``x + 0``, ``0 + x`` and ``x - 0`` (not when the node is an output). Nor when
    the copy it makes may be written into: ``y = x * 1; y[k] = v`` would write into the caller's ``x`` (the Lua
    drops it there too), so only a copy that operators alone read goes."""
    for node in execOrder:
        if node in outputNodes or _writtenInto(node):
            continue
        op = getattr(node.forwardFn, 'operator', None)
        if op == 'mul':
            if _is_constant(node.inputs[0], 1):
                replaceNode(node.outputs[0], node.inputs[1], outputNodes)
            elif _is_constant(node.inputs[1], 1):
                replaceNode(node.outputs[0], node.inputs[0], outputNodes)
        elif op in ('add', 'sub'):
            # 0 - x is not x: only add may drop its first operand
            if op == 'add' and _is_constant(node.inputs[0], 0):
                replaceNode(node.outputs[0], node.inputs[1], outputNodes)
            elif _is_constant(node.inputs[1], 0):
                replaceNode(node.outputs[0], node.inputs[0], outputNodes)


def convertSubtract(execOrder, outputNodes):
    """``a - b`` as ``a + (-b)``, so that both halves can write into reusable buffers."""
    i = 0
    while i < len(execOrder):
        node = execOrder[i]
        if getattr(node.forwardFn, 'operator', None) == 'sub' and len(node.inputs) == 2:
            unmNode = Node(FnDesc('op.__unm', lambda a: -a, operator='unm'), None, [node.inputs[1]])
            unmOutput = unmNode.evaluateForward()[0]
            addNode = Node(FnDesc('op.__add', lambda a, b: a + b, operator='add'), None, [node.inputs[0], unmOutput])
            addOutput = addNode.evaluateForward()[0]
            replaceNode(node.outputs[0], addOutput, outputNodes)
            execOrder[i] = addNode
            execOrder.insert(i, unmNode)
            i += 1
        i += 1


def pruneOutputs(execOrder, outputNodes):
    """Drops a node's trailing outputs that nothing reads (unless the node is an output of the graph)."""
    for node in execOrder:
        if node not in outputNodes:
            while len(node.outputs) > 1 and not node.outputTargets[len(node.outputs) - 1]:
                node.outputs.pop()


def walkNode(node, order, seen):
    """Appends ``node`` after the nodes computing its inputs (depth first, each once)."""
    stack = [(node, False)]
    while stack:
        n, expanded = stack.pop()
        if expanded:
            order.append(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        stack.append((n, True))
        roots = []
        for input in n.inputs:
            if input.kind == Value.TABLE:
                entries = input.get()
                roots.extend(v.source.getRoot() for v in (entries.values() if isinstance(entries, dict) else entries))
            else:
                roots.append(input.source.getRoot())
        for root in reversed(roots):
            if root.type == Source.COMPUTED and root.node not in seen:
                stack.append((root.node, False))


def walkOutputRoots(val, execOrder=None, seen=None, outputNodes=None):
    """The nodes computing ``val`` (Values, nested containers of them) in execution order; ``outputNodes``
    collects, per node, the output Values rooted at it."""
    seen = set() if seen is None else seen
    execOrder = [] if execOrder is None else execOrder
    if isinstance(val, Value):
        root = val.source.getRoot()
        if root.type == Source.COMPUTED:
            if outputNodes is not None:
                outputNodes.setdefault(root.node, []).append(val)
            walkNode(root.node, execOrder, seen)
    elif isinstance(val, (dict, list, tuple)):
        for subVal in (val.values() if isinstance(val, dict) else val):
            walkOutputRoots(subVal, execOrder, seen, outputNodes)
    return execOrder


class Graph:
    """A recorded trace: ``params`` (the arguments as Values), ``answers`` (the function's returns),
    ``grads`` ((param, gradient) pairs), ``intermediateGrads`` (source -> gradient Value), ``mutationFlow``."""

    def __init__(self, mutationFlow, grads, params, answers, intermediateGrads):
        self.mutationFlow = mutationFlow
        self.grads = grads
        self.params = params
        self.answers = answers
        self.intermediateGrads = intermediateGrads

    def walkExecutionOrder(self, withForward=True, withGradients=True):
        """The nodes the gradients and answers need, in an order that runs each after its inputs and, where
        the trace assigned into a tensor, every earlier reader of that tensor before the assignment; also
        the output nodes (node -> its output Values)."""
        seen = set()
        execOrder = []
        outputNodes = {}
        if withGradients:
            for _, grad in self.grads:
                walkOutputRoots(grad, execOrder, seen, outputNodes)
        if withForward:
            walkOutputRoots(self.answers, execOrder, seen, outputNodes)
        # readers of x before an assignment x[k] = v must come before the assignment: walking the graph
        # alone makes no promise on order, so walk again starting from them
        mutationRoots = []
        for from_, _ in self.mutationFlow.history:
            root = from_.source.getRoot()
            if root.type == Source.COMPUTED:
                for targetNode, _ in root.node.outputTargets[0]:
                    if targetNode in seen and targetNode.forwardFn.name != _INTERNAL_SET:
                        mutationRoots.append(targetNode)
        if mutationRoots:
            prevExecOrder = execOrder
            seen = set()
            execOrder = []
            for node in mutationRoots + prevExecOrder:
                walkNode(node, execOrder, seen)
        return execOrder, outputNodes

    @staticmethod
    def record(fn, args, opt):
        """Traces ``fn(*args)`` and its gradient with respect to ``args[opt.argnum]``."""
        argnum = opt.get('argnum', 0)
        withGradients = opt.get('withGradients', True)
        state = _state
        values = []
        differentiableMap = {}
        for i, arg in enumerate(args):
            # the outer containers stay Python's, so len() and [k] work on them in the traced function
            values.append(_plainSettings(Value.from_(arg, Source.param(i), True)))
            if i == argnum:
                _markDifferentiable(values[i], differentiableMap)

        overload.install(overloadHook)
        savedApplyDepth = state.applyDepth
        state.applyDepth = 0
        state.reentryDepth += 1
        if state.reentryDepth == 1:
            state.mutationFlow.clear()
        state.nodeDebugger = opt.get('debugger')
        answers, grads, intermediateGrads = [], [], {}
        # without the forward answers, the last argument is the gradient of the answer (partialGrad), as the
        # direct runtime takes it; the function is called without it (Lua drops an extra argument silently)
        partial = withGradients and not opt.get('withForward', True)
        try:
            answers = fn(*(values[:-1] if partial else values))
            answers = list(answers) if type(answers) is tuple else [answers]
            # only walk from the answer differentiated (the first)
            forwardExecOrder = walkOutputRoots(answers[0])
            if withGradients:
                first = answers[0]
                if partial and isinstance(first, Value):
                    intermediateGrads[first.source] = values[-1]
                elif isinstance(first, Value) and first.kind == Value.NUMBER:
                    intermediateGrads[first.source] = Value.from_(1, Source.constant(1))
                else:
                    raise ValueError('invalid return value type from autograd function, autograd only supports '
                                     f'scalar return values (got {_describe(first)})')
                for node in reversed(forwardExecOrder):
                    node.evaluateBackward(state.mutationFlow, intermediateGrads, differentiableMap)
                grads = collectGradients(values[argnum], intermediateGrads, differentiableMap)
        finally:
            state.nodeDebugger = None
            state.reentryDepth -= 1
            state.applyDepth = savedApplyDepth
            overload.uninstall()
        return Graph(state.mutationFlow, grads, values, answers, intermediateGrads)

    def optimize(self):
        execOrder, outputNodes = self.walkExecutionOrder()
        convertSubtract(execOrder, outputNodes)
        removeIdentityOperators(execOrder, outputNodes)
        convertOperators(execOrder)
        pruneOutputs(execOrder, outputNodes)


def _describe(v):
    if isinstance(v, Value):
        return f'a traced {v.kind}'
    return type(v).__name__


def _plainSettings(value):
    """An argument with its booleans, strings and other objects (None, a mode name) left plain, as the direct
    runtime leaves them, so ``if flag:`` and ``x is None`` read them; the signature holds their values, so
    each gets its own code (the Lua wrapped them, and keyed none of them)."""
    if isinstance(value, Value):
        return value.raw if value.kind in (Value.BOOLEAN, Value.STRING, Value.OTHER) else value
    if isinstance(value, dict):
        return {k: _plainSettings(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plainSettings(v) for v in value)
    return value


def _markDifferentiable(value, differentiableMap):
    if isinstance(value, Value):
        if value.kind == Value.TABLE:
            _markDifferentiable(value.get(), differentiableMap)
        else:
            differentiableMap[value.source] = True
    elif isinstance(value, (dict, list, tuple)):
        for v in (value.values() if isinstance(value, dict) else value):
            _markDifferentiable(v, differentiableMap)
