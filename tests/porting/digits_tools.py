"""NVIDIA/DIGITS's Torch7 tools, ported line by line (the model files are in digits_models.py):

- digits/tools/torch/LRPolicy.lua (all of it: every Caffe policy: fixed, step, exp, inv, multistep, poly, sigmoid);
- digits/tools/torch/Optimizer.lua (all of it);
- digits/tools/torch/utils.lua's ``round``, ``zeroDataSize``, ``cleanupModel`` and ``stringToTensor``;
- digits/tools/torch/main.lua: the automatic DataParallelTable, the ``--visualizeModel`` print, ``saveModel``,
  the ``_Weights``/``_Model`` loading of ``--weights``, the fine-tuning hook, the learning-rate policy set-up
  and the optimState, ``backupforrecovery`` and the ``--retrain``/``--optimState``/``--randomState``/
  ``--lrpolicyState`` reloads, ``Validation`` and ``Train`` with the epoch/validation/snapshot bookkeeping;
- digits/tools/torch/test.lua: ``predictBatch`` (the top-N of ``exp`` of the log-probabilities) and the
  ``--visualization`` file;
- tools/torch/nnhelpers.lua (the gradient-ascent helpers: ``getNumOutputs``, ``generatePointGradient``,
  ``gaussianKernel``, ``regularize``, ``findLayerFromChain``, ``_findPushLayer``, ``_getContainers``,
  ``_generateChainedNetwork``, ``_isSequential``, ``_cropNetwork``, ``getNetworkUntilPushLayer``, ``bestAlexNet``,
  ``bestGoogLeNet``).

Stand-ins: DIGITS's DataLoader (threads reading LMDB/HDF5 records) is a list of ``{inputs, outputs}`` batches that
``scheduleNextBatch``/``waitNext`` hand out in order, as the loader does without shuffling; ``logmessage.display``
is ``print``. Index shifts: the layer numbers of nnhelpers (positions in ``listModules()``) are 0-based, the parent
of the root container is -1 (the Lua's 0, outside its 1-based numbers), and a layer chain string (DIGITS's
``'0_3'``: a container's number, then its child's 1-based position) keeps its text, the position shifted where
``get`` reads it."""
import math

import legonn as lg
from legonn import dok, hdf5, image, nn, xlua


def display(level, message):
    """logmessage.display: DIGITS's log line."""
    print(f'{level} {message}')


def round_(num, idp=None):
    """utils.lua's round: ``math.floor(num * mult + 0.5) / mult``."""
    mult = 10 ** (idp or 0)
    return math.floor(num * mult + 0.5) / mult


# --- LRPolicy.lua ---------------------------------------------------------------------------------------------------

