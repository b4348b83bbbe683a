"""facebookresearch/MIXER ported line by line (the shared code of tests/porting/test_mixer.py): util.lua,
ClassNLLCriterionWeighted.lua, LinearNoBackpropInput.lua, ReinforceSampler.lua, ReinforceCriterion.lua,
model_factory.lua (the attentive LSTM step ``makeNode`` and ``makeNetSingleStep``), reward_factory.lua (the BLEU
reward on a legonn.threads pool in specific mode; the ROUGE branch is not ported), Mixer.lua (the network unrolled
over ``bptt`` clones, the cumulative reward predictors, the mixed XENT/REINFORCE step ``train_one_batch``,
``test_one_batch``, ``eval_generation``, ``save``/``load``) and Trainer.lua (``train``, ``eval``,
``eval_generation``; ``run`` without its printing).

Word ids, labels and sampled words are 0-based (the dictionaries' ids shifted down by one: the padding index,
the dictionary's last word, is ``nwords - 1``). ``Mixer(config, net, criterion, double)`` keeps the Lua's
``double`` flag; model_factory's ``make_cuda_mm`` calls ``:cuda()`` as the Lua does, so on the CPU the model is
built with ``params['cuda_mm'] = False`` (the only line that differs: the Lua cannot build it without a GPU).
"""
import math
import re

import legonn as lg
from legonn import nn, paths, tds, threads


# ---- util.lua -------------------------------------------------------------------------------------------------
class utils:
    @staticmethod
    def compute_hash(vec, n, V):
        """the first n entries (0-based word ids) hashed to a unique integer"""
        assert vec.size(0) >= n
        hash = 0
        for cnt in range(n):
            hash = hash + vec[cnt] * math.pow(V, n - 1 - cnt)
        return hash + 1   # we start counting from one

    @staticmethod
    def get_counts(input, nn, V, skip_id=None, output=None):
        """ngram counts of a 1D tensor of word ids; ngrams holding skip_id are skipped"""
        sequence_length = input.size(0)
        assert nn <= sequence_length
        out = {} if output is None else output
        for tt in range(sequence_length - nn + 1):
            curr_window = input.narrow(0, tt, nn)
            if skip_id is None or curr_window.eq(skip_id).sum() == 0:
                hash = utils.compute_hash(curr_window, nn, V)
                if out.get(hash) is None:
                    out[hash] = 1
                else:
                    out[hash] = out[hash] + 1
        return out

    @staticmethod
    def compute_score(counts_input, counts_target, smoothing_val):
        tot = 0
        score = 0
        for k, v in counts_input.items():
            tot = tot + v
            if counts_target.get(k) is not None:
                if counts_input[k] > counts_target[k]:
                    score = score + counts_target[k]
                else:
                    score = score + counts_input[k]
        tot = tot + smoothing_val
        score = score + smoothing_val
        score = score / tot if tot > 0 else 0
        return score

    @staticmethod
    def compute_precision(score, input, target, smoothing_val):
        tot = 0
        prec = 0
        for k, v in input.items():
            tot = tot + v
            if target.get(k) is not None:
                if input[k] > target[k]:
                    prec = prec + target[k]
                else:
                    prec = prec + input[k]
        score[0] = score[0] + prec
        score[1] = score[1] + tot
        # This is used for sentence level BLEU, which is always smoothed
        score[2] = (prec + smoothing_val) / (tot + smoothing_val)

    @staticmethod
    def scale_clip(dat, th):
        # global normalization of the whole tensor
        dat_norm = dat.norm()
        if dat_norm > th:
            dat.div(dat_norm / th)


# ---- ClassNLLCriterionWeighted.lua ------------------------------------------------------------------------
class ClassNLLCriterionWeighted(nn.ClassNLLCriterion):
    """NLL that also takes a global weighting scalar, scaling the loss and the gradients."""

    def __init__(self, globalWeight=None, weights=None, sizeAverage=None):
        super().__init__(weights, sizeAverage)
        self.globalWeight = globalWeight if globalWeight is not None else 1

    def updateOutput(self, input, target):
        result1 = super().updateOutput(input, target)
        result2 = self.total_weight_tensor[0]   # ClassNLLCriterion.lua's second result
        return self.globalWeight * result1, result2

    def updateGradInput(self, input, target):
        result1 = super().updateGradInput(input, target)
        return result1.mul(self.globalWeight)


# ---- LinearNoBackpropInput.lua ------------------------------------------------------------------------------
class LinearNoBackpropInput(nn.Linear):
    """Linear that does not backpropagate gradients w.r.t. its input."""

    def __init__(self, inputSize, outputSize):
        super().__init__(inputSize, outputSize)

    def updateGradInput(self, input, gradOutput):
        if self.gradInput is not None:
            self.gradInput.resizeAs(input)
            self.gradInput.zero()
            return self.gradInput


lg.register(LinearNoBackpropInput, 'nn.LinearNoBackpropInput')   # torch.class('nn.LinearNoBackpropInput', ...)


# ---- ReinforceSampler.lua -----------------------------------------------------------------------------------
class ReinforceSampler(nn.Module):
    """Samples a word from the log-probabilities it takes; its gradient comes from a ReinforceCriterion."""

    def __init__(self, distribution):
        super().__init__()
        self.distribution = distribution
        self.prob = lg.Tensor()

    def updateOutput(self, input):
        if self.distribution == 'multinomial':
            self.prob.resizeAs(input)
            self.prob.copy(input)
            self.prob.exp()
            self.output.resize(input.size(0), 1)
            if re.search(r'(torch|legonn)\.Cuda.*Tensor', lg.typename(self.output)):
                self.output = self.output.cudaLong()
            else:
                self.output = self.output.long()
            self.prob.multinomial(self.output, self.prob, 1)
            if re.search(r'(torch|legonn)\.Cuda.*Tensor', lg.typename(self.output)):
                self.output = self.output.cuda()
            else:
                self.output = self.output.float()
        else:
            raise ValueError('we did not implement sampling from', self.distribution)
        return self.output   # batch x 1

    def updateGradInput(self, input, gradOutput):
        if self.distribution == 'multinomial':
            # a gradient vector per sample, zero but at the chosen word
            self.gradInput.resizeAs(input)
            self.gradInput.zero()
            for ss in range(self.gradInput.size(0)):
                # adding round because sometimes multinomial returns a float 1e-6 far from an integer
                self.gradInput[ss][lg.round(self.output[ss][0])] = gradOutput[ss][0]
            return self.gradInput
        else:
            raise ValueError('we did not implement sampling from', self.distribution)


