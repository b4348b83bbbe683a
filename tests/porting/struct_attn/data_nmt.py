"""data-nmt.lua: the ``data`` class over the hdf5 file preprocess-nmt.py writes (batches, time-major).

Edits beyond syntax and 0-based indexing:
- word ids and batch_idx in the hdf5 file are the Lua's, from 1 (PAD 1): the reads add -1 (as the seq2seq_attn
  port's data class, docs/porting.md's row on a Lua's own data files of word ids); ``target_l``, ``batch_l``,
  ``batch_w`` are counts and stay.
- ``data.__index`` with a number is ``__getitem__``; it reads train-nmt.lua's global ``opt``, which is this
  module's ``opt`` here (train_nmt.main sets it: Python's globals are a module's own).
- ``sub(a, b, ...)`` bounds are inclusive, as Torch7's: 0-based they are ``a - 1`` .. ``b - 1``."""
from legonn import hdf5

opt = None   # train-nmt.lua's global


class data:
    typename = 'data'

    def __init__(self, opt, data_file):
        f = hdf5.open(data_file, 'r')

        self.source = f.read('source').all().add(-1)
        self.target = f.read('target').all().add(-1)
        self.target_output = f.read('target_output').all().add(-1)
        self.target_l = f.read('target_l').all()   # max target length each batch
        self.target_l_all = f.read('target_l_all').all()
        self.target_l_all.add(-1)
        self.batch_l = f.read('batch_l').all()
        self.source_l = f.read('batch_w').all()   # max source length each batch
        if opt['start_symbol'] == 0:
            self.source_l.add(-2)
            self.source = self.source[:, 1:self.source.size(1)-1]
        self.batch_idx = f.read('batch_idx').all().add(-1)

        self.target_size = int(f.read('target_size').all()[0])
        self.source_size = int(f.read('source_size').all()[0])
        self.target_nonzeros = f.read('target_nonzeros').all()

        self.length = self.batch_l.size(0)
        self.seq_length = self.target.size(1)
        self.batches = []
        for i in range(self.length):
            target_output_i = self.target_output.sub(int(self.batch_idx[i]), int(self.batch_idx[i]
                                                     + self.batch_l[i]-1), 0, int(self.target_l[i]) - 1)
            target_l_i = self.target_l_all.sub(int(self.batch_idx[i]),
                                               int(self.batch_idx[i]+self.batch_l[i]-1))
            source_i = self.source.sub(int(self.batch_idx[i]), int(self.batch_idx[i]+self.batch_l[i]-1),
                                       0, int(self.source_l[i]) - 1).transpose(0, 1)
            target_i = self.target.sub(int(self.batch_idx[i]), int(self.batch_idx[i]+self.batch_l[i]-1),
                                       0, int(self.target_l[i]) - 1).transpose(0, 1)
            self.batches.append([target_i,
                                 target_output_i.transpose(0, 1),
                                 int(self.target_nonzeros[i]),
                                 source_i,
                                 int(self.batch_l[i]),
                                 int(self.target_l[i]),
                                 int(self.source_l[i]),
                                 target_l_i])

    def size(self):
        return self.length

    def __getitem__(self, idx):
        target_input = self.batches[idx][0]
        target_output = self.batches[idx][1]
        nonzeros = self.batches[idx][2]
        source_input = self.batches[idx][3]
        batch_l = self.batches[idx][4]
        target_l = self.batches[idx][5]
        source_l = self.batches[idx][6]
        target_l_all = self.batches[idx][7]
        if opt['gpuid'] >= 0:   # if multi-gpu, source lives in gpuid
            source_input = source_input.cuda()
            target_input = target_input.cuda()
            target_output = target_output.cuda()
        return [target_input, target_output, nonzeros, source_input,
                batch_l, target_l, source_l, target_l_all]