class LRPolicy:
    """``torch.class('LRPolicy')``: registered below so that lg.load rebuilds a saved policy (--lrpolicyState)."""
    typename = 'LRPolicy'

    def __init__(self, *args, **kwargs):
        args = dok.unpack(
            args or kwargs,
            'LRPolicy', 'Initialize a learning rate policy',
            {'arg': 'policy', 'type': 'string', 'help': 'Learning rate policy', 'req': True},
            {'arg': 'baselr', 'type': 'number', 'help': 'Base learning rate', 'req': True},
            {'arg': 'gamma', 'type': 'number', 'help': 'parameter to compute learning rate', 'req': False},
            {'arg': 'power', 'type': 'number', 'help': 'parameter to compute learning rate', 'req': False},
            {'arg': 'step_size', 'type': 'number', 'help': 'parameter to compute learning rate', 'req': False},
            {'arg': 'max_iter', 'type': 'number', 'help': 'parameter to compute learning rate', 'req': False},
            {'arg': 'step_values', 'type': 'table', 'help': 'parameter to compute learning rate. Useful only when '
             'the learning rate policy is multistep', 'req': False},
        )[0]
        self.policy = args['policy']
        self.baselr = args['baselr']
        self.gamma = args['gamma']
        self.power = args['power']
        self.step_values = args['step_values']
        self.max_iter = args['max_iter']

        if self.policy == 'step' or self.policy == 'sigmoid':
            # if the policy is not multistep, then even though multiple step values are provided as input, we will
            # consider only the first value.
            self.step_size = self.step_values[0]
        elif self.policy == 'multistep':
            self.current_step = 1  # this counter is important to take arbitrary steps
            self.stepvalue_size = len(self.step_values)

    def GetLearningRate(self, iter):
        rate = 0
        progress = 100 * (iter / self.max_iter)  # expressed in percent units

        if self.policy == "fixed":
            rate = self.baselr
        elif self.policy == "step":
            current_step = math.floor(iter / self.step_size)
            rate = self.baselr * math.pow(self.gamma, current_step)
        elif self.policy == "exp":
            rate = self.baselr * math.pow(self.gamma, progress)
        elif self.policy == "inv":
            rate = self.baselr * math.pow(1 + self.gamma * progress, - self.power)
        elif self.policy == "multistep":
            # current_step counts from 1 (a counter, not a position): the Lua's step_values[current_step] is
            # the entry before it here
            if self.current_step <= self.stepvalue_size and iter >= self.step_values[self.current_step - 1]:
                self.current_step = self.current_step + 1
            rate = self.baselr * math.pow(self.gamma, self.current_step - 1)
        elif self.policy == "poly":
            rate = self.baselr * math.pow(1.0 - (iter / self.max_iter), self.power)
        elif self.policy == "sigmoid":
            rate = self.baselr * (1.0 / (1.0 + math.exp(self.gamma * (progress - 100 * self.step_size
                                                                      / self.max_iter))))
        else:
            print("Unknown learning rate policy: " + self.policy)
            raise SystemExit(-1)

        return rate


lg.register(LRPolicy)


# --- Optimizer.lua --------------------------------------------------------------------------------------------------

class Optimizer:
    typename = 'Optimizer'

    def __init__(self, *args, **kwargs):
        xlua.require('torch', True)
        xlua.require('nn', True)
        args = dok.unpack(
            args or kwargs,
            'Optimizer', 'Initialize an optimizer',
            {'arg': 'Model', 'type': 'table', 'help': 'Optimized model', 'req': True},
            {'arg': 'Loss', 'type': 'function', 'help': 'Loss function', 'req': True},
            {'arg': 'Parameters', 'type': 'table', 'help': 'Model parameters - weights and gradients', 'req': False},
            {'arg': 'OptFunction', 'type': 'function', 'help': 'Optimization function', 'req': True},
            {'arg': 'OptState', 'type': 'table', 'help': 'Optimization configuration', 'default': {}, 'req': False},
            {'arg': 'HookFunction', 'type': 'function', 'help': 'Hook function of type fun(y,yt,err)', 'req': False},
            {'arg': 'lrPolicy', 'type': 'table', 'help': 'learning rate policy', 'req': True},
            {'arg': 'LabelFunction', 'type': 'function', 'help': 'Label function', 'req': True},
        )[0]
        self.Model = args['Model']
        self.Loss = args['Loss']
        self.Parameters = args['Parameters']
        self.OptFunction = args['OptFunction']
        self.OptState = args['OptState']
        self.HookFunction = args['HookFunction']
        self.lrPolicy = args['lrPolicy']
        self.LabelFunction = args['LabelFunction']

        if self.Parameters is None:
            self.Parameters = {}
            self.Weights, self.Gradients = self.Model.getParameters()
        else:
            self.Weights, self.Gradients = self.Parameters[0], self.Parameters[1]

    def optimize(self, x, yt):
        def f_eval(_):
            self.Model.zeroGradParameters()
            y = self.Model.forward(x)
            # get label
            label = self.LabelFunction(x, yt)
            err = self.Loss.forward(y, label)
            dE_dy = self.Loss.backward(y, label)
            value = None
            self.Model.backward(x, dE_dy)
            if self.HookFunction:
                value = self.HookFunction(y, label, err)  # noqa: F841  (a local of f_eval, as in the Lua)
            return err, self.Gradients

        if self.lrPolicy.policy != 'torch_sgd':
            # here self.OptState.evalCounter = iter/stepsize
            self.OptState['learningRate'] = self.lrPolicy.GetLearningRate(self.OptState.get('evalCounter') or 0)

        # the Lua returns the global ``value`` (f_eval's is local): nil
        return (None, self.OptState['learningRate']) + tuple(self.OptFunction(f_eval, self.Weights, self.OptState))


