"""KVmemnn/library/parse.lua of facebookarchive/MemNN, ported line by line: to parse a line of the given input.

The Lua table ``parser`` is the class ``parser`` (``parser:new(opt)`` a classmethod). Lua patterns are Python
regular expressions written out (``%s`` is legonn's LUA_SPACE set, ASCII white space as Lua's); the option
``dictWhiteSpace`` (a Lua pattern such as WikiMovies' ``'[ ]'``) and ``customGsubs`` are used as regular
expressions, and ``s:lower()`` lowers ASCII letters only, as Lua's (docs/porting.md's byte-string row).
``pl.utils.escape(w)`` then ``chars:find(w_esc)`` is ``re.search(re.escape(w), chars)``. Edits: ``dict[word]``
(a field of the dictionary object named by the word, nil for most words) is ``getattr(dict, word, None)``;
``t[#t + 1] = dict['<UNK>']`` appends only a value that is not None (assigning nil adds nothing in Lua);
``r:dim() == 0`` of the empty ``torch.FloatTensor(0, 2)`` is ``r.nElement() == 0`` (docs/porting.md's
``list:dim() ~= 0`` row). ``hash.hash(word)`` (dictUseUNKHash): library/hash.lua defines no ``hash`` function,
so that branch fails in Torch7 (a call of nil); hash.lua is not ported and ``hash`` is None here, which fails
the same way.
"""
import math
import re

import legonn as lg
from legonn import tds
from legonn.pl import utils as pl_utils
from legonn.tensor.introspection import LUA_SPACE

S = LUA_SPACE   # Lua's %s, inside the [...] sets below
hash = None   # require('library.hash'): not ported (see the module docstring)


