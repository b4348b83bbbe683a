"""main.lua: the options (lapp), the data (get_Data and three Dataset.LOADERs, preprocessed by the training set's
mean and std), the 6N+2-layer ResNet of ResidualDrop blocks, the death rates (uniform or linearly decaying), the
evaluation (top-1 error) and the training loop (a gate drawn per block per batch, Nesterov SGD with the
learning-rate schedule, accounting each epoch, or every 200 iterations for SVHN).

Edits beyond Lua syntax and 0-based indices: the script is the function ``main(arg, cuda=True)`` whose globals
(model, addtables, all_results, sgdState, evalModel, ...) are returned in a dict; ``cuda=False`` leaves out the
``cutorch`` lines and the ``:cuda()`` calls so that the test runs on the CPU in DoubleTensor; the dataset module is
read at call time (``require 'cifar-dataset'`` defines globals), so a test can hand it small stand-in data; the
Lua's inner ``function main()`` is ``train()``; lapp's table is a dict (``opt['N']``); feval also appends each
loss to ``losses`` (returned) for the test; ``torch.range(1, n)`` of row indices is ``lg.range(0, n - 1)``;
``torch.eq(top1, labels)`` compares the LongTensor of top-1 indices with the labels made long as the Lua's."""
import legonn as lg
from legonn import cudnn, nn, nninit, optim
from legonn.pl import lapp

from . import cifar_dataset
from .ResidualDrop import addResidualDrop