# --- main.lua: learning-rate policy and optimState ------------------------------------------------------------------

def make_lrpolicy(opt, trainSize, trainBatchSize, stepvalues_list):
    """main.lua: the policy, its step values turned from percentages into iterations."""
    if opt['policy'] != 'torch_sgd':
        max_iterations = (math.ceil(trainSize / trainBatchSize)) * opt['epoch']

        if max_iterations < len(stepvalues_list):
            display(1, 'maximum iterations (i.e., ' + str(max_iterations) + ') is less than provided step values '
                    'count (i.e, ' + str(len(stepvalues_list)) + '), so learning rate policy is reset to "step" '
                    'policy with the step value 1.')
            opt['policy'] = 'step'
            stepvalues_list[0] = 1
        else:
            # converting stepsize percentages into values
            for i in range(len(stepvalues_list)):
                stepvalues_list[i] = round_(max_iterations * stepvalues_list[i] / 100)

                # avoids 'nan' values during learning rate calculation
                if stepvalues_list[i] == 0:
                    stepvalues_list[i] = 1

        lrpolicy = LRPolicy(
            policy=opt['policy'],
            baselr=opt['learningRate'],
            gamma=opt['gamma'],
            power=opt['power'],
            max_iter=max_iterations,
            step_values=stepvalues_list,
        )
    else:
        lrpolicy = LRPolicy(
            policy=opt['policy'],
            baselr=opt['learningRate'],
        )

    # resetting "learningRateDecay = 0", so that sgd.lua won't recalculates the learning rate
    if lrpolicy.policy != 'torch_sgd':
        opt['learningRateDecay'] = 0

    optimState = {
        'learningRate': opt['learningRate'],
        'momentum': opt['momentum'],
        'weightDecay': opt['weightDecay'],
        'learningRateDecay': opt['learningRateDecay'],
    }
    return lrpolicy, optimState


def auto_data_parallel(network, nGpus):
    """main.lua: the model in a DataParallelTable over every GPU unless the network file said
    ``disableAutoDataParallelism``; the GPU numbers are 0-based here."""
    model = network['model']
    if nGpus > 1 and not network.get('disableAutoDataParallelism'):
        gpus = lg.range(0, nGpus - 1).totable()
        model = nn.DataParallelTable(0, True, True).add(model, gpus)
    return model


def show_network(model, loss):
    """main.lua (``--visualizeModel yes``): the network's and the criterion's text."""
    display(0, 'Network definition:')
    print('\nModel: \n' + model.__tostring__())
    print('\nCriterion: \n' + loss.__tostring__())
    display(0, 'Network definition ends')


# --- main.lua: saving and loading -----------------------------------------------------------------------------------

def saveModel(model, directory, prefix, epoch):
    if model.clearState:
        # save the full model
        filename = lg.paths.concat(directory, prefix + '_' + str(epoch) + '_Model.t7')
        modelObjectToSave = model.clearState()
    else:
        # this version of Torch doesn't support clearing the model state => save only the weights
        Weights, Gradients = model.getParameters()
        filename = lg.paths.concat(directory, prefix + '_' + str(epoch) + '_Weights.t7')
        modelObjectToSave = Weights
    display(0, 'Snapshotting to ' + filename)
    lg.save(filename, modelObjectToSave)
    display(0, 'Snapshot saved - ' + filename)
    return filename


def zeroDataSize(data):
    """utils.lua's zeroDataSize: an empty tensor of the same type for a tensor, recursively for a table."""
    if isinstance(data, list):
        for i in range(len(data)):
            data[i] = zeroDataSize(data[i])
    elif lg.isTensor(data):
        data = lg.Tensor().typeAs(data)
    return data


def cleanupModel(node):
    """utils.lua's cleanupModel: output, gradInput and finput emptied through the tree before saving."""
    if getattr(node, 'output', None) is not None:
        node.output = zeroDataSize(node.output)
    if getattr(node, 'gradInput', None) is not None:
        node.gradInput = zeroDataSize(node.gradInput)
    if getattr(node, 'finput', None) is not None:
        node.finput = zeroDataSize(node.finput)
    # Recurse on nodes with 'modules'
    if getattr(node, 'modules', None) is not None:
        if isinstance(node.modules, list):
            for i in range(len(node.modules)):
                child = node.modules[i]
                cleanupModel(child)


