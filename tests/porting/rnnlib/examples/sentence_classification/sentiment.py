"""examples/sentence-classification/sentiment.lua: SST-1 sentence classification (5 classes) with models.lua's
forward or bidirectional RNN: batches of sentences padded in front with a mask of 1 / length, SGD with optional
gradient clipping, the learning rate halved when the validation loss rises, class accuracy reported.

Edits beyond syntax and indices:

* The script's body is ``main(arg, datadir)``, returning the losses and accuracies a caller checks; the Lua's
  hard-coded ``local datadir = '/tmp/sst1'`` is the ``datadir`` argument's default.
* ``require(basepath .. 'get_data')(datadir)`` is ``get_data.getData(datadir)``; ``require(basepath ..
  'models')[config.model](...)`` is ``getattr(models, config['model'])``, called with the four arguments
  models.rnn reads where the Lua passes six (Lua drops the rest; docs/porting.md's torch.class row on extra
  arguments); ``rnnlib.cell[config.cell]`` is ``getattr(rnnlib.cell, ...)``.
* argcheck's named, unordered calls of getexample are keyword arguments; ``perm and perm[idx] or idx`` is
  ``int(perm[idx]) if perm is not None else idx``; the examples ``{tokens = ..., mask = ...}`` are dicts and
  ``input.mask`` (nil for the forward model) is ``input.get('mask')``.
* ``cutorch.setDevice(config.devid)`` is ``config['devid'] - 1`` (0-based devices); the ``pcall(require,
  'cutorch')`` and ``collectgarbage`` lines are imports or dropped.
* As in the Lua: getexampleforward reads ``data[idx]:size(1)`` of an example table (an error in Lua, an
  AttributeError here) and takes ``bsz + 1`` examples, so ``-model rnn`` does not run; on the CPU
  (``-devid 0``) the mask buffer is a LongTensor, whose ``cdiv`` by the lengths truncates and which the
  DoubleTensor network refuses to multiply, in Torch7 as in legonn: the script runs on the GPU.
"""
import math

import legonn as lg
from legonn import cutorch, nn

from ...env import rnnlib
from ..utils import data as dutils
from . import get_data, models


def printf(fmt, *args):
    print(fmt % args)


