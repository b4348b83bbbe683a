"""KVmemnn/library/kvmemnn_model.lua of facebookarchive/MemNN, ported line by line: create_nngraph (the
key-value memory network: attention over key memories, a weighted sum of value memories, ``maxHops`` hops with a
rotation between them), build_input and build_memory_vectors (the example's memories, and hashed ones, as key and
value VectorArrays, with time and memory-label features).

``setmetatable(kvmemNN, {__index = memNN})`` is a subclass. ``nn.WeightedLookupTableSkinny(n, d, LTMaxNorm,
adagrad, embeddingLRScale, mask)``: its ``__init(nIndex, embDim)`` drops the four extra arguments in Lua, so they
are dropped here (docs/porting.md's torch.class row); ``sm_mems_n[i + 1]`` of the Lua's 1-based hop ``i`` is
``sm_mems_n[i]`` of the 0-based one (the list's slot 0 holds the response node). In build_memory_vectors the
local function's upvalues ``empty``/``clipped`` are ``nonlocal``, a memory table ``mem`` is a dict,
``math.random(n)`` is ``random.randint(1, n)``, ``memBuffer:sub(1, sz)`` is ``sub(0, sz - 1)``, the time feature
``dictSz - timLabel`` (1-based) is ``dictSz - 1 - timLabel``, and ``ex.memy[i] ~= nil`` reads past the list's end
as nil.
"""
import random

import legonn as lg
from legonn import nn

from .memnn_model import memNN
from .WeightedLookupTableSkinny import WeightedLookupTableSkinny
from .vector_array import VectorArray