def backupforrecovery(model, optimState, optimizer, opt, snapshot_prefix, backup_epoch):
    """main.lua's backupforrecovery: model, optim state, random number state and LRPolicy saved for crash recovery."""
    files = {}
    for what, filename, obj in (
            ('model', snapshot_prefix + '_' + str(backup_epoch) + '_model.t7', None),
            ('optimState', 'optimState_' + str(backup_epoch) + '.t7', optimState),
            ('randomState', 'randomState_' + str(backup_epoch) + '.t7', None),
            ('lrpolicy', 'lrpolicy_' + str(backup_epoch) + '.t7', optimizer.lrPolicy)):
        filename = lg.paths.concat(opt['save'], filename)
        if what == 'model':
            cleanupModel(model)
            obj = model
        elif what == 'randomState':
            obj = lg.getRNGState()
        lg.save(filename, obj)
        files[what] = filename
    return files


def load_weights(network, model, weights):
    """main.lua: ``--weights`` names a ``_Weights`` flat tensor or a ``_Model`` file."""
    if weights.find('_Weights') >= 0:
        w, grad = model.getParameters()
        w.copy(lg.load(weights))
    else:
        # the full model was saved
        assert weights.find('_Model') >= 0
        model = lg.load(weights)
        network['model'] = model
    return model


# --- main.lua: Validation and Train ---------------------------------------------------------------------------------

class DataLoader:
    """Stand-in for data.lua's DataLoader: ``scheduleNextBatch(size, idx, data)`` fills ``data`` with the records
    ``idx .. idx + size - 1`` (0-based) when ``waitNext`` is called, as the reader threads do in order."""

    def __init__(self, inputs, outputs):
        self.inputs, self.outputs, self.jobs = inputs, outputs, []

    def acceptsjob(self):
        return len(self.jobs) < 1

    def scheduleNextBatch(self, batchSize, dataIdx, dataTable, useLabels):
        self.jobs.append((batchSize, dataIdx, dataTable))

    def waitNext(self):
        batchSize, idx, data = self.jobs.pop(0)
        data['batchSize'] = batchSize
        data['inputs'] = self.inputs.narrow(0, idx, batchSize).clone()
        data['outputs'] = self.outputs.narrow(0, idx, batchSize).clone()


def Validation(model, loss, epoch, data_loader, data_size, batch_size, confusion, label_function, opt):
    # switch model to evaluation mode
    model.evaluate()

    batch_count = 0
    loss_sum = 0
    data_index = 0
    data = {}

    if confusion is not None:
        confusion.zero()

    count = 0
    while count < data_size:

        # create mini batch
        while data_loader.acceptsjob():
            curr_batch_size = min(data_size - data_index, batch_size)
            if curr_batch_size > 0:
                data_loader.scheduleNextBatch(curr_batch_size, data_index, data, True)
                data_index = data_index + curr_batch_size
            else:
                break

        # wait for next data loader job to complete
        data_loader.waitNext()

        # get data from last load job
        data_batch_size = data['batchSize']
        inputs = data['inputs']
        targets = data['outputs']

        if inputs is not None:
            if opt['type'] == 'cuda':
                inputs = inputs.cuda()
                targets = targets.cuda()
            else:
                inputs = inputs.float()
                targets = targets.float()

            y = model.forward(inputs)
            labels = label_function(inputs, targets)
            err = loss.forward(y, labels)
            loss_sum = loss_sum + err
            if confusion is not None:
                confusion.batchAdd(y, labels)

            batch_count = batch_count + 1
            count = count + data_batch_size

    avg_loss = loss_sum / batch_count if batch_count > 0 else 0
    if confusion is not None:
        confusion.updateValids()
        display(0, 'Validation (epoch ' + str(epoch) + '): loss = ' + str(avg_loss) + ', accuracy = '
                + str(confusion.totalValid))
    else:
        display(0, 'Validation (epoch ' + str(epoch) + '): loss = ' + str(avg_loss))
    return avg_loss


