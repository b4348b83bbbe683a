"""KVmemnn/library/memnn_model.lua of facebookarchive/MemNN, ported in part, line by line:
add_cmdline_options, num_features, create_modules, create_mlp, create_query_embedding, create_memory_embedding,
reset, reset_prediction_cache, fill_memory_slot, embed, get_negative_label, update_violators, negsample_update,
gradClip, prepare_input and update (lines 22-106, 108-152, 220-248, 353-398, 537-575, 737-739, 865-874, 987-1118
and 1344-1411): what the key-value model of kvmemnn_model.lua needs to be created and trained by base_model.lua's
worker.

Not ported (time): the rest (clone_mlp and get_shared, which go through thread_utils.lua, the memory-network graph
of create_nngraph, load/save, prediction, the other updates, the training worker). The table ``memNN`` is the class
``memNN``, a subclass of base_model.py's ``baseNN`` (``require('library.base_model')``); ``memNN:create_mlp`` is a
classmethod making ``cls()``, and ``self.mask = ...`` there is set on the class (the Lua's ``self`` is the class
table). The global ``g_train_data`` is base_model.py's. ``nn.Sum(1)`` is ``nn.Sum(0)``; ``wt[1]`` is ``wt[0]``;
``weight:sub(1, n)`` is ``weight.sub(0, n - 1)``; the NULL symbol ``self.NULL.x[1]`` is ``self.NULL.x[0]`` (index
0); the memory-label symbols ``num_symbols + 1..4`` are ``num_symbols + 0..3``. The module's ``add_cmdline_options``
is the class's (cmd.py's parse_mlp calls it on the required module, as the Lua on the returned table). ``update``'s
``return nil, 0, 0`` for a statement is ``return None`` (the caller reads the first value only).
"""
import gc
import math

import legonn as lg
from legonn import nn

from .WeightedLookupTableSkinny import WeightedLookupTableSkinny
from .PositionalEncoder import PositionalEncoder
from .SumVecarr import SumVecarr
from . import base_model
from .base_model import baseNN
from .cmd import _require


