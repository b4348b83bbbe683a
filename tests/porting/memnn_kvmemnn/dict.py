"""KVmemnn/library/dict.lua of facebookarchive/MemNN, ported line by line: the base dictionary class for MemNNs.

The Lua table ``dict`` (objects made by ``setmetatable(new_dict, {__index = self})``) is the class ``dict``;
``dict:create`` and ``dict:init_dict`` are classmethods, and init_dict makes the object of the class at once
(Lua: a plain table given the metatable by create). Symbol indices are 0-based: the file's first line is
symbol 0, ``get_labels`` holds ``{{i, 1}}`` for i = 0 .. num_symbols - 1. ``opt.x`` is ``opt['x']`` (``opt.get``
for an option that may be absent); a field set to nil is set to None.
"""
import os

import legonn as lg
from legonn import tds
from legonn.pl import utils as pl_utils


class dict:

    @classmethod
    def create(cls, opt, shared=None):
        if shared is None:
            new_dict = cls.init_dict(opt)
            print("[num symbols: " + lg.tostring(new_dict.num_symbols) + "]")
        else:
            if shared.dictFullLoading is False:
                new_dict = shared
            else:
                new_dict = cls.init_dict(opt)
        return new_dict

    @classmethod
    def init_dict(cls, opt):
        new_dict = cls()
        new_dict.opt = opt
        new_dict.num_symbols = 0
        new_dict._index_to_symbol = tds.Hash()
        new_dict._symbol_to_index = tds.Hash()
        new_dict._unkindex_to_symbol = tds.Hash()

        print("[loading dict:" + opt['dictFile'] + "]")
        try:
            f = open(opt['dictFile'])
        except OSError:
            f = None
        if f is None:
            raise FileNotFoundError(opt['dictFile'] + ' not found')
        s = f.read()
        f.close()
        i1 = 0
        # Count the dictionary size first:
        while True:
            i2 = s.find('\n', i1)
            if i2 == -1:
                break
            new_dict.num_symbols = new_dict.num_symbols + 1
            i1 = i2 + 1
        new_dict.index_to_freq = lg.DoubleTensor(new_dict.num_symbols)
        new_dict.num_inputs = new_dict.num_symbols
        new_dict.num_labels = new_dict.num_symbols
        i1 = 0
        cnt = 0
        while True:
            i2 = s.find('\n', i1)
            if i2 == -1:
                break
            else:
                line = s[i1:i2]
            t = pl_utils.split(line, '\t')
            new_dict._symbol_to_index[t[0]] = cnt
            new_dict._index_to_symbol[cnt] = t[0]
            new_dict.index_to_freq[cnt] = float(t[1]) * 1.0
            cnt = cnt + 1
            i1 = i2 + 1
        if opt.get('dictFullLoading') and opt.get('dictUNKFile') is not None:
            try:
                f = open(opt['dictUNKFile'])
            except OSError:
                f = None
            if f is None:
                raise FileNotFoundError(opt['dictUNKFile'] + ' not found')
            s = f.read()
            f.close()
            i1 = 0
            cnt = 0
            while True:
                i2 = s.find('\n', i1)
                if i2 == -1:
                    break
                else:
                    line = s[i1:i2]
                t = pl_utils.split(line, '\t')
                cnt = cnt + 1
                new_dict._unkindex_to_symbol[float(t[0])] = t[1]
                i1 = i2 + 1
            print('[UNKhashed words loaded:' + lg.tostring(cnt) + ']')
        if opt.get('dictFullLoading') is not True:
            print("[clearing unnecessary dict fields to save memory.]")
            new_dict.dictFullLoading = False
            new_dict._index_to_symbol = None
            new_dict._symbol_to_index = None
            new_dict._unkindex_to_symbol = None
            if opt.get('dictStoreIndexToFreq') is not True and opt.get('dictMinOcc') is None:
                new_dict.index_to_freq = None
        return new_dict

    def save(self, fname):
        if self.opt.get('allowSaving'):
            try:
                fw = open(fname + ".tmp", "w")
            except OSError:
                fw = None
            if fw is None:
                raise OSError("saving dict failed: ", fname)
            if True:
                # Save in text format.
                for i in range(self.num_symbols):
                    fw.write(self.index_to_symbol(i) + "\t" + lg.tostring(self.index_to_freq[i]) + "\n")
                fw.close()
            try:
                os.rename(fname + '.tmp', fname)
            except OSError:
                print('WARNING: renaming failed')

    def get_shared(self):
        shared = {}
        shared['num_inputs'] = self.num_inputs
        shared['num_labels'] = self.num_labels
        shared['num_symbols'] = self.num_symbols
        if self.opt.get('dictStoreIndexToFreq') is True:
            shared['index_to_freq'] = self.index_to_freq
        shared['_index_to_symbol'] = self._index_to_symbol
        shared['_symbol_to_index'] = self._symbol_to_index
        shared['opt'] = self.opt
        return shared

    def index_to_symbol(self, index):
        unks = getattr(self, 'unks', None)
        if unks is not None and unks[index] is not None:
            # Deal with unknown words.
            word = None
            ind = unks[index]
            if ind is not None:
                word = self._unkindex_to_symbol[ind]
            if word is None:
                # Fall back to printing "unknown" if we don't know the word.
                word = self._index_to_symbol[index]
            return word
        else:
            # Usual conversion with standard dictionary.
            return self._index_to_symbol[index]

    def symbol_to_index(self, symbol):
        return self._symbol_to_index[symbol]

    def get_labels(self):
        """Return the dictionary elements that are used for ranking
        as candidate labels. By default this is just the entire set of symbols."""
        if getattr(self, 'labels', None) is not None:
            return self.labels
        # Build labels for the first time.
        self.labels = tds.Hash()
        for i in range(self.num_symbols):
            self.labels[i] = lg.Tensor([[i, 1]])
        return self.labels

    def text_to_vector(self, s):
        if not getattr(self, 'parser', None):
            from . import parse as parserlib
            self.parser = parserlib.parser.new(self.opt)
        assert s and len(s) > 0, ('dict.t2v: make sure you provided a nonempty '
                                  'string, and used dict:t2v not dict.t2v')
        return self.parser.parse_test_time(s, self)

    def text_to_vector_legacy(self, s):
        x = []
        words = pl_utils.split(s, ' ', True)
        for w in words:
            idx = self.symbol_to_index(w)
            if idx is not None:
                x.append([idx, 1])
        return x

    def vector_to_text(self, s):
        assert s is not None and lg.type(s).find('Tensor') != -1, (
            'dict.v2t: make sure you provided a valid tensor, and used dict:v2t not dict.v2t')
        t = ""
        for i in range(s.size(0)):
            if s.dim() == 1:
                ind = s[i]
            else:
                ind = s[i][0]
            w = self.index_to_symbol(ind)
            if w is None:
                # This is likely a time feature or something
                # else not in the dictionary.
                w = '<ind=' + lg.tostring(ind) + '>'
            t = t + w
            t = t + " "
        if len(t) > 1:
            # Remove last space added.
            t = t[:-1]
        return t

    v2t = vector_to_text
    t2v = text_to_vector
    t2v_l = text_to_vector_legacy
