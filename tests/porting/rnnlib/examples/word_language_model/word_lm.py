"""examples/word-language-model/word_lm.lua: a word language model on Penn Tree Bank (a LookupTable, an rnnlib
RNN, LSTM or GRU, a Linear decoder, CrossEntropyCriterion), trained with truncated backpropagation through time,
gradient clipping and plain SGD with the learning rate annealed on the validation loss; then tested and saved.

Edits beyond syntax and indices:

* The script's body is ``main(arg)`` (``arg`` the command line), returning what a caller checks (the losses and
  the model); ``printf`` prints as the Lua does.
* ``require(basepath .. 'get_data'){...}`` is ``get_data.get_data({...})``; ``nn[config.model]{...}`` is the
  rnnlib package's ``LSTM``/``GRU``/``RNN`` (``getattr(rnnlib_package, config['model'])``): legonn's nn.LSTM
  and nn.GRU are Element-Research rnn's modules (docs/porting.md's rnnlib row).
* ``hids`` is recurrentnetwork.py's dict; ``#hids`` is ``len(hids) - 1``.
* ``cutorch.setDevice(config.devid)``: devices are 0-based, ``config['devid'] - 1``; ``require 'cudnn'`` is the
  import at the top.
* ``collectgarbage()`` is dropped.
* The saved model: the Lua sets ``model.rnn = rnn`` and saves it with the functions setupRecurrent assigned into
  ``rnn`` (Torch7 writes their bytecode); ``lg.save`` stores no code (docs/porting.md's row on ``torch.save`` of
  Lua functions), so they are taken off ``rnn`` first and generate.py makes them again.
"""
import math

import legonn as lg
from legonn import cutorch, nn

from .... import rnnlib as rnnlib_package
from ... import mutils
from . import get_data


def printf(fmt, *args):
    print(fmt % args)


