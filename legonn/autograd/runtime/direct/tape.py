"""DirectTape: record a function's calls on traced values, then walk them backwards (torch-autograd's
DirectTape.lua).

``nodeApply`` is the runtime's entry (overload's ``apply_fn``): a call whose arguments hold nodes runs on their
values and returns a node that remembers it. Traces nest (a function that calls ``df`` of another, gradients of
gradients): each tape is one level deeper than the one running when it began; a call takes off the nodes of the
innermost tape among its arguments and is applied again to what is left, so the outer tapes record it too, and
the inner backward pass, run while the outer trace is still on, is itself recorded by the outer tape.
"""
import numbers
import threading
import time

from legonn.tensor import Tensor

from ... import overload
from ..traced import checkParams
from .node import DirectNode, getOutgrad, newStartNode, raw


class Tape:
    """The nodes one call of ``df`` recorded, in order; ``depth`` counts the traces running around it."""
    __slots__ = ('nodes', 'depth', 'assignmentMap', 'reverseAssignmentMap', 'profiler')

    def __init__(self, depth, profiler):
        self.nodes = []
        self.depth = depth
        # x[k] = v makes a new node for x; later uses of the old node mean the new one
        self.assignmentMap = {}
        self.reverseAssignmentMap = {}
        self.profiler = profiler


class _Running(threading.local):
    tapes = ()    # the tapes this thread is recording, outermost first


_running = _Running()


def _innermost(args):
    """The deepest tape among the nodes in ``args`` (and one level inside list, tuple and dict arguments)."""
    tape = None
    for a in args:
        if isinstance(a, DirectNode):
            if tape is None or a.tape.depth > tape.depth:
                tape = a.tape
        elif isinstance(a, (list, tuple, dict)):
            for e in (a.values() if isinstance(a, dict) else a):
                if isinstance(e, DirectNode) and (tape is None or e.tape.depth > tape.depth):
                    tape = e.tape
    return tape


def _strip(v, tape):
    """``v``'s value when it is a node of ``tape`` (the node an assignment replaced it with, if one did)."""
    if isinstance(v, DirectNode) and v.tape is tape:
        return tape.assignmentMap.get(v, v)
    return v


def _strip_in(a, tape):
    """``_strip`` of an argument, or of the members of a list, tuple or dict argument (one level, as the Lua)."""
    if isinstance(a, dict):
        return {k: _strip(e, tape) for k, e in a.items()}
    if isinstance(a, (list, tuple)):
        return type(a)(_strip(e, tape) for e in a)
    return _strip(a, tape)


def _value_in(a, tape):
    """An argument with ``tape``'s nodes (at its top, or members of a list, tuple or dict) replaced by values."""
    if isinstance(a, DirectNode):
        return a.value if a.tape is tape else a
    if isinstance(a, dict):
        return {k: e.value if isinstance(e, DirectNode) and e.tape is tape else e for k, e in a.items()}
    if isinstance(a, (list, tuple)):
        return type(a)(e.value if isinstance(e, DirectNode) and e.tape is tape else e for e in a)
    return a


def nodeApply(fun, gradFun, *args, **kwargs):
    """Apply ``fun`` (an overload FnDesc) to ``args``; a node of the innermost tape among them makes the result a
    node of that tape (when ``fun`` captures), else ``fun`` runs on the values."""
    for v in kwargs.values():
        if isinstance(v, DirectNode):
            raise TypeError(f"autograd: {fun.name} got a traced value as a keyword argument; pass it positionally")
    tape = _innermost(args)
    if tape is None:
        return fun.fn(*args, **kwargs)
    if not fun.capture:
        return fun.fn(*(_raw_arg(a) for a in args), **kwargs)
    if fun.unsupported:
        raise RuntimeError(f"function {fun.name} not currently supported by autograd")
    args = [_strip_in(a, tape) for a in args]
    values = [_value_in(a, tape) for a in args]
    profiler = tape.profiler
    start = time.perf_counter() if profiler is not None else 0.0
    # an outer trace's nodes may remain among the values: applying again lets that tape record the call too
    value = nodeApply(fun, gradFun, *values, **kwargs)
    others = ()
    if type(value) is tuple and value:
        # several answers (lg.max(x, d): values, indices): the node is the first, as the Lua's nodeApply kept
        # the first return; the others come back beside it as plain values (Lua dropped them)
        value, others = value[0], value[1:]
    node = DirectNode(value, fun, gradFun, args, values, tape)
    if profiler is not None:
        node.profileId = profiler.mark(fun, 2)
        profiler.measureForward(node.profileId, time.perf_counter() - start)
    if fun.name == 'DirectNode._internal_set':
        # target is the latest node for the variable's own (root) node: both now mean this one (the Lua's
        # reverse map went back one assignment, so after a third x[k] = v uses of x met the second's node)
        target = args[0]
        root = tape.reverseAssignmentMap.get(target, target)
        tape.assignmentMap[root] = node
        tape.assignmentMap[target] = node
        tape.reverseAssignmentMap[node] = root
    return (node,) + others if others else node


def _raw_arg(a):
    if isinstance(a, dict):
        return {k: raw(v) for k, v in a.items()}
    if isinstance(a, (list, tuple)):
        return type(a)(raw(v) for v in a)
    return raw(a)


