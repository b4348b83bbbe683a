"""The optimized mode's Python backend (torch-autograd's runtime/codegen/backend/lua/init.lua, generating
Python where the Lua generates Lua): the optimized graph of ``f`` and its gradient becomes the source of one
Python function, compiled once per input signature. Its tensors that legonn can compute into a given result
tensor live in a pool (``rlocals``) kept across calls and across signatures, so a step allocates nothing once
warm; ``reduceFootprint`` lets a tensor nobody reads any more hold a later result of its type and size;
``stableGradients`` gives the gradients fixed pool slots."""
import functools
import itertools
import linecache
import math
import numbers
import re

import legonn
from legonn.autograd import util
from legonn.autograd.overload import FnDesc
from legonn.tensor import Tensor
from legonn.tensor.functions import INTO_RESULT, argument_kinds
from legonn.tensor.tensor import Size

from ..debugger import Debugger
from ..source import Source
from ..string_builder import StringBuilder
from ..value import Value

# the argument kinds (legonn.tensor.functions' patterns) under which these two read a tensor put first as their
# result: cat(a, b[, dim]) or cat(list[, dim]), repeatTensor(x, sizes)
_OWN_RESULT_FORMS = {'cat': r'TTn?|Ln?', 'repeatTensor': r'T(?:n+|L)'}
# util functions whose InPlace twin writes into a result tensor given first
_REUSABLE_UTIL = ('narrowSliceCopy', 'selectSliceCopy', 'fillSameSizeAs', 'zerosLike', 'setNotEqual', 'indexAdd',
                  'sigmoid', 'newTensorLike', 'fill')


@functools.lru_cache(maxsize=None)
def _result_form(name):
    """``r.name(*args)``: the method form TensorMath's result form calls, without the functional form's
    argument matching (the code generator checked the arguments' kinds once)."""
    def call(r, *args):
        return getattr(r, name)(*args)
    call.__name__ = name
    return call


def _reusable_call(node):
    """The callable writing ``node``'s tensor output into a given result tensor, or None when it has none."""
    name = node.forwardFn.name
    if len(node.outputs) != 1 or node.outputs[0].kind != Value.TENSOR or getattr(node.forwardFn, 'object', None):
        return None
    module, _, fname = name.partition('.')
    # every legonn function with Torch7's result form (the Lua listed tanh, cmul, cdiv, exp, pow, add, mul, div,
    # neg, ger, mm, mv, cosh, log, cat, repeatTensor; legonn's INTO_RESULT holds those and the other
    # element-wise and BLAS functions), in the argument kinds that form takes
    if module == 'torch' and (fname in INTO_RESULT or fname in _OWN_RESULT_FORMS):
        kinds = argument_kinds([Value.flatten(i) for i in node.inputs])
        if fname in _OWN_RESULT_FORMS:
            return node.forwardFn.fn if re.fullmatch(_OWN_RESULT_FORMS[fname], kinds) else None
        return _result_form(fname) if re.fullmatch(f'(?:{INTO_RESULT[fname]})', kinds) else None
    if module == 'util' and fname in _REUSABLE_UTIL:
        return getattr(util, fname + 'InPlace', None)
    if name == 'torch.clone':
        return getattr(util, 'cloneInPlace', None)
    return None


def _is_container(v):
    """A dict, list or tuple (a Lua table), not a Size (a LongStorage)."""
    return isinstance(v, (list, tuple, dict)) and not isinstance(v, Size)


def _canInline(node, state):
    return (len(node.outputs) == 1 and len(node.outputTargets[0]) == 1 and node not in state['hazardNodes']
            and state['debugger'] is None and state['inline'])


def _identifier(name):
    return re.sub(r'\W', '_', name)


