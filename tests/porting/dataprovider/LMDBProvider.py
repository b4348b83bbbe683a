"""DataProvider.torch's LMDBProvider.lua ported line by line (the parts Main.lua calls), with ``LMDBEnv``, the
in-memory stand-in for lmdb.env that it reads."""
from legonn import dok, threads, xlua


class LMDBEnv:
    """Stand-in for lmdb.env: the records ``put`` under their keys, a cursor over them in key order."""

    def __init__(self):
        self.records = {}

    def stat(self):
        return {'entries': len(self.records)}

    def open(self):
        pass

    def close(self):
        pass


class LMDBProvider:
    typename = 'DataProvider.LMDBProvider'

    def __init__(self, *args, **kwargs):
        xlua.require('torch', True)
        args = dok.unpack(
            args or kwargs,
            'InitializeData',
            'Initializes a DataProvider ',
            {'arg': 'ExtractFunction', 'type': 'function', 'help': 'function used to extract Data, Label and Info',
             'req': True},
            {'arg': 'Source', 'type': 'userdata', 'help': 'LMDB env', 'req': True},
            {'arg': 'Verbose', 'type': 'boolean', 'help': 'display messages', 'default': False},
        )[0]
        for x, val in args.items():
            if isinstance(x, str):
                setattr(self, x, val)
        self.Config = args

    def size(self):
        self.Source.open()
        SizeData = self.Source.stat()['entries']
        self.Source.close()
        return SizeData

    def cacheSeq(self, start_pos, num=None, data=None, labels=None):
        num = num if num is not None else 1
        keys = sorted(self.Source.records)                 # the cursor, set on start_pos, then next()
        first = keys.index(start_pos)
        Data = data if data is not None else {}
        Labels = labels if labels is not None else {}
        for i in range(num):
            key = keys[first + i]
            Data[i], Labels[i] = self.ExtractFunction(self.Source.records[key], key)
        return Data, Labels

    def cacheRand(self, keys, data=None, labels=None):
        num = len(keys)
        Data = data if data is not None else {}
        Labels = labels if labels is not None else {}
        for i in range(num):
            item = self.Source.records[keys[i]]
            Data[i], Labels[i] = self.ExtractFunction(item, keys[i])
        return Data, Labels

    def threads(self, nthread=None):
        nthread = nthread if nthread is not None else 1
        config = self.Config
        threads.Threads.serialization('threads.sharedserialize')

        def init(idx):
            threads.local.workerProvider = LMDBProvider(config)

        # the pool shadows this method on the object, as the Lua's field does
        self.threads = threads.Threads(nthread, lambda idx: None, init)

    def asyncCacheSeq(self, start, num, dataBuffer, labelsBuffer):
        def job():
            data, labels = threads.local.workerProvider.cacheSeq(start, num, dataBuffer, labelsBuffer)
            return data, labels

        self.threads.addjob(job, lambda data, labels: None)

    def synchronize(self):
        return self.threads.synchronize()
