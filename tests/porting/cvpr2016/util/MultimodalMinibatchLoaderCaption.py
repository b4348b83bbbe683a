"""util/MultimodalMinibatchLoaderCaption.lua: minibatches of (one-hot caption, image feature, label) for the joint
embedding, one class per batch row. The data directory holds manifest.txt (one file name a line), the ids file (the
training classes' 1-based lines of the manifest), and per class ``<image_dir>/<fname>`` (images x feature dim x
views) and ``text_c<num_caption>/<fname>`` (images x doc_length x captions, 1-based alphabet codes, 0 past the end),
as Torch7 files."""
import random

import legonn as lg
from legonn.pl import path


class MultimodalMinibatchLoaderCaption:

    @classmethod
    def create(cls, data_dir, nclass, img_dim, doc_length,
               batch_size, randomize_pair, ids_file, num_caption,
               image_dir=None, flip=None):
        self = cls()

        self.alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{} "
        self.dict = {}
        for i in range(len(self.alphabet)):
            self.dict[self.alphabet[i]] = i
        self.alphabet_size = len(self.alphabet)

        # load manifest file.
        self.files = []
        with open(path.join(data_dir, 'manifest.txt')) as lines:
            for line in lines:
                self.files.append(line.rstrip('\n'))

        # load train / val / test splits.
        self.trainids = []
        with open(path.join(data_dir, ids_file)) as lines:
            for line in lines:
                self.trainids.append(line.rstrip('\n'))
        self.nclass_train = len(self.trainids)
        self.trainids_tensor = lg.zeros(len(self.trainids))
        for i in range(len(self.trainids)):
            self.trainids_tensor[i] = int(self.trainids[i])     # a line's text: Torch7 reads it as its number
        self.nclass = nclass
        self.batch_size = batch_size
        self.data_dir = data_dir
        self.nclass = nclass
        self.img_dim = img_dim
        self.doc_length = doc_length
        self.ntrain = self.nclass_train
        self.randomize_pair = randomize_pair
        self.num_caption = num_caption
        self.image_dir = image_dir or ''
        self.flip = flip if flip is not None else 0

        return self

    def next_batch(self):
        sample_ix = lg.randperm(self.nclass_train)
        sample_ix = sample_ix.narrow(0, 0, self.batch_size)

        txt = lg.zeros(self.batch_size, self.doc_length, self.alphabet_size)
        img = lg.zeros(self.batch_size, self.img_dim)
        lab = lg.zeros(self.batch_size)

        for i in range(self.batch_size):
            id = self.trainids_tensor[sample_ix[i]]
            fname = self.files[int(id) - 1]     # a 1-based line of the manifest, held as a float

            if self.image_dir == '' or self.image_dir is None:
                cls_imgs = lg.load(path.join(self.data_dir, 'images', fname))
            else:
                cls_imgs = lg.load(path.join(self.data_dir, self.image_dir, fname))
            cls_sens = lg.load(path.join(self.data_dir, 'text_c%s' % self.num_caption, fname))

            sen_ix = lg.Tensor(1)
            sen_ix.random(0, cls_sens.size(2))

            # ix = lg.randperm(cls_imgs.size(0))[0]
            ix = lg.randperm(cls_sens.size(0))[0]
            ix_view = lg.randperm(cls_imgs.size(2))[0]
            img[i, :] = cls_imgs[ix, :, ix_view]
            lab[i] = i

            for j in range(cls_sens.size(1)):
                if cls_sens.size(0) == 1:
                    on_ix = cls_sens[0, j, sen_ix[0]]
                else:
                    on_ix = cls_sens[ix, j, sen_ix[0]]

                if on_ix == 0:
                    break
                # if (self.flip == 1 and math.random() < 0.5) then
                if random.random() < self.flip:
                    txt[i, cls_sens.size(1) - j - 1, on_ix - 1] = 1
                else:
                    txt[i, j, on_ix - 1] = 1
        return txt, img, lab
