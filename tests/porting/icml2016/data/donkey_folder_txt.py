"""data/donkey_folder_txt.lua, run in a donkey (``run()``, paths.dofile's stand-in): sets the donkey's global
``trainLoader``, whose ``sample(quantity)`` returns (real images, their text features, wrong images of another class,
class ids). ``opt.classnames`` names one class directory a line under ``opt.data_root``; ``opt.trainids`` lists the
training classes' 1-based lines; each class directory holds Torch7 files of ``{img = <path under opt.img_dir>,
txt = <captions x txtSize text features>}``. Images are scaled to loadSize, cropped at random to fineSize, flipped at
random, and mapped to [-1, 1]."""
import math

import legonn as lg
from legonn import image, threads
from legonn.pl import dir


def run():
    G = threads.local
    opt = G.opt
    trainLoader = Loader()

    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
    dict = {}
    for i in range(len(alphabet)):
        dict[alphabet[i]] = i
    ivocab = {}
    for k, v in dict.items():
        ivocab[v] = k
    alphabet_size = len(alphabet)
    G.ivocab = ivocab
    G.alphabet_size = alphabet_size

    trainLoader.alphabet = alphabet
    trainLoader.alphabet_size = alphabet_size
    trainLoader.dict = dict
    trainLoader.ivocab = ivocab
    trainLoader.decode = None                   # trainLoader.decode = decoder: a global nobody sets

    classnames = []
    with open(opt['classnames']) as lines:
        for line in lines:
            classnames.append(line.rstrip('\n'))

    files = {}
    trainids = []
    size = 0
    with open(opt['trainids']) as lines:
        for line in lines:
            id = int(line)                      # tonumber(line)
            dirpath = opt['data_root'] + '/' + classnames[id - 1]      # a 1-based line of classnames
            cur_files = dir.getfiles(dirpath)
            files[id] = cur_files
            size = size + len(cur_files)
            trainids.append(id)

    trainLoader.opt = opt
    trainLoader.files = files
    trainLoader.trainids = trainids
    trainLoader._size = size
    trainLoader.loadSize = [3, opt['loadSize']]
    trainLoader.sampleSize = [3, opt['fineSize']]
    G.trainLoader = trainLoader


def decode(txt):
    ivocab = threads.local.ivocab
    str = ''
    for w_ix in range(txt.size(0)):
        ch_ix = txt[w_ix]
        ch = ivocab.get(ch_ix)
        if ch is not None:
            str = str + ch
    return str


