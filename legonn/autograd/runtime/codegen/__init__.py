"""The optimized runtime (torch-autograd's runtime/codegen/init.lua): ``create(fn, opt)`` returns the
gradient function of ``fn`` that, per input signature (the types and sizes of the tensors, the shape of the
tables), traces ``fn`` and its gradient once, generates and compiles Python code for them, and from then on
runs that code. The first call of a signature returns the trace's own results; later calls write into the
tensor pool the generated code keeps, so a returned tensor is overwritten by the next call (clone what you
keep), unless ``stableGradients`` copies the gradients into the first call's tensors every time."""
import math
import numbers
import time

from legonn.autograd import gradfuns, overload

from .backend import python as PythonBackend
from .debugger import Debugger
from .graph import Graph, reentryDepth
from .value import Value

__all__ = ['create']

# a traced Value's operators and x[k], x[k] = v: the declarations of the direct runtime's traced values
overload.module('Value', Value, gradfuns.traced_value_class)


def buildSignature(params, tensorDims):
    """Appends each argument's part of the cache key: a tensor's type and sizes, 'n' for a number, a
    container's kind, length and keys followed by its entries' parts, and the value itself of a boolean, a
    string, None or another object (the trace reads those plain: their code is theirs). (The Lua keys on the
    sizes alone; the type is here too, as code compiled for DoubleTensors cannot serve FloatTensors or CUDA
    tensors.)"""
    for v in (params.values() if isinstance(params, dict) else params):
        if hasattr(v, 'storageOffset'):
            tensorDims.append(f"{v.type()}{'x'.join(map(str, v.size()))}")
        elif isinstance(v, bool):
            tensorDims.append(f'b{int(v)}')
        elif isinstance(v, numbers.Number):
            tensorDims.append('n')
        elif isinstance(v, dict):
            tensorDims.append(f"d{len(v)}:{','.join(map(str, v))}")
            buildSignature(v, tensorDims)
        elif isinstance(v, (list, tuple)):
            tensorDims.append(f't{len(v)}')
            buildSignature(v, tensorDims)
        elif isinstance(v, str) or v is None:
            tensorDims.append(repr(v))
        else:
            tensorDims.append(f'{type(v).__name__}@{id(v)}')


def _signature(args):
    tensorDims = []
    buildSignature(args, tensorDims)
    return '-'.join(tensorDims)


def execUncached(fn, args, opt, nestedGradient):
    """Traces and returns the results without generating code: inside another trace (a gradient of a
    gradient, whose Values stay in the outer graph), or when ``signatureFn`` declines to key the call."""
    graph = Graph.record(fn, args, opt)
    retValues = [Value.collectGrads(graph.params[opt.get('argnum', 0)], graph.intermediateGrads)]
    retValues.extend(graph.answers)
    if not nestedGradient:
        retValues = [Value.flatten(v) for v in retValues]
    return tuple(retValues)


def generateFn(fn, args, opt):
    if opt.get('debugHook'):
        opt['debugger'] = Debugger(opt)
    graph = Graph.record(fn, args, opt)
    graph.optimize()
    return PythonBackend.generateFn(graph, opt)


def copyStableTensors(retValues, stableGrads):
    """Copies every gradient tensor of ``retValues`` into its twin in ``stableGrads`` (resized if its
    sizes changed) and puts the twin in its place, so each call returns the same tensors."""
    for k in (retValues.keys() if isinstance(retValues, dict) else range(len(retValues))):
        rv = retValues[k]
        sv = stableGrads.get(k) if isinstance(stableGrads, dict) else stableGrads[k]
        if sv is None:
            sv = rv.clone() if hasattr(rv, 'clone') else rv
            stableGrads[k] = sv
        if type(rv) is not type(sv):
            raise TypeError('mismatched types in stable tensor copy')
        if hasattr(rv, 'storageOffset') and rv is not sv:
            if not sv.isSameSizeAs(rv):
                print(f"resizing stable grad {'x'.join(map(str, sv.size()))} -> {'x'.join(map(str, rv.size()))}")
                sv.resize(*rv.size())
            sv.copy(rv)
            retValues[k] = sv
        elif isinstance(sv, (dict, list)):
            copyStableTensors(rv, sv)