def main(arg):
    cmd = lg.CmdLine()
    # * Data parameters.
    cmd.option('-train', '', 'Train file.')
    cmd.option('-valid', '', 'Valid file.')
    cmd.option('-test', '', 'Test file.')
    # * Model parameters.
    cmd.option('-model', 'LSTM', 'Type of recurrent net: RNN, LSTM, or GRU.')
    cmd.option('-emsize', 200, 'Number of hidden units per layer.')
    cmd.option('-nhid1', 200, 'Number of hidden units per layer.')
    cmd.option('-nhid2', 200, 'Number of hidden units per layer.')
    # * Optimization parameters.
    cmd.option('-lr', 20, 'Initial learning rate.')
    cmd.option('-clip', 0.5, 'Gradient clipping.')
    cmd.option('-maxepoch', 6, 'Upper epoch limit.')
    cmd.option('-batchsize', 20, 'Batch size.')
    cmd.option('-bptt', 20, 'Sequence length.')
    # * Device parameters.
    cmd.option('-devid', 0, 'GPU device id.')
    cmd.option('-seed', 1111, 'Random seed.')
    cmd.option('-cudnn', False, 'Use cudnn for speeding up the RNN.')
    # * Misc parameters.
    cmd.option('-reportint', 1000, 'Report interval.')
    cmd.option('-save', 'm.t7', 'Path to save the final model.')
    config = cmd.parse(arg)

    # Set the random seed manually for reproducibility.
    lg.manualSeed(config['seed'])
    # If the GPU is enabled, do some plumbing.
    usegpu = config['devid'] > 0
    if usegpu:
        cutorch.setDevice(config['devid'] - 1)
        cutorch.manualSeed(config['seed'])
    if config['cudnn']:
        assert usegpu, "Please specify the device id."

    # --------------------------------------------------------------------------
    # LOAD DATA
    # --------------------------------------------------------------------------

    batches = get_data.get_data({
        'train': config['train'],
        'valid': config['valid'],
        'test': config['test'],
    })
    dict_ = batches['dict']
    train = batches['train']
    valid = batches['valid']
    test = batches['test']

    lg.save('batches.t7', batches)

    # Truncate train and reshape.
    bptt = config['bptt']
    bsz = config['batchsize']
    nbatch = math.floor(train.size(0) / bptt / bsz)
    train = train.narrow(0, 0, nbatch * bptt * bsz)

    # Ensure that valid and test are divisible by bsz * bptt.
    validbsz, testbsz = 1, 1
    validbptt, testbptt = 1, 1

    # Divide up into batches.
    train = train.view(bsz, -1).t().contiguous()
    valid = valid.view(validbsz, -1).t().contiguous()
    test = test.view(testbsz, -1).t().contiguous()

    # --------------------------------------------------------------------------
    # MAKE MODEL
    # --------------------------------------------------------------------------

    initrange = 0.1

    # Size of the vocabulary.
    ntoken = len(dict_['idx2word'])

    hids = {
        0: config['emsize'],
        1: config['nhid1'],
    }
    if config['nhid2'] > 0:
        hids[2] = config['nhid2']

    lut = nn.LookupTable(ntoken, hids[0])
    lut.weight.uniform(-initrange, initrange)

    rnn = getattr(rnnlib_package, config['model'])(
        inputsize=hids[0],
        hidsize=hids[1],
        nlayer=len(hids) - 1,
        usecudnn=config['cudnn'],
    )

    decoder = nn.Linear(
        config['nhid2'] if config['nhid2'] > 0 else config['nhid1'], ntoken)
    decoder.bias.fill(0)
    decoder.weight.uniform(-initrange, initrange)

    model = (nn.Sequential()
             .add(mutils.batchedinmodule(rnn, lut))
             # Select the output of the RNN.
             # The RNN's forward gives a table of { hiddens, outputs }.
             .add(nn.SelectTable(1))
             # Select the output of the last layer, since the output
             # of all layers are returned.
             .add(nn.SelectTable(-1))
             # Flatten the output from bptt x bsz x ntoken to bptt * bsz x ntoken.
             # Note that the first dimension is actually a table, so there is
             # copying involved during the flattening.
             .add(nn.JoinTable(0))
             .add(decoder))

    criterion = nn.CrossEntropyCriterion()

    # Unroll the rnns.
    if not config['cudnn']:
        for i in range(len(rnn.modules)):
            rnn.modules[i].extend(bptt)

    # If the GPU is enabled, move everything to GPU.
    if usegpu:
        model.cuda()
        criterion.cuda()

    # Get the parameters for gradient clipping.
    _, grads = model.parameters()

    # --------------------------------------------------------------------------
    # TRAINING
    # --------------------------------------------------------------------------

    timer = lg.Timer()

    # Put the table values into the register file for faster access.
    lr = config['lr']
    clip = config['clip']

    reportinterval = config['reportint']

    # Create buffers for all tensors needed during training on GPU.
    gpubuffer = None
    if usegpu:
        gpubuffer = lg.CudaTensor()

    # | Indexes into a dataset and grabs the input and target tokens.
    # Minimizes gpu memory.
    def getexample(data, i, bptt, gpubuffer):
        if gpubuffer is not None:
            (gpubuffer
                .resize(bptt + 1, data.size(1))
                .copy(data.narrow(0, i, bptt + 1)))
            newinput = gpubuffer.narrow(0, 0, bptt)
            newtarget = gpubuffer.narrow(0, 1, bptt)
        else:
            newinput = data.narrow(0, i, bptt)
            newtarget = data.narrow(0, i + 1, bptt)
        return newinput, newtarget.view(-1)

    # | Performs the forward computation of the model.
    def forward(model, input, target, criterion):
        return criterion.forward(
            model.forward([rnn.hiddenbuffer, input]),
            target
        )

    # | Perform the backward pass.
    def backward(model, input, target, criterion):
        model.zeroGradParameters()
        model.backward(
            [rnn.hiddenbuffer, input],
            criterion.backward(model.output, target)
        )

    # | Gradient clipping to try to prevent the gradient from exploding.
    # Does a global in-place clip.
    def clipGradients(grads, norm):
        totalnorm = 0
        for mm in range(len(grads)):
            modulenorm = grads[mm].norm()
            totalnorm = totalnorm + modulenorm * modulenorm
        totalnorm = math.sqrt(totalnorm)
        if totalnorm > norm:
            coeff = norm / max(totalnorm, 1e-6)
            for mm in range(len(grads)):
                grads[mm].mul(coeff)

    # | Perform the forward pass only.
    def evaluate(model, data, bptt, bsz, criterion):
        model.evaluate()
        loss = 0
        numexamples = 0
        rnn.initializeHidden(bsz)
        # Loop over validation data.
        for i in range(0, data.size(0) - bptt, bptt):
            input, target = getexample(data, i, bptt, gpubuffer)
            loss = loss + forward(model, input, target, criterion)
            numexamples = numexamples + 1
        # Average out the loss.
        return loss / numexamples

    # Loop over epochs.
    prevval = None
    trainlosses, validlosses = [], []
    for epoch in range(1, config['maxepoch'] + 1):
        loss = 0
        numexamples = 0
        timer.reset()
        # Reset the hidden state.
        rnn.initializeHidden(bsz)
        # Loop over the training data.
        model.training()
        for i in range(0, train.size(0) - bptt, bptt):
            input, target = getexample(train, i, bptt, gpubuffer)
            loss = loss + forward(model, input, target, criterion)
            backward(model, input, target, criterion)
            clipGradients(grads, clip)
            model.updateParameters(lr)

            numexamples = numexamples + 1
            if numexamples % reportinterval == 0:
                trainloss = loss / numexamples
                trainlosses.append(trainloss)
                printf(
                    '| epoch %03d | %05d samples | lr %02.6f | ms/batch %3d | '
                    + 'train loss %5.2f | train ppl %8.2f',
                    epoch, numexamples, lr, timer.time()['real'] * 1000 / numexamples,
                    trainloss, math.exp(trainloss)
                )

        loss = evaluate(model, valid, validbptt, validbsz, criterion)
        validlosses.append(loss)

        # The annealing schedule.
        if prevval is not None and loss > prevval:
            lr = lr / 4
        prevval = loss

        printf(
            "| end of epoch %03d | ms/batch %7d | valid loss %5.2f | valid ppl %8.2f",
            epoch, timer.time()['real'] * 1000 / numexamples, loss, math.exp(loss)
        )

    # Run on test data.
    loss = evaluate(model, test, testbptt, testbsz, criterion)
    printf(
        "| End of training | test loss %5.2f | test ppl %8.2f",
        loss, math.exp(loss)
    )

    if config['save'] != '':
        model.rnn = rnn
        # lg.save stores no code: the functions setupRecurrent put on rnn stay behind (generate.py remakes them)
        for name in ('initializeHidden', 'saveLastHidden', 'getLastHidden', 'updateOutput', 'accGradParameters',
                     'backward'):
            vars(rnn).pop(name, None)
        lg.save(config['save'], model)

    return {'trainlosses': trainlosses, 'validlosses': validlosses, 'testloss': loss, 'model': model,
            'rnn': rnn, 'dict': dict_}