class Loader:
    """The donkey's ``trainLoader`` table."""

    def decode2(self, txt):
        str = ''
        _, ch_ixs = txt.max(1)
        for w_ix in range(txt.size(0)):
            ch_ix = ch_ixs[w_ix, 0]
            ch = self.ivocab.get(ch_ix)
            if ch is not None:
                str = str + ch
        return str

    # ------------------------------------------------------------------------------------------
    def loadImage(self, path):
        input = image.load(path, 3, 'float')
        input = image.scale(input, self.loadSize[1], self.loadSize[1])
        return input

    # function to load the image, jitter it appropriately (random crops etc.)
    def trainHook(self, path):
        opt = self.opt
        sampleSize = self.sampleSize
        input = self.loadImage(path)
        if opt['no_aug'] == 1:
            return image.scale(input, sampleSize[1], sampleSize[1])

        iW = input.size(2)
        iH = input.size(1)

        # do random crop
        oW = sampleSize[1]
        oH = sampleSize[1]
        h1 = math.ceil(lg.uniform(1e-2, iH - oH))
        w1 = math.ceil(lg.uniform(1e-2, iW - oW))
        out = image.crop(input, w1, h1, w1 + oW, h1 + oH)
        assert out.size(1) == oW
        assert out.size(2) == oH
        # do hflip with probability 0.5
        if lg.uniform() > 0.5:
            out = image.hflip(out)
        out.mul(2).add(-1)  # make it [0, 1] -> [-1, 1]
        return out

    def sample(self, quantity):
        if self.opt['replicate'] == 1:
            return self.sample_repl(quantity)
        else:
            return self.sample_no_repl(quantity)

    def sample_no_repl(self, quantity):
        opt, trainids, files, sampleSize = self.opt, self.trainids, self.files, self.sampleSize
        ix_batch1 = lg.Tensor(quantity)
        ix_batch2 = lg.Tensor(quantity)
        ix_file1 = lg.Tensor(quantity)
        ix_file2 = lg.Tensor(quantity)

        # Share image / text among adjacent opt.numCaption data samples.
        for n in range(quantity):
            cls_ix = lg.randperm(len(trainids)).narrow(0, 0, 2)
            id1 = trainids[cls_ix[0]]
            id2 = trainids[cls_ix[1]]
            file_ix1 = lg.randperm(len(files[id1]))[0]
            file_ix2 = lg.randperm(len(files[id2]))[0]
            ix_batch1[n] = cls_ix[0]
            ix_batch2[n] = cls_ix[1]
            ix_file1[n] = file_ix1
            ix_file2[n] = file_ix2

        data_img1 = lg.Tensor(quantity, sampleSize[0], sampleSize[1], sampleSize[1])  # real
        data_img2 = lg.Tensor(quantity, sampleSize[0], sampleSize[1], sampleSize[1])  # wrong
        data_txt1 = lg.zeros(quantity * opt['numCaption'], opt['txtSize'])  # real
        ids = lg.zeros(quantity)

        txt_batch_ix = 0
        for n in range(quantity):
            id1 = trainids[int(ix_batch1[n])]      # a list index held in a DoubleTensor
            id2 = trainids[int(ix_batch2[n])]
            ids[n] = id1
            cls1_files = files[id1]
            cls2_files = files[id2]

            t7file1 = cls1_files[int(ix_file1[n])]
            t7file2 = cls2_files[int(ix_file2[n])]
            info1 = lg.load(t7file1)
            info2 = lg.load(t7file2)

            img_file1 = opt['img_dir'] + '/' + info1['img']
            img1 = self.trainHook(img_file1)
            img_file2 = opt['img_dir'] + '/' + info2['img']
            img2 = self.trainHook(img_file2)

            for s in range(opt['numCaption']):
                ix_txt1 = lg.randperm(info1['txt'].size(0))[0]
                data_txt1[txt_batch_ix].copy(info1['txt'][ix_txt1])
                txt_batch_ix = txt_batch_ix + 1

            data_img1[n].copy(img1)
            data_img2[n].copy(img2)
        return data_img1, data_txt1, data_img2, ids

    def sample_repl(self, quantity):
        opt, trainids, files, sampleSize = self.opt, self.trainids, self.files, self.sampleSize
        numfile = math.floor(quantity / opt['numCaption'])
        assert numfile * opt['numCaption'] == quantity

        ix_batch1 = lg.Tensor(quantity)
        ix_batch2 = lg.Tensor(quantity)
        ix_file1 = lg.Tensor(quantity)
        ix_file2 = lg.Tensor(quantity)
        n = 0

        # Share image / text among adjacent opt.numCaption data samples.
        for f in range(numfile):
            cls_ix = lg.randperm(len(trainids)).narrow(0, 0, 2)
            id1 = trainids[cls_ix[0]]
            id2 = trainids[cls_ix[1]]
            file_ix1 = lg.randperm(len(files[id1]))[0]
            file_ix2 = lg.randperm(len(files[id2]))[0]
            for s in range(opt['numCaption']):
                ix_batch1[n] = cls_ix[0]
                ix_batch2[n] = cls_ix[1]
                ix_file1[n] = file_ix1
                ix_file2[n] = file_ix2
                n = n + 1

        data_img1 = lg.Tensor(quantity, sampleSize[0], sampleSize[1], sampleSize[1])  # real
        data_img2 = lg.Tensor(quantity, sampleSize[0], sampleSize[1], sampleSize[1])  # wrong
        data_txt1 = lg.zeros(quantity, opt['txtSize'])  # real
        ids = lg.zeros(quantity)

        for n in range(quantity):
            id1 = trainids[int(ix_batch1[n])]      # a list index held in a DoubleTensor
            id2 = trainids[int(ix_batch2[n])]
            ids[n] = id1
            cls1_files = files[id1]
            cls2_files = files[id2]

            t7file1 = cls1_files[int(ix_file1[n])]
            t7file2 = cls2_files[int(ix_file2[n])]
            info1 = lg.load(t7file1)
            info2 = lg.load(t7file2)

            img_file1 = opt['img_dir'] + '/' + info1['img']
            img1 = self.trainHook(img_file1)
            img_file2 = opt['img_dir'] + '/' + info2['img']
            img2 = self.trainHook(img_file2)
            ix_txt1 = lg.randperm(info1['txt'].size(0))[0]

            txt1 = info1['txt'][ix_txt1]
            data_txt1[n].copy(txt1)
            data_img1[n].copy(img1)
            data_img2[n].copy(img2)
        return data_img1, data_txt1, data_img2, ids

    def size(self):
        return self._size