def _pct(n, tot):
    return f'{math.floor(n / tot * 100.0) if tot else 0}%'


def printProfile(stats):
    print(' ')
    print(f"[autograd] code cache hit rate: {math.floor(stats['cacheHits'] / stats['calls'] * 100.0)}%")
    print(f"[autograd] generated code paths: {stats['cacheMisses']}")
    averageCodegen = stats['codegenTime'] / stats['cacheMisses'] * 1000.0 if stats['cacheMisses'] else 0.0
    averageExec = stats['executionTime'] / stats['cacheHits'] * 1000.0 if stats['cacheHits'] else 0.0
    # code generation always runs the code once
    totalCodegen = stats['codegenTime'] - averageExec * stats['cacheMisses'] / 1000.0
    totalAll = stats['codegenTime'] + stats['executionTime'] + stats['externalTime']
    print(f"[autograd] code gen time: average={averageCodegen - averageExec:.2f}ms total={totalCodegen:.2f}s "
          f"pct={_pct(totalCodegen, totalAll)}")
    print(f"[autograd] exec time:     average={averageExec:.2f}ms total={stats['executionTime']:.2f}s "
          f"pct={_pct(stats['executionTime'], totalAll)}")
    print(f"[autograd] external time: average={stats['externalTime'] / stats['calls'] * 1000.0:.2f}ms "
          f"total={stats['externalTime']:.2f}s pct={_pct(stats['externalTime'], totalAll)}")
    print(' ')


def create(fn, opt):
    """The optimized gradient function of ``fn`` (``opt``: the dict ``autograd.grad`` completed)."""
    generatedFunctions = {}
    opt['tensorPool'] = []
    opt['tensorLocals'] = []
    stableGradTensors = None
    stats = {'cacheHits': 0, 'cacheMisses': 0, 'calls': 0, 'externalTime': 0.0, 'codegenTime': 0.0,
             'executionTime': 0.0, 'prevTimestamp': None}
    sigFun = opt.get('signatureFn') or _signature

    def df(*args):
        nonlocal stableGradTensors
        if reentryDepth() > 0:
            # inside the trace of another function: be part of its graph, no code of our own
            return execUncached(fn, args, opt, True)
        stats['calls'] += 1
        if opt.get('profile') == 'summary' and stats['calls'] % opt.get('profileReportFrequency', 10) == 0:
            printProfile(stats)
        if stats['prevTimestamp'] is not None:
            stats['externalTime'] += time.perf_counter() - stats['prevTimestamp']
        signature = sigFun(args)
        if signature is None:
            stats['cacheMisses'] += 1
            stats['prevTimestamp'] = time.perf_counter()
            return execUncached(fn, args, opt, False)
        if signature not in generatedFunctions:
            genStart = time.perf_counter()
            gradFn, retValues, _ = generateFn(fn, args, opt)
            stats['codegenTime'] += time.perf_counter() - genStart
            generatedFunctions[signature] = gradFn
            stats['cacheMisses'] += 1
            stats['prevTimestamp'] = time.perf_counter()
            # the trace computed the answers already: no second run
            if not opt.get('debugHook'):
                if opt.get('withGradients', True) and opt.get('stableGradients'):
                    if stableGradTensors is None:
                        stableGradTensors = retValues[0]
                    else:
                        # the caller expects the results in the same tensors: copy into the first ones
                        retValues[0] = _stable(retValues[0], stableGradTensors)
                return _results(retValues)
        stats['cacheHits'] += 1
        execStart = time.perf_counter()
        retValues = list(generatedFunctions[signature](*args))
        stats['executionTime'] += time.perf_counter() - execStart
        if opt.get('stableGradients'):
            retValues[0] = _stable(retValues[0], stableGradTensors)
        stats['prevTimestamp'] = time.perf_counter()
        return _results(retValues)

    return df


def _stable(grads, stableGrads):
    """``grads`` with its tensors replaced by their stable twins, the new values copied in."""
    holder = [grads]
    copyStableTensors(holder, [stableGrads])
    return holder[0]


def _results(retValues):
    return tuple(retValues) if len(retValues) != 1 else retValues[0]
