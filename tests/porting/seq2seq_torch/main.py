"""seq2seq.torch's main.lua: an English -> French GRU encoder-decoder trained with Seq2Seq:learn, sampling five
sentences each epoch and saving the nets.

Stand-ins: the two news-commentary files under /home/ehoffer are the parameters ``encodedSource`` and
``decodedSource``; ``repeat ... until false`` (an endless loop) stops after ``epochs`` epochs, and ``main``
returns the per-epoch training losses and the last epoch's samples so that a test can read them. The sampled
sentences are the Lua's five."""
import math

import legonn as lg
from legonn import nn, optim, paths

from .. import recurrent_torch as recurrent
from . import opt as opt_lua
from ..eladtools.EarlyStop import EarlyStop
from .Seq2Seq import Seq2Seq
from .seqProvider import seqProvider

SENTENCES = [
    'Lately, with gold prices up more than 300% over the last decade, it is harder than ever.',
    'a form of asbestos once used to make kent cigarette filters has caused a high percentage of cancer deaths '
    'among a group of workers',
    "the following were among yesterday 's offerings and pricings in the u.s. and non-u.s. capital markets",
    'nothing could be further from the truth',
    'Are you one of millions out there who are trying to learn foreign language, but never have enough time?',
]


def main(arg, encodedSource, decodedSource, epochs, sentences=SENTENCES):
    opt = opt_lua.dofile(arg)

    netFilename = paths.concat(opt['save'], 'Net')
    logFilename = paths.concat(opt['save'], 'LossRate.log')
    # ----------------------------------------------------------------------
    # Model + Loss:
    encodedSeq = seqProvider({
        'source': encodedSource, 'maxLength': opt['seqLength'], 'limitVocab': 50000,
        'type': opt['tensorType'], 'preprocess': False
    })
    decodedSeq = seqProvider({
        'source': decodedSource, 'maxLength': opt['seqLength'], 'limitVocab': 50000,
        'type': opt['tensorType'], 'padStart': True, 'padEnd': True, 'preprocess': False
    })

    # print(decodedSeq:decode(decodedSeq:getBatch(8)[1]))
    print('Encoded Vocabulary:', encodedSeq.vocab.size())
    print('Decoded Vocabulary:', decodedSeq.vocab.size())
    print('Dataset size (encoded == decoded)', encodedSeq.size(), decodedSeq.size())

    if paths.filep(opt['load']):
        modelConfig = lg.load(opt['load'])
        print('==>Loaded Net from: ' + opt['load'])
        recurrentEncoder = modelConfig['recurrentEncoder']
        recurrentDecoder = modelConfig['recurrentDecoder']
        classifier = modelConfig['classifier']
    else:
        recurrentEncoder = opt_lua.buildRNN(encodedSeq.vocab.size(), True)
        recurrentDecoder = opt_lua.buildRNN(decodedSeq.vocab.size(), False)
        classifier = nn.Linear(opt['rnnSize'], decodedSeq.vocab.size())

    # tie classification and embedding weights (findModules' first result, docs/porting.md's row)
    classifier.share(recurrentDecoder.findModules('nn.LookupTable')[0][0], 'weight', 'gradWeight')

    def zeroPadWeights(m, padIdx):
        lookuptbl = m.findModules('nn.LookupTable')[0][0]
        lookuptbl.paddingValue = padIdx
        lookuptbl.weight[padIdx].zero()

    zeroPadWeights(recurrentEncoder, encodedSeq.vocab.pad())
    zeroPadWeights(recurrentDecoder, decodedSeq.vocab.pad())
    criterion = nn.CrossEntropyCriterion().type(opt['tensorType'])

    enc = recurrentEncoder
    dec = nn.Sequential()
    dec.add(recurrentDecoder)
    dec.add(recurrent.TemporalModule(classifier))

    # sequential criterion
    seqCriterion = recurrent.TemporalCriterion(criterion)

    # Optimization configuration
    optimState = {
        'learningRate': opt['LR'],
        'momentum': opt['momentum'],
        'weightDecay': opt['weightDecay'],
        'learningRateDecay': opt['LRDecay']
    }

    seq2seq = Seq2Seq({
        'encoder': enc,
        'optimFunc': getattr(optim, opt['optimization']),
        'optimState': optimState,
        'criterion': criterion,
        'batchSize': opt['batchSize'],
        'padValue': decodedSeq.vocab.pad()
    })
    seq2seq.addDecoder(dec)
    seq2seq.type(opt['tensorType'])
    seq2seq.flattenParameters()

    # ----------------------------------------------------------------------
    print('\n==> Encoder')
    print(enc)

    print('\n==> Decoder')
    print(dec)

    print('\n==> Criterion')
    print(criterion)

    # ----------------------------------------------------------------------
    # -utility functions
    def saveModel(epoch):
        fn = netFilename + '_' + lg.tostring(epoch) + '.t7'
        lg.save(fn, {
            'recurrentEncoder': recurrentEncoder.clearState(),
            'recurrentDecoder': recurrentDecoder.clearState(),
            'classifier': classifier.clearState(),
            'vocabEncode': encodedSeq.vocab,
            'vocabDecode': decodedSeq.vocab
        })

    def sample(encoderTbl, decoderTbl, str):
        global wordNum
        num = len(str.split(' '))
        encoderModel, encodeVocab = encoderTbl
        decoderModel, decodeVocab = decoderTbl
        recurrent.zeroState(encoderModel)
        recurrent.single(decoderModel)
        recurrent.sequence(encoderModel)
        encoderModel.evaluate()
        decoderModel.evaluate()
        pred = predText = embedded = None
        predText = []
        encoded = encodeVocab.encode(str).type(opt['tensorType'])
        print('\nOriginal:\n' + ' '.join(encodeVocab.decode(encoded)))
        wordNum = lg.Tensor([decodeVocab.go()]).type(opt['tensorType'])
        if encoded.nElement() == 1:
            recurrent.single(encoderModel)
        encoderModel.forward(encoded.view(1, -1))
        recurrent.setState(decoderModel, recurrent.getState(encoderModel))
        for i in range(num):
            pred = decoderModel.forward(wordNum)
            pred.select(1, decodeVocab.unk()).zero()
            _, wordNum = pred.max(1)
            wordNum = wordNum[0]
            if wordNum.squeeze() == decodeVocab.eos():
                break
            predText.append(decodeVocab.decode(wordNum)[0])
        return ' '.join(predText)

    sampledDec = nn.Sequential().add(recurrentDecoder).add(classifier).add(nn.SoftMax().type(opt['tensorType']))

    decreaseLR = EarlyStop(1, opt['epochDecay'])
    stopTraining = EarlyStop(opt['earlyStop'], opt['epoch'])
    epoch = 1

    losses, samples = [], []
    while True:
        print('\nEpoch ' + lg.tostring(epoch) + '\n')
        samples = []
        for s in sentences:
            samples.append(sample([enc, encodedSeq.vocab], [sampledDec, decodedSeq.vocab], s))
            print('\nSampled Text:\n' + samples[-1])
        # local LossTrain = seq2seq({enc, encodedSeq},{{dec, decodedSeq}}, true)
        LossTrain = seq2seq.learn(encodedSeq, [decodedSeq])
        losses.append(LossTrain)
        saveModel(epoch)

        if opt['optState']:
            lg.save(optStateFilename + '_epoch_' + lg.tostring(epoch) + '.t7', optimState)  # noqa: F821
        print('\nTraining Perplexity: ' + lg.tostring(math.exp(LossTrain)))

        epoch = epoch + 1

        if epoch > epochs:   # the stand-in for `until false`
            break

    return losses, samples, seq2seq
