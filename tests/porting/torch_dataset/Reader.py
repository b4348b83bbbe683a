"""lua/Reader.lua: a pool of ``poolSize`` workers (``ipc.map``) reading items through a named ``ipc.workqueue``:
``startBatch(n, input)`` draws ``n`` items from the ``next`` functions (one per index) and queues them,
each worker ``get``s an item and runs the ``processor`` on it into its row of ``input``; ``finishBatch`` waits
for them and packs the rows that succeeded to the front.

Edits beyond syntax: ``local url, labelj, offset, length = n()`` takes the sampler's results padded with
None (``lua_results``: Lua gives nil to the names no result reaches, and a sampler returns 1, 2 or 4 values
or none); a processor's ``return true, extra`` is a tuple, read the same way; ``ipc.map``'s worker takes the
``mapid`` Lua drops; ``pairs`` over the sparse table of finished rows is ``sorted`` over a dict's keys (the
order the Lua's tests expect); ``math.random()`` (Lua's own generator) is Python's ``random.random()``."""
import random
import sys

import legonn as torch
from legonn import ipc


def lua_results(values, n):
    """Lua's ``local a, b, c = f()``: the call's results (a tuple, one value, or None for none), padded with nil."""
    if values is None:
        values = ()
    elif not isinstance(values, tuple):
        values = (values,)
    return (*values, *([None] * n))[:n]


def _get(url, path=None, offset=None, length=None):
    return url


def _processor(res, processorOpt, input):
    return True


def _nget(n):
    ret = []
    for _ in range(n):
        ret.append(_get)
    return ret


def _tableize(x):
    if x:
        if isinstance(x, list):
            return x
        return [x]


def _sizeTable(tensor):
    if tensor is not None:
        ret = []
        for d in range(tensor.nDimension()):
            ret.append(tensor.size(d))
        return ret


def Reader(next, opt=None):

    next = _tableize(next)
    opt = opt or {}
    name = opt.get('name') or str(random.random())
    numWorkers = opt.get('poolSize') or 64
    init = {
        'get': _tableize(opt.get('get')) or _nget(len(next)),
        'processor': opt.get('processor') or _processor,
        'processorOpt': opt.get('processorOpt') or {},
        'sizeTable': _sizeTable,
    }
    assert len(next) == len(init['get']), 'expected one get function per next function'
    q = ipc.workqueue(name)

    def worker(name, init, mapid):
        import legonn as torch  # noqa: F401  (the Lua's requires in its fresh state)
        from legonn import ipc

        q = ipc.workqueue(name)
        get = init['get']
        processor = init['processor']
        processorOpt = init['processorOpt']
        sizeTable = init['sizeTable']

        while True:
            param = q.read()
            if param is None:
                break
            else:
                res = [None] * (len(get) + 2)
                urls = [None] * len(get)
                for i, geti in enumerate(get):
                    item = param['items'].get(i)
                    if item:
                        try:
                            ok, resi = True, geti(item['url'], item['offset'], item['length'])
                        except Exception as err:
                            ok, resi = False, err
                        if not ok:
                            sys.stderr.write(str(resi) + '\n')
                        else:
                            res[i] = resi
                            urls[i] = item['url']
                if res[0] is not None:
                    before = sizeTable(param.get('input'))
                    res[len(get)] = processorOpt
                    res[len(get) + 1] = param.get('input')
                    try:
                        ok1 = True
                        ok2, extra = lua_results(processor(*res[0:len(get) + 2]), 2)
                    except Exception as err:
                        ok1, ok2, extra = False, err, None
                    if not ok1:
                        sys.stderr.write('processing error on ' + ','.join(str(u) for u in urls if u is not None)
                                         + ':\n' + str(ok2) + '\n')
                    q.write({
                        'id': param['id'],
                        'ok': ok1 and ok2,
                        'before': before,
                        'after': sizeTable(param.get('input')),
                        'extra': ok1 and ok2 and extra,
                    })
                else:
                    q.write({
                        'id': param['id'],
                        'ok': False,
                    })
        q.close()
    workers = ipc.map(numWorkers, worker, name, init)

    def hasDimChange(before, after):
        if len(before) == len(after):
            for i, v in enumerate(before):
                if v != after[i]:
                    return True
            return False
        return True

    id = 0
    closures = {}

    def nextId():
        nonlocal id
        id = (id + 1) % 10000
        return id

    def startBatch(batchSize, input=None):
        assert batchSize > 0
        assert input is None or input.size(0) == batchSize
        batch = {
            'outputParam': {},
            'input': input,
            'batchSize': batchSize,
            'numJobs': 0,
        }
        for i in range(batchSize):
            items = {}
            label = None
            for j, n in enumerate(next):
                url, labelj, offset, length = lua_results(n(), 4)
                if j == 0:
                    label = labelj
                if url is not None:
                    items[j] = {'url': url, 'offset': offset, 'length': length}
            if label == '':
                label = None
            if items.get(0) is not None:
                param = {'items': items}
                if input is not None:
                    param['input'] = input[i]
                batch['numJobs'] = batch['numJobs'] + 1
                param['id'] = nextId()

                # lazy, see how fast this is first...
                def closure(result, i=i, items=items, label=label):
                    assert batch['numJobs'] > 0
                    batch['numJobs'] = batch['numJobs'] - 1
                    if result['ok']:
                        batch['outputParam'][i] = {
                            'url': items[0]['url'],
                            'offset': items[0]['offset'],
                            'length': items[0]['length'],
                            'label': label,
                            'before': result['before'],
                            'after': result['after'],
                            'extra': result['extra'],
                        }
                closures[param['id']] = closure
                q.write(param)
            else:
                break
        return batch

    def dojob(doNotBlock=False):
        workers.checkErrors()
        result = q.read(doNotBlock)
        if result:
            closures[result['id']](result)
            del closures[result['id']]
            return True

    def finishBatch(batch, doNotBlock=False):
        while dojob(True):
            pass
        if doNotBlock is True and batch['numJobs'] > 0:
            return None
        while batch['numJobs'] > 0:
            dojob()
        ret = []
        if batch['input'] is not None:
            if batch['batchSize'] == 1:
                first = batch['outputParam'].get(0)
                if first is not None:
                    if hasDimChange(first['before'], first['after']) is True:
                        first['after'].insert(0, 1)
                        batch['input'].resize(torch.LongStorage(first['after']))
                    first['index'] = 0
                    ret.append(first)
            else:
                for i in sorted(batch['outputParam']):
                    param = batch['outputParam'][i]
                    assert hasDimChange(param['before'], param['after']) is False, \
                        'Illegal to resize input tensors on batch sizes > 1'
                    param['index'] = i
                    ret.append(param)
                    j = len(ret) - 1
                    if i != j:
                        batch['input'][j].copy(batch['input'][i])
        else:
            for i in sorted(batch['outputParam']):
                param = batch['outputParam'][i]
                param['index'] = i
                ret.append(param)
        return ret

    def get(batchSize, input=None):
        return finishBatch(startBatch(batchSize, input))

    def reset():
        q.drain()
        while dojob(True):
            pass

    def close():
        for _ in range(numWorkers):
            q.write(None)
        workers.join()
        q.close()

    return {
        'startBatch': startBatch,
        'finishBatch': finishBatch,
        'get': get,
        'reset': reset,
        'close': close,
    }
