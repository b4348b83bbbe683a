"""KVmemnn/library/memnn_model.lua of facebookarchive/MemNN, ported in part, line by line: num_features,
create_modules, create_query_embedding, create_memory_embedding, embed, get_negative_label, update_violators and
negsample_update (lines 108-152, 353-398 and 987-1118), the functions that build the key-value model of
kvmemnn_model.lua and train it by negative sampling.

Not ported (time): the rest (option lists, create_mlp/clone_mlp/reset, which go through base_model.lua, the
memory-network graph of create_nngraph, prediction, the other updates, the training worker). The table
``memNN`` is the class ``memNN``; the global ``g_train_data`` that get_negative_label reads is this module's
``g_train_data`` (set by the caller, as train.lua's data set). ``nn.Sum(1)`` is ``nn.Sum(0)``; ``wt[1]`` is
``wt[0]``; ``weight:sub(1, n)`` is ``weight.sub(0, n - 1)``.
"""
import legonn as lg
from legonn import nn

from .WeightedLookupTableSkinny import WeightedLookupTableSkinny
from .PositionalEncoder import PositionalEncoder
from .SumVecarr import SumVecarr

g_train_data = None


class memNN:
    modelClass = 'library.memnn_model'

    def num_features(self):
        tfeats = 0
        if self.opt.get('useMemLabelFeatures'):
            tfeats = tfeats + 4
        if self.opt.get('useTimeFeatures') or self.opt.get('useMemHTimeFeatures'):
            tfeats = tfeats + self.opt['timeVariance'] * self.opt['memSize']
        return self.dict.num_symbols + tfeats

    def create_modules(self, num_rotations=None):
        num_rotations = num_rotations or self.opt['maxHops']
        # dictionary lookup table.
        wt = []
        for i in range(1):
            wt.append(WeightedLookupTableSkinny(self.dictSz, self.opt['embeddingDim']))
            wt[i].reset(self.opt['initWeights'])
        self.wt = wt
        self.lin_rotate = []
        bias = self.opt.get('rotateHasBias') or self.opt.get('rotateHasBias') is None
        for i in range(num_rotations):
            self.lin_rotate.append(nn.Linear(self.opt['embeddingDim'], self.opt['embeddingDim'], bias))
            self.lin_rotate[i].reset(self.opt['initWeights'])
        if self.opt.get('rotateAfterLookupTable'):
            nbExtraRotations = 1
            if ((self.opt.get('useCandidateLabels') or self.opt.get('numNegSamples') is not None)
                    and not self.opt.get('LTsharedWithResponse')):
                nbExtraRotations = 2
            for nidx in range(num_rotations, num_rotations + nbExtraRotations):
                self.lin_rotate.append(nn.Linear(self.opt['embeddingDim'], self.opt['embeddingDim'], bias))
                self.lin_rotate[nidx].weight = lg.eye(self.opt['embeddingDim'])
        rlin = nn.Linear(self.opt['embeddingDim'], self.dict.num_symbols, False)
        rlin.reset(self.opt['initWeights'])
        self.rlin = rlin

    def create_query_embedding(self):
        # query embedding
        qemb = nn.Sequential()
        if self.opt.get('usePE'):
            mlpP = nn.ParallelTable()
            mlpP.add(self.wt[0])
            mlpP.add(nn.Identity())
            qemb.add(mlpP)
            qemb.add(PositionalEncoder(False))
        else:
            qemb.add(self.wt[0])
        qemb.add(nn.Sum(0))

        if self.opt.get('rotateAfterLookupTable'):
            qemb.add(self.lin_rotate[-1])
        qemb.add(nn.View(1, self.opt['embeddingDim']).setNumInputDims(1))
        self.qemb = qemb
        return qemb

    def create_memory_embedding(self):
        # Memory embedding.
        mem_emb = []

        for i in range(len(self.wt)):
            mem_emb.append(nn.Sequential())
            parallel = nn.ParallelTable()
            parallel.add(self.wt[i])
            parallel.add(nn.Identity())
            mem_emb[i].add(parallel)
            if self.opt.get('usePE'):
                mem_emb[i].add(PositionalEncoder(True))
            mem_emb[i].add(SumVecarr())
            if self.opt.get('rotateAfterLookupTable'):
                mem_emb[i].add(self.lin_rotate[-1])

        self.mem_embz = mem_emb[0]
        # 2nd version, don't share weights gradients.
        mems_emb1in = mem_emb[0].clone('weight', 'bias')
        return mems_emb1in

    def embed(self, x, feature):
        f = self.labelLT.forward(x)
        feature.copy(f)
        if getattr(self, 'cosine', None):
            norm = feature.norm()
            if norm != 0:
                feature.div(norm)
        return feature

    def get_negative_label(self, ex, apos, i):
        aneg = None
        if (self.opt.get('cacheViolators') and getattr(self, 'labelViolators', None) is not None
                and i < self.labelViolators.size(1)):
            pos_index = int(apos[0][0])
            idx = self.labelViolators[pos_index][i]
            if ex.get('negsTried') is None:
                ex['negsTried'] = {}
            if idx != 0 and ex['negsTried'].get(idx) is None:
                aneg = g_train_data.yneg
                aneg[0][0] = idx
                ex['negsTried'][idx] = True
        if aneg is None:
            aneg = g_train_data.get_negative_label(ex)
        return aneg

    def update_violators(self, ex, apos, aneg):
        if self.opt.get('cacheViolators'):
            # Record violators for each label.
            pos_index = int(apos[0][0])
            neg_index = aneg[0][0]
            idx = lg.random(self.labelViolators.size(1)) - 1
            self.labelViolators[pos_index][idx] = neg_index
        else:
            # Do nothing, no caching.
            pass

    def negsample_update(self, ex, x, a):
        if self.opt.get('trainWithSupportingFacts'):
            raise ValueError('strong supervision not supported yet')
        # We can embed a bag of words for the answer in this setting.
        self.inputEmbedding.copy(self.mlp.forward(x))
        self.embed(a, self.posLabelEmbedding)
        pos_score = lg.dot(self.inputEmbedding, self.posLabelEmbedding)

        # Measure losses.
        loss = {}
        loss['rank_loss'] = 1
        loss['mean_rank'] = 0
        if self.opt.get('computeResponseLoss') and not self.opt.get('rankLabelDocuments'):
            # Compute response loss, this takes time so we mostly do it
            # when debugging.
            loss['r'] = 1
            if getattr(self, 'scores', None) is None:
                self.scores = lg.Tensor(self.dict.num_symbols)
                self.labelEmbeddings = self.labelLT.get(0).weight.sub(0, self.dict.num_symbols - 1)
            lg.mv(self.scores, self.labelEmbeddings, self.inputEmbedding)
            pred = self.scores
            _val, ypred = pred.max(0)
            if ypred[0] == a[0]:
                loss['r'] = 0

        errs = 0
        anegs = []
        self.temp2.zero()
        for i in range(self.opt['numNegSamples']):
            aneg = self.get_negative_label(ex, a, i)
            self.embed(aneg, self.negLabelEmbedding)
            neg_score = lg.dot(self.inputEmbedding, self.negLabelEmbedding)
            if neg_score > pos_score - self.opt['margin']:
                self.temp2.add(self.negLabelEmbedding)
                anegs.append(aneg.clone())
                self.update_violators(ex, a, aneg)
                errs = errs + 1
            if i == 0:
                # On the first loop we measure the rank error.
                if pos_score > neg_score:
                    loss['rank_loss'] = 0

        # Rank loss applied to the positive label and SOME negatives.
        if errs == 0:
            return loss
        self.temp.copy(-self.posLabelEmbedding)
        self.temp.add(1 / errs, self.temp2)

        self.mlp.zeroGradParameters()
        self.mlp.backward(x, self.temp)
        self.mlp.updateParameters(self.opt['learningRate'])

        # Must update the labelLTs as well!
        self.labelLT.forward(a)
        self.labelLT.zeroGradParameters()
        self.labelLT.backward(a, -self.inputEmbedding)
        # labelLT Neg update.
        self.inputEmbedding.mul(1 / errs)
        for i in range(len(anegs)):
            self.labelLT.forward(anegs[i])
            self.labelLT.backward(anegs[i], self.inputEmbedding)
        self.labelLT.updateParameters(self.opt['learningRate'])
        loss['mean_rank'] = len(anegs)
        return loss
