"""totem's nn.lua: ``totem.nn``, checks of an nn module against a ``totem.Tester``.

``checkGradients`` compares a module's gradients (with respect to its parameters and its input) with central
finite differences of the loss ``sum(output * gradOutput)`` for a random gradOutput; ``checkMinibatch`` that a
batch gives what its rows give one by one; ``checkTypePreservesSharing`` that ``type`` keeps shared parameters
shared; ``checkTypeCastable`` that a module cast to another type and back computes the same; ``checkSerializable``
that it computes the same after a save and a load. Each records its findings as assertions of the tester.
"""
from .. import paths
from ..containers.sequential import Sequential
from ..modules.base.module import Module
from ..modules.base.table_buffers import copy_tree
from ..serialization import load, save
from ..tensor import Tensor, backend, randn
from ..tensor import random as _random
from ..tensor.introspection import lua_type, typename
from ..tensor.naming import snake_aliases
from ..tensor.random import SCALAR_DRAWS


__all__ = ['checkGradients', 'checkMinibatch', 'checkTypePreservesSharing', 'checkTypeCastable', 'checkSerializable']


def _input_type(t):
    return _input_type(t[0]) if isinstance(t, (list, tuple)) else t.type()


def _checkpoint_rng():
    """A function putting the generators back as they are now, so that each evaluation of a stochastic module
    draws the same numbers. nn.lua saves cutorch's generator whenever cutorch is loaded, as it is for any CUDA code
    in Lua; legonn's CUDA tensors need no import, so the GPU's generator is saved whenever there is a GPU."""
    state = _random.getRNGState()
    custate = _random.getRNGStateCuda() if backend.gpu_available() else None

    def revertRNG():
        _random.setRNGState(state)
        if custate is not None:
            _random.setRNGStateCuda(custate)
    return revertRNG


def _append_param_pairs(paramPairs, input, gradInput, namePrefix):
    if input is None:
        return
    if gradInput is None or gradInput is False:
        print(f'\nWARNING: ignored gradInput: {namePrefix}')
        return
    if isinstance(input, Tensor):
        paramPairs.append((input, gradInput, namePrefix))
        return
    for i in range(len(input)):
        _append_param_pairs(paramPairs, input[i], gradInput[i], f'{namePrefix}[{i}]')


def _extract_param_tensors(module, input):
    """(tensor, its gradient, name) for the flat parameters (when there are any) and each input tensor."""
    paramPairs = []
    paramTensors = module.parameters()
    if paramTensors is not None and len(paramTensors[0]) > 0:
        params, gradParams = module.getParameters()
        paramPairs.append((params, gradParams, 'params'))
    _append_param_pairs(paramPairs, input, module.gradInput, 'input')
    return paramPairs


def _items(table):
    return table.items() if isinstance(table, dict) else enumerate(table)


def _produce_random_grad_output(output):
    """A random gradOutput shaped as ``output``: a tensor, a number, or a table (list or dict) of them."""
    if isinstance(output, Tensor):
        return randn(output.size()).typeAs(output)
    if lua_type(output) == 'number':
        return SCALAR_DRAWS['normal']()
    gradOutput = {k: _produce_random_grad_output(v) for k, v in _items(output)}
    return gradOutput if isinstance(output, dict) else list(gradOutput.values())


def _calc_loss(output, gradOutput):
    if isinstance(output, Tensor):
        return output.dot(gradOutput)
    if lua_type(output) == 'number':
        return output * gradOutput
    return sum(_calc_loss(v, gradOutput[k]) for k, v in _items(output))


def _ensure_grad_input(module, input):
    """Run the module once so that it has a gradInput to check."""
    output = module.forward(input)
    if module.output is not output:
        raise AssertionError(f'totem.nn: {typename(module)}.forward did not return module.output')
    gradInput = module.backward(input, _produce_random_grad_output(output))
    if module.gradInput is not gradInput:
        raise AssertionError(f'totem.nn: {typename(module)}.backward did not return module.gradInput')