def funOnly(fun, argnum, profiler, *args):
    """Run ``fun(*args)`` with ``args[argnum]`` made of start nodes; returns ``(args, all_answers, tape)``."""
    checkParams(args, argnum)
    args = list(args)
    outer = _running.tapes
    tape = Tape(len(outer), profiler)
    args[argnum] = newStartNode(args[argnum], tape)
    overload.install(nodeApply)
    _running.tapes = outer + (tape,)
    try:
        answers = fun(*args)
    finally:
        _running.tapes = outer
        overload.uninstall()
    answers = list(answers) if isinstance(answers, tuple) else [answers]
    if not (isinstance(answers[0], DirectNode) and answers[0].tape is tape):
        raise RuntimeError("A node type was not returned. This is either because a gradient was not defined, or the "
                           "input is independent of the output")
    return args, answers, tape


def _accumulate(node, update):
    """Add ``update`` to ``node.outgrad``: a new sum, never in place, since a gradient function may hand the same
    tensor to several arguments (``x + y`` gives both its ``g``). A node whose value is a list (a table module's
    output, each entry taken by ``x[k]``) sums its gradients entry by entry."""
    if update is None:
        return
    if node.outgrad is None:
        node.outgrad = update
    elif isinstance(update, list):
        node.outgrad = [a + b for a, b in zip(node.outgrad, update)]
    else:
        node.outgrad = node.outgrad + update


def _fits(value, got):
    """A gradient ``got`` of ``value``'s kind and sizes: a tensor's, a number for a number, a list of as many
    fitting entries for a list (a table module's output)."""
    got = raw(got)
    if isinstance(value, Tensor):
        return isinstance(got, Tensor) and got.size() == value.size()
    if isinstance(value, (list, tuple)):
        return isinstance(got, list) and len(got) == len(value) and all(map(_fits, value, got))
    return _is_scalar(got)


def _check(node, i, arg, update):
    """Protected mode: a gradient has its argument's kind and sizes (a tensor's, or a number for a number)."""
    value, got = raw(arg.value), raw(update)
    if not _fits(value, got):
        raise RuntimeError(f"autograd (protected): the gradient of argument {i} of {node.fun.name} is "
                           f"{_describe(got)}, the argument is {_describe(value)}")


def gradOnly(tape, args, argnum, answers, gradOutput, protected=False):
    """The backward pass: from ``gradOutput`` at the first answer, each node's gradient functions, last node first;
    returns the gradients of ``args[argnum]`` in its structure. ``protected`` checks each gradient's sizes."""
    if protected and isinstance(raw(answers[0].value), Tensor):
        _check(answers[0], 0, answers[0], gradOutput)
    answers[0].outgrad = gradOutput
    profiler = tape.profiler
    for node in reversed(tape.nodes):
        if node.fun is None or node.outgrad is None:   # a start node, or no path to the answer
            continue
        start = time.perf_counter() if profiler is not None else 0.0
        gradFun = node.gradFun or ()
        for i in range(len(node.args) - 1, -1, -1):
            arg = node.args[i]
            if isinstance(arg, DirectNode) and arg.tape is tape:
                gf = gradFun[i] if i < len(gradFun) else None
                if gf is not None:
                    update = gf(node.outgrad, node.value, *node.argValues)
                    if protected and update is not None:
                        _check(node, i, arg, update)
                    _accumulate(arg, update)
                elif node.fun.differentiable:
                    raise RuntimeError(f"missing gradient for argument {i} in function {node.fun.name}")
            elif isinstance(arg, (list, tuple)) and any(isinstance(e, DirectNode) and e.tape is tape for e in arg):
                # a list of nodes as one argument (lg.cat({a, b}, dim)): its gradient is a list
                if i >= len(gradFun) or gradFun[i] is None:
                    raise RuntimeError(f"missing gradient for argument {i} in function {node.fun.name}")
                updates = gradFun[i](node.outgrad, node.value, *node.argValues)
                for e, update in zip(arg, updates):
                    if isinstance(e, DirectNode) and e.tape is tape:
                        if protected and update is not None:
                            _check(node, i, e, update)
                        _accumulate(e, update)
        if profiler is not None and node.profileId is not None:
            profiler.measureBackward(node.profileId, time.perf_counter() - start)
    return getOutgrad(args[argnum])


def _is_scalar(v):
    return isinstance(v, numbers.Number) and not isinstance(v, bool)


def grad(fun, argnum, partialGrad, profiler, *args, protected=False):
    """``(gradients, *answers)`` of ``fun(*args)`` with respect to ``args[argnum]``; the first answer must be a
    number unless ``partialGrad`` (its gradient) is given. ``protected`` checks that each gradient has its
    argument's sizes, naming the function whose gradient does not."""
    args, answers, tape = funOnly(fun, argnum, profiler, *args)
    if partialGrad is None and not _is_scalar(raw(answers[0])):
        raise ValueError(f"Autograd only supports scalar return values. Output is not scalar: the function returned "
                         f"{_describe(raw(answers[0]))}")
    # a nested trace's backward pass runs inside the outer trace, which records it (gradients of gradients)
    gradients = gradOnly(tape, args, argnum, answers, 1.0 if partialGrad is None else partialGrad, protected)
    if profiler is not None:
        profiler.markCycle()
    return (gradients,) + tuple(_values(a) for a in answers)


def _describe(v):
    return f"a {v.type()} of size {'x'.join(map(str, v.size()))}" if isinstance(v, Tensor) else repr(v)


def _values(v):
    """An answer with this trace's nodes replaced by their values, in dicts and lists too."""
    if isinstance(v, DirectNode):
        return v.value
    if isinstance(v, dict):
        return {k: _values(e) for k, e in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_values(e) for e in v)
    return v