class kvmemNN(memNN):
    modelClass = 'library.kvmemnn_model'

    def create_nngraph(self):
        if self.opt.get('trainWithSupportingFacts'):
            raise ValueError('not supported')

        qemb = self.create_query_embedding()
        key_mems_emb1in = self.create_memory_embedding()
        val_mems_emb1in = self.create_memory_embedding()

        if self.opt.get('doNotUpdateEmbeddings'):
            # we erase the updateParameters function of the lookuptable
            qemb.get(0).updateParameters = lambda *_: None
            key_mems_emb1in.get(0).updateParameters = lambda *_: None
            val_mems_emb1in.get(0).updateParameters = lambda *_: None

        # NNgraph implementation
        qin_n = nn.Identity()()
        key_memin_n = nn.Identity()()
        val_memin_n = nn.Identity()()
        qemb_n = qemb(qin_n)
        key_mems_emb1in_n = key_mems_emb1in(key_memin_n)
        val_mems_emb1in_n = val_mems_emb1in(val_memin_n)

        # Softmax over key memories using key memories
        sm_mem = nn.Sequential()
        sm_mem.add(nn.MM(False, True))
        sm_mem.add(nn.View(-1).setNumInputDims(2))
        sm_mem.add(nn.SoftMax())
        sm_mem.add(nn.View(1, -1).setNumInputDims(1))
        self.sm_mem = sm_mem
        sm_mem_n = sm_mem([qemb_n, key_mems_emb1in_n])
        # make q2
        q2 = nn.Sequential()
        q2.add(nn.MM(False, False))

        q2_n = q2([sm_mem_n, val_mems_emb1in_n])

        # Add q to q2
        addqq2 = nn.Sequential()
        addqq2.add(nn.JoinTable(0))
        addqq2.add(nn.Sum(0))
        addqq2_n = addqq2([qemb_n, q2_n])

        # response module
        resp = nn.Sequential()
        if self.opt.get('useCandidateLabels') or self.opt.get('numNegSamples') is not None:
            if self.opt.get('LTsharedWithResponse'):
                self.rlin.weight = self.wt[0].weight.sub(0, self.dict.num_symbols - 1)
            self.labelLT = nn.Sequential()
            self.labelLT.add(WeightedLookupTableSkinny(self.dict.num_symbols, self.opt['embeddingDim']))
            self.labelLT.get(0).weight = self.rlin.weight
            self.labelLT.add(nn.Sum(0))
            if self.opt.get('rotateAfterLookupTable'):
                if self.opt.get('LTsharedWithResponse'):
                    self.labelLT.add(self.lin_rotate[-1])
                else:
                    self.labelLT.add(self.lin_rotate[-2])
            resp.add(nn.Identity())
        else:
            if self.opt.get('LTsharedWithResponse'):
                # Same weights for output response as for word embeddings.
                self.rlin.weight = self.wt[0].weight.sub(0, self.dict.num_symbols - 1)
            resp.add(self.rlin)
            if self.opt.get('rankLoss') is False:
                resp.add(nn.LogSoftMax())

        # Final bits.
        resp_n = None
        lastq_n = addqq2_n
        sm_mems_n = [resp_n, sm_mem_n]
        for i in range(1, self.opt['maxHops']):
            q_rotate = nn.Sequential()
            q_rotate.add(self.lin_rotate[i - 1])
            q_rotate.add(nn.View(1, self.opt['embeddingDim']).setNumInputDims(1))
            qs_rotate_n = q_rotate(lastq_n)
            sm_mem_i = sm_mem.clone()
            sm_mems_n.append(sm_mem_i([qs_rotate_n, key_mems_emb1in_n]))
            qs_n = q2.clone()([sm_mems_n[i + 1], val_mems_emb1in_n])
            lastq_n = addqq2.clone()([qs_rotate_n, qs_n])
        if not self.opt.get('rotateBeforeResponse'):
            resp_n = resp(lastq_n)
        else:
            final_rotate = self.lin_rotate[self.opt['maxHops'] - 1]
            final_rotate_n = final_rotate(lastq_n)
            resp_n = resp(final_rotate_n)

        mlp = nn.gModule([qin_n, key_memin_n, val_memin_n], [resp_n])
        return mlp

    def build_input(self, qx, memx):
        ret = [qx, memx[0], memx[1]]
        if self.opt.get('usePE'):
            q_len = lg.DoubleTensor(1).fill(qx.size(0))
            ret[0] = [qx, q_len]
        return ret

    def build_memory_vectors(self, ex):
        maxLen = self.opt['sentenceSize']
        empty = True
        clipped = False

        def add_memory(m, mem_type, mem, fall_back_m=None):
            nonlocal empty, clipped
            empty = False

            if mem['mems'] == self.opt['memSize']:
                # Cannot add more memories! Have to clip .. :/
                clipped = True
                return

            # replace null memories (mostly for empty values)
            if m.size(0) == 1 and m[0][0] == self.NULL.x[0] and fall_back_m is not None:
                m = fall_back_m

            sz = m.size(0)
            if mem['memBuffer'].size(0) < sz + 2:
                mem['memBuffer'].resize(sz * 2 + 2, 2)
            mx = mem['memBuffer'].sub(0, sz - 1)
            self.fill_memory_slot(mx, m)

            timLabel = None
            if mem_type == 'hx' or mem_type == 'hy':
                if self.opt.get('useMemHTimeFeatures'):
                    mem['htim'] = mem['htim'] + random.randint(1, self.opt['timeVariance'])
                    timLabel = mem['htim']
            elif self.opt.get('useTimeFeatures'):
                mem['tim'] = mem['tim'] + random.randint(1, self.opt['timeVariance'])
                timLabel = mem['tim']

            if timLabel is not None or self.opt.get('useMemLabelFeatures'):
                feats = 0
                if timLabel is not None:
                    feats = feats + 1
                if self.opt.get('useMemLabelFeatures'):
                    feats = feats + 1
                mx = mem['memBuffer'].sub(0, sz + feats - 1)

                idx = 0
                if timLabel is not None:
                    mx[sz + idx][0] = self.dictSz - 1 - timLabel   # Lua's 1-based dictSz - timLabel
                    mx[sz + idx][1] = 1
                    idx = idx + 1
                if self.opt.get('useMemLabelFeatures'):
                    mx[sz + idx][0] = self.memLabel[mem_type]
                    mx[sz + idx][1] = 1
                    idx = idx + 1
            mem['memx'].add(mx)
            mem['mems'] = mem['mems'] + 1

        if getattr(self, 'memBufferKey', None) is None:
            # maxLen + feats is nonbinding--code below grows buffer when needed
            self.memBufferKey = lg.Tensor(maxLen * 2 + 3, 2)
            self.memBufferVal = lg.Tensor(maxLen * 2 + 3, 2)
            self.memBufferQuery = lg.Tensor(maxLen * 2 + 3, 2)
        if getattr(self, 'key_memx', None) is None:
            # memSize * maxLen is nonbinding--vecarrays auto-grow when needed
            sz = self.opt['memSize'] * maxLen
            self.key_memx = VectorArray.new(sz, self.opt['memSize'], 2)
            self.val_memx = VectorArray.new(sz, self.opt['memSize'], 2)
            self.query_memx = VectorArray.new(sz, self.opt['memSize'], 2)
        self.key_memx.clear()
        self.val_memx.clear()
        self.query_memx.clear()

        # key and values have their own time reference which are synced
        def init_mem(vec, buffer):
            t = {}
            t['memx'] = vec
            t['memBuffer'] = buffer
            t['mems'] = 0
            t['tim'] = -1
            t['htim'] = -1
            return t
        key_mem = init_mem(self.key_memx, self.memBufferKey)
        val_mem = init_mem(self.val_memx, self.memBufferVal)
        query_mem = init_mem(self.query_memx, self.memBufferQuery)

        for i in range(len(ex['memx']) - 1, -1, -1):
            add_memory(ex['memx'][i], 'x', key_mem)
            if ex.get('memy') and i < len(ex['memy']) and ex['memy'][i] is not None:
                add_memory(ex['memy'][i], 'y', val_mem, ex['memx'][i])
            else:
                add_memory(ex['memx'][i], 'x', val_mem, ex['memx'][i])
        # Add hashed deep memories that might be relevant.
        for i in range(len(ex['memhx'])):
            add_memory(ex['memhx'][i], 'hx', key_mem)
            if ex.get('memhy') and i < len(ex['memhy']) and ex['memhy'][i] is not None:
                add_memory(ex['memhy'][i], 'hy', val_mem, ex['memhx'][i])
            else:
                add_memory(ex['memhx'][i], 'hx', val_mem)
        if empty:
            # No memories found: Make a dummy memory so we have at least one!
            null = lg.Tensor(1, 2).fill(0)
            null[0][0] = self.NULL.x[0]
            key_mem['memx'].add(null)
            val_mem['memx'].add(null)

        # Useful to store this to extract it e.g. at evaluation time.
        self.lastMemClipped = clipped
        key_mem['memx'].clip()
        val_mem['memx'].clip()
        memx_return = [[key_mem['memx'].data, key_mem['memx'].len],
                       [val_mem['memx'].data, val_mem['memx'].len],
                       [query_mem['memx'].data, query_mem['memx'].len]]
        return memx_return, clipped, empty


# Lua's ``return kvmemNN``: what cmd.lua's parse_mlp calls on the required table
add_cmdline_options = kvmemNN.add_cmdline_options