def main(arg, datadir='/tmp/sst1'):
    cmd = lg.CmdLine()
    # * Model options.
    cmd.option('-model', 'birnn', 'The model type string.')
    cmd.option('-cell', 'LSTM', 'The model type string.')
    cmd.option('-insize', 256, 'The number of hidden units in the lookup table.')
    cmd.option('-nhid', 512, 'The number of hidden units per layer in the RNN.')
    cmd.option('-nlayer', 2, 'The number of layers in the RNN.')
    cmd.option('-dropout', 0, 'The probability of dropout.')
    # * Optimization options.
    cmd.option('-lr', 1, 'The learning rate.')
    cmd.option('-clip', 0, 'The clip threshold of the norm of the gradients w.r.t. params.')
    cmd.option('-batchsize', 20, 'The batch size.')
    # * Training options.
    cmd.option('-maxepoch', 10, 'The upper epoch limit.')
    cmd.option('-profbatch', 0, 'The number of batches for profiling.')
    cmd.option('-reportinterval', 1000, 'The number of batches after which to report.')
    # * More model options.
    cmd.option('-share', False, 'Share the parameters of the fwd + rev RNN.')
    cmd.option('-cudnn', False, 'Use cudnn for the RNN model.')
    # * Misc options.
    cmd.option('-devid', 1, 'The master device id.')
    cmd.option('-seed', 1111, 'The random seed for the CPU + GPU.')
    cmd.option('-save', '', 'Save the model at the end of training.')
    config = cmd.parse(arg)

    usegpu = config['devid'] > 0

    lg.manualSeed(config['seed'])
    if usegpu:
        cutorch.manualSeed(config['seed'])
        cutorch.setDevice(config['devid'] - 1)

    # --------------------------------------------------------------------------
    # Data loading
    # --------------------------------------------------------------------------

    insz = config['insize']
    nhid = config['nhid']
    bsz = config['batchsize']
    clip = config['clip']
    lr = config['lr']

    reportinterval = config['reportinterval']

    # This is hardcoded based on the dataset.
    nclasses = 5

    batches, dict_ = get_data.getData(datadir)

    train = batches['train']
    valid = batches['valid']
    test = batches['test']

    # --------------------------------------------------------------------------
    # Model construction
    # --------------------------------------------------------------------------

    hids = {}
    hids[0] = insz
    for i in range(1, config['nlayer'] + 1):
        hids[i] = nhid

    # Creates a forward or bidirectional RNN.
    # See models.lua for more information.
    makemodel = getattr(models, config['model'])
    args = [len(dict_['idx2word']), hids, nclasses, getattr(rnnlib.cell, config['cell']),
            ['weight', 'gradWeight', 'bias', 'gradBias'] if config['share'] else None,
            config['dropout']]
    model, rnn = makemodel(*(args if makemodel is models.birnn else args[:4]))

    criterion = nn.CrossEntropyCriterion()

    if usegpu:
        model.cuda()
        criterion.cuda()

    _, grads = model.parameters()

    # --------------------------------------------------------------------------
    # Training utility functions
    # --------------------------------------------------------------------------

    # | A function to create examples for bidirectional models.
    # No new memory is allocated.
    def getexamplebidirectional(data, i, bsz, inputbuffer, maskbuffer, targetbuffer, perm=None):
        if i + bsz > len(data):
            bsz = len(data) - i
        # Gather examples.
        inputs = []
        targets = []
        maxlen = 0
        for idx in range(i, i + bsz):
            idx = int(perm[idx]) if perm is not None else idx
            # Populate example.
            inputs.append(data[idx]['input'])
            targets.append(data[idx]['target'])
            # Find the max length.
            if data[idx]['input'].size(0) > maxlen:
                maxlen = data[idx]['input'].size(0)
        # Prepare masks. Padding is always put in front of the sentence.
        maskbuffer.resize(maxlen, bsz, 1)
        # Zero out activations for padded elements.
        maskbuffer.fill(0)
        for i in range(len(inputs)):
            len_ = inputs[i].size(0)
            # Fill in the last indices with 1's to keep activations alive.
            maskbuffer.select(1, i).narrow(0, maxlen - len_, len_).fill(1)
        lengths = maskbuffer.sum(0).repeatTensor(maxlen, 1, 1)
        # Normalize by length.
        maskbuffer.cdiv(lengths)
        # Expand to hidden dimension.
        maskbuffer = maskbuffer.expand(maxlen, bsz, nhid * 2)
        # Pad input.
        dutils.batchpad['front'](inputbuffer, inputs, maxlen, 0)
        # Fill in targets.
        targetbuffer.resize(bsz)
        for i in range(len(targets)):
            targetbuffer[i] = targets[i]
        return {'tokens': inputbuffer, 'mask': maskbuffer}, targetbuffer

    # | Creates examples for a forward RNN.
    def getexampleforward(data, i, bsz, inputbuffer, targetbuffer, perm=None, maskbuffer=None):
        # Gather examples.
        inputs = []
        targets = []
        maxlen = 0
        for idx in range(i, i + bsz + 1):
            idx = int(perm[idx]) if perm is not None else idx
            # Populate example.
            inputs.append(data[idx]['input'])
            targets.append(data[idx]['target'])
            # Find the max length.
            if data[idx].size(0) > maxlen:
                maxlen = data[idx].size(0)
        dutils.batchpad['front'](inputbuffer, inputs, maxlen, 0)
        targetbuffer.resize(bsz)
        for i in range(len(targets)):
            targetbuffer[i] = targets[i]
        return {'tokens': inputbuffer}, targetbuffer

    # Use bidirection or forward example getters.
    getexample = (getexamplebidirectional if 'bi' in config['model']
                  else getexampleforward)

    # | Perform the forward pass.
    def forward(model, input, target, criterion):
        return criterion.forward(
            model.forward([[rnn.hiddenbuffer, input['tokens']], input.get('mask')]),
            target
        )

    # | Perform the backward pass.
    def backward(model, input, target, criterion):
        model.zeroGradParameters()
        model.backward(
            [[rnn.hiddenbuffer, input['tokens']], input.get('mask')],
            criterion.backward(model.output, target)
        )

    # | Clip the gradients to prevent explosion.
    def clipgradients(grads, norm):
        totalnorm = 0
        for mm in range(len(grads)):
            modulenorm = grads[mm].norm()
            totalnorm = totalnorm + modulenorm * modulenorm
        totalnorm = math.sqrt(totalnorm)
        if totalnorm > norm:
            coeff = norm / max(totalnorm, 1e-6)
            for mm in range(len(grads)):
                grads[mm].mul(coeff)

    # | Compute the class accuracy given the model output and target vector.
    def classacc(output, target):
        assert output.nDimension() == 2
        assert target.nDimension() == 1
        no = output.size(0)
        _, pred = output.double().topk(1, 1, True, True)
        correct = (pred
                   .typeAs(target)
                   .eq(target.view(no, 1).expandAs(pred)))
        return correct.sum(), no

    # | Evaluate the model on some part of the data.
    def evaluate(model, data, bsz, criterion, buffers, perm=None):
        model.evaluate()
        loss = 0
        numexamples = 0
        ncorrect = 0
        noutputs = 0
        # Loop over data.
        for i in range(0, len(data), bsz):
            input, target = getexample(
                data=data,
                i=i,
                bsz=bsz,
                inputbuffer=buffers['input'],
                maskbuffer=buffers['mask'],
                targetbuffer=buffers['target'],
                perm=perm,
            )

            rnn.initializeHidden(target.size(0))
            loss = loss + forward(model, input, target, criterion)
            numexamples = numexamples + 1

            nc, no = classacc(model.output, target)
            ncorrect = ncorrect + nc
            noutputs = noutputs + no
        # Average out the loss.
        return loss / numexamples, ncorrect, noutputs

    # --------------------------------------------------------------------------
    # Training
    # --------------------------------------------------------------------------

    # Set up auxiliary tools and  buffers for training.
    timer = lg.Timer()
    inputbuffer = lg.CudaLongTensor() if usegpu else lg.LongTensor()
    targetbuffer = lg.CudaTensor() if usegpu else lg.LongTensor()
    maskbuffer = None
    if 'bi' in config['model']:
        maskbuffer = lg.CudaTensor() if usegpu else lg.LongTensor()

    buffers = {
        'input': inputbuffer,
        'mask': maskbuffer,
        'target': targetbuffer,
    }

    prevval = None
    history = []
    for epoch in range(1, config['maxepoch'] + 1):
        model.training()
        trainperm = lg.randperm(len(train))
        loss = 0
        numexamples = 0
        ncorrect = 0
        noutputs = 0
        timer.reset()
        for i in range(0, len(train), bsz):
            input, target = getexample(
                data=train,
                i=i,
                bsz=bsz,
                inputbuffer=inputbuffer,
                maskbuffer=maskbuffer,
                targetbuffer=targetbuffer,
                perm=trainperm,
            )
            # Re-initializing the hidden unit is not necessary for the most part,
            # since the models do not save the hidden state.
            # However, this is useful for resizing the initial hidden state.
            rnn.initializeHidden(target.size(0))
            loss = loss + forward(model, input, target, criterion)
            backward(model, input, target, criterion)
            if clip > 0:
                clipgradients(grads, clip)
            model.updateParameters(lr)

            # Accumulate the class accuracy.
            nc, no = classacc(model.output, target)
            ncorrect = ncorrect + nc
            noutputs = noutputs + no

            numexamples = numexamples + 1
            if numexamples % reportinterval == 0:
                trainloss = loss / numexamples
                printf(
                    '| epoch %03d | %05d samples | lr %02.6f | ms/batch %3d | '
                    + 'train loss %5.2f | train class acc %0.4f',
                    epoch, numexamples, lr, timer.time()['real'] * 1000 / numexamples,
                    trainloss, ncorrect / noutputs
                )
        trainloss, trainacc = loss / numexamples, ncorrect / noutputs

        # Perform validation.
        loss, ncorrect, noutputs = evaluate(model, valid, bsz, criterion, buffers)
        if prevval is not None and loss > prevval:
            lr = lr / 2
        prevval = loss
        history.append({'train loss': trainloss, 'train acc': trainacc, 'valid loss': loss,
                        'valid acc': ncorrect / noutputs})

        printf(
            '| end of epoch %03d | ms/batch %7d | '
            + 'valid loss %5.2f | valid class acc %0.3f',
            epoch, timer.time()['real'] * 1000 / numexamples,
            loss, ncorrect / noutputs
        )

        if lr < 1e-5:
            break

    # Evaluate on test set.
    loss, ncorrect, noutputs = evaluate(model, test, bsz, criterion, buffers)
    printf(
        "| End of training | test loss %5.2f | test class acc %0.3f",
        loss, ncorrect / noutputs
    )

    if config['save'] != '':
        lg.save(config['save'], model)

    return {'history': history, 'test loss': loss, 'test acc': ncorrect / noutputs, 'model': model}