lg.register(ReinforceSampler, 'nn.ReinforceSampler')


# ---- ReinforceCriterion.lua ---------------------------------------------------------------------------------
class ReinforceCriterion(nn.Criterion):
    """REINFORCE with the reward independent of the parameters; input[t] = {chosen word, predicted cumulative
    reward}, target[t] the labels."""

    def __init__(self, reward_func, seq_length, eos_index, padding_index, skips=None, weight=None,
                 weight_predictive_reward=None):
        super().__init__()
        self.gradInput = {}
        self.seq_length = seq_length
        for tt in range(1, seq_length + 1):
            self.gradInput[tt] = [lg.Tensor(), lg.Tensor()]
        self.sizeAverage = False
        self.reward_func = reward_func
        self.reward = lg.Tensor()
        self.cumreward = lg.Tensor()
        self.skips = 1 if skips is None else skips
        assert self.skips <= seq_length
        assert seq_length >= self.skips
        # by default, update the cumulative reward predictor at a slower pace.
        self.weight_predictive_reward = 0.01 if weight_predictive_reward is None else weight_predictive_reward
        self.weight = 1 if weight is None else weight
        self.num_samples = 0
        self.normalizing_coeff = 1
        self.eos = eos_index
        self.padding = padding_index
        self.reset = lg.Tensor()

    def type(self, tp=None):
        if tp is None:
            return super().type()
        super().type(tp)
        for tt in range(1, self.seq_length + 1):
            self.gradInput[tt][0] = self.gradInput[tt][0].type(tp)
            self.gradInput[tt][1] = self.gradInput[tt][1].type(tp)
        self.reward = self.reward.type(tp)
        self.cumreward = self.cumreward.type(tp)
        return self

    def set_weight(self, ww):
        self.weight = ww

    def set_skips(self, ss):
        self.skips = ss
        self.reward_func.set_start(ss)

    def updateOutput(self, input, target):
        # compute the reward at each time step
        mbsz = target[1].size(0)
        num_steps = self.seq_length - self.skips + 1
        self.reward.resize(mbsz, num_steps)
        self.cumreward.resize(mbsz, num_steps)
        self.num_samples = 0
        for tt in range(self.seq_length, self.skips - 1, -1):
            shifted_tt = tt - self.skips   # 0-based column
            self.reward.select(1, shifted_tt).copy(self.reward_func.get_reward(target, input, tt))
            if tt == self.seq_length:
                self.cumreward.select(1, shifted_tt).copy(self.reward.select(1, shifted_tt))
            else:
                self.cumreward.select(1, shifted_tt).add(self.cumreward.select(1, shifted_tt + 1),
                                                         self.reward.select(1, shifted_tt))
        self.num_samples = self.reward_func.num_samples(target, input)
        self.normalizing_coeff = self.weight / (self.num_samples if self.sizeAverage else 1)
        # here there is a "-" because we minimize
        self.output = - self.cumreward.select(1, 0).sum() * self.normalizing_coeff
        return self.output, self.num_samples

    def updateGradInput(self, input, target):
        mbsz = target[1].size(0)
        for tt in range(self.seq_length, self.skips - 1, -1):
            shifted_tt = tt - self.skips
            # derivative w.r.t. chosen action
            self.gradInput[tt][0].resizeAs(input[tt][0])
            self.gradInput[tt][0].add(input[tt][1].squeeze(), -1, self.cumreward.select(1, shifted_tt))
            self.gradInput[tt][0].mul(self.normalizing_coeff)
            # reset gradient to 0 if input (at any time) has PAD
            self.reset.resize(mbsz)
            self.reset.ne(input[tt][0], self.padding)
            self.gradInput[tt][0].cmul(self.reset)
            # copy over to the other input gradient as well
            self.gradInput[tt][1].resizeAs(input[tt][1])
            self.gradInput[tt][1].copy(self.gradInput[tt][0])
            self.gradInput[tt][1].mul(self.weight_predictive_reward)
        # fill the remaining (skipped) steps with 0s
        for tt in range(self.skips - 1, 0, -1):
            self.gradInput[tt][0].resizeAs(input[tt][0])
            self.gradInput[tt][0].fill(0)
            self.gradInput[tt][1].resizeAs(input[tt][1])
            self.gradInput[tt][1].fill(0)
        return self.gradInput

    def get_num_samples(self, input, target):
        return self.reward_func.num_samples(target, input)

    def reset_reward(self):
        return self.reward_func.reset_vars()

    def get_corpus_score(self):
        return self.reward_func.get_corpus_score()

    def get_counts_corpus(self, target, pred):
        return self.reward_func.get_counts_corpus(target, pred)

    def training_mode(self):
        self.reward_func.training_mode()

    def test_mode(self):
        self.reward_func.test_mode()