class _Generator:
    """One generation: the symbols of every value, the constants and functions the code binds, the text."""

    def __init__(self, graph, opt):
        self.graph = graph
        self.opt = opt
        self.symbols = {}
        self.undefined = set()
        self.constants = []          # objects the generated code reads as c0, c1, ...
        self.constantIndex = {}      # id(object) -> index
        self.functions = {}          # identifier -> callable
        self.fnNames = {}            # id(callable) -> identifier
        self.reuse = {}              # node -> result-form callable

    # -- literals and bound objects ------------------------------------------------------------------------
    def bindConstant(self, obj):
        index = self.constantIndex.get(id(obj))
        if index is None:
            index = self.constantIndex[id(obj)] = len(self.constants)
            self.constants.append(obj)
        return f'c{index}'

    def literal(self, v):
        """A raw (untraced) object as an expression: plain numbers, strings, booleans and slices written out,
        anything else bound as a constant."""
        if v is None or isinstance(v, (bool, str)) or v is Ellipsis:
            return repr(v)
        if isinstance(v, numbers.Real) and not isinstance(v, Tensor):
            if isinstance(v, float) and not math.isfinite(v):
                return 'math.nan' if math.isnan(v) else ('math.inf' if v > 0 else '-math.inf')
            if type(v) in (int, float):
                return repr(v)
        if isinstance(v, slice) and all(e is None or type(e) is int for e in (v.start, v.stop, v.step)):
            return repr(v)
        if _is_container(v):
            return self.container(v, self.literal)
        return self.bindConstant(v)

    @staticmethod
    def container(v, write):
        if isinstance(v, dict):
            return '{' + ', '.join(f'{k!r}: {write(e)}' for k, e in v.items()) + '}'
        body = ', '.join(write(e) for e in v)
        return f'[{body}]' if isinstance(v, list) else f'({body}{"," if len(v) == 1 else ""})'

    def bindFunction(self, name, fn):
        ident = self.fnNames.get(id(fn))
        if ident is None:
            ident = _identifier(name)
            if ident in self.functions:
                ident = next(f'{ident}_{i}' for i in itertools.count(2) if f'{ident}_{i}' not in self.functions)
            self.functions[ident] = fn
            self.fnNames[id(fn)] = ident
        return ident

    def path(self, source):
        """A source's expression: its symbol, a table entry below one, or a constant written out."""
        if source.type == Source.TABLE:
            return f'{self.path(source.parent)}[{source.key!r}]'
        if source.type == Source.CONSTANT:
            val = source.val
            if _is_container(val):
                return self.container(val, lambda e: self.path(e.source) if isinstance(e, Value) else self.literal(e))
            return self.literal(val)
        if source not in self.symbols:
            raise RuntimeError('unknown symbol for node')
        return self.symbols[source]


def _tensorSig(t):
    return (t.type(), tuple(t.size()))


def _storageSize(t):
    storage = t.storage()
    return storage.size() if storage is not None else 0


def _mapReusableTensorNodeSymbol(node, symbols, tensorPool, availableTensorMap, remainingOutputs,
                                 availableCount, index=None):
    """Gives ``node``'s output a pool slot of its exact type and size if one is free; else, while free slots
    remain, leaves it for the inexact pass (``remainingOutputs``); else a new slot."""
    output = node.outputs[0]
    tensor = output.get()
    matchingList = availableTensorMap.get(_tensorSig(tensor))
    tensorIdx = None
    if matchingList:
        tensorIdx = matchingList.pop()
        availableCount -= 1
    elif availableCount > 0 and index is not None:
        remainingOutputs.append(index)
    else:
        tensorIdx = len(tensorPool)
        tensorPool.append(tensor)
    if tensorIdx is not None:
        symbols[output.source] = f'rlocals[{tensorIdx}]'
    return availableCount


