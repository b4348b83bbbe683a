"""BSO's data.lua: manages encoder/decoder data matrices (an earlier seq2seq-attn data.lua, without source
features: tests/porting/seq2seq_attn.py's class reads a num_source_features that BSO's files do not hold).
Word ids and batch_idx are the Lua's, from 1, in the file: they get -1 here (see the package docstring)."""
import legonn as lg
from legonn import hdf5
from . import bso_train as G


class data:

    def __init__(self, opt, data_file):
        f = hdf5.open(data_file, 'r')

        self.source = f.read('source').all().add(-1)    # word ids from 1 in the file
        self.target = f.read('target').all().add(-1)
        self.target_output = f.read('target_output').all().add(-1)
        self.target_l = f.read('target_l').all()   # max target length each batch
        self.target_l_all = f.read('target_l_all').all()
        self.target_l_all.add(-1)
        self.batch_l = f.read('batch_l').all()
        self.source_l = f.read('batch_w').all()   # max source length each batch
        if opt.start_symbol == 0:
            self.source_l.add(-2)
            self.source = self.source[:, 1:self.source.size(1) - 1]
        self.batch_idx = f.read('batch_idx').all().add(-1)   # a row index from 1 in the file

        self.target_size = int(f.read('target_size').all()[0])
        self.source_size = int(f.read('source_size').all()[0])
        self.target_nonzeros = f.read('target_nonzeros').all()

        self.length = self.batch_l.size(0)
        self.seq_length = self.target.size(1)
        self.batches = []
        max_source_l = int(self.source_l.max())
        source_l_rev = lg.ones(max_source_l).long()
        for i in range(max_source_l):
            source_l_rev[i] = max_source_l - i - 1
        for i in range(self.length):
            b, n = int(self.batch_idx[i]), int(self.batch_l[i])
            target_output_i = self.target_output.sub(b, b + n - 1, 0, int(self.target_l[i]) - 1)
            target_l_i = self.target_l_all.sub(b, b + n - 1)
            source_i = self.source.sub(b, b + n - 1, 0, int(self.source_l[i]) - 1).transpose(0, 1)
            if opt.reverse_src == 1:
                source_i = source_i.index(0, source_l_rev[max_source_l - int(self.source_l[i]):max_source_l])
            target_i = self.target.sub(b, b + n - 1, 0, int(self.target_l[i]) - 1).transpose(0, 1)
            self.batches.append([target_i, target_output_i.transpose(0, 1), int(self.target_nonzeros[i]),
                                 source_i, n, int(self.target_l[i]), int(self.source_l[i]), target_l_i])

    def size(self):
        return self.length

    def __getitem__(self, idx):   # data.__index with a number
        target_input, target_output, nonzeros, source_input, batch_l, target_l, source_l, target_l_all = \
            self.batches[idx]
        if G.opt.gpuid >= 0:   # if multi-gpu, source lives in gpuid1, rest on gpuid2
            source_input = source_input.cuda()
            target_input = target_input.cuda()
            target_output = target_output.cuda()
            target_l_all = target_l_all.cuda()
        return [target_input, target_output, nonzeros, source_input, batch_l, target_l, source_l, target_l_all]
