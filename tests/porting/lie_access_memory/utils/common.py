"""utils/common.lua, the functions models/lstm.lua and fb.lua use: gpu, gpuzeros, convert2Reals (which reads the
global ``__opt``: here the module's ``opt``, set by the caller), changeRnnMode, combineAllParameters,
cloneManyTimesFast. torch.MemoryFile's writeObject/readObject is ``lg.serialize``/``lg.deserialize``
(docs/porting.md's MemoryFile row), with the net's Penlight maps set aside while it is written (docs/porting.md's
Penlight-in-a-saved-object row); torch.pointer(storage) is ``lg.pointer``. The ``parametersNoGrad`` branches, for
modules that have that method (these have not), are left out."""
import legonn as lg

opt = None


def gpu(x, opt, nothrow=None):
    nothrow = nothrow or False
    if opt['gpuid'] >= 0 and opt['opencl'] == 0:
        if not nothrow:
            return x.cuda()
        else:
            if callable(x) and not hasattr(x, 'cuda'):
                return x
            else:
                return x.cuda() if hasattr(x, 'cuda') else x
    else:
        return x


def gpuzeros(opt):
    def zeros(*args):
        return gpu(lg.zeros(*args), opt)
    return zeros


def convert2Reals(tensor):
    if opt['gpuid'] >= 0 and opt['opencl'] == 0:
        return tensor.cuda()
    else:
        return tensor.double()


def changeRnnMode(rnn, is_training):
    for i in range(len(rnn)):
        if is_training:
            rnn[i].training()
        else:
            rnn[i].evaluate()


def combineAllParameters(*networks):
    """like module:getParameters, but operates on many modules"""
    # get parameters
    parameters = []
    gradParameters = []
    for i in range(len(networks)):
        net_params, net_grads = networks[i].parameters()

        if net_params:
            for p in net_params:
                parameters.append(p)
            for g in net_grads:
                gradParameters.append(g)

    def flatten(parameters):
        if not parameters:
            return lg.Tensor()
        Tensor = parameters[0].new

        storages = {}
        nParameters = 0
        for k in range(len(parameters)):
            storage = parameters[k].storage()
            if lg.pointer(storage) not in storages:
                storages[lg.pointer(storage)] = (storage, nParameters)
                nParameters = nParameters + storage.size()

        flatParameters = Tensor(nParameters).fill(1)
        flatStorage = flatParameters.storage()

        for k in range(len(parameters)):
            storageOffset = storages[lg.pointer(parameters[k].storage())][1]
            parameters[k].set(flatStorage,
                              storageOffset + parameters[k].storageOffset(),
                              parameters[k].size(),
                              parameters[k].stride())
            parameters[k].zero()

        maskParameters = flatParameters.float().clone()
        cumSumOfHoles = flatParameters.float().cumsum(0)
        nUsedParameters = nParameters - cumSumOfHoles[len(cumSumOfHoles) - 1]
        flatUsedParameters = Tensor(nUsedParameters)
        flatUsedStorage = flatUsedParameters.storage()

        for k in range(len(parameters)):
            offset = cumSumOfHoles[parameters[k].storageOffset()]
            parameters[k].set(flatUsedStorage,
                              parameters[k].storageOffset() - offset,
                              parameters[k].size(),
                              parameters[k].stride())

        for k, v in storages.values():
            flatParameters[v:v + k.size()].copy(Tensor().set(k))

        if cumSumOfHoles.sum() == 0:
            flatUsedParameters.copy(flatParameters)
        else:
            counter = 0
            for k in range(flatParameters.nElement()):
                if maskParameters[k] == 0:
                    flatUsedParameters[counter] = flatParameters[counter + cumSumOfHoles[k]]
                    counter = counter + 1
            assert counter == nUsedParameters
        return flatUsedParameters

    # flatten parameters and gradients
    flatParameters = flatten(parameters)
    flatGradParameters = flatten(gradParameters)

    # return new flat vector that contains all discrete parameters
    return flatParameters, flatGradParameters


def cloneManyTimesFast(net, T):
    # Authors: Tomas Kocisky
    clones = {}

    params, gradParams = net.parameters()
    if params is None:
        params = []
    # lg.serialize refuses Penlight's List and OrderedMap, which Torch7 writes as plain tables (their metatables
    # dropped): the maps, which the loop below puts back on each clone as the Lua does, are set aside meanwhile
    maps = net.input_map, net.output_map
    net.input_map = net.output_map = None
    blob = lg.serialize(net)
    net.input_map, net.output_map = maps

    # serialize an empty clone for faster cloning: lg.load validates each module it rebuilds and refuses one whose
    # weight was emptied (docs/porting.md's cloneManyTimesFast row), so the net is read back with its parameters,
    # which each clone then shares as below
    for t in range(T):
        clone = lg.deserialize(blob)
        cloneParams, cloneGradParams = clone.parameters()
        for i in range(len(params)):
            cloneParams[i].set(params[i])
            cloneGradParams[i].set(gradParams[i])
        clones[t] = clone
        # My modification
        if lg.isTypeOf(net, 'nn.kModule') or lg.isTypeOf(net, 'nn.kWrap'):
            clone.input_map = net.input_map
            clone.output_map = net.output_map
    return clones