def _compute_num_grad_params(feval, params):
    """Central differences of ``feval``'s loss for each element of ``params`` (steps of 1e-6 in double, else
    1e-3), shaped as ``params``."""
    flatParams = params.new(params.storage())
    if flatParams.nElement() != params.nElement():
        raise ValueError(f'totem.nn.checkGradients: shared storage of params is not supported (a storage of '
                         f'{flatParams.nElement()} elements for {params.nElement()} parameters)')
    flatGradParams = params.new(params.nElement())
    small = 1e-6 if params.type() == 'torch.DoubleTensor' else 1e-3
    for i in range(flatParams.nElement()):
        origVal = flatParams[i]
        flatParams[i] = origVal - small
        loss1 = feval(flatParams)[0]
        flatParams[i] = origVal + small
        loss2 = feval(flatParams)[0]
        flatParams[i] = origVal
        flatGradParams[i] = (loss2 - loss1) / (2 * small)
    return params.new(flatGradParams.storage(), params.storageOffset(), params.size(), params.stride())


def _check_grad(tester, feval, params, paramName='params', precision=None):
    _, gradParams = feval(params)
    numGradParams = _compute_num_grad_params(feval, params)
    if precision is None:
        precision = 1e-4 if params.type() == 'torch.DoubleTensor' else 1e-2
    tester.eq(gradParams, numGradParams, f'wrong grad w.r.t. {paramName}', precision)


def _check_sizes(tester, input, gradInput):
    """The gradient handed back has the input's sizes."""
    if isinstance(input, Tensor):
        tester.eq(input.size(), gradInput.size(), 'wrong gradInput size')
        return
    for key, child in _items(input):
        if isinstance(gradInput, dict) and key not in gradInput or isinstance(gradInput, list) and \
                key >= len(gradInput) or gradInput[key] is None:
            raise AssertionError(f'totem.nn: missing gradInput element {key}')
        _check_sizes(tester, child, gradInput[key])


