"""lua/StreamedDataset.lua: a dataset read as a stream of a SlowFS's records (``Dataset(url, {'streaming':
True})``): ``sampledBatcher`` (part-linear only) gives ``getBatch`` (a dict of ``keys``, ``values``,
``labels``, ``weights`` lists, one entry per record that ``get`` and ``processor`` accepted, and
``batchSize``), ``numBatches`` (``math.huge`` while records remain, then 0) and ``reset``. ``pcall(get,
stream)``'s results are a ``try`` and ``lua_results``."""
import math
import sys

import legonn as torch

from . import SlowFS
from .Cache import Cache
from .Reader import lua_results
from .SlowFSStream import SlowFSStream


def StreamedDataset(indexURL, opt=None):

    opt = opt or {}
    partition = opt.get('partition') or 0
    partitions = opt.get('partitions') or 1
    cache = Cache(opt)
    slowFS = SlowFS.find(indexURL)(cache, opt)

    def downsample(t, partition, partitions):
        assert partition >= 0
        assert partitions >= 1
        assert partition < partitions
        assert len(t) >= partitions, 'number of part files (' + str(len(t)) + ') must be >= number of partitions (' \
            + str(partitions) + '): ' + indexURL

        if partitions == 1:
            return t
        else:
            ret = []
            for i, item in enumerate(t):
                if ((i + 1) % partitions) == partition + 1:
                    ret.append(item)
                elif ((i + 1) % partitions) == 0 and partition + 1 == partitions:
                    # last items goes to the last partition
                    ret.append(item)
            return ret

    parts = opt.get('parts') or slowFS['parts'](indexURL)
    partitionParts = downsample(parts, partition, partitions)
    while opt.get('maxParts') and len(partitionParts) > opt['maxParts']:
        partitionParts.pop()

    def sampledBatcher(opt=None):
        opt = opt or {}
        assert opt.get('samplerKind') == 'part-linear', 'streaming only supports part-linear sampling'
        batchSize = opt.get('batchSize') or 1
        if opt.get('get') is None:
            raise ValueError('a get function is required')
        get = opt['get']
        if opt.get('processor') is None:
            raise ValueError('a processor function is required')
        processor = opt['processor']
        processorOpt = opt.get('processorOpt') or {}
        slowFSStream = SlowFSStream(slowFS, partitionParts, opt)
        hasMore = None

        reuse = []
        for i in range(batchSize):
            reuse.append({
                'keys': torch.LongTensor(1),
                'values': torch.FloatTensor(1),
                'codes': torch.ByteTensor(1),
                'labels': torch.LongTensor(1),
                'weights': torch.FloatTensor(1),
            })

        def getBatch():
            nonlocal hasMore
            assert hasMore is not None, 'you must call numBatches before calling getBatch'
            batch = {
                'keys': [],
                'values': [],
                'labels': [],
                'weights': [],
            }
            i = 0
            j = 0
            while j < batchSize and hasMore is True:
                try:
                    ok1 = True
                    ok2, res = lua_results(get(slowFSStream), 2)
                except Exception as err:
                    ok1, ok2, res = False, err, None
                if not ok1:
                    sys.stderr.write('StreamedDataset.get failed: ' + str(ok2) + '\n')
                elif ok2:
                    if reuse[i]['keys'].nElement() == 0:   # the Lua's nDimension() == 0 (a resize(0) tensor)
                        reuse[i]['keys'].resize(1)
                        reuse[i]['values'].resize(1)
                        reuse[i]['codes'].resize(1)
                        reuse[i]['labels'].resize(1)
                        reuse[i]['weights'].resize(1)
                    try:
                        ok1, ok2 = True, processor(res, reuse[i], processorOpt)
                    except Exception as err:
                        ok1, ok2 = False, err
                    if not ok1:
                        sys.stderr.write('StreamedDataset.processor failed: ' + str(ok2) + '\n')
                    elif ok2:
                        batch['keys'].append(reuse[i]['keys'])
                        batch['values'].append(reuse[i]['values'])
                        batch['labels'].append(reuse[i]['labels'])
                        batch['weights'].append(reuse[i]['weights'])
                        i = i + 1
                hasMore = slowFSStream['next']()
                j = j + 1
            batch['batchSize'] = i
            return batch

        def numBatches():
            nonlocal hasMore
            if hasMore is None:
                hasMore = slowFSStream['next']()
            return math.inf if hasMore else 0

        def reset():
            nonlocal hasMore
            slowFSStream['reset']("TERM")
            hasMore = True

        return getBatch, numBatches, reset

    return {
        'sampledBatcher': sampledBatcher,
    }