# ---- model_factory.lua --------------------------------------------------------------------------------------
class models:
    @staticmethod
    def makeNode(args):
        """a single core element at a given time step"""
        params = args['prms']
        nhid = params['n_hidden']
        input = args['inp']
        source = args['src']
        cposition = args['cpos']
        prev_h = args['prev_h']
        prev_c = args['prev_c']
        ncls_t = args['ncls_t']
        ncls_s = args['ncls_s']
        ncls_p = args['ncls_p']
        initw = args['init_w']

        def make_cuda_mm(trans_first=None, trans_second=None):
            # Fix bug in torch.MM module with cuda.
            if not params.get('cuda_mm', True):
                return nn.MM(trans_first, trans_second)   # the CPU build (see the module docstring)
            mm = nn.MM(trans_first, trans_second).cuda()
            mm.gradInput[0] = mm.gradInput[0].cuda()
            mm.gradInput[1] = mm.gradInput[1].cuda()
            return mm

        # initialize the projection matrix
        def initialize_proj(prj):
            prj.bias.fill(0.0)
            prj.weight.normal(0, initw)

        # component-wise addition of inp1 with linear projection of inp2, inp3
        def new_input_sum_triple(inp1, inp2, inp3):
            w_ih = nn.Linear(nhid, nhid)
            w_hh = nn.Linear(nhid, nhid)
            w_ch = nn.Linear(nhid, nhid)
            # initialize biases to zero
            initialize_proj(w_ih)
            initialize_proj(w_hh)
            initialize_proj(w_ch)
            return nn.CAddTable()([w_ih(inp1), w_hh(inp2), w_ch(inp3)])

        # builds and returns an attention model over the source
        def conv_attn_aux(use_cell):
            # embedding of the source
            nhid_c = nhid
            src_lut = nn.LookupTable(ncls_s, nhid_c)
            src_lut.weight.normal(0, initw)
            src_emb = src_lut(source).annotate({'name': 'src_emb'})

            pos_lut = nn.LookupTable(ncls_p, nhid_c)
            pos_lut.weight.normal(0, initw)
            pos_emb = pos_lut(cposition).annotate({'name': 'pos_emb'})

            srcpos_emb = nn.CAddTable()([src_emb, pos_emb]).annotate({'name': 'srcpos_emb'})

            # projection of previous hidden state onto source word space
            lin_proj_hid = nn.Linear(nhid, nhid_c)
            tgt_hid_proj = nn.View(nhid_c, 1).setNumInputDims(1)(lin_proj_hid(prev_h)).annotate(
                {'name': 'tgt_hid_proj'})

            lin_proj_cel = nn.Linear(nhid, nhid_c)
            tgt_cel_proj = nn.View(nhid_c, 1).setNumInputDims(1)(lin_proj_cel(prev_c)).annotate(
                {'name': 'tgt_cel_proj'})

            # embedding of the current target word
            tgt_lut = nn.LookupTable(ncls_t, nhid_c)
            tgt_lut.weight.normal(0, initw)
            tgt_emb = nn.View(nhid_c, 1).setNumInputDims(1)(tgt_lut(input)).annotate({'name': 'ttl_emb'})
            tgt_rep = nn.CAddTable()([tgt_emb, tgt_hid_proj, tgt_cel_proj])

            apool = params['attn_pool']
            pad = (apool - 1) / 2
            window_model = nn.Sequential()
            window_model.add(nn.View(1, -1, nhid).setNumInputDims(2))
            window_model.add(nn.SpatialZeroPadding(0, 0, pad, pad))
            window_model.add(nn.SpatialAveragePooling(1, apool))
            window_model.add(nn.View(-1, nhid).setNumInputDims(3))
            proc_srcpos_emb = window_model(srcpos_emb).annotate({'name': 'proc'})

            # distribution over source
            scores = make_cuda_mm()([proc_srcpos_emb, tgt_rep]).annotate({'name': 'scores'})

            # compute attention distribution
            attn = nn.SoftMax()(nn.View(-1).setNumInputDims(2)(scores)).annotate({'name': 'distribution'})

            # apply attention to the source
            srcpos_proc = srcpos_emb
            mout = nn.View(nhid_c).setNumInputDims(2)(
                make_cuda_mm(True, False)([srcpos_proc, nn.View(-1, 1).setNumInputDims(1)(attn)]))
            return mout

        tit_lut = nn.LookupTable(ncls_t, nhid)
        tit_lut.weight.normal(0, initw)
        inp = tit_lut(input)
        con = conv_attn_aux(params.get('usecell'))
        in_gate = nn.Sigmoid()(new_input_sum_triple(inp, prev_h, con))
        forget_gate = nn.Sigmoid()(new_input_sum_triple(inp, prev_h, con))
        cell_gate = nn.Tanh()(new_input_sum_triple(inp, prev_h, con))
        next_c = nn.CAddTable()([nn.CMulTable()([forget_gate, prev_c]), nn.CMulTable()([in_gate, cell_gate])])
        out_gate = nn.Sigmoid()(new_input_sum_triple(inp, prev_h, con))
        next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])
        w_cto = nn.Linear(nhid, nhid)
        initialize_proj(w_cto)
        proj_ct = w_cto(con)
        next_ct = nn.Sigmoid()(proj_ct)
        return next_h, next_c, next_ct

    @staticmethod
    def makeNetSingleStep(params, dict_target, dict_source):
        """the net at one time step: {{input, source, positions}, {prev_h, prev_c}} to
        {{sampled word, log-probabilities, encoder output}, {next_h, next_c}}, and the hidden states' sizes"""
        ncls_target = dict_target['nwords']
        ncls_source = dict_source['nwords']
        ncls_position = 200
        nhid = params['n_hidden']
        init_w = 0.05
        prms = params
        prms['attn_pool'] = 5
        dimensions_internal_states = []
        x = nn.Identity()()
        previous_s = nn.Identity()()
        next_s = []
        args = {'prms': prms, 'ncls_t': ncls_target, 'ncls_s': ncls_source, 'ncls_p': ncls_position,
                'init_w': init_w}
        input, source, cposition = x.split(3)
        prev_h, prev_c = previous_s.split(2)
        args['inp'] = input
        args['src'] = source
        args['cpos'] = cposition
        args['prev_h'] = prev_h
        args['prev_c'] = prev_c
        next_h, next_c, ctout = models.makeNode(args)
        next_s.append(next_h)
        next_s.append(next_c)
        dimensions_internal_states.append(nhid)
        dimensions_internal_states.append(nhid)
        # output of encoder (i.e. input of decoder) is concatenation of both long and short term memory units.
        output_encoder = nn.JoinTable(1, 2)([next_s[0], ctout])
        num_input_decoder = nhid + nhid
        # make the decoder
        dec = nn.Sequential()
        dec.add(nn.Linear(num_input_decoder, ncls_target))
        dec.add(nn.LogSoftMax())
        # init
        dec.modules[0].bias.zero()
        dec.modules[0].weight.normal(0, init_w)
        # construct the overll network (at one time step)
        pred = dec(output_encoder).annotate({'name': 'model_prediction', 'description': 'output'})
        out_sample = ReinforceSampler('multinomial')(pred)
        output = [nn.Identity()([out_sample, pred, output_encoder]), nn.Identity()(next_s)]
        inp = [x, previous_s]
        net = nn.gModule(inp, output)
        return net, dimensions_internal_states