class parser:

    @classmethod
    def new(cls, opt):
        new_parser = cls()
        new_parser.opt = opt
        return new_parser

    def preprocess(self, s):
        """Simple preprocessing"""
        if self.opt.get('dictRemoveChars') is not None:
            for i in range(len(self.opt['dictRemoveChars'])):
                c = self.opt['dictRemoveChars'][i:i + 1]
                if c == '.':
                    c = r'\.'
                if c == '?':
                    c = r'\?'
                s = re.sub(c, '', s)
        if self.opt.get('preprocessText'):
            # collapse asterisks
            s = re.sub(rf'[*{S}]*[*]+[*{S}]*', ' * ', s)
            # collapse question marks
            s = re.sub(rf'[?{S}]*[?]+[?{S}]*', ' ? ', s)
            # collapse exclamation points
            s = re.sub(rf'[!{S}]*[!]+[!{S}]*', ' ! ', s)
            # collapse commas
            s = re.sub(rf'[,{S}]*[,]+[,{S}]*', ' , ', s)
            # collapse equality
            s = re.sub(rf'[={S}]*[=]+[={S}]*', ' = ', s)
            # collapse dashes (but leave hyphens and negative signs)
            s = re.sub(rf'[\-{S}]*-+[{S}]*-+[\-{S}]*', ' -- ', s)
            # collapse and replace pipes
            s = re.sub(rf'[|{S}]*[|]+[|{S}]*', ' __pipe__ ', s)
        if self.opt.get('customGsubs'):
            delimit = self.opt['customGsubs'][0:1]
            gsubs = pl_utils.split(self.opt['customGsubs'][1:], delimit, True)
            assert len(gsubs) % 2 == 0, ('Need an even number of pattern:replace pairs '
                                         'in self.opt.customGsubs, with a delimiter as the first char')
            for i in range(0, len(gsubs), 2):
                pattern = gsubs[i]
                replace = gsubs[i + 1]
                s = re.sub(pattern, replace, s)
        # collapse whitespace
        s = re.sub(rf'[{S}][{S}]+', ' ', s)
        if self.opt.get('dictLowercaseData'):
            return s.encode('utf-8', 'surrogateescape').lower().decode('utf-8', 'surrogateescape')
        return s

    def preprocess_word(self, w):
        """Remove hyphens unless associated with digit"""
        # remove leading '-'s if the second character is not a digit
        while w[0:1] == '-' and re.search('[0-9]', w[1:2]) is None:
            w = w[1:]
        # remove trailing '-'s
        while w[-1:] == '-':
            w = w[:-1]
        return w

    def split(self, s, c, chars_to_ignore=None):
        """optionally include chars_to_ignore to remove some items from results,
        ie if chars_to_ignore = ',.' then will not return words '.' or ','"""
        t = []
        while True:
            m = re.search(c, s)
            if m is None:
                if len(s) > 0:
                    t.append(s)
                break
            f = m.start()
            word = s[:f]
            delim = s[f:f + 1]
            if self.opt.get('preprocessWords'):
                word = self.preprocess_word(word)
                delim = self.preprocess_word(delim)
            if chars_to_ignore:
                word_esc = re.escape(word)
                if word_esc is not None and not re.search(word_esc, chars_to_ignore):
                    t.append(word)
                del_esc = re.escape(delim)
                if del_esc is not None and not re.search(del_esc, chars_to_ignore):
                    t.append(delim)
            else:
                t.append(word)
                t.append(delim)
            s = s[f + 1:]
        return t

    def unknown_word(self, word, t, dict):
        if self.opt.get('dictUseUNK'):
            if self.opt.get('dictUseUNKHash'):
                if getattr(dict, '_unkf', None) is None:
                    # Convert hashes to torch floats so we don't lose precision.
                    dict._unkf = lg.FloatTensor(1)
                dict._unkf[0] = hash.hash(word) % 1e9 + dict.num_symbols
                h = dict._unkf[0]
                if getattr(dict, '_unk', None) is None:
                    dict._unk = tds.Hash()
                dict._unk[h] = word
                t.append(h)
            else:
                unk = getattr(dict, '<UNK>', None)   # assigning nil to t[#t + 1] adds nothing
                if unk is not None:
                    t.append(unk)
                if getattr(dict, 'symbol_to_index', None) is not None:
                    unk = dict.symbol_to_index('<UNK>')
                    if unk is not None:
                        t.append(unk)
        else:
            # Do nothing.
            pass

    def parse_internal(self, s, out_vec, dict, addword_fun=None, addword_arg=None):
        """s: input string
        out_vec: output vector version of string
        dict: dictionary containing words"""
        v = []
        if s is None:
            return out_vec
        s = self.preprocess(s)
        st = self.split(s, self.opt['dictWhiteSpace'])
        s2i = getattr(dict, 'symbol_to_index', None) is not None
        word_pos = 0
        max_ngram = len(st) - 1
        # Try the existing dictionary on different n-gram sizes...
        while word_pos <= len(st) - 1:
            # Find if there is an n-gram match in this position.
            word = ''
            found = ''
            found_pos = None
            if self.opt.get('dictMaxNGramSz') is not None:
                max_ngram = min(len(st) - 1, word_pos + self.opt['dictMaxNGramSz'] - 1)
            for j in range(word_pos, max_ngram + 1):
                word = word + st[j]
                if getattr(dict, word, None) is not None or (s2i and dict.symbol_to_index(word) is not None):
                    found = word
                    found_pos = j
            if len(found) != 0:
                if addword_fun is not None:
                    addword_fun(addword_arg, found, 1)
                else:
                    if s2i:
                        idx = dict.symbol_to_index(found)
                    else:
                        idx = getattr(dict, found)
                    if idx is not None:   # v[#v + 1] = nil adds nothing
                        v.append(idx)
                word_pos = found_pos
            elif len(word) > 0:
                word = st[word_pos]
                if addword_fun is not None:
                    addword_fun(addword_arg, word, 1)
                else:
                    self.unknown_word(st[word_pos], v, dict)
            word_pos = word_pos + 1
        if self.opt.get('dictRemoveWhiteSpace') is not None:
            # Remove space and , from the data (dumb preprocessing).
            for i in range(len(v)):
                s = None
                if getattr(dict, lg.tostring(v[i]), None) is not None:
                    s = re.escape(getattr(dict, lg.tostring(v[i])))
                if s is not None and re.search(s, self.opt['dictRemoveWhiteSpace']) is not None:
                    pass  # Skip.
                else:
                    out_vec.append(v[i])
        else:
            # Keep all the spaces and such.
            out_vec = v
        return out_vec

    def parse_supporting_facts(self, s, dict):
        if s is None or len(s) == 0:
            return None
        d = pl_utils.split(s, ' ', True)
        sfs = lg.FloatTensor(len(d))
        cnt = 0
        for sf in d:
            sfs[cnt] = float(sf)
            cnt = cnt + 1
        return sfs

    def parse_candidates(self, s, dict):
        c = tds.Hash()
        c_strings = tds.Hash()
        if s is None:
            return None
        d = pl_utils.split(s, '|', True)
        for ci in d:
            ci0 = self.preprocess(ci)
            # do not add duplicates (after preprocessing)
            if c_strings[ci0] is None:
                cip = self.parse_internal(ci, [], dict)
                if len(cip) > 0:
                    c[len(c)] = lg.FloatTensor(cip)
                    c_strings[ci0] = 1
        return c

    def parse(self, s, dict):
        in_vec = []
        out_vec = []
        # First, get rid of the index at the beginning,
        # this doesn't go in the dictionary.
        i1 = s.find(' ')
        if i1 != -1:
            index = float(s[:i1 + 1]) * 1.0
            in_vec.append(index)
            s = s[i1 + 1:]
        # Now split potentially into QA pairs.
        all_ = pl_utils.split(s, '\t', True)
        in_vec = self.parse_internal(all_[0] if len(all_) > 0 else None, in_vec, dict)
        out_vec = self.parse_internal(all_[1] if len(all_) > 1 else None, out_vec, dict)

        res = [in_vec, out_vec]

        # (potential) supporting facts in slot 3
        res.append(self.parse_supporting_facts(all_[2] if len(all_) > 2 else None, dict))

        # (potential) candidates in slot 4
        res.append(self.parse_candidates(all_[3] if len(all_) > 3 else None, dict))

        return res

    def parse_internal_test_time(self, s, out_vec, dict):
        """This is very similar to parser:parse_internal."""
        v = []
        if s is None:
            return None
        s = self.preprocess(s)
        st = self.split(s, self.opt['dictWhiteSpace'])
        word_pos = 0
        found_pos = None
        # Try the existing dictionary on different n-gram sizes...
        while word_pos <= len(st) - 1:
            # Find if there is an n-gram match in this position.
            word = ''
            found = ''
            for j in range(word_pos, len(st)):
                word = word + st[j]
                if dict.symbol_to_index(word) is not None:
                    found = word
                    found_pos = j
            if len(found) == 0:
                self.unknown_word(st[word_pos], v, dict)
            else:
                v.append(dict.symbol_to_index(found))
                word_pos = found_pos
            word_pos = word_pos + 1
        if self.opt.get('dictRemoveWhiteSpace') is not None:
            # Remove space and , from the data (dumb preprocessing).
            for i in range(len(v)):
                s = None
                if v[i] <= dict.num_symbols - 1:
                    s = dict.index_to_symbol(v[i])
                if s is not None:
                    s = re.escape(s)
                if s is not None and re.search(s, self.opt['dictRemoveWhiteSpace']) is not None:
                    pass  # Skip.
                else:
                    out_vec.append(v[i])
        else:
            # Keep all the spaces and such.
            out_vec = v
        return out_vec

    def parse_test_time(self, s, dict):
        vec = []
        self.parse_internal_test_time(s, vec, dict)
        r = lg.FloatTensor(len(vec), 2)
        for i in range(len(vec)):
            r[i][0] = vec[i]
            freq = 1
            if dict.index_to_freq.size(0) > vec[i] + 1:
                freq = dict.index_to_freq[vec[i]]
            r[i][1] = 1 / math.pow(freq + 10, self.opt['dictTFIDFPow'])
        if r.nElement() == 0:
            return None
        xwt = r.t()
        nwv = xwt[1].norm()
        if nwv > 0.00001:
            xwt[1].div(nwv)
        return r
