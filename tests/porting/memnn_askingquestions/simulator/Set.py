"""AskingQuestions/simulator/Set.lua: a set of items indexed both ways (``torch.class('Set')``), sampled with or
without replacement by Lua's ``math.random`` (Python's ``random``, docs/porting.md's math.random row). Indices
are 0-based."""
import random

import legonn as lg
from legonn import tds


class Set:

    # the constructor takes as input a table of items
    def __init__(self, tbl):
        self.index2item = tds.Hash()
        self.item2index = tds.Hash()
        self.nitems = 0
        for v in tbl:
            self.index2item[self.nitems] = v
            self.item2index[v] = self.nitems
            self.nitems = self.nitems + 1
        self.sampled_flags = lg.IntTensor(self.nitems).fill(0)

    def find(self, item):
        return self.item2index[item]

    def get(self, index):
        return self.index2item[index]

    def sample_with_replacement(self):
        index = random.randint(1, self.nitems) - 1
        return self.index2item[index]

    def sample_without_replacement(self):
        assert self.sampled_flags.sum() < self.nitems, 'exhausted the full set. nothing to sample'
        index = random.randint(1, self.nitems) - 1
        while self.sampled_flags[index] == 1:
            index = random.randint(1, self.nitems) - 1
        self.sampled_flags[index] = 1
        return self.index2item[index]

    def size(self):
        return self.nitems