class Trainer:
    """main.lua's Train function and the state it shares with the main chunk (next_validation, snapshots)."""

    def __init__(self, model, loss, optimizer, opt, trainSize, trainBatchSize, validation=None):
        self.model, self.loss, self.optimizer, self.opt = model, loss, optimizer, opt
        self.trainSize, self.trainBatchSize = trainSize, trainBatchSize
        self.validation = validation                   # a function of the epoch, or None (opt.validation == '')
        self.next_validation = opt['interval']
        self.next_snapshot_save = opt['snapshotInterval']
        self.last_validation_epoch = self.last_snapshot_save_epoch = 0
        self.snapshots, self.losses, self.rates = [], [], []
        # epoch value will be calculated for every batch size: rounded to the required number of significant digits
        self.epoch_round = 0
        tmp_batchsize = trainBatchSize
        while tmp_batchsize <= trainSize:
            tmp_batchsize = tmp_batchsize * 10
            self.epoch_round = self.epoch_round + 1

    def Train(self, epoch, dataLoader):
        model, opt, trainSize, trainBatchSize = self.model, self.opt, self.trainSize, self.trainBatchSize
        model.training()

        NumBatches = 0
        dataLoaderIdx = 0
        data = {}

        t = 0
        while t < trainSize:

            while dataLoader.acceptsjob():
                dataBatchSize = min(trainSize - dataLoaderIdx, trainBatchSize)
                if dataBatchSize > 0:
                    dataLoader.scheduleNextBatch(dataBatchSize, dataLoaderIdx, data, True)
                    dataLoaderIdx = dataLoaderIdx + dataBatchSize
                else:
                    break

            NumBatches = NumBatches + 1

            # wait for next data loader job to complete
            dataLoader.waitNext()

            # get data from last load job
            thisBatchSize = data['batchSize']
            inputs = data['inputs']
            targets = data['outputs']

            if opt['type'] == 'cuda':
                inputs = inputs.cuda()
                targets = targets.cuda()
            else:
                inputs = inputs.float()
                targets = targets.float()

            _, learningrate, _, trainerr = self.optimizer.optimize(inputs, targets)
            self.losses.append(trainerr[0])
            self.rates.append(learningrate)

            # t counts from 0 here: the Lua's t + trainBatchSize - 1 is the last record's 1-based number
            current_epoch = (epoch - 1) + round_((min(t + trainBatchSize, trainSize)) / trainSize, self.epoch_round)

            if self.validation is not None and current_epoch >= self.next_validation:
                self.validation(current_epoch)
                # To find next nearest epoch value that exactly divisible by opt.interval
                self.next_validation = (round_(current_epoch / opt['interval']) + 1) * opt['interval']
                self.last_validation_epoch = current_epoch
                model.training()  # to reset model to training

            if current_epoch >= self.next_snapshot_save:
                self.snapshots.append(saveModel(model, opt['save'], opt['snapshotPrefix'], current_epoch))
                # To find next nearest epoch value that exactly divisible by opt.snapshotInterval
                self.next_snapshot_save = (round_(current_epoch / opt['snapshotInterval']) + 1) \
                    * opt['snapshotInterval']
                self.last_snapshot_save_epoch = current_epoch

            t = t + thisBatchSize


# --- test.lua: predictBatch -----------------------------------------------------------------------------------------

def predictBatch(inputs, model, counter, opt, class_labels, topN):
    """test.lua's predictBatch: returns, per image, the topN ``(class, probability)`` (or every prediction)."""
    if opt['type'] == 'float':
        predictions = model.forward(inputs.float())
    elif opt['type'] == 'cuda':
        predictions = model.forward(inputs.cuda())

    results = []
    for i in range(counter):
        if isinstance(predictions, list):
            prediction = []
            for j in range(len(predictions)):
                prediction.append(predictions[j][i])
        else:
            assert lg.isTensor(predictions)
            if predictions.nDimension() == 1:
                # some networks drop the batch dimension when fed with only one training example
                assert counter == 1, "Expect only one sample when prediction has dimensionality of 1 - counter=" \
                    + str(counter)
                prediction = predictions
            else:
                prediction = predictions[i]

        if class_labels:
            # assume logSoftMax and convert to probabilities
            prediction.exp()

        if opt['allPredictions'] == 'no':
            # display topN predictions of each image
            prediction, classes = prediction.float().sort(True)
            results.append([(classes[j], class_labels[classes[j]], prediction[j]) for j in range(topN)])
        else:
            results.append(prediction.float().totable())
    return results


