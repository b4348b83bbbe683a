"""util/model_utils.lua (adapted by char-rnn from wojciechz/learning_to_execute): utilities for combining/flattening
parameters in a model. yoonkim/lstm-char-cnn carries the same file: tests/porting/test_lstm_char_cnn.py imports
this port."""
import legonn as lg


def combine_all_parameters(*networks):
    """like module:getParameters, but operates on many modules"""

    # get parameters
    parameters = []
    gradParameters = []
    for i in range(len(networks)):
        net_params, net_grads = networks[i].parameters()

        if net_params is not None:
            for p in net_params:
                parameters.append(p)
            for g in net_grads:
                gradParameters.append(g)

    def storageInSet(set, storage):
        storageAndOffset = set.get(lg.pointer(storage))
        if storageAndOffset is None:
            return None
        _, offset = storageAndOffset
        return offset

    # this function flattens arbitrary lists of parameters,
    # even complex shared ones
    def flatten(parameters):
        if not parameters or len(parameters) == 0:
            return lg.Tensor()
        Tensor = parameters[0].new

        storages = {}
        nParameters = 0
        for k in range(len(parameters)):
            storage = parameters[k].storage()
            if storageInSet(storages, storage) is None:     # Lua's offset 0 is true: a test for nil
                storages[lg.pointer(storage)] = (storage, nParameters)
                nParameters = nParameters + storage.size()

        flatParameters = Tensor(nParameters).fill(1)
        flatStorage = flatParameters.storage()

        for k in range(len(parameters)):
            storageOffset = storageInSet(storages, parameters[k].storage())
            parameters[k].set(flatStorage,
                              storageOffset + parameters[k].storageOffset(),
                              parameters[k].size(),
                              parameters[k].stride())
            parameters[k].zero()

        maskParameters = flatParameters.float().clone()
        cumSumOfHoles = flatParameters.float().cumsum(0)
        nUsedParameters = nParameters - cumSumOfHoles[-1]
        flatUsedParameters = Tensor(nUsedParameters)
        flatUsedStorage = flatUsedParameters.storage()

        for k in range(len(parameters)):
            offset = cumSumOfHoles[parameters[k].storageOffset()]
            parameters[k].set(flatUsedStorage,
                              parameters[k].storageOffset() - offset,
                              parameters[k].size(),
                              parameters[k].stride())

        for storageAndOffset in storages.values():
            k, v = storageAndOffset
            flatParameters[v:v + k.size()].copy(Tensor().set(k))

        if cumSumOfHoles.sum() == 0:
            flatUsedParameters.copy(flatParameters)
        else:
            counter = 0
            for k in range(flatParameters.nElement()):
                if maskParameters[k] == 0:
                    counter = counter + 1
                    flatUsedParameters[counter - 1] = flatParameters[counter - 1 + cumSumOfHoles[k]]
            assert counter == nUsedParameters
        return flatUsedParameters

    # flatten parameters and gradients
    flatParameters = flatten(parameters)
    flatGradParameters = flatten(gradParameters)

    # return new flat vector that contains all discrete parameters
    return flatParameters, flatGradParameters


def clone_many_times(net, T):
    clones = []

    params = gradParams = None
    if getattr(net, 'parameters', None) is not None:
        params, gradParams = net.parameters()
        if params is None:
            params = []

    paramsNoGrad = None
    if getattr(net, 'parametersNoGrad', None) is not None:
        paramsNoGrad = net.parametersNoGrad()

    mem = lg.serialize(net)             # torch.MemoryFile("w"):binary():writeObject(net)

    for t in range(T):
        # We need to use a new reader for each clone.
        # We don't want to use the pointers to already read objects.
        clone = lg.deserialize(mem)

        if getattr(net, 'parameters', None) is not None:
            cloneParams, cloneGradParams = clone.parameters()
            for i in range(len(params)):
                cloneParams[i].set(params[i])
                cloneGradParams[i].set(gradParams[i])
            if paramsNoGrad is not None:
                cloneParamsNoGrad = clone.parametersNoGrad()
                for i in range(len(paramsNoGrad)):
                    cloneParamsNoGrad[i].set(paramsNoGrad[i])

        clones.append(clone)

    return clones
