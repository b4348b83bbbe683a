"""seq2seq.torch's thoughtVectors.lua: skip-thought-like training on BookCorpus: the encoder reads a line and the
decoder writes the next one (the providers read the same file from lines 2 and 3, sharing one vocabulary), with the
encoder's and decoder's embeddings and the classifier tied.

Stand-ins and edits, beyond main.lua's (see main.py): the BookCorpus file is the parameter ``source``; the
encoder provider's tokenizer, the closure ``function(s) return s:lower():split(' ') end``, is an instance of the
registered class ``LowerSplit``, since seqProvider saves the vocabulary that holds it and lg.save stores no code
(docs/porting.md's row on saving functions)."""
import math

import legonn as lg
from legonn import nn, optim, paths
from legonn import sys as tsys

from .. import recurrent_torch as recurrent
from . import opt as opt_lua
from ..eladtools.EarlyStop import EarlyStop
from .Seq2Seq import Seq2Seq
from .seqProvider import seqProvider


class LowerSplit:
    """thoughtVectors.lua's tokenizer ``function(s) return s:lower():split(' ') end``."""
    typename = 'LowerSplit'

    def __call__(self, s):
        return tsys.split(s.lower(), ' ')


lg.register(LowerSplit)

SENTENCES = [
    'Lately, with gold prices up more than 300% over the last decade, it is harder than ever.',
    'a form of asbestos once used to make kent cigarette filters has caused a high percentage of cancer deaths '
    'among a group of workers',
    "the following were among yesterday 's offerings and pricings in the u.s. and non-u.s. capital markets",
    'nothing could be further from the truth',
    'Are you one of millions out there who are trying to learn foreign language, but never have enough time?',
    'its a small quiet town , the kind where everyone knows your name .',
]


def main(arg, source, epochs, sentences=SENTENCES):
    opt = opt_lua.dofile(arg)
    netFilename = paths.concat(opt['save'], 'Net')
    logFilename = paths.concat(opt['save'], 'LossRate.log')
    log = optim.Logger(logFilename)

    # ----------------------------------------------------------------------
    encodedSeq = seqProvider({
        'source': source, 'maxLength': opt['seqLength'], 'limitVocab': 20000, 'offsetStart': 1, 'offsetEnd': -1,
        'type': opt['tensorType'], 'preprocess': False, 'tokenizer': LowerSplit()
    })
    decodedSeq = seqProvider({
        'source': source, 'maxLength': opt['seqLength'], 'type': opt['tensorType'], 'limitVocab': 20000,
        'padStart': True, 'padEnd': True, 'preprocess': False, 'vocab': encodedSeq.vocab, 'offsetStart': 2,
        'offsetEnd': 0
    })
    print('Dataset size (encoded=decoded)', encodedSeq.size(), decodedSeq.size())
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

    def getEmbedder(m):
        return m.findModules('nn.LookupTable')[0][0]   # findModules' first result (docs/porting.md's row)
    getEmbedder(recurrentEncoder).share(getEmbedder(recurrentDecoder), 'weight', 'gradWeight')
    # tie classification and embedding weights
    classifier.share(recurrentDecoder.findModules('nn.LookupTable')[0][0], 'weight', 'gradWeight')

    def zeroPadWeights(m, padIdx):
        lookuptbl = getEmbedder(m)
        lookuptbl.paddingValue = padIdx
        lookuptbl.weight[padIdx].zero()

    zeroPadWeights(recurrentDecoder, decodedSeq.vocab.pad())
    criterion = nn.CrossEntropyCriterion().type(opt['tensorType'])

    enc = recurrentEncoder
    dec = nn.Sequential()
    dec.add(recurrentDecoder)
    dec.add(recurrent.TemporalModule(classifier))

    criterion = nn.CrossEntropyCriterion()

    enc = nn.Sequential()
    enc.add(recurrentEncoder)

    dec = nn.Sequential()
    dec.add(recurrentDecoder)
    dec.add(recurrent.TemporalModule(classifier))
    print(enc)

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
        'batchSize': opt['batchSize']
    })
    seq2seq.addDecoder(dec)
    seq2seq.type(opt['tensorType'])
    seq2seq.flattenParameters()

    # ----------------------------------------------------------------------
    print('\n==> Encoder')
    print(enc)

    print('\n==> Decoder')
    print(dec)
    print('\n==>' + lg.tostring(seq2seq.params[0].nElement()) + ' Parameters')

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

    # ------------------------------

    def sample(encoderTbl, decoderTbl, str):
        global wordNum
        num = 50  # opt.seqLength
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
        encoderModel.forward(encoded.view(1, -1))
        recurrent.setState(decoderModel, recurrent.getState(encoderModel))
        for i in range(num):
            # print(wordNum)
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