def _createSymbolTable(gen, execOrder, aliases, params, tensorPool, tensorLocals, opt):
    """Symbols of the parameters (p0, p1, ...), of the reusable outputs (pool slots ``rlocals[i]``, or views
    ``vlocals[i]`` of a larger free slot's storage), of the other single outputs (``locals[i]``, kept across
    calls as the Lua's) and of several outputs (plain local names); also binds the constants."""
    graph = gen.graph
    symbols = gen.symbols
    for i, p in enumerate(params):
        symbols[p] = f'p{i}'
    tensorPoolViews = []
    availableTensorMap = {}
    availableCount = 0
    for i in range(len(tensorPool) - 1, -1, -1):
        availableTensorMap.setdefault(_tensorSig(tensorPool[i]), []).append(i)
        availableCount += 1
    remainingOutputs = []
    skip = set()

    # a stable mapping for the gradient tensors: their slots first, in the parameters' sorted order
    if opt.get('stableGradients'):
        gradsByParamPath = {}
        for param, grad in graph.grads:
            root = grad.source.getRoot()
            if root.type == Source.COMPUTED and root.node in gen.reuse:
                gradsByParamPath[gen.path(param.source)] = root.node
        for key in sorted(gradsByParamPath):
            gradNode = gradsByParamPath[key]
            availableCount = _mapReusableTensorNodeSymbol(gradNode, symbols, tensorPool, availableTensorMap,
                                                          remainingOutputs, availableCount)
            skip.add(gradNode)

    # exact matches first
    for i, node in enumerate(execOrder):
        if node in aliases or node in skip:
            pass
        elif len(node.outputs) == 1:
            output = node.outputs[0]
            if node in gen.reuse:
                availableCount = _mapReusableTensorNodeSymbol(node, symbols, tensorPool, availableTensorMap,
                                                              remainingOutputs, availableCount, i)
            else:
                symbols[output.source] = f'locals[{len(tensorLocals)}]'
                tensorLocals.append(0)
        else:
            for k, output in enumerate(node.outputs):
                gen.undefined.add(output.source)
                symbols[output.source] = f'{_letterForType(output)}{i}_{k}'
        # constant tensors and other objects the code reads
        for input in node.inputs:
            root = input.source.getRoot()
            if root.type == Source.CONSTANT and root not in symbols and not isinstance(root.val, (list, tuple, dict)):
                gen.literal(root.val)

    # outputs with no exact free slot: a view onto the largest free slot of their type, else a new slot
    availableTensors = []
    if availableCount > 0:
        sizes = {}
        for idxs in availableTensorMap.values():
            for idx in idxs:
                size = _storageSize(tensorPool[idx])
                if size > 0:
                    availableTensors.append(idx)
                    sizes[idx] = size
        availableTensors.sort(key=sizes.__getitem__)
        remainingOutputs.sort(key=lambda i: _storageSize(execOrder[i].outputs[0].get()))
    for i in reversed(remainingOutputs):
        output = execOrder[i].outputs[0]
        outputTensor = output.get()
        matchingIndex = _searchMatchingTensorLargest(outputTensor, availableTensors, tensorPool)
        if matchingIndex is not None:
            poolTensor = tensorPool[availableTensors.pop(matchingIndex)]
            poolStorage = poolTensor.storage()
            if _storageSize(outputTensor) > poolStorage.size():
                # the pool tensor's data is not needed: empty the storage before it grows, to skip a copy
                poolStorage.resize(0)
            symbols[output.source] = f'vlocals[{len(tensorPoolViews)}]'
            tensorPoolViews.append(outputTensor.new(poolStorage).resize(*outputTensor.size()))
        else:
            symbols[output.source] = f'rlocals[{len(tensorPool)}]'
            tensorPool.append(outputTensor.new(*outputTensor.size()))

    # aliased outputs share their alias's symbol
    for node, aliasNode in aliases.items():
        if aliasNode.outputs[0].source not in symbols:
            raise RuntimeError('invalid node alias')
        symbols[node.outputs[0].source] = symbols[aliasNode.outputs[0].source]
    for from_, to in graph.mutationFlow.history:
        if from_.source in symbols:
            symbols[to.source] = symbols[from_.source]
    return tensorPoolViews