class _nn_CopyModule(Module):
    """nn.lua's ``totem._nn_CopyModule``: copies its input forward and its gradOutput backward, so that
    ``checkGradients`` sees inputs that no module shares and a gradInput that stays the same tensors."""
    lua_package = 'totem'

    def __init__(self, tester):
        super().__init__()
        self.output = None
        self.gradInput = None
        self.tester = tester

    def updateOutput(self, input):
        self.output = copy_tree(self.output, input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        _check_sizes(self.tester, input, gradOutput)
        self.gradInput = copy_tree(self.gradInput, gradOutput)
        return self.gradInput


def checkGradients(tester, module, input, precision=None):
    """Check ``module``'s gradients with respect to its parameters and to ``input`` (a tensor or a list of
    them) against finite differences; the largest difference allowed is ``precision`` (1e-4 in double, else
    1e-2). The output may be a tensor, a number or a table of them."""
    # legonn's modules take inputs of their own type only (a Lua module takes any): the copy is made in the input's
    copy = _nn_CopyModule(tester).type(_input_type(input))
    module = Sequential().add(copy).add(module)

    # the generators are put back before each evaluation: a stochastic forward draws the same numbers each time
    revertRNG = _checkpoint_rng()
    _ensure_grad_input(module, input)

    gradOutput = _produce_random_grad_output(module.output)
    for params, gradParams, paramName in _extract_param_tensors(module, input):
        # the gradient with respect to the parameters is accumulated onto non-zero initial gradParams
        initialGradParams = gradParams.clone().uniform()
        if paramName != 'params':
            initialGradParams.zero()

        def feval(_params=None, paramName=paramName, gradParams=gradParams, initialGradParams=initialGradParams):
            revertRNG()
            if paramName != 'params':
                module.zeroGradParameters()
            gradParams.copy(initialGradParams)
            module.forward(input)
            loss = _calc_loss(module.output, gradOutput)
            module.backward(input, gradOutput)
            gradParams.add(-1, initialGradParams)
            return loss, gradParams

        _check_grad(tester, feval, params, paramName, precision)


def _debatch(batchInput):
    """A batch (a tensor, or a list of batches) as a list of its rows (each a list for a list of batches)."""
    if isinstance(batchInput, Tensor):
        return [batchInput[row].clone() for row in range(batchInput.size(0))]
    debatched = [_debatch(item) for item in batchInput]
    return [[d[row] for d in debatched] for row in range(len(debatched[0]))]


def checkMinibatch(tester, module, batchInput, precision=1e-14):
    """Check that ``module`` gives each row of ``batchInput`` the output and gradInput it gives the batch."""
    inputs = _debatch(batchInput)
    batchOutput = module.forward(batchInput)
    outputs = _debatch(batchOutput)
    batchGradOutput = _produce_random_grad_output(batchOutput)
    gradOutputs = _debatch(batchGradOutput)
    batchGradInput = module.updateGradInput(batchInput, batchGradOutput)
    gradInputs = _debatch(batchGradInput)
    for i in range(len(inputs)):
        output = module.forward(inputs[i])
        tester.eq(outputs[i], output, 'wrong minibatch output', precision)
        gradInput = module.updateGradInput(inputs[i], gradOutputs[i])
        tester.eq(gradInputs[i], gradInput, 'wrong minibatch gradInput', precision)


def _sharing_error(paramType, i, first, second):
    errMsg = f'Sharing is broken for {paramType} #{i}\n{first} vs\n{second}\nReason: '
    if first.storage() is not second.storage() and first.storage().data is not second.storage().data:
        errMsg += '\n+ different storage pointer'
    if first.storageOffset() != second.storageOffset():
        errMsg += '\n+ different storage offset'
    if not first.isSameSizeAs(second):
        errMsg += '\n+ different tensor sizes'
    elif tuple(first.stride()) != tuple(second.stride()):
        errMsg += '\n+ different tensor strides'
    return errMsg


def _type_preserves_sharing(module, toType):
    if not hasattr(module, 'parameters'):
        return True, None
    cloneModule = module.clone()
    params, gradParams = module.parameters()
    cloneParams, cloneGradParams = cloneModule.parameters()
    if params:
        for i in range(len(params)):
            cloneParams[i].set(params[i])
            cloneGradParams[i].set(gradParams[i])
        sequential = Sequential().add(module).add(cloneModule)
        # type() of a container, then the clone's parameters must still be the module's
        sequential.type(toType)
        params, gradParams = module.parameters()
        cloneParams, cloneGradParams = cloneModule.parameters()
        for i in range(len(params)):
            if not cloneParams[i].isSetTo(params[i]):
                return False, _sharing_error('parameter', i, params[i], cloneParams[i])
            if not cloneGradParams[i].isSetTo(gradParams[i]):
                return False, _sharing_error('gradParameter', i, gradParams[i], cloneGradParams[i])
    return True, None


def checkTypePreservesSharing(tester, module, toType=None):
    """Check that ``type(toType)`` (default 'torch.FloatTensor') keeps a clone sharing ``module``'s parameters
    sharing them: a ``type`` that rebuilds tensors one by one breaks the sharing."""
    check, message = _type_preserves_sharing(module, toType or 'torch.FloatTensor')
    tester.assert_(check, message)


def _find_tensors_by_type(obj, origType, toType):
    """The dotted paths ('self.weight', ...) of the tensors of type ``origType`` and of type ``toType`` reachable
    from ``obj`` through its fields and tables, each object visited once."""
    accOrig, accToType, visited = [], [], set()

    def walk(obj, curlevel):
        visited.add(id(obj))
        if isinstance(obj, Tensor):
            objType = typename(obj)
            if objType == origType:
                accOrig.append(curlevel)
            if objType == toType:
                accToType.append(curlevel)
            return
        if isinstance(obj, (list, tuple, dict)):
            entries = _items(obj)
        elif typename(obj) is not None and hasattr(obj, '__dict__'):
            entries = vars(obj).items()   # a module or another torch.class object: a Lua table of fields
        else:
            return
        for k, v in entries:
            if id(v) not in visited and isinstance(k, (int, str)):
                walk(v, f'{curlevel}.{k}')

    walk(obj, 'self')
    return accOrig, accToType


def checkTypeCastable(tester, module, input, toType=None, precision=1e-6):
    """Check that ``module`` casts to ``toType`` (default 'torch.FloatTensor') leaving no tensor of the input's
    type, computes there what it computed before (within ``precision``), and again after a cast back."""
    origType = _input_type(input)
    toType = toType or 'torch.FloatTensor'

    def castTableOfTensors(obj, desiredType):
        if isinstance(obj, (list, dict)):
            for k, v in list(_items(obj)):
                obj[k] = castTableOfTensors(v, desiredType)
            return obj
        if typename(obj):
            return obj.type(desiredType)
        tester.assert_(False, 'the input contains something which is not a tensor')

    revertRNG = _checkpoint_rng()
    preOutput = module.updateOutput(input)
    gradOutput = _produce_random_grad_output(preOutput)
    preGradInput = module.updateGradInput(input, gradOutput)

    tester.assertNoError(lambda: module.type(toType), f'module cannot be cast to {toType}')

    origTypeTensors, newTypeTensors = _find_tensors_by_type(module, origType, toType)
    if origTypeTensors and origType != toType:
        raise AssertionError(f'totem.nn.checkTypeCastable: after casting, module still contains objects of original '
                             f'type: {origTypeTensors}')
    if not newTypeTensors:
        raise AssertionError('totem.nn.checkTypeCastable: after casting, module still contains no objects of new '
                             f'type ({toType})')

    revertRNG()
    castInput = castTableOfTensors(input, toType)
    castOutput = module.forward(castInput)
    castGradOutput = castTableOfTensors(gradOutput, toType)
    castGradInput = module.updateGradInput(castInput, castGradOutput)

    tester.eq(castTableOfTensors(preOutput, toType), castOutput, 'cast module output differs from before casting',
              precision)
    tester.eq(castTableOfTensors(preGradInput, toType), castGradInput,
              'cast module grad input differs from before casting', precision)

    tester.assertNoError(lambda: module.type(origType), f'module cannot be base back to {origType}')
    revertRNG()
    castTableOfTensors(input, origType)
    castTableOfTensors(gradOutput, origType)
    postOutput = module.updateOutput(input)
    postGradInput = module.updateGradInput(input, gradOutput)
    tester.eq(castTableOfTensors(preOutput, origType), postOutput, 'module output differs before and after typecast',
              precision)
    tester.eq(castTableOfTensors(preGradInput, origType), postGradInput,
              'module gradInput differs before and after typecast', precision)


def checkSerializable(tester, module, input, precision=1e-6):
    """Check that ``module`` saves (``lg.save``), loads and then computes what it computed before."""
    revertRNG = _checkpoint_rng()
    preOutput = module.updateOutput(input)
    gradOutput = _produce_random_grad_output(preOutput)
    preGradInput = module.updateGradInput(input, gradOutput)
    filename = paths.tmpname()
    tester.assertNoError(lambda: save(filename, module), 'module cannot be serialized')
    module = load(filename)
    revertRNG()
    postOutput = module.updateOutput(input)
    postGradInput = module.updateGradInput(input, gradOutput)
    tester.eq(preOutput, postOutput, 'module output differs before and after serialization', precision)
    tester.eq(preGradInput, postGradInput, 'module gradInput differs before and after serialization', precision)


# check_gradients, check_minibatch, ...: the aliases every legonn package has
_SNAKE = snake_aliases({name: globals()[name] for name in __all__})
globals().update(_SNAKE)
__all__ += list(_SNAKE)