# ---- reward_factory.lua (BLEU) ------------------------------------------------------------------------------
def compute_bleu(target, input, tt, args, i):
    """Smoothed sentence BLEU of the samples ``i``-th share of the batch (a job of the pool), written into
    args['reward_val'] at the step where each generated sentence ends."""
    bptt = target.size(0)
    start = args['start']
    dict_size = args['dict_size']
    eos_indx = args['eos_indx']
    pad_indx = args['pad_indx']
    unk_indx = args['unk_indx']
    mbsz = args['mbsz']
    reward_val = args['reward_val']
    inputt = lg.Tensor(bptt - start + 1)
    targett = lg.Tensor(bptt - start + 1)
    nthreads = args['nthreads']
    order = args['order']
    smoothing_val = args['smoothing_val']
    adjust_bp = args['adjust_bp']
    num_samples = math.floor(mbsz / nthreads)
    first = (i - 1) * num_samples + 1
    last = first + num_samples - 1 if i < nthreads else mbsz

    for ss in range(first - 1, last):
        # lengths of the input and target sequences (bptt when no eos)
        target_length = bptt
        input_length = bptt
        for step in range(1, bptt + 1):
            if target[step - 1][ss] == eos_indx:
                target_length = step - 1
                break
        for step in range(1, bptt + 1):
            if input[step - 1][ss] == eos_indx:
                input_length = step - 1
                break
        # some samples in the minibatch may just have PAD token everywhere.
        if input[0][ss] == pad_indx:
            input_length = 0
        if target[0][ss] == pad_indx:
            target_length = 0
        assert target_length >= 0 and input_length >= 0
        n = min(order, input_length - start + 1, target_length - start + 1)
        # non-zero reward only where the generated sentence ends (its eos, or the last step)
        if tt == min(input_length + 1, bptt) and n > 0:
            score = lg.Tensor(n).fill(0)
            eff_seq_length_input = input_length - start + 1 + min(n - 1, start - 1)
            inputt.resize(eff_seq_length_input)
            eff_seq_length_target = target_length - start + 1 + min(n - 1, start - 1)
            targett.resize(eff_seq_length_target)
            for step in range(1, eff_seq_length_input + 1):
                inputt[step - 1] = input[start + step - 1 - min(n - 1, start - 1) - 1][ss]
            for step in range(1, eff_seq_length_target + 1):
                targett[step - 1] = target[start + step - 1 - min(n - 1, start - 1) - 1][ss]
            counts_input = {}
            counts_target = {}
            offset = min(n - 1, start - 1)
            for nn_ in range(1, n + 1):
                curr_offs = max(offset + 1 - nn_ + 1, 1)
                counts_input[nn_] = utils.get_counts(
                    inputt.narrow(0, curr_offs - 1, eff_seq_length_input - curr_offs + 1), nn_, dict_size)
                counts_target[nn_] = utils.get_counts(
                    targett.narrow(0, curr_offs - 1, eff_seq_length_target - curr_offs + 1), nn_, dict_size,
                    unk_indx)
                score[nn_ - 1] = utils.compute_score(counts_input[nn_], counts_target[nn_], smoothing_val)
            # compute bleu score: exp(1/N sum_n log score_n)
            reward_val[ss] = score.log().sum(0).div(n).exp()
            # add brevity penalty
            bp = 1
            if input_length < target_length:
                bp = math.exp(1 - (target_length + (smoothing_val if adjust_bp else 0)) / input_length)
            reward_val[ss] = reward_val[ss] * bp


class RewardFactory:
    """The reward at a time step: sentence BLEU of the generated words against the reference."""

    def __init__(self, reward_type, bptt, dict_size, eos_indx, pad_indx, unk_indx, mbsz, nthreads=8):
        self.reward_type = reward_type
        self.start = 1
        self.dict_size = dict_size
        self.eos_indx = eos_indx
        self.pad_indx = pad_indx
        if unk_indx is None:
            self.unk_indx = -2   # a word id that never occurs (the Lua's -1 is below its 1-based ids)
        else:
            self.unk_indx = unk_indx
        self.mbsz = mbsz
        self.reward_val = lg.Tensor(mbsz)
        self.input_pads = lg.Tensor(mbsz)
        self.target_pads = lg.Tensor(mbsz)
        self.inputt = lg.Tensor(bptt - self.start + 1)
        self.targett = lg.Tensor(bptt - self.start + 1)
        self.reset = lg.Tensor(mbsz)
        self.target = lg.Tensor(bptt, mbsz)
        self.input = lg.Tensor(bptt, mbsz)
        # Since counting works on cpu, we speed up by multi-threading.
        self.nthreads = nthreads
        threads.Threads.serialization('threads.sharedserialize')
        self.pool = threads.Threads(self.nthreads)
        self.pool.specific(True)
        for i in range(self.nthreads):
            self.pool.addjob(i, lambda: None)
        self.pool.specific(False)
        self.order = 4   # we compute up to 4-grams
        self.score = lg.zeros(self.order, 3)
        self.sentence_bleu = 0
        self.length_input = 0
        self.length_target = 0
        self.counter = 0
        self.smoothing_val = 1
        self.adjust_bp = True

    def test_mode(self):
        self.smoothing_val = 0
        self.adjust_bp = False

    def training_mode(self):
        self.smoothing_val = 1
        self.adjust_bp = True

    def reset_vars(self):
        self.length_input = 0
        self.length_target = 0
        self.counter = 0
        self.score.fill(0)
        self.sentence_bleu = 0

    def set_start(self, val):
        assert val > 0
        self.start = val

    def type(self, tt):
        self.reset = self.reset.type(tt)

    def cuda(self):
        self.reset = self.reset.cuda()

    def get_reward(self, target, input, tt):
        self.reward_val.fill(0)
        if self.reward_type == 'bleu':
            for cc in range(1, len(target) + 1):
                self.target.select(0, cc - 1).copy(target[cc])
                self.input.select(0, cc - 1).copy(input[cc][0])
            args = {'start': self.start, 'dict_size': self.dict_size, 'eos_indx': self.eos_indx,
                    'pad_indx': self.pad_indx, 'unk_indx': self.unk_indx, 'mbsz': self.mbsz,
                    'reward_val': self.reward_val, 'inputt': self.inputt, 'targett': self.targett,
                    'nthreads': self.nthreads, 'order': self.order, 'smoothing_val': self.smoothing_val,
                    'adjust_bp': self.adjust_bp}
            for i in range(1, self.nthreads + 1):
                self.pool.addjob(compute_bleu, lambda: None, self.target, self.input, tt, args, i)
            self.pool.synchronize()
            return self.reward_val
        else:
            raise NotImplementedError('not implemented yet')

    def num_samples(self, target, input):
        # the number of sentences: those without PAD at "start"
        self.reset.ne(target[self.start], self.pad_indx)
        return self.reset.sum()

    def get_counts_corpus(self, target, input):
        # count ngrams of all sentences in the corpus.
        for cc in range(1, len(target) + 1):
            self.target.select(0, cc - 1).copy(target[cc])
            self.input.select(0, cc - 1).copy(input[cc][0])
        bptt = self.target.size(0)
        for ss in range(self.mbsz):
            target_length = bptt
            input_length = bptt
            for step in range(1, bptt + 1):
                if self.target[step - 1][ss] == self.eos_indx:
                    target_length = step - 1
                    break
            for step in range(1, bptt + 1):
                if self.input[step - 1][ss] == self.eos_indx:
                    input_length = step - 1
                    break
            if self.input[0][ss] == self.pad_indx:
                input_length = 0
            if self.target[0][ss] == self.pad_indx:
                target_length = 0
            assert target_length >= 0 and input_length >= 0
            n = min(self.order, input_length - self.start + 1, target_length - self.start + 1)
            if n > 0:
                self.counter = self.counter + 1
                offset = min(n - 1, self.start - 1)
                eff_seq_length_input = input_length - self.start + 1 + offset
                self.inputt.resize(eff_seq_length_input)
                eff_seq_length_target = target_length - self.start + 1 + offset
                self.targett.resize(eff_seq_length_target)
                self.length_input = self.length_input + input_length - self.start + 1
                self.length_target = self.length_target + target_length - self.start + 1
                self.inputt.copy(self.input.select(1, ss).narrow(0, self.start - offset - 1, eff_seq_length_input))
                self.targett.copy(self.target.select(1, ss).narrow(0, self.start - offset - 1,
                                                                   eff_seq_length_target))
                counts_input = {}
                counts_target = {}
                for nn_ in range(1, n + 1):
                    curr_offs = max(offset + 1 - nn_ + 1, 1)
                    counts_input[nn_] = utils.get_counts(
                        self.inputt.narrow(0, curr_offs - 1, eff_seq_length_input - curr_offs + 1), nn_,
                        self.dict_size, None)
                    counts_target[nn_] = utils.get_counts(
                        self.targett.narrow(0, curr_offs - 1, eff_seq_length_target - curr_offs + 1), nn_,
                        self.dict_size, self.unk_indx)   # skip UNKs
                    utils.compute_precision(self.score[nn_ - 1], counts_input[nn_], counts_target[nn_],
                                            self.smoothing_val)
                curr_bleu = self.score.select(1, 2).narrow(0, 0, n).clone().log().sum(0).div(n).exp().squeeze()
                bp = 1
                if input_length < target_length:
                    bp = math.exp(1 - target_length / input_length)
                self.sentence_bleu = self.sentence_bleu + curr_bleu * bp

    def get_corpus_score(self):
        score = lg.Tensor(self.order).fill(0)
        for nn_ in range(self.order):
            score[nn_] = 1e-16 if self.score[nn_][1] == 0 else self.score[nn_][0] / self.score[nn_][1]
        bleu = score.log().sum(0).div(self.order).exp().squeeze()
        bp = 1
        if self.length_input < self.length_target and self.length_input > 0:
            bp = math.exp(1 - self.length_target / self.length_input)
        bleu = bleu * bp
        return bleu, self.counter


