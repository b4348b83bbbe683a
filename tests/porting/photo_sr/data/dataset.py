"""data/dataset.lua: soumith/imagenet-multiGPU.torch's dataLoader (the class discovery, the ``find`` pipeline, the
CharTensor of paths, ``size``, ``getByClass``), as tests/porting/test_imagenet_multigpu_donkeys.py ports it, with
this repo's changes: ``sample`` keeps both images the train hook returns (the high-resolution luminance and its 4x
smaller bicubic copy) and ``tableToOutput`` stacks them into two batches, the second of ``sampleSize[2]/4`` pixels a
side. The other differences are prints (one per class found, one per class's find file) and ``jit.os`` for
``ffi.os``. ``get`` calls ``tableToOutput(self, dataTable, scalarTable)``, three arguments for four, so in Lua the
labels land in ``dataTable2`` and ``#scalarTable`` of nil raises (a TypeError here); nothing calls it, and the port
keeps the call."""
import legonn as lg
from legonn import ffi
from tests.porting.test_imagenet_multigpu_donkeys import dataLoader as imagenet_dataLoader


@lg.register
class dataLoader(imagenet_dataLoader):

    # sampler, samples from the training set.
    def sample(self, quantity):
        assert quantity
        dataTable = []
        dataTable2 = []
        scalarTable = []
        for i in range(quantity):
            class_ = lg.random(0, len(self.classes))
            out, out2 = self.getByClass(class_)
            dataTable.append(out)
            dataTable2.append(out2)
            scalarTable.append(class_)
        data, data2, scalarLabels = tableToOutput(self, dataTable, dataTable2, scalarTable)
        return data, data2, scalarLabels

    def get(self, i1, i2):
        indices = lg.range(i1, i2)
        quantity = i2 - i1 + 1
        assert quantity > 0
        # now that indices has been initialized, get the samples
        dataTable = []
        scalarTable = []
        for i in range(quantity):
            # load the sample
            imgpath = ffi.string(lg.data(self.imagePath[int(indices[i])]))
            out = self.sampleHookTest(self, imgpath)
            dataTable.append(out)
            scalarTable.append(self.imageClass[int(indices[i])])
        data, scalarLabels = tableToOutput(self, dataTable, scalarTable)  # one argument short, as in the Lua
        return data, scalarLabels


# converts a table of samples (and corresponding labels) to a clean tensor
def tableToOutput(self, dataTable, dataTable2, scalarTable):
    quantity = len(scalarTable)
    assert dataTable[0].dim() == 3
    data = lg.Tensor(quantity, self.sampleSize[0], self.sampleSize[1], self.sampleSize[2])
    data2 = lg.Tensor(quantity, self.sampleSize[0], self.sampleSize[1] / 4, self.sampleSize[2] / 4)
    scalarLabels = lg.LongTensor(quantity).fill(-1111)
    for i in range(len(dataTable)):
        data[i].copy(dataTable[i])
        data2[i].copy(dataTable2[i])
        scalarLabels[i] = scalarTable[i]
    return data, data2, scalarLabels
