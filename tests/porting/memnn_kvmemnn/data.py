"""KVmemnn/library/data.lua of facebookarchive/MemNN, ported line by line as far as it runs without hash.lua and
thread_utils.lua: the class handling training and eval data (examples from VectorArray files, stories of
statements kept as memories, positive and negative labels, TF-IDF weights, unknown-word hashing).

The table ``data`` is the class ``data`` (``data:create_data`` a classmethod, ``setmetatable(new_data,
{__index = self})`` is ``cls()``); an example ``res`` is a dict whose ``res[1]``/``res[2]`` are ``res[0]``/
``res[1]`` beside its named fields. ``ffi.load('libmemnn.so')`` is the port's libmemnn (data.c). Lua's
``math.random(n)`` (1..n, Lua's own generator) is ``random.randint(1, n)`` of Python's ``random`` where it draws a
count or a 1-based position, ``random.randrange(n)`` where the result is used as a 0-based index;
``math.random()`` is ``random.random()``. Indices are 0-based: ``sentence_pos`` (a position in a VectorArray) starts
at -1 (Lua 0) and wraps to 0 (Lua 1); the NULL symbol (the dictionary's first, Lua 1) is 0, so ``self.NULL`` is
``Tensor(1, 2):fill(1)`` with its index set to 0, and an empty sentence ``torch.Tensor({1})`` is ``lg.Tensor([0])``;
the line number at the head of each stored sentence stays as build_data.lua writes it (1 starts a story).
``table.remove(t, 1)`` is ``t.pop(0)``; ``pl.utils.split`` is legonn.pl's. get_next_example returns a pair in both
branches (``ex, None`` or the Lua's ``nil, true``), as its callers read ``local ex, finished = ...``.

Not ported: get_next_example_partitioned (eval_lib.lua's, not ported), the memHashFile branches (hash.lua, not
ported: create_data refuses the option) and the shared-data branch of create_data with get_shared
(VectorArray:new_shared and thread_utils.lua's raw THStorage pointers).
"""
import math
import random

import legonn as lg
from legonn import tds
from legonn.pl import utils as pl_utils

from . import libmemnn as C
from .cmd import _require
from .vector_array import VectorArray


def same_label(y1, y2):
    """Check if two example vectors have the same indices or not.
    This is used to find a negative document vector that differs
    from the positive one."""
    if y1.size(0) != y2.size(0):
        return False
    for i in range(y1.size(0)):
        if y1[i][0] != y2[i][0]:
            return False
    return True