# ---- Mixer.lua ------------------------------------------------------------------------------------------------
class Mixer:
    """The RNN trained with cross-entropy and REINFORCE."""

    def __init__(self, config, net, criterion, double=None):
        self.type = 'torch.DoubleTensor' if double else 'torch.CudaTensor'
        self.net = net.clone()
        self.criterion = criterion   # Reinforce Criterion
        # build the predictors of the cumulative reward
        self.cum_reward_predictors = {}
        self.nlls = {}   # xent losses at each time step
        self.wxent = 0.5
        self.eosidx = config['eosIndex']
        self.dict_size = config['n_tokens']
        self.padidx = config['paddingIndex']
        weights = lg.ones(config['n_tokens']).type(self.type)
        weights[self.padidx] = 0   # always skip padding token
        assert self.wxent >= 0 and self.wxent <= 1
        self.criterion.set_weight(1 - self.wxent)
        for tt in range(1, config['bptt'] + 1):
            self.cum_reward_predictors[tt] = LinearNoBackpropInput(2 * config['n_hidden'], 1)
            self.cum_reward_predictors[tt].bias.fill(0.01)
            self.cum_reward_predictors[tt].weight.fill(0)
            self.nlls[tt] = ClassNLLCriterionWeighted(self.wxent, weights, True)
        if not double:
            self.net.cuda()
            self.criterion.cuda()
            for tt in range(1, config['bptt'] + 1):
                self.cum_reward_predictors[tt] = self.cum_reward_predictors[tt].cuda()
                self.nlls[tt] = self.nlls[tt].cuda()
        self.param, self.grad_param = self.net.getParameters()
        self.param_crp = {}
        self.grad_param_crp = {}
        for tt in range(1, config['bptt'] + 1):
            self.param_crp[tt], self.grad_param_crp[tt] = self.cum_reward_predictors[tt].getParameters()
        self.initial_val = 0
        self.initial_state_dim = config['size_hid_layers']
        # bprop gradients from criterion only for the last config.bptt steps
        self.bptt = config['bptt']   # tot nr unrollng steps
        self.nrstepsinit = 1
        self.batch_size = config['batch_size']
        self.hiddens = self._init_state(config.get('initial_val'))
        self.gradient_hiddens = self._init_state(0)
        self.pred = {}   # stores {sampled_word, logprob, output_encoder}
        self.pred_dx = {}
        self.pred_rf = {}   # stores {sampled_word, cumulative reward prediction}
        self.pred_rf_dx = {}
        for tt in range(1, self.bptt + 1):
            self.pred_rf[tt] = [None, None]
            self.pred_dx[tt] = [None, lg.zeros(self.batch_size, config['n_tokens']).type(self.type), None]
        self.inputs = {}
        self.labels_xent = {}
        self.labels = {}
        self.clip_function = utils.scale_clip
        self.clip_param_val = config['grad_param_clip']
        # unroll the network over time
        self._unroll()
        self.reset()
        self.tot_reward = 0
        self.num_samples_rf = 0
        self.tot_cumreward_pred_error = 0

    def _init_state(self, val):
        new_state = {}
        for tt in range(0, self.bptt + 1):
            new_state[tt] = []
            for hh in range(len(self.initial_state_dim)):
                new_state[tt].append(lg.Tensor(self.batch_size, self.initial_state_dim[hh]).type(self.type))
                # Lua's `(tt == 0) and val or 0` is 0 when val is nil
                new_state[tt][hh].fill(val if tt == 0 and val is not None else 0)
        return new_state

    def load(self, mfile):
        stored_model = lg.load(mfile)
        self.param, self.grad_param = self.net.getParameters()
        stored_param, stored_grad_param = stored_model['net'].getParameters()
        self.param.copy(stored_param)
        self.grad_param.copy(stored_grad_param)
        self.initial_val = stored_model['initial_val']
        self.initial_state_dim = stored_model['initial_state_dim']
        self.nrstepsinit = stored_model['nrstepsinit']   # the Lua's `nrstepsinit or`: a global never set
        self.clip_param_val = stored_model['clip_param_val']
        self.hiddens = self._init_state(self.initial_val)
        self.gradient_hiddens = self._init_state(0)
        self._unroll()
        self.reset()

    def save(self, fname):
        save_model = {}
        save_model['net'] = self.net
        save_model['cum_reward_predictors'] = self.cum_reward_predictors
        save_model['initial_val'] = self.initial_val
        save_model['initial_state_dim'] = self.initial_state_dim
        save_model['bptt'] = self.bptt
        save_model['nrstepsinit'] = self.nrstepsinit
        save_model['batch_size'] = self.batch_size
        save_model['clip_param_val'] = self.clip_param_val
        lg.save(fname, save_model)

    def _unroll(self):
        self.unrolled_nets = {}
        for tt in range(1, self.bptt + 1):
            self.unrolled_nets[tt] = self.net.clone('weight', 'bias', 'gradWeight', 'gradBias')

    def reset_rf_vars(self):
        self.num_samples_rf = 0
        self.tot_cumreward_pred_error = 0
        self.tot_reward = 0

    def reset(self):
        self.i_input = 0
        self.grad_param.zero()
        # reset hidden states
        for hh in range(len(self.hiddens[0])):
            self.hiddens[0][hh].fill(self.initial_val)

    def get_rf_vars(self):
        return self.num_samples_rf, self.tot_cumreward_pred_error, self.tot_reward

    def set_xent_weight(self, ww):
        assert ww >= 0 and ww <= 1
        self.wxent = ww
        for tt in range(1, self.bptt + 1):
            self.nlls[tt].globalWeight = ww
        self.criterion.set_weight(1 - ww)

    def set_nrstepsinit(self, nr):
        self.nrstepsinit = nr
        self.criterion.set_skips(nr)

    def _updateParams(self, learning_rate):
        self.param.add(- learning_rate, self.grad_param)
        for tt in range(1, self.bptt + 1):
            self.param_crp[tt].add(- learning_rate, self.grad_param_crp[tt])

    def overwrite_prediction(self, prev, curr):
        # when previous token was eos or PAD, PAD is produced deterministically.
        for ss in range(prev.size(0)):
            if prev[ss][0] == self.eosidx or prev[ss][0] == self.padidx:
                curr[ss][0] = self.padidx

    def train_one_batch(self, input, label, learning_rate):
        """a forward step through one time step; every bptt steps, backprop through all of them"""
        loss_xe = 0   # XENT
        loss_rf = 0   # REINFORCE
        num_samples = 0
        num_samples_rf = 0
        step = self.i_input % self.bptt
        self.inputs[step] = [v.clone() for v in input]   # the table filled by index from empty, built in order
        if step >= self.nrstepsinit:
            self.inputs[step][0] = self.pred[step][0].squeeze()
        self.labels[step + 1] = label
        # fprop 1 step through RNN
        self.pred[step + 1], self.hiddens[step + 1] = \
            self.unrolled_nets[step + 1].forward([self.inputs[step], self.hiddens[step]])
        # and through cumulative reward predictor at that step
        self.pred_rf[step + 1][1] = self.cum_reward_predictors[step + 1].forward(self.pred[step + 1][2])
        if step + 1 < self.nrstepsinit:
            # overwrite prediction with ground truth label
            self.pred[step + 1][0].copy(label)
        else:
            # skip first step since there is no history to carry over
            if step > 0:
                self.overwrite_prediction(self.pred[step][0], self.pred[step + 1][0])
        self.pred_rf[step + 1][0] = self.pred[step + 1][0].squeeze()
        if step < self.nrstepsinit:
            # and through cross entropy loss for next symbol
            loss_xe, num_samples = self.nlls[step + 1].forward(self.pred[step + 1][1], self.labels[step + 1])
        else:
            loss_xe = 0
            num_samples = 0
        # Every bptt steps, do bprop.
        if step + 1 == self.bptt:
            # reinforce criterion operates on the whole sequence
            loss_rf, num_samples_rf = self.criterion.forward(self.pred_rf, self.labels)
            # BPROP
            self.pred_rf_dx = self.criterion.backward(self.pred_rf, self.labels)
            self.tot_reward = self.tot_reward - (loss_rf * num_samples_rf if self.criterion.sizeAverage
                                                 else loss_rf)
            self.tot_cumreward_pred_error = self.tot_cumreward_pred_error + \
                self.criterion.gradInput[self.nrstepsinit][0].norm()
            self.num_samples_rf = self.num_samples_rf + num_samples_rf
            self.grad_param.zero()
            for tt in range(self.bptt, 0, -1):
                self.grad_param_crp[tt].zero()
                if tt <= self.nrstepsinit:
                    self.pred_dx[tt][1] = self.nlls[tt].backward(self.pred[tt][1], self.labels[tt])
                else:
                    self.pred_dx[tt][1].fill(0)
                self.pred_dx[tt][0] = self.pred_rf_dx[tt][0].view(self.batch_size, 1)
                self.pred_dx[tt][2] = self.cum_reward_predictors[tt].backward(self.pred[tt][2],
                                                                              self.pred_rf_dx[tt][1])
                self.gradient_hiddens[tt - 1] = self.unrolled_nets[tt].backward(
                    [self.inputs[tt - 1], self.hiddens[tt - 1]],
                    [self.pred_dx[tt], self.gradient_hiddens[tt]])[1]
            # Update parameters
            if self.clip_param_val:
                self.clip_function(self.grad_param, self.clip_param_val)
            self._updateParams(learning_rate)
        self.i_input = self.i_input + 1
        # the total (not averaged) cross entropy loss and the number of samples in this mini-batch
        return loss_xe * num_samples, num_samples

    def test_one_batch(self, inputs, labels):
        step = self.i_input % self.bptt
        self.pred[step + 1], self.hiddens[step + 1] = \
            self.unrolled_nets[step + 1].forward([inputs, self.hiddens[step]])
        loss, nsamples = self.nlls[step + 1].forward(self.pred[step + 1][1], labels)
        self.i_input = self.i_input + 1
        return loss * nsamples, nsamples

    def squeeze_but_keep_tensor(self, x):
        if x.nElement() == 1:
            return x.type(self.type) if x.dim() == 1 else x.view(1).type(self.type)
        else:
            return x.squeeze().type(self.type)

    def eval_generation(self, input, label, maxgen):
        """the model run forward as at training time, without backprop, to evaluate generations"""
        loss_xe = 0
        num_samples = 0
        num_samples_rf = None
        step = self.i_input % self.bptt
        self.inputs[step] = [v.clone() for v in input]
        if step >= self.nrstepsinit:
            self.inputs[step][0] = self.squeeze_but_keep_tensor(self.pred[step][0])
        self.pred[step + 1], self.hiddens[step + 1] = \
            self.unrolled_nets[step + 1].forward([self.inputs[step], self.hiddens[step]])
        if maxgen:   # replace sample with argmax
            _, indx = self.pred[step + 1][1].max(1)
            self.pred[step + 1][0].copy(indx)   # overwrite sample with argmax
        self.labels[step + 1] = label
        if step + 1 < self.nrstepsinit:
            self.pred[step + 1][0].copy(label)
        else:
            if step > 0:
                self.overwrite_prediction(self.pred[step][0], self.pred[step + 1][0])
        self.pred_rf[step + 1][0] = self.squeeze_but_keep_tensor(self.pred[step + 1][0])
        if step < self.nrstepsinit:
            # do not report xent loss after the initialization
            loss_xe, num_samples = self.nlls[step + 1].forward(self.pred[step + 1][1], label)
        bleu = None
        if step + 1 == self.bptt:
            # work at the corpus level, collect counts
            self.criterion.get_counts_corpus(self.labels, self.pred_rf)
        self.i_input = self.i_input + 1
        return loss_xe * num_samples, num_samples, bleu, num_samples_rf

    def weight_xent(self):
        return self.wxent

    def reset_reward(self):
        self.criterion.reset_reward()

    def get_corpus_score(self):
        return self.criterion.get_corpus_score()

    def sum(self):
        return self.param.sum()

    def training_mode(self):
        self.criterion.training_mode()

    def test_mode(self):
        self.criterion.test_mode()