def stringToTensor(s):
    """utils.lua's stringToTensor: the string's bytes in a CharTensor (torch.hdf5 writes tensors only)."""
    t = lg.CharTensor(len(s))
    for j in range(len(s)):
        t[j] = ord(s[j])
    return t


def saveVisualization(model, filename):
    """test.lua (``--visualization yes``): each module's weights, bias, name and activations
    written to ``vis.h5`` under ``/layers/<id>``; the ids and the ``.k`` of a table output's names are the file
    format DIGITS's Python side reads, so they keep the Lua's numbers from 1."""
    display(0, 'Saving visualization to ' + filename)
    vis_db = hdf5.open(filename, 'w')
    layer_id = 1
    for i, layer in enumerate(model.listModules()):
        activations = layer.output
        weights = getattr(layer, 'weight', None)
        bias = getattr(layer, 'bias', None)
        name = str(layer)
        # convert 'name' string to Tensor as torch.hdf5 only accepts Tensor objects
        tname = stringToTensor(name)
        if weights is not None:
            vis_db.write('/layers/' + str(layer_id) + '/weights', weights.float())
        if bias is not None:
            vis_db.write('/layers/' + str(layer_id) + '/bias', bias.float())
        if isinstance(activations, list):
            for k in range(1, len(activations) + 1):
                name_activation = name + '.' + str(k)
                tname_activation = stringToTensor(name_activation)
                vis_db.write('/layers/' + str(layer_id) + '/name', tname_activation)
                vis_db.write('/layers/' + str(layer_id) + '/activations', activations[k - 1].float())
                layer_id = layer_id + 1
        else:
            vis_db.write('/layers/' + str(layer_id) + '/name', tname)
            vis_db.write('/layers/' + str(layer_id) + '/activations', activations.float())
            layer_id = layer_id + 1
    vis_db.close()


# --- tools/torch/nnhelpers.lua --------------------------------------------------------------------------------------

def getNumOutputs(model, channels, h, w):
    input = lg.ones(1, channels, h, w)
    output = model.forward(input.cuda())
    size = 0
    if output.nDimension() == 1:
        size = output.size()[0]
    else:
        size = output[0].size()[0]
    model.clearState()
    return size


def generatePointGradient(model, input, unit, amplitude):
    # Generates gradient to push back through the network
    output = model.forward(input)
    diffs = lg.zeros(output.size())

    if output.nDimension() == 4 and output.size()[2] > 1:
        p = [math.floor(output.size()[2] / 2), math.floor(output.size()[3] / 2)]
        diffs[0][unit][p[0]][p[1]] = amplitude
    elif output.nDimension() == 4:
        diffs[0][unit][0][0] = amplitude
    elif output.nDimension() == 2:
        diffs[0][unit] = amplitude
    else:
        diffs[unit] = amplitude

    return diffs


def gaussianKernel(size, radius=None):
    # Create a blur effect: (gradientOptimizer.lua calls it with the radius only, as ``size``)
    return image.gaussian({'size': 3, 'sigma': radius, 'normalize': True})


def regularize(img, gradient, iteration, g, reg_params):
    grad = lg.cmin(lg.cmax(reg_params['lr'] * gradient, -1), 1)
    img = lg.add(img.clone(), grad) * (1 - reg_params['decay'])

    if iteration % reg_params['blur_every'] == 0:
        img[0] = image.convolve(img[0].double(), g, 'same').cuda()

    return img


