"""captionGeneration.torch's Data.lua: the COCO vocabulary cut to the words seen 10 times or more and numbered from
0 (the Lua's 1), ``encode``/``decode`` of captions, the LMDB records' extract functions and the two providers.

``lmdb.env({Path = config.TRAINING_DATA, RDONLY = true})`` is the in-memory stand-in
``config['TRAINING_ENV']`` (``config['VALIDATION_ENV']``), legonn having no lmdb binding. LMDBProvider calls the
extract functions with the record and its key, which Lua drops: they take the key and ignore it.
``config.Vocab[word] or config.Vocab['<UNK>']`` is a nil test (an id may be 0 here). ``str:split(' ')`` is xlua's,
legonn's ``sys.split``: ExtractFromLMDBTest's caption starts with a space, whose empty first piece xlua drops and
Python's ``str.split(' ')`` would keep (as an unknown word)."""
import math
import random

import legonn as lg
from legonn import image
from legonn import sys as tsys

from ..dataprovider.LMDBProvider import LMDBProvider


def make_data(config):
    config['Vocab'] = lg.load(config['VOCAB_FILE'])

    numMinOccur = 10
    for word, count in config['Vocab']['WordsCount'].items():
        if count < numMinOccur:
            config['Vocab']['Vocab'].pop(word, None)   # `Vocab[word] = nil` removes the entry
    config['Vocab'] = config['Vocab']['Vocab']

    newCount = 0
    for word in config['Vocab']:
        config['Vocab'][word] = newCount
        newCount = newCount + 1

    def encode(str):
        vec = lg.IntTensor(config['SentenceLength']).fill(config['Vocab']['.'])
        words = tsys.split(str, ' ')
        for i in range(min(config['SentenceLength'], len(words))):
            num = config['Vocab'].get(words[i])
            vec[i] = num if num is not None else config['Vocab']['<UNK>']
        return vec

    config['EncodeFunc'] = encode

    decoder = {}
    for word, num in config['Vocab'].items():
        decoder[num] = word

    def decode(vec, stopToken=None):
        str = decoder[vec[0]]
        for i in range(1, vec.nElement()):
            str = str + ' ' + decoder[vec[i]]
            if vec[i] == stopToken:
                break
        return str

    def ExtractFromLMDBTrain(data, key=None):
        def reSample(sampledImg):
            sizeImg = sampledImg.size()
            szx = lg.random(1, math.ceil(sizeImg[2] / 4) + 1)      # torch.random(n): 1 .. n, a crop size
            szy = lg.random(1, math.ceil(sizeImg[1] / 4) + 1)
            startx = lg.random(szx)                                # torch.random(szx): a position, 0-based here
            starty = lg.random(szy)
            return image.scale(sampledImg.narrow(1, starty, sizeImg[1] - szy).narrow(2, startx, sizeImg[2] - szx),
                               sizeImg[2], sizeImg[1])

        def rotate(angleRange):
            def applyRot(Data):
                angle = lg.randn(1)[0] * angleRange
                rot = image.rotate(Data, math.radians(angle), 'bilinear')
                return rot
            return applyRot

        img = data['Data']
        if config['Compressed']:
            img = image.decompressJPG(img, 3, 'byte')
        if min(img.size(1), img.size(2)) != config['ImageMinSide']:
            img = image.scale(img, '^' + lg.tostring(config['ImageMinSide']))

        if config.get('Augment') == 3:
            img = rotate(0.1)(img)
            img = reSample(img)
        elif config.get('Augment') == 2:
            img = reSample(img)
        startX = random.randint(1, img.size(2) - config['InputSize'][2] + 1) - 1   # math.random(n), then 0-based
        startY = random.randint(1, img.size(1) - config['InputSize'][1] + 1) - 1

        img = img.narrow(2, startX, config['InputSize'][2]).narrow(1, startY, config['InputSize'][1])
        hflip = lg.random(1, 3) == 1
        if hflip:
            img = image.hflip(img)
        randOrder = lg.randperm(len(data['Caption']))
        caption = data['Caption'][int(randOrder[0])]
        for i in range(1, randOrder.size(0)):
            caption = caption + ' ' + data['Caption'][int(randOrder[i])]
        return img, config['EncodeFunc'](caption)

    def ExtractFromLMDBTest(data, key=None):
        img = data['Data']
        if config['Compressed']:
            img = image.decompressJPG(img, 3, 'byte')
        if min(img.size(1), img.size(2)) != config['ImageMinSide']:
            img = image.scale(img, '^' + lg.tostring(config['ImageMinSide']))

        startX = math.ceil((img.size(2) - config['InputSize'][2] + 1) / 2) - 1
        startY = math.ceil((img.size(1) - config['InputSize'][1] + 1) / 2) - 1

        img = img.narrow(2, startX, config['InputSize'][2]).narrow(1, startY, config['InputSize'][1])

        caption = ''
        for i in range(len(data['Caption'])):
            caption = caption + ' ' + data['Caption'][i]
        return img, config['EncodeFunc'](caption)

    def Keys(tensor):
        tbl = []
        for i in range(tensor.size(0)):
            tbl.append(config['Key'](int(tensor[i])))
        return tbl

    TrainDB = LMDBProvider(Source=config['TRAINING_ENV'], ExtractFunction=ExtractFromLMDBTrain)
    ValDB = LMDBProvider(Source=config['VALIDATION_ENV'], ExtractFunction=ExtractFromLMDBTest)

    return {
        'ValDB': ValDB,
        'TrainDB': TrainDB,
        'decoder': decoder,
        'decode': decode,
        # the Lua's globals encode, ExtractFromLMDBTrain/Test and Keys, for the tests
        'encode': encode,
        'ExtractFromLMDBTrain': ExtractFromLMDBTrain,
        'ExtractFromLMDBTest': ExtractFromLMDBTest,
        'Keys': Keys,
    }