class data:

    @classmethod
    def add_cmdline_options(cls, opt):
        opt.option('trainData',
                   None,
                   "filename of training data", 'data')
        opt.option('rankLabelDocuments', False,
                   'rank outputs as document vectors, rather than single labels',
                   'data', True)
        opt.option('sampleCands', 1, 'ratio of times sample real cands', 'model')
        opt.option('negSampleFromSameSrc', False, 'sample negative documents '
                   + 'from the same source as the positive one',
                   'data', True)
        opt.option('negSampleFromMemY', 0, 'sample negative labels from memy, '
                   + 'parameter controls the ratio of negative sampled from '
                   + 'memy vs random (default 0 = no memy)')
        opt.option('threadsShareData', False, 'threads share the same data, '
                   + 'otherwise stream different data into each thread',
                   'data', True)
        opt.option('memHashFile', None,
                   'hashing into memory fixed file of knowledge', 'data')
        opt.option('starSpaceMode', False, 'concatenate memories into LHS x',
                   'data')
        opt.option('datasetDistbn', False,
                   'probability of drawing from each dataset', 'data')

        # Parsing options.
        opt.option('preprocessText', False, 'Apply advanced preprocessing to text '
                   + 'when building dictionary and data.', 'parse')
        opt.option('customGsubs', None, 'Custom gsub arguments. First char is a '
                   + 'delimiter, followed by pattern-replace pairs. (e.g. ";%s%s+; "'
                   + ' means replace all continuous whitespace with a single space',
                   'parse')

        # Dictionary options.
        opt.option('dictStoreIndexToFreq', True, 'keep this field', 'data')
        opt.option('dictTFIDF', True, 'apply TF normalization', 'data')
        opt.option('dictTFIDFPow', 0, 'TF normalization hyperparam', 'data')
        opt.option('dictTFIDFLabel', False,
                   'apply TF normalization to label', 'data')
        opt.option('dictMaxNGramSz', 1, 'max Ngram size when parsing text', 'data')
        opt.option('dictWhiteSpace', '[,.?;: ]',
                   'Set of characters considered as whitespace', 'data')
        opt.option('dictRemoveWhiteSpace', ' ,.',
                   'Set of characters considered as whitespace'
                   + ' to remove from input', 'data')
        opt.option('dictRemoveChars', '',
                   'Set of characters removed from input', 'data')
        opt.option('dictLowercaseData', True, 'lower case the text', 'data')
        opt.option('dictUseUNK', False, 'replace unknowns with UNK', 'data')
        opt.option('dictUseUNKHash', False,
                   'replace unknowns with UNK hash', 'data')
        opt.option('dictUseUNKHashLookup', False,
                   'lookup unknown words in dictionary using UNK hash'
                   + '- this requires storing the hash as non-contiguous', 'data')
        opt.option('dictNumUNKs', 0, 'replace unknowns with UNK hash', 'data')
        opt.option('dictMinOcc', None,
                   'do not load items into dict with less than this frequency',
                   'dict', True)

        # Memory and Hash options.
        opt.option('dataMaxMemSize', 10000,
                   'largest memory stored in an example', 'data')
        opt.option('dictHashBelowFreq', 0, 'replace unknowns with UNK hash', 'hash')
        opt.option('hashLastN', 1, 'add hashes for up to N previous sentences '
                   + 'in the dialog', 'hash')
        opt.option('memHashY', True, 'hash things in Y position as well', 'hash')
        opt.option('memDictHashing', True, 'hash based on words', 'hash')
        opt.option('memHashFreqCutoff', 1000, "don't hash too freq words", 'hash')
        opt.option('memHashMaxHashes', 1000,
                   "don't hash more than this number of memories per hash bucket",
                   'hash')
        opt.option('memHashThrowAwayIfOverMaxHashes', True,
                   "don't keep a hash at all if memHashMaxHashes reached "
                   + 'for a given bucket',
                   'hash')
        opt.option('hashDocWindow', 0,
                   "retrieve memories in same document within a given window size "
                   + "around each retrieved memory from the hash", 'hash')
        opt.option('maxHashSizeSortedByTFIDF', -1,
                   "sort the hashes using tfidf score with the current example "
                   + "and keep the top ones (default -1 = keep all unsorted)",
                   'hash')
        opt.option('removeQueryDuplicatesFromHashes', False,
                   "check if the query and its answer are included in the hashes"
                   + "and remove it (useful when hashing the train)", 'hash')
        opt.option('notUseHashInMemory', False, 'set to true if one wants to get '
                   + 'hashes but not add them to the memory')

    def num_loaded_examples(self):
        if not self.num_loaded_ex:
            self.num_loaded_ex = 0
            for i in range(len(self.examples_x)):
                self.num_loaded_ex = self.num_loaded_ex + self.examples_x[i].size()
        return self.num_loaded_ex

    def get_input(self, ex):
        return ex[0]

    def is_null(self, x):
        if x is None:
            return True
        dim = x.dim()
        fst = x[0]
        if dim == 1:
            if fst == self.NULL_X or fst == 0:
                return True
        elif dim == 2:
            fst = fst[0]
            if fst == self.NULL_X or fst == 0:
                return True
        return False

    def rank_label_documents(self):
        return self.rankLabelDocuments[self.dataset]

    def get_positive_label(self, ex):
        a = ex.get(1)
        if self.is_null(a):
            return None

        if self.rank_label_documents():
            # We are ranking documents, so return the whole label
            # vector from the example.
            return a
        else:
            # Otherwise, we are ranking labels, so
            # return one of the labels from the label vector.
            if a.dim() == 1:
                index = a[random.randrange(a.size(0))]
            else:
                index = a[random.randrange(a.size(0))][0]
            self.y[0][0] = index
            self.pos = index
            return self.y

    def get_random_xy_pair(self):
        src = random.randrange(len(self.examples_x))
        index = random.randrange(int(self.examples_x[src].size()))
        x = self.examples_x[src].get(index)
        if x.size(0) > 1:
            x = x.sub(1, x.size(0) - 1)
        else:
            x = lg.Tensor([0])
        y = self.examples_y[src].get(index)
        return x, y

    def get_random_label_document(self):
        if self.opt.get('negSampleFromSameSrc'):
            src = self.dataset
        else:
            src = random.randrange(len(self.examples_y))
        index = random.randrange(int(self.examples_y[src].size()))
        nex = {}
        nex[1] = self.examples_y[src].get(index)
        return self.get_positive_label(nex)

    def get_negative_label(self, ex):
        if (self.opt.get('useCandidateLabels') and ex.get('cands') is not None and len(ex['cands']) > 0
                and random.random() <= self.opt['sampleCands']):
            # Get one of the candidates.
            # We loop trying a few times to find a label that is different
            # to the current one.
            ny = None
            for i in range(10):
                index = random.randrange(len(ex['cands']))
                ny = ex['cands'][index]
                if not same_label(ex[1], ny):
                    break
            return ny
        else:
            if self.rank_label_documents():
                # We are ranking documents, so return the whole label
                # vector of a random example.
                while True:
                    ny = None
                    if (self.opt.get('negSampleFromMemY')
                            and self.memy is not None and len(self.memy) > 0
                            and random.random() < self.opt['negSampleFromMemY']):
                        # we can use memories as negative (to penalize
                        # repeating the same kind of thing)
                        ny = self.memy[random.randrange(len(self.memy))]
                    if ny is None or self.is_null(ny):
                        # default strategy (random)
                        ny = self.get_random_label_document()
                    if not self.is_null(ny):
                        ny = self.resolveUNK(ny, False)
                        ny = self.addTFIDF(ny, True)
                        return ny
            else:
                while True:
                    ny = random.randrange(self.dict.num_symbols)
                    if ny != self.pos:
                        break
                self.yneg[0][0] = ny
                return self.yneg

    def resolveUNK(self, x, create_new=None):
        if create_new is None:
            create_new = True
        # cache options
        dictMinOcc = self.opt.get('dictMinOcc')
        dictUseUNKHash = self.opt.get('dictUseUNKHash')

        if dictMinOcc or dictUseUNKHash:
            x = x.clone()
        else:
            # nothing to do
            return x

        index_to_freq = self.dict.index_to_freq
        if dictUseUNKHash:
            # Search for UNKnowns in the vector...
            for i in range(x.size(0)):
                id = int(x[i])
                hashRare = False
                if self.opt.get('dictHashBelowFreq') is not None:
                    if (id < self.dict.num_symbols and
                            index_to_freq[id] < self.opt['dictHashBelowFreq']):
                        hashRare = True
                if hashRare or id >= self.dict.num_symbols:   # Lua: id > num_symbols, 1-based
                    unk_id = self.dict.id_to_unkid[id]
                    if unk_id is None:
                        if create_new:
                            if self.dict.unks_cnt < self.opt['dictNumUNKs']:
                                self.dict.unks_cnt = self.dict.unks_cnt + 1
                            else:
                                # Should we print a warning that there are too
                                # many unknowns?
                                pass
                            unk_id = self.dict.unks_cnt + 2   # Lua: + 3, the 1-based slots after NULL, UNK
                            self.dict.unkid_to_id[unk_id] = id
                            self.dict.id_to_unkid[id] = unk_id
                            x[i] = unk_id
                        else:
                            if id >= self.dict.num_symbols:
                                x[i] = self.NULL_X
                    else:
                        x[i] = unk_id
        # Only compute min occ after doing the relevant hashing.
        if dictMinOcc:
            x_size = x.size()
            C.resolveMinOcc(
                len(x_size),
                dictMinOcc,
                list(x_size),
                lg.data(x),
                lg.data(index_to_freq)
            )
        return x

    def reset(self):
        # Members used for storing current example.
        # This is so we do not have to keep creating them.
        self.bigx = self.Tensor(10000, 2).fill(1)
        self.x = self.Tensor(10000, 2).fill(1)
        self.a = self.Tensor(10000, 2).fill(1)
        self.y = self.Tensor(1, 2).fill(1)
        self.yneg = self.Tensor(1, 2).fill(1)
        # Special vector for the NULL memory.
        self.NULL = self.Tensor(1, 2).fill(1)
        self.NULL[0][0] = 0   # the NULL symbol, Lua's 1
        self.NULL_X = self.NULL[0][0]
        self.num_loaded_ex = None

        self.init_dataset_distbns()

        self.reset_examples()

        self.rankLabelDocuments = []
        if isinstance(self.opt.get('rankLabelDocuments'), str):
            rlds = pl_utils.split(self.opt['rankLabelDocuments'], ',')
            if len(rlds) != len(self.sentence_pos):
                print("[WARNING: rankLabelDocuments:"
                      + self.opt['rankLabelDocuments']
                      + " does not match data class with "
                      + lg.tostring(len(self.sentence_pos)) + " datasets.]")
            for i in range(len(self.sentence_pos)):
                rld = False
                if i < len(rlds) and rlds[i] == 'true':
                    rld = True
                self.rankLabelDocuments.append(rld)
        else:
            for i in range(len(self.sentence_pos)):
                self.rankLabelDocuments.append(self.opt.get('rankLabelDocuments'))

    def reset_examples(self):
        self.sentence_pos = []
        for i in range(len(self.examples_x)):
            self.sentence_pos.append(-1)
        self.dataset = 0
        self.reset_conversation()

    def reset_conversation(self):
        if self.opt.get('dictUseUNKHash'):
            self.dict.unkid_to_id = None
            self.dict.id_to_unkid = None
            self.dict.unkid_to_id = tds.Hash()
            self.dict.id_to_unkid = tds.Hash()
            self.dict.unks_cnt = 0
            # Could use this to randomly permute:
            # self.unks_take = torch.randperm(self.opt.dictNumUNKs)

    def get_next_example(self, loop_through_data=None):
        if self.sentence_pos[self.dataset] >= self.examples_x[self.dataset].size() - 1:
            if self.dataset >= len(self.sentence_pos) - 1:
                # We hit then end of the data.
                if loop_through_data:
                    self.dataset = 0
                    self.sentence_pos[self.dataset] = 0
                else:
                    # Indicate the end of the dataset.
                    return None, True
            else:
                # Move on to the next source.
                self.dataset = self.dataset + 1
                self.sentence_pos[self.dataset] = 0
        else:
            self.sentence_pos[self.dataset] = self.sentence_pos[self.dataset] + 1
        index = self.examples_x[self.dataset].get(self.sentence_pos[self.dataset])[0]
        if index == 1:
            self.reset_conversation()
        return self.get_current_example(), None   # Lua: one value; its callers read ``ex, finished``

    def init_dataset_distbns(self):
        if isinstance(self.opt.get('datasetDistbn'), str):
            weights = pl_utils.split(self.opt['datasetDistbn'], ',')
            self.randData = lg.zeros(len(weights))
            for i in range(len(weights)):
                self.randData[i] = float(weights[i])
            self.randData.div(self.randData.sum())
            for i in range(1, len(weights)):
                self.randData[i] = self.randData[i] + self.randData[i - 1]
        else:
            # Draw from datasets randomly with equal weight.
            self.randData = None

    def get_random_dataset(self):
        if self.randData is None:
            index = random.randrange(len(self.sentence_pos))
        else:
            r = random.random()
            index = self.randData.size(0) - 1
            for i in range(self.randData.size(0)):
                if r < self.randData[i]:
                    index = i
                    break
        return index

    def get_random_example(self):
        if self.sentence_pos[self.dataset] >= self.examples_x[self.dataset].size() - 1:
            self.sentence_pos[self.dataset] = 0
        else:
            self.sentence_pos[self.dataset] = self.sentence_pos[self.dataset] + 1
        index = self.examples_x[self.dataset].get(self.sentence_pos[self.dataset])[0]
        if index == 1:
            self.reset_conversation()
            # Possibly switch datasets..
            self.dataset = self.get_random_dataset()
            # Possibly switch to a random conversation within the dataset.
            if self.examples_st[self.dataset] is not None:
                ind = random.randrange(int(self.examples_st[self.dataset].size()))
                rand_pos = int(self.examples_st[self.dataset].get(ind)[0])
                self.sentence_pos[self.dataset] = rand_pos
        return self.get_current_example()

    def get_current_example(self):
        """This function is internal only and called by either get_random_example
        or get_next_example."""
        res = {}
        # Get next sentence.
        x1 = self.examples_x[self.dataset].get(self.sentence_pos[self.dataset])
        res['index'] = x1[0]
        if x1.size(0) > 1:
            x1 = x1.sub(1, x1.size(0) - 1)
        else:
            x1 = lg.Tensor([0])
        x1 = self.resolveUNK(x1)
        x1 = self.addTFIDF(x1)
        self.story_index = res['index']
        if self.story_index == 1:
            self.memx = []
            self.memy = []
        else:
            self.memx.append(self.lastx)
            self.memy.append(self.lasty)
            if len(self.memx) > self.opt['dataMaxMemSize']:
                self.memx.pop(0)
                self.memy.pop(0)
        self.lastx = x1
        res['memx'] = self.memx
        res['memy'] = self.memy
        # Lua: the hash branch (hash.lua, not ported; create_data refuses memHashFile)
        res['memhx'] = []
        res['memhy'] = []

        res['cands'] = self.get_candidates(res)

        # Add known supporting facts, if any.
        ex_index = self.sentence_pos[self.dataset]
        if (self.examples_sf[self.dataset] is not None and
                self.examples_sf[self.dataset].size() >= ex_index + 1):
            res['sfs'] = self.examples_sf[self.dataset].get(ex_index)

        a1 = self.examples_y[self.dataset].get(ex_index)
        a1 = self.resolveUNK(a1, False)
        a1 = self.addTFIDF(a1, True)
        self.lasty = a1
        res[0] = x1
        res[1] = a1

        if self.opt.get('starSpaceMode'):
            res = self.starspace_mode(res)

        res['dataset'] = self.dataset

        return res

    def get_candidates(self, ex):
        cands = []
        if ((self.opt.get('useCandidateLabels') or self.opt.get('testWithCandidateLabels'))
                and self.examples_ci[self.dataset] is not None
                and self.examples_c[self.dataset] is not None):
            ci = self.examples_ci[self.dataset][self.sentence_pos[self.dataset]]
            if ci[0] > 0 and ci[1] > 0:
                for ii in range(int(ci[0]) - 1, int(ci[1]) - 1):   # Lua's 1-based ci[1] .. ci[2]-1
                    cand = self.examples_c[self.dataset].get(ii)
                    cand = self.resolveUNK(cand)
                    cand = self.addTFIDF(cand)
                    cands.append(cand)
        return cands

    def starspace_mode(self, res):
        # Concatenate everything into x.
        sz = res[0].size(0)
        for i in range(len(res['memx'])):
            nsz = sz + res['memx'][i].size(0)
            if nsz <= self.bigx.size(0):
                sz = nsz
            else:
                break
        for i in range(len(res['memy'])):
            nsz = sz + res['memy'][i].size(0)
            if nsz <= self.bigx.size(0):
                sz = nsz
            else:
                break
        bigx = self.bigx.sub(0, sz - 1)

        bigx.sub(0, res[0].size(0) - 1).copy(res[0])
        sz = res[0].size(0)
        for i in range(len(res['memx'])):
            start = sz
            nsz = sz + res['memx'][i].size(0)
            if nsz <= self.bigx.size(0):
                sz = nsz
                bigx.sub(start, sz - 1).copy(res['memx'][i])
            else:
                break
        for i in range(len(res['memy'])):
            start = sz
            nsz = sz + res['memy'][i].size(0)
            if nsz <= self.bigx.size(0):
                sz = nsz
                bigx.sub(start, sz - 1).copy(res['memy'][i])
            else:
                break
        res['old1'] = res[0]
        res[0] = bigx
        # Normalize.
        bxt = bigx.t()
        nwv = bxt[1].norm()
        if nwv > 0.00001:
            bxt[1].div(nwv)
        return res

    def addTFIDF(self, x, isLabel=None, overwrite=None):
        # If there's already a second dimension of weights, we don't run this.
        if x.dim() == 2 and not overwrite:
            return x
        # Check for the empty vector, e.g. for non-answers.
        if x[0] == 0:
            return self.NULL
        sz = x.size(0)
        if x.dim() == 2:
            xnew = x  # don't reallocate tensor if x is already two-dimensional
            x = x.t()[0]
        else:
            xnew = lg.FloatTensor(sz, 2)
        xwt = xnew.t()
        if ((self.opt.get('dictTFIDF') and not isLabel)
                or (isLabel and self.opt.get('dictTFIDFLabel'))):
            # Add word frequency normalization.
            C.addTFIDF(lg.data(x), lg.data(xwt), sz, self.opt['dictTFIDFPow'],
                       lg.data(self.dict.index_to_freq))
        else:
            xwt[0].copy(x)
            xwt[1].fill(1 / math.sqrt(sz))
        return xnew

    def Tensor(self, *args):
        return lg.FloatTensor(*args)

    @classmethod
    def create_data(cls, filename, shared_data, options, dict):
        new_data = cls()
        if options is None:
            raise ValueError('missing options')
        new_data.opt = options

        new_data.filename = filename
        new_data.load_from_file = False
        if shared_data is not None and new_data.opt.get('threadsShareData') is not False:
            raise NotImplementedError('shared data (thread_utils.lua) is not ported')
        files = pl_utils.split(filename, ',')
        # Load data via preprocessed torch files.
        new_data.examples_x = []
        new_data.examples_y = []
        new_data.examples_st = []
        new_data.examples_sf = []
        new_data.examples_c = []
        new_data.examples_ci = []
        for i in range(len(files)):
            new_data.examples_x.append(VectorArray.load(files[i] + '.x'))
            new_data.examples_y.append(VectorArray.load(files[i] + '.y'))
            new_data.examples_st.append(VectorArray.load(files[i] + '.st')
                                        if _exists(files[i] + '.st') else None)
            new_data.examples_sf.append(VectorArray.load(files[i] + '.sf')
                                        if _exists(files[i] + '.sf') else None)
            new_data.examples_c.append(None)
            new_data.examples_ci.append(None)
            if options.get('useCandidateLabels') or options.get('testWithCandidateLabels'):
                if _exists(files[i] + '.c') and _exists(files[i] + '.ci'):
                    new_data.examples_c[i] = VectorArray.load(files[i] + '.c')
                    new_data.examples_ci[i] = lg.load(files[i] + '.ci')
            print('[loaded examples[' + lg.tostring(i + 1) + ']:'
                  + lg.tostring(new_data.examples_x[i].size()) + ']')

        if options.get('memHashFile') is not None:
            raise NotImplementedError('memHashFile: hash.lua is not ported')
        new_data.mem_hash = []

        if dict is not None:
            dictClass = _require(options['dictClass']).dict
            if getattr(dict, 'shared_table', None):
                new_data.dict = dictClass.create(options, dict)
            else:
                new_data.dict = dict

        new_data.reset()
        return new_data



# Lua's ``return data``: what cmd.lua's parse_mlp calls on the required table
add_cmdline_options = data.add_cmdline_options

def _exists(name):
    """Lua's ``local f = io.open(name); if f then f:close() ...``."""
    try:
        open(name).close()
    except OSError:
        return False
    return True