# ---- Trainer.lua ----------------------------------------------------------------------------------------------
class Trainer:
    def __init__(self, config, model):
        self.model = model
        self.learning_rate = config['initial_learning_rate']
        self.learning_rate_shrink = 1.2
        self.shrink_multiplier = 0.9999
        self.type = config.get('type')
        self.save = config.get('save')
        self.save_dir = config.get('save_dir')
        self.verbose = config.get('verbose')

    def cuda(self):
        self.type = 'torch.CudaTensor'

    def train(self, dset):
        """one epoch over the whole dataset"""
        dset.reset()
        self.model.reset_rf_vars()
        self.model.training_mode()
        nshards = dset.get_nshards()
        loss_per_shard = lg.zeros(nshards)
        nsamples_per_shard = lg.zeros(nshards)
        for j in range(nshards):
            self.model.reset()
            inputs, labels, batch_size, nbatches = dset.get_next_shard()
            inputs = inputs.type(self.type)
            labels = labels.type(self.type)
            for i in range(nbatches):
                # this returns only the total XENT loss
                loss_batch, nsamples_batch = self.model.train_one_batch(inputs[i], labels[i], self.learning_rate)
                loss_per_shard[j] = loss_per_shard[j] + loss_batch
                nsamples_per_shard[j] = nsamples_per_shard[j] + nsamples_batch
        entropy = (loss_per_shard.sum() / nsamples_per_shard.sum()) / (self.model.weight_xent() * math.log(2))
        num_samples_rf, tot_cumreward_err, tot_reward = self.model.get_rf_vars()
        coeff_rf = num_samples_rf * self.model.criterion.weight
        output_rf = 0 if coeff_rf == 0 else tot_reward / coeff_rf
        reward_predictor_error = 0 if num_samples_rf == 0 else tot_cumreward_err / num_samples_rf
        return entropy, output_rf, reward_predictor_error, nsamples_per_shard.sum(), num_samples_rf

    def eval(self, dset):
        dset.reset()
        self.model.reset_rf_vars()
        n_shards = dset.get_nshards()
        loss_per_shard = lg.zeros(n_shards)
        nsamples_per_shard = lg.zeros(n_shards)
        for sid in range(n_shards):
            self.model.reset()
            inputs, labels, batch_size, num_batches = dset.get_next_shard()
            inputs = inputs.type(self.type)
            labels = labels.type(self.type)
            for i in range(num_batches):
                loss_batch, nsamples_batch = self.model.test_one_batch(inputs[i], labels[i])
                loss_per_shard[sid] = loss_per_shard[sid] + loss_batch
                nsamples_per_shard[sid] = nsamples_per_shard[sid] + nsamples_batch
        entropy = (loss_per_shard.sum() / nsamples_per_shard.sum()) / (self.model.weight_xent() * math.log(2))
        return entropy, nsamples_per_shard.sum()

    def eval_generation(self, dset, maxgen=None):
        use_max = True if maxgen is None else maxgen
        dset.reset()
        self.model.reset_rf_vars()
        n_shards = dset.get_nshards()
        loss_per_shard = lg.zeros(n_shards)
        nsamples_per_shard = lg.zeros(n_shards)
        self.model.reset_reward()
        self.model.test_mode()
        for sid in range(n_shards):
            self.model.reset()
            inputs, labels, batch_size, nbatches = dset.get_next_shard()
            inputs = inputs.type(self.type)
            labels = labels.type(self.type)
            for i in range(nbatches):
                loss_batch, nsamples_batch, loss_rf, nsamples = self.model.eval_generation(inputs[i], labels[i],
                                                                                           use_max)
                loss_per_shard[sid] = loss_per_shard[sid] + loss_batch
                nsamples_per_shard[sid] = nsamples_per_shard[sid] + nsamples_batch
        # compute bleu across the whole corpus
        bleu, num_samples_rf = self.model.get_corpus_score()
        tot_rewards = bleu * num_samples_rf
        entropy = (loss_per_shard.sum() / nsamples_per_shard.sum()) / (self.model.weight_xent() * math.log(2))
        perplexity = math.pow(2, entropy)
        return tot_rewards / num_samples_rf, perplexity

    def set_nrstepsinit(self, val):
        self.model.set_nrstepsinit(val)