class memNN(baseNN):
    modelClass = 'library.memnn_model'

    @classmethod
    def add_cmdline_options(cls, cmd):
        baseNN.add_cmdline_options(cmd)

        # Architecture options.
        cmd.option('embeddingDim', 20, 'embedding dimension', 'model')
        cmd.option('maxHops', 1, 'max hops', 'model')
        cmd.option('rotateHasBias', True, '', 'model')
        cmd.option('rotateBeforeResponse', False,
                   'more rotations can help', 'model')
        cmd.option('rotateAfterLookupTable', False,
                   'can help to scale embeddings initialized from another source',
                   'model')
        cmd.option('LTsharedWithResponse', True,
                   'single lookuptable or not', 'model')
        cmd.option('metric', 'dot', 'dot or cosine, currently only supported'
                   + 'for numNegSamples>0 and rankLoss=true', 'model')
        cmd.option('usePE', False, 'use positional encoding layer')

        # Loss and Training options
        cmd.option('learningRate', 0.01, 'learning rate', 'model')
        cmd.option('initWeights', 0.01, 'mlp weights are scaled by this', 'model')
        cmd.option('LTMaxNorm', False,
                   'max norm of an LT embedding vector', 'model', True)
        cmd.option('margin', 0.1, 'margin, only used for ranking loss', 'model')
        cmd.reset_default('numThreads', 30)
        cmd.reset_default('maxTrainTime', 1000)
        cmd.reset_default('saveEveryNSecs', None)
        cmd.reset_default('logEveryNSecs', 1)
        cmd.reset_default('logTrainingFile', False)
        cmd.option('rankLoss', False, 'use rank loss', 'model')
        cmd.option('predictTopK', 1, 'return K predictions', 'model')
        cmd.option('useCandidateLabels', False, 'use a subset of words as ' +
                       'candidate set', 'model')
        cmd.option('onlyTrainWithExWithCandidates', False,
                   'Do not train on examples where #ex.cands==0', 'model')
        cmd.option('useMemHYasCandidates', False,
                   'rank ys found in hash as candidates', 'data')
        cmd.option('useMemYasCandidates', False,
                   'rank ys found in mem as candidates', 'data')
        cmd.option('cacheViolators', False, 'used to find negatives fast', 'model')
        cmd.option('cacheViolatorsSz', 10,
                   'size used to find negatives fast', 'model')
        cmd.option('numNegSamples', None, 'neg sampling candidates', 'model')
        cmd.option('sampleCands', 1, 'ratio of times sample real cands', 'model')
        cmd.option('labelSize', 1, 'maximum label size (in ranking case)', 'model')
        cmd.option('computeResponseLoss', False,
                   'compute response loss while sampling, this is slow and '
                   + 'mostly used for debugging purposes', 'model')
        cmd.option('stopTrainZeroIts', -1,
                   'stop training if zero error is reported during training '
                   + 'for more than this number of iterations in a row (-1 '
                       + 'cancels this option, this is the default)', 'model')
        cmd.option('lrDecayDivisor', 1, 'divide lr by this every N secs', 'model')
        cmd.option('lrDecaySecs', 250, 'lr decay every N secs', 'model')
        cmd.option('lrDecayFinal', 0.0001, 'minimum possible lr', 'model')
        cmd.option('trainWithSupportingFacts', False,
                   'strong supervision', 'model', True)
        cmd.option('gradClipMaxNorm', None,
                   'Clip the gradients if set', 'model', True)
        cmd.option('initFromNoMemNNModel', None,
                   'if given, loads the nonmemnn_model file and initializes the '
                       + 'embedding weights with those weights', 'model', True)

        # Data and Memory options
        cmd.option('dictUNKFile', None, 'Set of unknown (hashed) dictionary words',
                   'model')
        cmd.option('memSize', 200, 'max mem size', 'model')
        cmd.option('sentenceSize', 20, 'sentence size', 'model')
        cmd.option('useTimeFeatures', False, 'use time features', 'model')
        cmd.option('useMemHTimeFeatures', False, 'use memhx/y time features',
                   'model')
        cmd.option('timeVariance', 1, 'add variance to time step', 'model')
        cmd.option('useMemy', False, 'if true, then also add memhy to the memory '
                        + 'vectors. Needs to be used with time features on s.t. '
                        + 'it knows which answer is for which question', 'model')
        cmd.option('useMemHy', False, 'use memhy', 'model')
        cmd.option('useMemLabelFeatures', False, 'use mem label features', 'model')
        cmd.option('dropLargeEx', False, 'drop examples with large memory '
                        + '(otherwise keep but truncate memory)', 'model')
        cmd.option('dropNoMem', False, 'drop examples with no memory', 'model')
        cmd.option('rankDictionary', False,
                   'if true, final output ranks dictionary of symbols', 'model')


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

    @classmethod
    def create_mlp(cls, options):
        new_model = cls()
        new_model.opt = options
        mlp = nn.Sequential()
        new_model.mlp = mlp
        lg.setdefaulttensortype("torch.FloatTensor")
        print('[creating dict.]')
        dictClass = _require(options['dictClass']).dict
        new_model.dict = dictClass.create(options)
        print('[creating mlp.]')
        new_model.dictSz = new_model.num_features()
        # Cache of violators.
        if options.get('cacheViolators'):
            new_model.labelViolators = lg.zeros(new_model.dict.num_symbols,
                                                options['cacheViolatorsSz'])
        if options.get('LTUpdateMaskFile'):
            cls.mask = lg.load(options['LTUpdateMaskFile'])   # Lua: self.mask, self the class table
        new_model.create_modules()
        print('[created.]')
        if new_model.opt.get('initFromNoMemNNModel'):
            new_model.initFromNoMemNNModel()
        new_model.reset()
        gc.collect()
        return new_model

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

    def reset(self):
        baseNN.reset(self)
        self.dictSz = self.num_features()
        if self.opt.get('metric') == 'cosine':
            self.cosine = True

        self.mlp = self.create_nngraph()

        self.criterion = nn.ClassNLLCriterion()
        if self.opt.get('trainWithSupportingFacts'):
            self.sf_criterion = []
            for i in range(self.opt['maxHops']):
                self.sf_criterion.append(nn.ClassNLLCriterion())
        self.gradNorm = -1
        if self.opt.get('gradClipMaxNorm') is not None:
            paramx, paramdx = self.mlp.getParameters()
            self.paramx = paramx
            self.paramdx = paramdx

        # Zero out the NULL symbol.
        for i in range(len(self.wt)):
            self.wt[i].weight[int(self.NULL.x[0])].zero()

        # Temporary variables we might need.
        self.inputEmbedding = self.Tensor(self.opt['embeddingDim']).zero()
        self.posLabelEmbedding = self.Tensor(self.opt['embeddingDim']).zero()
        self.negLabelEmbedding = self.Tensor(self.opt['embeddingDim']).zero()
        self.temp = self.Tensor(self.opt['embeddingDim']).zero()
        self.temp2 = self.Tensor(self.opt['embeddingDim']).zero()
        self.memLabel = {}
        self.memLabel['x'] = self.dict.num_symbols
        self.memLabel['y'] = self.dict.num_symbols + 1
        self.memLabel['hx'] = self.dict.num_symbols + 2
        self.memLabel['hy'] = self.dict.num_symbols + 3
        self.reset_prediction_cache()

    def reset_prediction_cache(self):
        self.labelEmbeddings = None

    def fill_memory_slot(self, mx, m):
        if m.dim() == 2:
            mx.copy(m)
        else:
            mx.t()[0].copy(m)
            sz = m.size(0)
            n = 1 / math.sqrt(sz)
            mx.t()[1].fill(n)

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
                aneg = base_model.g_train_data.yneg
                aneg[0][0] = idx
                ex['negsTried'][idx] = True
        if aneg is None:
            aneg = base_model.g_train_data.get_negative_label(ex)
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

    def gradClip(self):
        self.gradNorm = self.paramdx.norm()
        if self.gradNorm > self.opt['gradClipMaxNorm']:
            scalar = self.opt['gradClipMaxNorm'] / self.gradNorm
            self.paramdx.mul(scalar)

    def prepare_input(self, x):
        # Do nothing in the base class.
        return x

    def update(self, ex):
        if self.opt.get('onlyTrainWithExWithCandidates'):
            if ex.get('cands') is None or len(ex['cands']) == 0:
                # Bail out, there are no candidates.
                return

        # Put all questions and statements in the memory.
        # If there is an answer in the current implementation we pick one of them
        # at random.
        a = base_model.g_train_data.get_positive_label(ex)
        if a is None or a[0][0] == self.NULL.x[0]:
            # For now, we don't try to answer statements.
            return None   # Lua: return nil, 0, 0 (the caller keeps the first value)

        # Get the data.
        if getattr(self, 'ex_cnt', None) is None:
            self.ex_cnt = 0
        self.ex_cnt = self.ex_cnt + 1
        qx = ex[0]
        # Build memories.
        memx, clipped, empty = self.build_memory_vectors(ex)
        if ((self.opt.get('dropLargeEx') and clipped)
                or (self.opt.get('dropNoMem') and empty)):
            return None
        x = self.build_input(qx, memx)
        x = self.prepare_input(x)

        if self.opt.get('numNegSamples') is None and not self.opt.get('useCandidateLabels'):
            if self.opt.get('trainWithSupportingFacts'):
                loss = self.strongsup_single_word_output_update(ex, x, a)
            else:
                loss = self.single_word_output_update(ex, x, a)
        else:
            if self.opt.get('rankLoss'):
                loss = self.negsample_update(ex, x, a)
            else:
                loss = self.NLLsample_update(ex, x, a)

        # Zero out the NULL symbol.
        for i in range(len(self.wt)):
            self.wt[i].weight[int(self.NULL.x[0])].zero()
        # Update stats.
        loss['mems'] = x[1][1].size(0)
        return loss


# Lua's ``return memNN``: what cmd.lua's parse_mlp calls on the required table
add_cmdline_options = memNN.add_cmdline_options
