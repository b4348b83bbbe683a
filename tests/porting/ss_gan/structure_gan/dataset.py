"""structure-gan/dataset.lua: the ``dataLoader`` class over a list file of ``<label path> <image path>`` lines.

``list_file`` and ``path_dataset`` are the Lua's file globals (its README says to edit them). The path lists are
CharTensors filled through legonn.ffi as the Lua fills them (``s_data = s_data + maxPathLength`` is
``s_data = s_data[maxPathLength:]``); argcheck's packed table is a dict (``initcheck``);
``self:sampleHookTrain(a, b)`` is ``self.sampleHookTrain(self, a, b)`` (the hook is a field holding a function of
``self``)."""
import legonn as lg
from legonn import ffi
from legonn import sys
from tests.porting.test_imagenet_multigpu_donkeys import initcheck   # the same argcheck spec, verbatim

lg.setdefaulttensortype('torch.FloatTensor')

list_file = '../ssgan_models/trainlist_rand.txt'
path_dataset = '/scratch/xiaolonw/render_data/'
# path_dataset = '/nfs.yoda/xiaolonw/gan_render/data/'


@lg.register
class dataLoader:
    def __init__(self, args):
        # argcheck
        args = initcheck(args)
        print(args)
        for k, v in args.items():
            setattr(self, k, v)

        if not self.loadSize:
            self.loadSize = self.sampleSize

        if not self.sampleHookTrain:
            self.sampleHookTrain = getattr(self, 'defaultSampleHook', None)   # never defined: nil in the Lua too
        if not self.sampleHookTest:
            self.sampleHookTest = getattr(self, 'defaultSampleHook', None)

        wc = 'wc'
        cut = 'cut'
        find = 'find'

        # find the image path names
        self.imagePath = lg.CharTensor()   # path to each image in dataset
        self.labelPath = lg.CharTensor()   # class index of each image (class index in self.classes)

        # ==========================================================================
        print('load the large concatenated list of sample paths to self.imagePath')
        maxPathLength = int(sys.fexecute(wc + " -L '" + list_file + "' |"
                                         + cut + " -f1 -d' '")) * 2 + len(path_dataset) + 1
        length = int(sys.fexecute(wc + " -l '" + list_file + "' |" + cut + " -f1 -d' '"))
        assert length > 0, "Could not find any image file in the given input paths"
        assert maxPathLength > 0, "paths of files are length 0?"
        self.imagePath.resize(length, maxPathLength).fill(0)
        self.labelPath.resize(length, maxPathLength).fill(0)

        s_data = self.imagePath.data()
        l_data = self.labelPath.data()
        count = 0

        f = open(list_file, "r")
        for i in range(length):

            # get name
            list_ = f.readline().rstrip('\n')
            cnt = 0
            for str_ in list_.split():
                # print(str_)
                cnt = cnt + 1
                if cnt == 1:
                    labelname = str_
                else:
                    filename = str_
            assert cnt == 2
            filename = path_dataset + filename
            labelname = path_dataset + labelname
            ffi.copy(s_data, filename)
            s_data = s_data[maxPathLength:]
            ffi.copy(l_data, labelname)
            l_data = l_data[maxPathLength:]

            if (i + 1) % 10000 == 0:
                print(i + 1)
                print(ffi.string(lg.data(self.imagePath[i])))
                # print(ffi.string(lg.data(self.labelPath[i])))

            count = count + 1

        f.close()
        self.numSamples = self.imagePath.size(0)

        # if self.split == 100:
        self.testIndicesSize = 0
        # else:

    # size(), size(class)
    def size(self, class_=None, list_=None):
        return self.numSamples

    # getByClass
    def getByClass(self, class_):
        idx = lg.random(0, self.imagePath.size()[0])
        imgpath = ffi.string(lg.data(self.imagePath[idx]))
        lblpath = ffi.string(lg.data(self.labelPath[idx]))
        # if class_ == 1:
        #     print(imgpath)
        return self.sampleHookTrain(self, imgpath, lblpath)

    # sampler, samples from the training set.
    def sample(self, quantity):
        assert quantity
        # print(self.imagePath.size()[0])
        dataTable = []
        labelTable = []
        for i in range(quantity):
            img, lbl = self.getByClass(i)
            dataTable.append(img)
            labelTable.append(lbl)
        data, scalarLabels = tableToOutput(self, dataTable, labelTable)
        return data, scalarLabels

    def get(self, i1, i2):
        indices = lg.range(i1, i2)
        quantity = i2 - i1 + 1
        assert quantity > 0
        # now that indices has been initialized, get the samples
        dataTable = []
        labelTable = []
        for i in range(quantity):
            # load the sample
            imgpath = ffi.string(lg.data(self.imagePath[int(indices[i])]))
            lblpath = ffi.string(lg.data(self.labelPath[int(indices[i])]))
            img, lbl = self.sampleHookTrain(self, imgpath, lblpath)
            dataTable.append(img)
            labelTable.append(lbl)
        data, scalarLabels = tableToOutput(self, dataTable, labelTable)
        return data, scalarLabels


# converts a table of samples (and corresponding labels) to a clean tensor
def tableToOutput(self, dataTable, scalarTable):
    quantity = len(scalarTable)
    assert dataTable[0].dim() == 3
    data = lg.Tensor(quantity, self.sampleSize[0], self.sampleSize[1], self.sampleSize[2])
    scalarLabels = lg.Tensor(quantity, self.sampleSize[0], self.sampleSize[1], self.sampleSize[2])
    for i in range(len(dataTable)):
        data[i].copy(dataTable[i])
        scalarLabels[i].copy(scalarTable[i])
    return data, scalarLabels