# ---- DataSource.lua -----------------------------------------------------------------------------------------
class DataSource:
    """Mini-batches of a binarised corpus: ``all_targets[len]`` holds the title words of the articles with
    ``len`` source words (word id, source row; each title starts with the separator), ``all_sources[len]`` the
    articles."""

    def __init__(self, config):
        self.batch_size = config['batch_size']
        self.root = config['root_path']
        self.dtype = config['data_type']
        self.tdict = config['dct_target']
        self.sdict = config['dct_source']
        self.sepidx = self.tdict['separatorIndex']
        self.bin_thresh = config['bin_thresh']
        self.seqlength = config['sequence_length']
        self.padidx_target = self.tdict['paddingIndex']
        self.padidx_source = self.sdict['paddingIndex']
        self.all_sources = lg.load(paths.concat(self.root, self.dtype + '.sources.th7'))
        self.all_targets = lg.load(paths.concat(self.root, self.dtype + '.targets.th7'))
        # gather the shard ids
        self.shard_ids = {}
        ctr = 0
        for i, v in self.all_targets.items():
            gross_size = v.size(0)
            if gross_size >= self.bin_thresh:
                ctr = ctr + 1
                self.shard_ids[ctr] = i
        # create a permutation vector of the shards
        if self.dtype == 'train':
            self.perm_vec = lg.randperm(len(self.shard_ids)).add(1)   # Lua's 1-based keys of shard_ids
        else:
            self.perm_vec = lg.range(1, len(self.shard_ids))
        self.curr_shard_num = 0
        self.curr_shard_id = -1
        self.nshards = len(self.shard_ids)

    def reset(self):
        self.curr_shard_num = 0
        self.curr_shard_id = -1

    def get_next_shard(self):
        id = self.curr_shard_num % self.nshards
        pid = self.perm_vec[id]
        shard_id = self.shard_ids[pid]
        twords = self.all_targets[shard_id].size(0)
        self.curr_shard_num = self.curr_shard_num + 1
        # keep looping over bins until you get one with more words in target set than the bin_thresh
        while twords < self.bin_thresh:
            id = self.curr_shard_num % self.nshards
            pid = self.perm_vec[id]
            shard_id = self.shard_ids[pid]
            twords = self.all_targets[shard_id].size(0)
            self.curr_shard_num = self.curr_shard_num + 1
        return self.get_shard(pid)

    def get_nshards(self):
        return self.nshards

    def get_shard(self, snum):
        self.curr_shard_id = self.shard_ids[snum]
        self.curr_target = self.all_targets[self.curr_shard_id]
        self.curr_source = self.all_sources[self.curr_shard_id]
        # first get all the sentences out
        gross_size = self.curr_target.size(0)
        sentenceidx = tds.Hash()
        num_sentences = 0
        ww = 0
        while ww < gross_size:
            if self.curr_target[ww][0] == self.sepidx:
                # store the index of the separator token
                num_sentences = num_sentences + 1
                sentenceidx[num_sentences] = ww
            ww = ww + 1
        info = lg.Tensor(2, num_sentences)
        for cc in range(1, num_sentences):
            info[0][cc - 1] = sentenceidx[cc]   # the start_idx
            info[1][cc - 1] = sentenceidx[cc + 1] - sentenceidx[cc]   # length
        # compute start_idx and length of last sentence
        info[0][num_sentences - 1] = sentenceidx[num_sentences]
        info[1][num_sentences - 1] = gross_size - sentenceidx[num_sentences]
        # minibatches of sentences picked at random, each sample of the minibatch filled in sequence
        self.num_batches = math.ceil(num_sentences / self.batch_size)
        # input titles
        self.curr_target_shard = lg.Tensor(self.num_batches * self.seqlength, self.batch_size).fill(
            self.padidx_target)
        # labels
        self.curr_target_shard_lab = lg.Tensor(self.num_batches * self.seqlength, self.batch_size).fill(
            self.padidx_target)
        # matrix storing source (article) vector associated with title words
        self.curr_source_len = self.curr_shard_id
        if getattr(self, 'curr_source_shard', None) is None:
            self.curr_source_shard = lg.LongTensor()
        self.curr_source_shard.resize(self.num_batches * self.seqlength, self.batch_size, self.curr_source_len)
        self.curr_source_shard.fill(self.padidx_source)
        # now load the various matrices with word ids
        if self.dtype == 'train':
            perm = lg.randperm(num_sentences)
        else:
            perm = lg.range(0, num_sentences - 1)
        for ss in range(num_sentences):
            curr_start = info[0][perm[ss]]
            curr_length = min(info[1][perm[ss]], self.seqlength)
            if curr_length > 0:
                row = math.floor(ss / self.batch_size) * self.seqlength
                col = ss % self.batch_size
                target_ids = self.curr_target.narrow(0, curr_start, curr_length)
                # load the target matrix
                self.curr_target_shard.select(1, col).narrow(0, row, curr_length).copy(target_ids.select(1, 0))
                # load the source matrix
                source_id = target_ids[0][1]   # source index
                source = self.curr_source[source_id]   # source words
                for i in range(1, int(curr_length) + 1):   # a bound read from a tensor is a float
                    self.curr_source_shard[row + i - 1, col, :].copy(source)
                # load the label matrix
                curr_length = min(info[1][perm[ss]], self.seqlength + 1)
                if curr_length > 1:
                    self.curr_target_shard_lab.select(1, col).narrow(0, row, curr_length - 1).copy(
                        self.curr_target.select(1, 0).narrow(0, curr_start + 1, curr_length - 1))
                    # add eos as the last word in label if sentence is shorter than sequence length
                    if curr_length < self.seqlength:
                        self.curr_target_shard_lab.select(1, col)[row + curr_length - 1] = self.sepidx
            else:
                raise ValueError('found empty sentence!')
        return self.get_shard_info_clm(self.curr_target_shard, self.curr_target_shard_lab, self.curr_source_shard)

    def get_shard_info_clm(self, cstgt, cslab, cssrc):
        inputs = ShardInputs(cstgt, cssrc)
        labels = cslab
        batch_size = cstgt.size(1)
        nbatches = inputs.size(0)
        return inputs, labels, batch_size, nbatches


class ShardInputs:
    """get_shard_info_clm's table with a metatable: ``inputs[i]`` is {target[i], source[i], cposition[i]}."""

    def __init__(self, target, source):
        self.target = target
        self.source = source
        self.cposition = lg.LongTensor().resizeAs(self.source)
        winsz = self.cposition.size(2)
        for i in range(winsz):
            self.cposition[:, :, i].fill(i)

    def __getitem__(self, index):
        return [self.target[index], self.source[index], self.cposition[index]]

    def size(self, dim=None):
        return self.target.size(0)

    def type(self, tp):
        self.target = self.target.type(tp)
        self.source = self.source.type(tp)
        self.cposition = self.cposition.type(tp)
        return self