def _letterForType(val):
    return {Value.TENSOR: 't', Value.NUMBER: 'n'}.get(val.kind, 'r')


def _searchMatchingTensorLargest(tensor, sortedTensors, pool):
    ttype = tensor.type()
    for i in range(len(sortedTensors) - 1, -1, -1):
        if pool[sortedTensors[i]].type() == ttype:
            return i
    return None


def _findParamSource(val):
    if isinstance(val, Value):
        root = val.source.getRoot()
        return root if root.type == Source.PARAM else None
    if isinstance(val, (dict, list, tuple)):
        for v in (val.values() if isinstance(val, dict) else val):
            found = _findParamSource(v)
            if found is not None:
                return found
    return None


def _collectParams(params):
    return [_findParamSource(v) or Source.param(k) for k, v in enumerate(params)]


def _aliasFreeTensors(execOrder, aliases, hazardNodes, reuse, outputNodes):
    """``reduceFootprint``: a reusable output takes the slot of a tensor of its type and size that no later
    node reads (reference counts over the execution order). Two cases the Lua misses are kept out: a tensor
    read by a node that is not reusable (``view``, ``contiguous``, ``select``, ... may return a view of it, alive
    as long as that view) and a tensor the function returns (``outputNodes``)."""
    availableTensorMap = {}
    availableCount = 0
    refCounts = {}
    for node in execOrder:
        if node in reuse:
            if node not in outputNodes:
                refCounts[node.outputs[0]] = len(node.outputTargets[0])
            if node not in aliases and node not in hazardNodes and availableCount > 0:
                matchingList = availableTensorMap.get(_tensorSig(node.outputs[0].get()))
                if matchingList:
                    target = matchingList.pop().source.getRoot().node
                    aliases[node] = aliases.get(target, target)
                    availableCount -= 1
        for input in node.inputs:
            if input.kind == Value.TENSOR and input in refCounts:
                if node not in reuse:
                    del refCounts[input]     # possibly viewed: never freed
                    continue
                refCount = refCounts[input]
                refCounts[input] = refCount - 1
                if refCount == 1:
                    availableTensorMap.setdefault(_tensorSig(input.get()), []).append(input)
                    availableCount += 1


def _addNodeTargets(node, hazardNodes):
    for targetNode, _ in node.outputTargets[0]:
        hazardNodes.add(targetNode)


def _buildInputExpr(gen, state, input):
    source = input.source
    if source.type == Source.CONSTANT and _is_container(source.val):
        # a container the user built: its entries' expressions
        return gen.container(source.val, lambda e: _buildInputExpr(gen, state, e) if isinstance(e, Value)
                             else gen.literal(e))
    if source.type == Source.COMPUTED and _canInline(source.node, state):
        return f'({_writeExpr(gen, state, source.node)})'
    return gen.path(source)


_OPERATORS = {'add': '+', 'sub': '-', 'mul': '*', 'div': '/', 'pow': '**', 'matmul': '@'}


def _writeExpr(gen, state, node):
    inputSymbols = [_buildInputExpr(gen, state, input) for input in node.inputs]
    desc = node.forwardFn
    op = getattr(desc, 'operator', None)
    if op is not None:
        if op == 'unm':
            return f'-{inputSymbols[0]}'
        if op == 'index':
            return f'{inputSymbols[0]}[{inputSymbols[1]}]'
        if op == 'newindex':
            return f'{inputSymbols[0]}[{inputSymbols[1]}] = {inputSymbols[2]}'
        return f'{inputSymbols[0]} {_OPERATORS[op]} {inputSymbols[1]}'
    if getattr(desc, 'object', None) is not None:
        return f"{state['objects'][id(desc.object)]}.{desc.method}({', '.join(inputSymbols)})"
    call = gen.reuse.get(node)
    if call is not None:
        inputSymbols.insert(0, gen.path(node.outputs[0].source))
        fnName = gen.bindFunction(f'{desc.name}InPlace' if call.__module__ == util.__name__ else desc.name, call)
    else:
        fnName = gen.bindFunction(desc.name, _forward(desc))
    return f"{fnName}({', '.join(inputSymbols)})"


