"""captionGeneration.torch's Sample.lua: greedy captions for 20 validation images (from key 500) with a trained
net (./Results/captionInceptionv3/Net_40.t7) on the GPU: the image's embedding is the first step, then each
predicted word's embedding the next, for 15 words; each caption is printed up to its first '.'.

``main(config)`` runs the script with Config.lua's table (the tests point its paths at their files, and the LMDB
environment at the in-memory stand-in); it returns the decoded captions. Edits beyond syntax and indices:
``require 'Data'`` is Data.py's ``make_data(config)``, whose ``decode`` is the Lua's global; ``model:zeroState()``
(recurrent.torch's Container method) is its package's function; ``image.display(imgs:float())`` opens a Qt window,
which legonn has not (its ``image.display`` raises, saying so): the port saves the picture as
``samples.png`` instead. ``beamSearch`` is defined but never called, and its body reads the undefined global
``currProbs`` and returns inside its first loop pass: ported as written, not run."""
import legonn as lg
from legonn import image, nn

from .. import recurrent_torch as recurrent_pkg
from . import Data


def main(config):
    config['InputSize'] = [3, 224, 224]
    config['SentenceLength'] = 10  # opt.seqLength
    numImages = 20
    numWords = 15
    data = Data.make_data(config)
    imgs = lg.ByteTensor(numImages, *config['InputSize'])
    captions = None
    imgs, captions = data['ValDB'].cacheSeq(config['Key'](500), numImages, imgs)
    imgs = imgs.cuda()
    imgs.add(-config['Normalization'][1]).div(config['Normalization'][2])
    cnnModel = lg.load(config['PreTrainedCNN']).cuda()
    removeAfter = config['FeatLayerCNN']
    for i in range(len(cnnModel) - 1, removeAfter - 2, -1):   # 1-based i = #cnnModel .. removeAfter
        cnnModel.remove(i)
    imgNum = 1
    modelConfig = lg.load('./Results/captionInceptionv3/Net_40.t7')
    textEmbedder = modelConfig['textEmbedder'].cuda()
    imageEmbedder = modelConfig['imageEmbedder'].cuda()
    classifier = modelConfig['classifier'].cuda()
    recurrent = modelConfig['recurrent'].cuda()
    model = nn.Sequential().add(recurrent).add(classifier)
    inputSize = modelConfig['inputSize']
    vocab = config['Vocab']
    decoder = data['decoder']

    model.evaluate()
    imageEmbedder.evaluate()
    textEmbedder.evaluate()
    cnnModel.evaluate()
    temperature = 0  # temperature or 1

    def beamSearch(model, firstToken, numDraw=None, numKeep=None, temp=None):
        temperature = temp or 1
        numKeep = numKeep or 20
        numDraw = numDraw or 5
        preds = model.forward(firstToken)

        preds.div(temperature)  # scale by temperature
        probs = lg.exp(preds)
        probs.cdiv(probs.sum(0).expandAs(probs))  # renormalize so probs sum to one

        draws, drawsIdx = probs.sort(1)
        draws.cmul(currProbs.expandAs(draws))  # noqa: F821 (a global nothing sets)
        for i in range(draws.size()):
            return num  # noqa: F821

    recurrent.evaluate()
    recurrent.single()
    numVecs = lg.IntTensor(numImages, numWords).zero()
    imageRep = cnnModel.forward(imgs)
    embeddedImg = imageEmbedder.forward(imageRep).squeeze()
    recurrent_pkg.zeroState(model)
    pred = model.forward(embeddedImg)
    _, wordNums = pred.max(1)
    # wordNums:fill(vocab['skiing'])
    for j in range(numWords):
        numVecs.select(1, j).copy(wordNums)
        embedded = textEmbedder.forward(wordNums).squeeze()
        pred = model.forward(embedded)
        _, wordNums = pred.max(1)
    sampled = []
    for i in range(numImages):
        sampled.append(data['decode'](numVecs[i], vocab['.']))
        print(sampled[-1])
    image.save('samples.png', image.toDisplayTensor(imgs.float()))   # image.display(imgs:float())
    return sampled