def findLayerFromChain(model, chain):
    containers = chain.split('_')
    layer = model
    push_layer = -1
    p = 0

    for i in range(1, len(containers)):
        p_ = p + int(containers[i - 1])     # the Lua's ``local p`` shadows the outer p inside the loop
        c = int(containers[i])
        layer = layer.get(c - p_ - 1)       # c - p is a 1-based position in the chain string

    model.clearState()
    layer.outputs = 1

    layers = model.listModules()
    for i in range(len(layers)):
        layer = layers[i]
        if getattr(layer, 'outputs', None) == 1:
            push_layer = i
            break

    layers[push_layer].outputs = None

    return push_layer


def _findPushLayer(old_network, new_network, push_layer):
    # Find the index of push_layer after being moved to the main chain
    old_network.listModules()[push_layer].is_push_layer = True
    push_layer = -1
    layers = new_network.listModules()
    for i in range(len(layers)):
        layer = layers[i]
        if getattr(layer, 'is_push_layer', None):
            push_layer = i
            break

    return push_layer


def _getContainers(layers):
    # Get array of index values for parent containers (-1: none, the Lua's 0)
    containers = []
    layer_id = -1

    def generateChain(layer, container_id):
        nonlocal layer_id
        layer_id = layer_id + 1
        containers.append(container_id)
        if getattr(layer, 'modules', None) is not None:
            id = layer_id
            for i in range(len(layer.modules)):
                child = layer.get(i)
                generateChain(child, id)

    generateChain(layers[0], -1)
    return containers


def _generateChainedNetwork(container):
    # Chains sibling sequential containers into a single container
    chainedNetwork = nn.Sequential()

    def chainContents(container):
        children = container.modules
        for i in range(len(children)):
            child = children[i]
            if getattr(child, 'modules', None) is not None and lg.typename(child).find('Sequential') >= 0:
                chainContents(child)
            else:
                chainedNetwork.add(child)
    chainContents(container)
    return chainedNetwork


def _parent(containers, i):
    """``containers[i]``, where the Lua's ``containers[0]`` is nil."""
    return containers[i] if i >= 0 else None


def _isSequential(push_layer, layers, containers):
    # Checks to see if a layer is part of the main sequence
    pContainer = containers[push_layer]
    gpContainer = _parent(containers, pContainer)

    if gpContainer is None:
        # Entire network must be sequential
        return True

    if gpContainer < 0:
        return True

    return lg.typename(layers[gpContainer]).find('Sequential') >= 0


def _cropNetwork(push_layer, model, containers):
    # Crops network such that it starts with the container we are doing backprop on
    layers = model.listModules()

    mm = nn.Sequential()
    i = push_layer

    while i > 0:
        pContainer = containers[i]
        gpContainer = _parent(containers, pContainer)
        if gpContainer is not None:
            if gpContainer != -1:
                i = gpContainer
        mm.insert(layers[i], 0)
        i = i - 1

    return mm


def getNetworkUntilPushLayer(model, push_layer):
    # Create a network starting from input layer to output layer:

    # Check to make sure they selected a valid layer:
    if getattr(model.listModules()[push_layer], 'modules', None) is not None:
        print(lg.typename(model.listModules()[push_layer]) + " selected.")
        print("Please select a layer, not a container.")
        raise SystemExit()

    chainedNetwork = _generateChainedNetwork(model)

    push_layer = _findPushLayer(model, chainedNetwork, push_layer)

    croppedNetwork = None
    layers = chainedNetwork.listModules()
    containers = _getContainers(chainedNetwork.listModules())
    c = containers[push_layer]

    if _isSequential(push_layer, layers, containers):
        croppedNetwork = _cropNetwork(push_layer, chainedNetwork, containers)
    else:
        chain = layers[c]
        local_index = push_layer - c

        croppedNetwork = _cropNetwork(containers[c] - 1, chainedNetwork, containers)

        for i in range(local_index):
            croppedNetwork.add(chain.get(i))

    return croppedNetwork


def nnhelpers_best_googlenet():
    """nnhelpers.bestGoogLeNet: the gradient-ascent settings for GoogLeNet."""
    return {'push_spatial': 0.8, 'lr': 1, 'decay': 0.001, 'blur_every': 4, 'blur_radius': 1}


def nnhelpers_best_alexnet():
    """nnhelpers.bestAlexNet."""
    return {'push_spatial': 1, 'lr': 500, 'decay': 0.001, 'blur_every': 4, 'blur_radius': 1}
