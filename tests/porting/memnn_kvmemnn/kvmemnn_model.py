"""KVmemnn/library/kvmemnn_model.lua of facebookarchive/MemNN, ported in part, line by line: create_nngraph (the
key-value memory network: attention over key memories, a weighted sum of value memories, ``maxHops`` hops with a
rotation between them) and build_input (lines 17-139).

Not ported (time): build_memory_vectors and the rest, which read data.lua's examples and hash.lua's memories.
``setmetatable(kvmemNN, {__index = memNN})`` is a subclass. ``nn.WeightedLookupTableSkinny(n, d, LTMaxNorm,
adagrad, embeddingLRScale, mask)``: its ``__init(nIndex, embDim)`` drops the four extra arguments in Lua, so they
are dropped here (docs/porting.md's torch.class row); ``sm_mems_n[i + 1]`` of the Lua's 1-based hop ``i`` is
``sm_mems_n[i]`` of the 0-based one (the list's slot 0 holds the response node).
"""
import legonn as lg
from legonn import nn

from .memnn_model import memNN
from .WeightedLookupTableSkinny import WeightedLookupTableSkinny


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
