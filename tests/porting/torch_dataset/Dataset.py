"""lua/Dataset.lua: ``Dataset(indexURL, opt)`` gives ``{'sampledBatcher': ..., 'index': ...}``;
``sampledBatcher(opt)`` returns ``(getBatch, numBatches, reset)``: ``getBatch()`` the next batch (a dict of
Batch.lua's fields: ``input``, ``target``, ``index`` (0-based), ``class``, ``item``, ``batchSize``), read
ahead in ``numBuffers`` buffers by the Reader's workers. ``target`` is the 0-based ``labelIndex`` of each
item's label, and an unlabelled item's is -1, as the Lua's 0 lies below its first class 1 (``labelIndex[label]
or 0`` is ``labelIndex.get(label, -1)``). A Lua table of URLs is a list (a table ``{x = ..., y = ...}`` a
dict)."""
import math

import legonn as torch

from . import SlowFS
from .Batch import Batch
from .Getters import Getters
from .Index import Index
from .Reader import Reader
from .Sampler import Sampler
from .StreamedDataset import StreamedDataset


def Dataset(indexURL, opt=None):
    opt = opt or {}
    if isinstance(indexURL, str) and SlowFS.find(indexURL) is not None and opt.get('streaming') is True:
        return StreamedDataset(indexURL, opt)
    partition = opt.get('partition') or 0
    partitions = opt.get('partitions') or 1
    # See if this is a table of urls and not a table of tensors
    if not isinstance(indexURL, (list, dict)) or (isinstance(indexURL, dict)
                                                  and torch.typename(indexURL.get('x')) is not None):
        indexURL = [indexURL]
    index = []
    for i, url in enumerate(indexURL):
        index.append(Index(url, partition, partitions, opt))

    def sampledBatcher(opt=None):
        opt = opt or {}
        numBuffers = opt.get('numBuffers') or 2
        buffers = []
        for _ in range(numBuffers):
            buffers.append({'batch': Batch(opt)})
        getBatchDims = opt.get('getBatchDims')

        def _tableize(t, force=False):
            if t:
                if not isinstance(t, list) or force:
                    return [t]
                return t

        def _nitem(item, n):
            ret = []
            for i in range(n):
                ret.append(item)
            return ret

        samplerKind = _tableize(opt.get('samplerKind')) or _nitem('uniform', len(indexURL))
        assert len(samplerKind) == len(indexURL), 'expected one samplerKind for every indexURL'
        samplerLabel = _tableize(opt.get('samplerLabel'))
        samplerOptions = _tableize(opt.get('samplerOptions'), isinstance(opt.get('samplerOptions'), dict))
        sampler = []
        resetSampler = []
        get = _tableize(opt.get('get'))
        if get:
            assert len(get) == len(indexURL), 'expected one get function for every indexURL'
        else:
            get = []
        for i in range(len(indexURL)):
            sampleri, resetSampleri = Sampler(samplerKind[i], index[i], samplerLabel and samplerLabel[i],
                                              samplerOptions and samplerOptions[i])
            sampler.append(sampleri)
            resetSampler.append(resetSampleri)
            if i >= len(get):
                get.append(Getters(index[i].get('urlPrefix'), index[i]['indexType']))
        reader = Reader(sampler, {
            'get': get,
            'processor': opt.get('processor'),
            'processorOpt': opt.get('processorOpt'),
            'verbose': opt.get('verbose'),
            'poolSize': opt.get('poolSize') or (numBuffers * opt['batchSize']),
        })

        batchSize = buffers[0]['batch']['batchSize']
        currentIdx = -1
        bufferInUse = None

        def numBatches():
            return math.ceil(index[0]['itemCount'](samplerLabel and samplerLabel[0]) / batchSize)

        def getBuffer(idx):
            return buffers[idx % numBuffers]

        def startBatch(idx):
            buffer = getBuffer(idx)
            assert buffer.get('running') is None
            buffer['batch']['reset'](getBatchDims and getBatchDims(idx))
            buffer['running'] = reader['startBatch'](buffer['batch']['batchSize'], buffer['batch']['readerInput'])
            assert buffer['running'] is not None

        def startBatches(idx):
            while idx < numBatches():
                buffer = getBuffer(idx)
                if buffer.get('running') is None:
                    startBatch(idx)
                else:
                    break
                idx = idx + 1

        def finishBatch(idx, doNotBlock=False):
            nonlocal bufferInUse
            buffer = getBuffer(idx)
            assert buffer.get('running') is not None
            items = reader['finishBatch'](buffer['running'], doNotBlock)
            buffer['batch']['finish'](len(items))
            buffer['batch']['item'] = items
            for i, item in enumerate(items):
                buffer['batch']['index'][i] = (idx * batchSize) + item['index']
                buffer['batch']['class'].append(item['label'])
                buffer['batch']['target'][i] = index[0]['labelIndex'].get(item['label'], -1)  # unlabeled datasets?
            bufferInUse = buffer
            return buffer['batch']

        def getBatch(notUsed=None, doNotBlock=False):
            nonlocal currentIdx
            # last buffer is now free
            if bufferInUse is not None:
                assert bufferInUse.get('running') is not None
                bufferInUse['running'] = None
            # first round pays the full price
            currentIdx = currentIdx + 1
            if currentIdx == 0 and getBuffer(currentIdx).get('running') is None:
                startBatches(currentIdx)
            ret = finishBatch(currentIdx, doNotBlock)
            if currentIdx == numBatches() - 1:
                # we just got the last batch, tell the sampler to reset for next time
                for rs in resetSampler:
                    rs()
                currentIdx = -1
            # all subsequent rounds should be free
            startBatches(currentIdx + 1)
            return ret

        def reset():
            nonlocal bufferInUse, currentIdx
            # block on and reset all prefetched batches
            reader['reset']()
            for i in range(numBuffers):
                buffers[i]['running'] = None
            bufferInUse = None
            currentIdx = -1
            for rs in resetSampler:
                rs()

        return getBatch, numBatches, reset

    return {
        'sampledBatcher': sampledBatcher,
        'index': index[0] if len(index) == 1 else index,
    }
