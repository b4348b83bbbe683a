"""rnn's examples/recurrent-language-model.lua ported line by line (Lua syntax and 0-based indices only) on
dataload's ``loadPTB`` and ``subiter``, paths and torch.Timer, on a synthetic corpus written in Penn Tree
Bank's file layout (``ptb.{train,valid,test}.txt``, one space-padded sentence per line)."""
import math

import numpy as np

import legonn as lg
from legonn import dataload as dl
from legonn import nn, optim, paths


def _write_corpus(folder, seed=0):
    """Sentences from a small grammar (subject, verb, object, then one of two endings): a language model can
    learn most of each next word."""
    rng = np.random.default_rng(seed)
    subjects, verbs, objects = ['the cat', 'a dog', 'my aunt'], ['sees', 'eats', 'likes'], ['fish', 'bread', 'rice']
    for which, n in (('train', 300), ('valid', 60), ('test', 60)):
        lines = []
        for _ in range(n):
            v = int(rng.integers(3))
            words = [subjects[int(rng.integers(3))], verbs[v], objects[v], 'today' if v < 2 else 'again']
            lines.append(' ' + ' '.join(words) + ' \n')
        with open(paths.concat(folder, f'ptb.{which}.txt'), 'w') as f:
            f.write(''.join(lines))


def test_recurrent_language_model_on_loadptb(tmp_path):
    """The script's data set, model (LookupTable, SplitTable, Sequencer of FastLSTM + Linear + LogSoftMax,
    remember('both')), SequencerCriterion over ``targetmodule:forward(targets)``, the xplog with an
    ``nn.Serial`` in mediumSerial mode, the training loop over ``trainset:subiter(seqlen, trainsize)`` with
    optim.sgd and gradParamClip, and cross-validation perplexity; the validation perplexity falls from about
    the vocabulary size to under 3, and the saved xplog's model reloads and scores under 3 too."""
    _write_corpus(str(tmp_path))
    lg.manualSeed(3)
    opt = {'batchsize': 4, 'seqlen': 5, 'inputsize': 16, 'hiddensize': [24], 'uniform': 0.1, 'startlr': 0.1,
           'momentum': 0.9, 'cutoff': 5, 'maxepoch': 6, 'trainsize': -1, 'validsize': -1,
           'savepath': str(tmp_path / 'save'), 'id': 'ptb:test'}

    trainset, validset, testset = dl.loadPTB([opt['batchsize'], 1, 1], str(tmp_path))
    assert len(trainset.ivocab) == 15               # the grammar's 14 words and <eos>
    for i, inputs, targets in trainset.subiter(opt['seqlen'], 2 * opt['seqlen'] * opt['batchsize']):
        # seqlen x batchsize word ids, each target the next word of its column
        assert tuple(inputs.size()) == (opt['seqlen'], opt['batchsize'])
        assert np.array_equal(targets.numpy()[:-1], inputs.numpy()[1:])
    trainset.reset()

    lm = nn.Sequential()
    lookup = nn.LookupTable(len(trainset.ivocab), opt['inputsize'])
    lookup.maxOutNorm = -1
    lm.add(lookup)
    lm.add(nn.SplitTable(0))
    stepmodule = nn.Sequential()
    inputsize = opt['inputsize']
    for i, hiddensize in enumerate(opt['hiddensize']):
        rnn = nn.FastLSTM(inputsize, hiddensize)
        stepmodule.add(rnn)
        inputsize = hiddensize
    stepmodule.add(nn.Linear(inputsize, len(trainset.ivocab)))
    stepmodule.add(nn.LogSoftMax())
    lm.add(nn.Sequencer(stepmodule))
    lm.remember('both')
    for param in lm.parameters()[0]:
        param.uniform(-opt['uniform'], opt['uniform'])

    crit = nn.ClassNLLCriterion()
    targetmodule = nn.SplitTable(0)
    criterion = nn.SequencerCriterion(crit)

    xplog = {'opt': opt, 'dataset': 'PennTreeBank', 'vocab': trainset.vocab, 'model': nn.Serial(lm),
             'criterion': criterion, 'targetmodule': targetmodule, 'trainppl': {}, 'valppl': {},
             'minvalppl': 99999999, 'epoch': 0}
    xplog['model'].mediumSerial()
    params, grad_params = lm.getParameters()
    paths.mkdir(opt['savepath'])

    def validate(lm=lm):
        lm.evaluate()
        sumErr = 0
        for i, inputs, targets in validset.subiter(opt['seqlen'], opt['validsize']):
            targets = targetmodule.forward(targets)
            outputs = lm.forward(inputs)
            err = criterion.forward(outputs, targets)
            sumErr = sumErr + err
        return sumErr

    epoch = 1
    opt['lr'] = opt['startlr']
    opt['trainsize'] = trainset.size() if opt['trainsize'] == -1 else opt['trainsize']
    opt['validsize'] = validset.size() if opt['validsize'] == -1 else opt['validsize']
    first_ppl = math.exp(validate() / opt['validsize'])
    while epoch <= opt['maxepoch']:
        sgdconfig = {'learningRate': opt['lr'], 'momentum': opt['momentum']}
        a = lg.Timer()
        lm.training()
        sumErr = 0
        for i, inputs, targets in trainset.subiter(opt['seqlen'], opt['trainsize']):
            curTargets = targetmodule.forward(targets)
            curInputs = inputs

            def feval(x):
                nonlocal sumErr
                if x is not params:
                    params.copy(x)
                grad_params.zero()
                outputs = lm.forward(curInputs)
                err = criterion.forward(outputs, curTargets)
                sumErr = sumErr + err
                gradOutputs = criterion.backward(outputs, curTargets)
                lm.zeroGradParameters()
                lm.backward(curInputs, gradOutputs)
                if opt['cutoff'] > 0:
                    norm = lm.gradParamClip(opt['cutoff'])   # affects gradParams
                    opt['meanNorm'] = opt['meanNorm'] * 0.9 + norm * 0.1 if 'meanNorm' in opt else norm
                return err, grad_params

            optim.sgd(feval, params, sgdconfig)
        assert a.time()['real'] >= 0
        xplog['trainppl'][epoch] = lg.exp(sumErr / opt['trainsize'])
        ppl = lg.exp(validate() / opt['validsize'])
        xplog['valppl'][epoch] = ppl
        if ppl < xplog['minvalppl']:
            xplog['minvalppl'] = ppl
            xplog['epoch'] = epoch
            filename = paths.concat(opt['savepath'], opt['id'] + '.t7')
            lg.save(filename, xplog)
        epoch = epoch + 1

    assert first_ppl > 10
    assert xplog['minvalppl'] < 3
    saved = lg.load(paths.concat(opt['savepath'], opt['id'] + '.t7'))
    assert saved['epoch'] == xplog['epoch'] and saved['vocab'] == trainset.vocab
    model = saved['model']
    model.forget()
    assert lg.exp(validate(model) / opt['validsize']) < 3
