"""DataProvider.torch's Container.lua ported line by line (the parts Main.lua of ImageNet-Training and
captionGeneration.torch call)."""
import legonn as lg
from legonn import dok, xlua


class Container:
    typename = 'DataProvider.Container'

    def __init__(self, *args, **kwargs):
        xlua.require('torch', True)

        args = dok.unpack(
            args or kwargs,
            'InitializeData',
            'Initializes a Container ',
            {'arg': 'MaxNumItems', 'type': 'number', 'help': 'Number of Elements in each Batch', 'defalut': 1e6},
            {'arg': 'Name', 'type': 'string', 'help': 'Name of Container', 'default': 'cache'},
            {'arg': 'TensorType', 'type': 'string', 'help': 'Type of Tensor', 'default': 'torch.FloatTensor'},
            {'arg': 'ExtractFunction', 'type': 'function', 'help': 'function used to extract Data, Label and Info',
             'default': lambda *a: a},
            {'arg': 'Source', 'type': 'table', 'help': 'source of Container', 'req': True},
            {'arg': 'CachePrefix', 'type': 'string', 'help': 'path to caches data', 'default': '.'},
            {'arg': 'CacheFiles', 'type': 'boolean', 'help': 'cache data into files', 'default': False},
            {'arg': 'AutoLoad', 'type': 'boolean', 'help': 'load next data automaticaly', 'default': False},
            {'arg': 'CopyData', 'type': 'boolean', 'help': 'Copies data instead of referencing it ', 'default': True},
            {'arg': 'Verbose', 'type': 'boolean', 'help': 'display messages', 'default': False},
        )[0]

        for x, val in args.items():
            if isinstance(x, str):
                setattr(self, x, val)

        self.CurrentBatch = 0
        self.NumBatch = 0
        self.Data = lg.Tensor().type(self.TensorType)
        self.Labels = lg.Tensor().type(self.TensorType)

        self.reset()
        if lg.type(self.Source) == 'table':
            self.loadFrom(self.Source[0], self.Source[1])

    def loadFrom(self, data, labels):
        self.Data = data
        self.Labels = labels

    def size(self):
        if self.Data.nElement() == 0:     # ``self.Data:dim() == 0``: docs/porting.md's empty-tensor row
            return 0
        return self.Data.size(0)

    def reset(self):
        self.CurrentBatch = 0
        self.NumBatch = 0
        self.CurrentItemSource = 0

    def shuffleItems(self):
        RandOrder = lg.randperm(self.size()).long()
        self.Data = self.Data.index(0, RandOrder)

        if self.Labels is not None and self.Labels.nElement() > 0:
            self.Labels = self.Labels.index(0, RandOrder)
        if self.Verbose:
            print('(Container)===>Shuffling Items')

    def getItems(self, location, num=None):
        # Assumes location and num are valid
        num = num if num is not None else 1
        data = self.Data.narrow(0, location, num)
        if self.Labels is not None:
            return data, self.Labels.narrow(0, location, num)
        else:
            return data

    def createBatch(self):
        if self.Source is None:
            return None
        if self.CurrentItemSource > self.Source.size() - 1:
            return None      # AutoLoad (a Source that loads its next batch) is not used by Main.lua
        if self.Verbose:
            print('(Container)===>Creating Batch')

        NumInBatch = min(self.Source.size() - self.CurrentItemSource, self.MaxNumItems)
        source_data, source_labels = self.Source.getItems(self.CurrentItemSource, NumInBatch)
        data, labels = self.ExtractFunction(source_data, source_labels)
        if self.CopyData:
            self.Data.resize(data.size())
            self.Data.copy(data)
            if labels is not None:
                self.Labels.resize(labels.size())
                self.Labels.copy(labels)
        else:
            self.Data = data
            self.Labels = labels
        self.CurrentItemSource = self.CurrentItemSource + NumInBatch
        return True

    def getNextBatch(self):
        # loadBatch's cache files are off (CacheFiles false) in Main.lua's containers
        if self.createBatch():
            self.NumBatch = self.NumBatch + 1
            return self.Data, self.Labels
        else:
            return None

    def normalize(self, normType=None, mean=None, std=None):
        normType = normType or 'simple'

        if normType == 'simple':
            mean = mean if mean is not None else self.Data.mean()
            std = std if std is not None else self.Data.std()

            self.Data.add(-mean).div(std)
        else:
            size, channels, y_size, x_size = self.Data.size()
            if normType == 'channel':
                def channelMap(x, f, cNum):
                    values = lg.Tensor(cNum)
                    for c in range(cNum):
                        values[c] = f(x.select(1, c))
                    return values
                mean = mean if mean is not None else channelMap(self.Data, lg.mean, channels).view(1, channels, 1, 1)
                std = std if std is not None else channelMap(self.Data, lg.std, channels).view(1, channels, 1, 1)
            elif normType == 'image':
                mean = mean if mean is not None else \
                    self.Data.view(size, -1).mean(0).view(1, channels, y_size, x_size)
                std = std if std is not None else self.Data.view(size, -1).std(0).view(1, channels, y_size, x_size)
            self.Data.add(-1, mean.typeAs(self.Data).expand(size, channels, y_size, x_size))
            self.Data.cdiv(std.typeAs(self.Data).expand(size, channels, y_size, x_size))
        return mean, std