def _forward(desc):
    """The function a node calls: its description's, or, for an operator ``optimize`` converted, legonn's."""
    if desc.fn is not None:
        return desc.fn
    return getattr(legonn.tensor.functions, desc.name.partition('.')[2])


def _writeGrads(gen, out):
    """The gradients in the differentiated argument's layout (a container mirroring it), or the one gradient of
    a tensor or number argument."""
    grads = gen.graph.grads
    if len(grads) == 1 and grads[0][0].source.type == Source.PARAM:
        out.write(gen.path(grads[0][1].source))
        return
    gradOf = {id(param): grad for param, grad in grads}

    def mirror(v):
        if isinstance(v, Value) and v.kind != Value.TABLE:
            grad = gradOf.get(id(v))
            return 'None' if grad is None else gen.path(grad.source)
        raw = v.raw if isinstance(v, Value) else v
        return gen.container(raw, mirror) if isinstance(raw, (dict, list, tuple)) else 'None'
    out.write(mirror(gen.graph.params[gen.opt.get('argnum', 0)]))


def _writeAnswer(gen, answer):
    if isinstance(answer, Value):
        return gen.path(answer.source)
    if isinstance(answer, (dict, list, tuple)):
        return gen.container(answer, lambda a: _writeAnswer(gen, a))
    return gen.literal(answer)


_generated = itertools.count()