def main(arg, cuda=True):
    G = {}
    if cuda:
        from legonn import cutorch
    # Saves 40% time according to http://torch.ch/blog/2016/02/04/resnets.html
    cudnn.fastest = True
    cudnn.benchmark = True

    opt = lapp("""
  --maxEpochs     (default 500)         Maximum number of epochs to train the network
  --batchSize     (default 128)         Mini-batch size
  --N             (default 18)          Model has 6*N+2 convolutional layers
  --dataset       (default cifar10)     Use cifar10, cifar100 or svhn
  --deathMode     (default lin_decay)   Use lin_decay or uniform
  --deathRate     (default 0)           1-p_L for lin_decay, 1-p_l for uniform, 0 is constant depth
  --device        (default 0)           Which GPU to run on, 0-based indexing
  --augmentation  (default true)        Standard data augmentation (CIFAR only), true or false 
  --resultFolder  (default "")          Path to the folder where you'd like to save results
  --dataRoot      (default "")          Path to data (e.g. contains cifar10-train.t7)
""", arg)
    print(opt)
    if cuda:
        cutorch.setDevice(opt['device'])   # legonn's devices count from 0 as the option does
        cutorch.manualSeed(1)
    lg.manualSeed(1)
    lg.setnumthreads(1)            # number of OpenMP threads, 1 is enough

    # -- Loading data ----
    data = cifar_dataset  # svhn-dataset.lua is not ported (its 630k-image sizes are fixed)
    all_data, all_labels = data.get_Data(opt['dataset'], opt['dataRoot'], True)  # default do shuffling
    dataTrain = data.Dataset.LOADER(all_data, all_labels, "train", opt['batchSize'], opt['augmentation'])
    dataValid = data.Dataset.LOADER(all_data, all_labels, "valid", opt['batchSize'])
    dataTest = data.Dataset.LOADER(all_data, all_labels, "test", opt['batchSize'])
    mean, std = dataTrain.preprocess()
    dataValid.preprocess(mean, std)
    dataTest.preprocess(mean, std)
    print("Training set size:\t", dataTrain.size())
    print("Validation set size:\t", dataValid.size())
    print("Test set size:\t\t", dataTest.size())

    # -- Optimization hyperparameters ----
    sgdState = G['sgdState'] = {
        'weightDecay': 1e-4,
        'momentum': 0.9,
        'dampening': 0,
        'nesterov': True,
    }
    # Point at which learning rate decrease by 10x
    lrSchedule = {'svhn': [0.6, 0.7],
                  'cifar10': [0.5, 0.75],
                  'cifar100': [0.5, 0.75]}

    # -- Buidling the residual network model ----
    # Input: 3x32x32
    print('Building model...')
    model = G['model'] = nn.Sequential()
    # -----> 3, 32,32
    model.add(cudnn.SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1)
              .init('weight', nninit.kaiming, {'gain': 'relu'})
              .init('bias', nninit.constant, 0))
    model.add(cudnn.SpatialBatchNormalization(16))
    model.add(cudnn.ReLU(True))
    # -----> 16, 32,32   First Group
    for i in range(opt['N']): addResidualDrop(model, None, 16)
    # -----> 32, 16,16   Second Group
    addResidualDrop(model, None, 16, 32, 2)
    for i in range(opt['N'] - 1): addResidualDrop(model, None, 32)
    # -----> 64, 8,8     Third Group
    addResidualDrop(model, None, 32, 64, 2)
    for i in range(opt['N'] - 1): addResidualDrop(model, None, 64)
    # -----> 10, 8,8     Pooling, Linear, Softmax
    model.add(nn.SpatialAveragePooling(8, 8)).add(nn.Reshape(64))
    if opt['dataset'] == 'cifar10' or opt['dataset'] == 'svhn':
        model.add(nn.Linear(64, 10))
    elif opt['dataset'] == 'cifar100':
        model.add(nn.Linear(64, 100))
    else:
        print('Invalid argument for dataset!')
    model.add(cudnn.LogSoftMax())
    if cuda:
        model.cuda()

    loss = G['loss'] = nn.ClassNLLCriterion()
    if cuda:
        loss.cuda()
    # print(model)   -- if you need to see the architecture, it's going to be long!

    # -- Determines the position of all the residual blocks ----
    addtables = G['addtables'] = []
    for i in range(model.size()):
        if lg.tostring(model.get(i)) == 'nn.ResidualDrop': addtables.append(i)

    # -- Sets the deathRate (1 - survival probability) for all residual blocks  ----
    for i, block in enumerate(addtables, 1):
        if opt['deathMode'] == 'uniform':
            model.get(block).deathRate = opt['deathRate']
        elif opt['deathMode'] == 'lin_decay':
            model.get(block).deathRate = i / len(addtables) * opt['deathRate']
        else:
            print('Invalid argument for deathMode!')

    # -- Resets all gates to open ----
    def openAllGates():
        for i, block in enumerate(addtables): model.get(block).gate = True

    # -- Testing ----
    def evalModel(dataset):
        model.evaluate()
        openAllGates()  # this is actually redundant, test mode never skips any layer
        correct = 0
        total = 0
        batches = lg.range(0, dataset.size() - 1).long().split(opt['batchSize'])
        for i in range(len(batches)):
            batch = dataset.sampleIndices(batches[i])
            inputs, labels = batch['inputs'], batch['outputs'].long()
            y = model.forward(inputs.cuda() if cuda else inputs).float()
            _, indices = lg.sort(y, 1, True)
            # indices is a tensor with shape (batchSize, nClasses)
            top1 = indices.select(1, 0)
            correct = correct + lg.eq(top1, labels).sum()
            total = total + indices.size(0)
        return 1 - correct / total
    G['evalModel'] = evalModel

    # Saving and printing results
    all_results = G['all_results'] = []  # contains test and validation error throughout training

    # For CIFAR, accounting is done every epoch, and for SVHN, every 200 iterations
    def accounting(training_time):
        results = [evalModel(dataValid), evalModel(dataTest)]
        all_results.append(results)
        # Saves the errors. These get covered up by new ones every time the function is called
        lg.save(opt['resultFolder'] + 'errors_%d_%s_%s_%.1f' % (
            opt['N'], opt['dataset'], opt['deathMode'], opt['deathRate']), all_results)
        if opt['dataset'] == 'svhn':
            print('Iter %d:\t%.2f%%\t\t%.2f%%\t\t%0.0fs' % (
                sgdState['iterCounter'], results[0] * 100, results[1] * 100, training_time))
        else:
            print('Epoch %d:\t%.2f%%\t\t%.2f%%\t\t%0.0fs' % (
                sgdState['epochCounter'], results[0] * 100, results[1] * 100, training_time))

    # -- Training ----
    def train():
        weights, gradients = model.getParameters()
        G['losses'] = []
        sgdState['epochCounter'] = 1
        if opt['dataset'] == 'svhn':
            sgdState['iterCounter'] = 1
            print('Training...\nIter\t\tValid. err\tTest err\tTraining time')
        else:
            print('Training...\nEpoch\tValid. err\tTest err\tTraining time')
        all_indices = lg.range(0, dataTrain.size() - 1)
        timer = lg.Timer()
        while sgdState['epochCounter'] <= opt['maxEpochs']:
            # Learning rate schedule
            if sgdState['epochCounter'] < opt['maxEpochs'] * lrSchedule[opt['dataset']][0]:
                sgdState['learningRate'] = 0.1
            elif sgdState['epochCounter'] < opt['maxEpochs'] * lrSchedule[opt['dataset']][1]:
                sgdState['learningRate'] = 0.01
            else:
                sgdState['learningRate'] = 0.001

            shuffle = lg.randperm(dataTrain.size())
            batches = all_indices.index(0, shuffle.long()).long().split(opt['batchSize'])
            for i in range(len(batches)):
                model.training()
                openAllGates()    # resets all gates to open
                # Randomly determines the gates to close, according to their survival probabilities
                for _, tb in enumerate(addtables):
                    if lg.rand(1)[0] < model.get(tb).deathRate: model.get(tb).gate = False

                def feval(x):
                    gradients.zero()
                    batch = dataTrain.sampleIndices(batches[i])
                    inputs, labels = batch['inputs'], batch['outputs'].long()
                    if cuda:
                        inputs = inputs.cuda()
                        labels = labels.cuda()
                    y = model.forward(inputs)
                    loss_val = loss.forward(y, labels)
                    dl_df = loss.backward(y, labels)
                    model.backward(inputs, dl_df)
                    G['losses'].append(loss_val)
                    return loss_val, gradients
                optim.sgd(feval, weights, sgdState)
                if opt['dataset'] == 'svhn':
                    if sgdState['iterCounter'] % 200 == 0:
                        accounting(timer.time()['real'])
                        timer.reset()
                    sgdState['iterCounter'] = sgdState['iterCounter'] + 1
            if opt['dataset'] != 'svhn':
                accounting(timer.time()['real'])
                timer.reset()
            sgdState['epochCounter'] = sgdState['epochCounter'] + 1
        # Saves the the last model, optional. Model loading feature is not available now but is easy to add

    train()
    return G
