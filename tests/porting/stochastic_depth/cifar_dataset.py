"""cifar-dataset.lua: ``get_Data`` (the 50000 training and 10000 test images of cifar10/100-{train,test}.t7 in
one 60000-image tensor, the training part shuffled, labels made 1-based) and ``Dataset.LOADER`` (45000 train /
5000 valid / 10000 test; preprocessing by the training set's per-pixel mean and global std; batches with 4-pixel
translations and horizontal flips in training).

Edits beyond Lua syntax and 0-based indices: the global class table ``Dataset.LOADER`` is a class ``LOADER`` and a
namespace ``Dataset`` holding it; get_Data's ``label + 1`` (the raw 0-based labels made 1-based for
ClassNLLCriterion) is ``label``, as legonn's class indices count from 0; the inclusive 1-based crop ranges
``{max(1, 1 + yoffs), min(32, 32 + yoffs)}`` are the slices ``max(0, yoffs):min(32, 32 + yoffs)``;
``torch.random(1,2)==1`` (a coin flip) is kept; ``mean = mean or ...`` of a tensor is a None test."""
import types

import legonn as lg
from legonn import image


def get_Data(dataset, path, do_shuffling):
    data = lg.Tensor(60000, 3, 32, 32)
    label = lg.Tensor(60000)

    train_data = lg.load(path + dataset + '-train.t7')
    data[0:50000] = train_data['data']
    label[0:50000] = train_data['label']

    test_data = lg.load(path + dataset + '-test.t7')
    data[50000:60000] = test_data['data']
    label[50000:60000] = test_data['label']

    if do_shuffling:
        shuffle = lg.randperm(50000)
        data[0:50000] = data.index(0, shuffle.long())
        label[0:50000] = label.index(0, shuffle.long())
    # raw labels were 0-based indexing, convert to 1-based
    return data, label


class LOADER:

    def __init__(self, data, label, mode, batchSize, augmentation=None):
        trsize = 45000
        vasize = 5000
        tesize = 10000
        self.batchSize = batchSize
        self.mode = mode
        if mode == "train":
            self.data = data[0:trsize]
            self.label = label[0:trsize]
            self.augmentation = augmentation
        elif mode == "valid":
            self.data = data[trsize:trsize + vasize]
            self.label = label[trsize:trsize + vasize]
        elif mode == "test":
            self.data = data[trsize + vasize:trsize + vasize + tesize]
            self.label = label[trsize + vasize:trsize + vasize + tesize]

    def preprocess(self, mean=None, std=None):
        mean = mean if mean is not None else self.data.mean(0)
        std = std if std is not None else self.data.std()
        self.data.add(-mean.expandAs(self.data)).mul(1 / std)
        return mean, std

    def size(self):
        return self.data.size(0)

    def sampleIndices(self, indices, batch=None):
        batch = batch or {'inputs': lg.zeros(indices.size(0), 3, 32, 32),
                          'outputs': lg.zeros(indices.size(0))}
        if self.mode == "train":
            if self.augmentation:
                batch['inputs'].zero()
                for i, index in enumerate(lg.totable(indices)):
                    # Copy self.data[index] into batch.inputs[i], with standard data augmentation
                    input = batch['inputs'][i]
                    input.zero()
                    # Translation by at most 4 pixels
                    xoffs, yoffs = lg.random(-4, 4), lg.random(-4, 4)
                    input_y = slice(max(0, 0 + yoffs),
                                    min(32, 32 + yoffs))
                    data_y = slice(max(0, 0 - yoffs),
                                   min(32, 32 - yoffs))
                    input_x = slice(max(0, 0 + xoffs),
                                    min(32, 32 + xoffs))
                    data_x = slice(max(0, 0 - xoffs),
                                   min(32, 32 - xoffs))
                    input[:, input_y, input_x] = self.data[index][:, data_y, data_x]
                    # Horizontal flip, each side with half probability
                    if lg.random(1, 2) == 1:
                        input.copy(image.hflip(input))
            else:
                batch['inputs'].copy(self.data.index(0, indices))
        elif self.mode == "test" or self.mode == "valid":
            batch['inputs'].copy(self.data.index(0, indices))
        batch['outputs'].copy(self.label.index(0, indices))
        return batch


Dataset = types.SimpleNamespace(LOADER=LOADER)