def generateCode(graph, opt):
    """The generated source, the objects its outer function takes, and the first call's results (the
    trace's own gradients and answers)."""
    withGradients = opt.get('withGradients', True)
    # the answers come back with the gradients whatever withForward says, as the direct runtime returns them
    # (the Lua's generated code returned the gradients alone without withForward, its direct runtime both)
    withForward = True
    # an inlined expression runs where it is read, later than its place in the order the buffers were shared
    # by: a buffer freed before it could be overwritten before it runs (the Lua inlines with reduceFootprint)
    inline = opt.get('inline', True) and not opt.get('reduceFootprint')
    tensorPool = opt.setdefault('tensorPool', [])
    tensorLocals = opt.setdefault('tensorLocals', [])
    debugger = opt.get('debugger')

    execOrder, outputNodes = graph.walkExecutionOrder(withForward, withGradients)
    # no reordering or inlining of operations near an assignment
    hazardNodes = set(outputNodes)
    for from_, to in graph.mutationFlow.history:
        for value in (from_, to):
            node = value.source.node if value.source.type == Source.COMPUTED else None
            if node is not None:
                _addNodeTargets(node, hazardNodes)
                hazardNodes.add(node)

    gen = _Generator(graph, opt)
    for node in execOrder:
        if getattr(node.forwardFn, 'name', None) in (Value.GET, Value.SET):
            continue
        call = _reusable_call(node)
        if call is not None:
            gen.reuse[node] = call
    params = _collectParams(graph.params)
    aliases = {}
    if opt.get('reduceFootprint'):
        _aliasFreeTensors(execOrder, aliases, hazardNodes if opt.get('stableGradients') else set(), gen.reuse,
                          outputNodes)
    tensorPoolViews = _createSymbolTable(gen, execOrder, aliases, params, tensorPool, tensorLocals, opt)
    objects = []
    objectNames = {}
    for node in execOrder:
        obj = getattr(node.forwardFn, 'object', None)
        if obj is not None and id(obj) not in objectNames:
            objectNames[id(obj)] = f'objects[{len(objects)}]'
            objects.append(obj)

    if opt.get('dotFile'):
        dot = debugger or Debugger()
        dot.setMain(gen, graph.grads, graph.answers)
        dot.generateDot(opt['dotFile'])
    if debugger is not None:
        debugger.setMain(gen, graph.grads, graph.answers)

    for node in execOrder:
        if node.forwardFn.name == Value.GET:
            node.forwardFn = FnDesc('op.__index', node.forwardFn.fn, operator='index')
        elif node.forwardFn.name == Value.SET:
            node.forwardFn = FnDesc('op.__newindex', node.forwardFn.fn, operator='newindex')

    state = {'hazardNodes': hazardNodes, 'debugger': debugger, 'inline': inline, 'objects': objectNames}
    body = StringBuilder()
    paramSymbols = [gen.symbols[p] for p in params]
    if debugger is not None:
        for param, symbol in zip(graph.params, paramSymbols):
            debugger.generateInputCheck(param, symbol, body)
    for node in execOrder:
        if _canInline(node, state):
            continue
        outputSymbols = [gen.symbols[o.source] for o in node.outputs]
        body.indent(2)
        expr = _writeExpr(gen, state, node)
        if node not in gen.reuse and getattr(node.forwardFn, 'operator', None) != 'newindex' and outputSymbols:
            nReturns = node.nReturns
            if nReturns is None:
                body.write(outputSymbols[0], ' = ')
            else:
                # a function of several returns whose trailing unread ones were pruned
                body.write(', '.join(outputSymbols), ', = ' if len(outputSymbols) == 1 else ' = ')
                if len(outputSymbols) < nReturns:
                    expr = f'({expr})[:{len(outputSymbols)}]'
        body.writeln(expr)
        if debugger is not None:
            for k, symbol in enumerate(outputSymbols):
                debugger.generateOutputCheck(node, k, symbol, body)
    body.indent(2)
    returns = []
    if withGradients:
        sb = StringBuilder()
        _writeGrads(gen, sb)
        returns.append(sb.finish())
    if withForward:
        returns.extend(_writeAnswer(gen, a) for a in graph.answers)
    body.writeln('return (', ''.join(r + ', ' for r in returns), ')')

    outerArgNames = ['locals', 'rlocals', 'vlocals', 'constants', 'functions']
    if debugger is not None:
        outerArgNames.append('debugger')
    if objects:
        outerArgNames.append('objects')
    out = StringBuilder()
    out.writeln('def outer(', ', '.join(outerArgNames), '):')
    for ident in gen.functions:
        out.writeln(f'    {ident} = functions[{ident!r}]')
    for i in range(len(gen.constants)):
        out.writeln(f'    c{i} = constants[{i}]')
    out.writeln('    def generated(', ', '.join(paramSymbols), '):')
    out.write(body.finish())
    out.writeln('    return generated')
    code = out.finish()
    if debugger is not None:
        debugger.setCode(code)

    outerArgs = [tensorLocals, tensorPool, tensorPoolViews, gen.constants, gen.functions]
    if debugger is not None:
        outerArgs.append(debugger)
    if objects:
        outerArgs.append(objects)
    retValues = []
    if withGradients:
        retValues.append(Value.flattenGrads(graph.params[opt.get('argnum', 0)], graph.intermediateGrads))
    if withForward:
        retValues.extend(Value.flatten(a) for a in graph.answers)
    return code, outerArgs, retValues


def generateFn(graph, opt):
    """Compiles the generated code; returns the generated function, the first call's results and the code."""
    code, outerArgs, retValues = generateCode(graph, opt)
    if opt.get('showCode'):
        print(code)
    filename = f'<autograd generated {next(_generated)}>'
    # the traceback of an error inside the generated function shows its lines
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    namespace = {'lg': legonn, 'math': math}
    try:
        exec(compile(code, filename, 'exec'), namespace)
    except SyntaxError as e:
        raise RuntimeError(f'failed to parse generated code:\n{code}') from e
    return namespace['outer'](*outerArgs), retValues, code
