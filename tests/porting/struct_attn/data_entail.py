"""data-entail.lua: the ``data`` class over the hdf5 file preprocess-entail.py writes (batch-major sentence
pairs and their labels).

Edits beyond syntax and 0-based indexing:
- word ids, labels and batch_idx in the hdf5 file are the Lua's, from 1: the reads add -1 (as data_nmt.py's);
  ``source_l``, ``target_l``, ``batch_l`` are counts and stay.
- ``data.__index`` with a number is ``__getitem__``; it reads train-entail.lua's global ``opt``: this module's
  ``opt`` (train_entail.main sets it)."""
from legonn import hdf5

opt = None   # train-entail.lua's global


class data:
    typename = 'data'

    def __init__(self, opt, data_file):
        f = hdf5.open(data_file, 'r')

        self.source = f.read('source').all().add(-1)
        self.target = f.read('target').all().add(-1)
        self.target_l = f.read('target_l').all()   # max target length each batch
        self.source_l = f.read('source_l').all()
        self.label = f.read('label').all().add(-1)
        self.batch_l = f.read('batch_l').all()
        self.batch_idx = f.read('batch_idx').all().add(-1)
        self.target_size = int(f.read('target_size').all()[0])
        self.source_size = int(f.read('source_size').all()[0])
        self.label_size = int(f.read('label_size').all()[0])
        self.length = self.batch_l.size(0)
        self.seq_length = self.target.size(1)
        self.batches = []
        for i in range(self.length):
            source_i = self.source.sub(int(self.batch_idx[i]), int(self.batch_idx[i]+self.batch_l[i]-1),
                                       0, int(self.source_l[i]) - 1)
            target_i = self.target.sub(int(self.batch_idx[i]), int(self.batch_idx[i]+self.batch_l[i]-1),
                                       0, int(self.target_l[i]) - 1)
            label_i = self.label.sub(int(self.batch_idx[i]), int(self.batch_idx[i] + self.batch_l[i]-1))
            self.batches.append([target_i, source_i, int(self.batch_l[i]), int(self.target_l[i]),
                                 int(self.source_l[i]), label_i])

    def size(self):
        return self.length

    def __getitem__(self, idx):
        target = self.batches[idx][0]
        source = self.batches[idx][1]
        batch_l = self.batches[idx][2]
        target_l = self.batches[idx][3]
        source_l = self.batches[idx][4]
        label = self.batches[idx][5]
        if opt['gpuid'] >= 0:   # if multi-gpu, source lives in gpuid1, rest on gpuid2
            source = source.cuda()
            target = target.cuda()
            label = label.cuda()
        return [target, source, batch_l, target_l, source_l, label]
