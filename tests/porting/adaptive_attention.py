"""jiasenlu/AdaptiveAttention (Knowing When to Look: adaptive attention with a visual sentinel) ported line by
line (the tests are tests/porting/test_adaptive_attention.py), at commit 2618080c: misc/LSTM.lua (all: the LSTM
whose last layer also gives the sentinel ``fake_region``), misc/attention.lua (all), misc/img_embedding.lua
(all), misc/LanguageModel.lua (all: clones over time, sampling, beam search, the criterion), misc/net_utils.lua
(the residual-CNN surgery, FeatExpander, FeatExpanderConv, decode_sequence, clone_list, setBNGradient0;
deepCopy is texture_nets' port, the same function), misc/transforms.lua (all), misc/optim_updates.lua (sgd,
sgdm; its rmsprop and adam, neuraltalk2's file, are HieCoAttenVQA's and densecap's ports, imported),
misc/utils.lua (write_json, count_keys; getopt, read_json and misc/LookupTableMaskZero.lua are HieCoAttenVQA's,
the same files, imported from tests/porting/hiecoatten_vqa.py), misc/DataLoaderResNet.lua
(all) and train.lua (all but ``language_eval``, which shells out to the coco-caption Python toolkit).

The edits beyond the syntax (each one tested):
- token ids are 0-based with -1 as the padding (docs/porting.md's LookupTableMaskZero row): words are 0 .. V-1,
  the START/END token is V (the Lua's V+1), so ``fill(self.vocab_size+1)`` is ``fill(self.vocab_size)``, the
  criterion's ``target_index == 0`` padding is ``-1`` and its END ``Mp1`` is ``Mp1 - 1``; the stand-in h5/json
  files are written so (label_start_ix/label_end_ix 0-based and inclusive, ix_to_word keyed '0' .. 'V-1').
  Where the Lua writes padding with ``:zero()`` (beam_seq, the loader's label_batch) the port ``fill(-1)``s.
- LanguageModel.updateOutput's ``torch.sum(it) == 0`` (a step every sequence has ended at) is
  ``lg.ne(it, -1).sum() == 0``: with -1 padding a step holding -1 and word 1 sums to 0 (porting.md row).
- DataLoader's ``torch.range(1, size)`` perm gives floats, which Lua's table index accepts (1.0 is 1): Python's
  list index needs ``int(ixm)``; ``torch.random(a, b)`` (inclusive) is ``lg.random(a, b + 1)``.
- train.lua's unconditional ``:cuda()`` (the Lua needs cutorch) is ``to_gpu(x)``: ``x.cuda()`` when
  ``opt.gpuid >= 0``, else ``x``; the CNN is a tiny stand-in saved as the ``-cnn_model`` .t7 (10 modules, as
  the ResNet's top level, its conv output 7 x 7 since attention.lua fixes 50 = 49 regions + the sentinel).
- ``net_utils.decode_sequence`` and ``graph:findModules`` (setBNGradient0) return two values, of which the Lua
  keeps the first: ``[0]``.
- net_utils' build_* functions each repeat the backend check and the copying loop: written once each
  (``_backend``, ``_copy_layers``, taking the Lua's 1-based module numbers); FeatExpanderConv inherits
  FeatExpander's updateGradInput, the same lines.
Found, and the same in legonn as in Torch7 (tested): attention.lua cannot take a batch of one (nn's View.lua
drops the batch of 1, MM.lua then refuses), and train.lua's setBNGradient0 runs before the CNN's backward, so
the batch normalisations it means to freeze are finetuned all the same.
- write_json's ``loss_history[epoch]`` table: a dict, encoded as an object where lua-cjson writes a (sparse)
  array (porting.md's cjson row).
"""
import math

import legonn as lg
from legonn import cjson, hdf5, nn, paths, xlua
from legonn.pl import path
from tests.porting.hiecoatten_vqa import LookupTableMaskZero, getopt, read_json, rmsprop
from tests.porting.test_densecap_model import adam
from tests.porting.test_texture_nets import deepCopy


# ---- misc/utils.lua (write_json and count_keys differ from HieCoAttenVQA's) ------------------------------
def write_json(path, j):
    # API reference http://www.kyne.com.au/~mark/software/lua-cjson-manual.html#encode
    cjson.encode_sparse_array(True, 2, 10)
    text = cjson.encode(j)
    with open(path, 'w') as file:
        file.write(text)


def count_keys(t):
    n = 0
    for k, v in t.items():
        n = n + 1
    return n


# ---- misc/LSTM.lua -----------------------------------------------------------------------------------------
class LSTM:
    @staticmethod
    def lstm(input_size, rnn_size, n, dropout=None):
        dropout = dropout if dropout is not None else 0

        # there will be 2*n+1 inputs
        inputs = []
        inputs.append(nn.Identity()())   # indices giving the sequence of symbols
        inputs.append(nn.Identity()())   # indices giving the image feature
        for L in range(1, n + 1):
            inputs.append(nn.Identity()())   # prev_c[L]
            inputs.append(nn.Identity()())   # prev_h[L]

        img_fc = inputs[1]

        x = input_size_L = i2h = fake_region = None
        outputs = []
        for L in range(1, n + 1):
            # c,h from previos timesteps
            prev_h = inputs[L * 2 + 1]
            prev_c = inputs[L * 2]
            # the input to this layer
            if L == 1:
                x = inputs[0]
                input_size_L = input_size
                w2h = nn.Linear(input_size_L, 4 * rnn_size)(x).annotate({'name': 't2h_' + str(L)})
                v2h = nn.Linear(input_size_L, 4 * rnn_size)(img_fc).annotate({'name': 'v2h_' + str(L)})
                i2h = nn.CAddTable()([w2h, v2h])
            else:
                x = outputs[(L - 1) * 2 - 1]
                if dropout > 0:
                    x = nn.Dropout(dropout)(x).annotate({'name': 'drop_' + str(L)})   # apply dropout, if any
                input_size_L = rnn_size
                i2h = nn.Linear(input_size_L, 4 * rnn_size)(x).annotate({'name': 'i2h_' + str(L)})

            h2h = nn.Linear(rnn_size, 4 * rnn_size)(prev_h).annotate({'name': 'h2h_' + str(L)})
            all_input_sums = nn.CAddTable()([i2h, h2h])

            reshaped = nn.Reshape(4, rnn_size)(all_input_sums)
            n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
            # decode the gates
            in_gate = nn.Sigmoid()(n1)
            forget_gate = nn.Sigmoid()(n2)
            out_gate = nn.Sigmoid()(n3)
            # decode the write inputs
            in_transform = nn.Tanh()(n4)
            # perform the LSTM update
            next_c = nn.CAddTable()([
                nn.CMulTable()([forget_gate, prev_c]),
                nn.CMulTable()([in_gate, in_transform])
            ])

            tanh_nex_c = nn.Tanh()(next_c)
            # gated cells form the output
            next_h = nn.CMulTable()([out_gate, tanh_nex_c])
            if L == n:
                if L == 1:
                    w2h = nn.Linear(input_size_L, 1 * rnn_size)(x)
                    v2h = nn.Linear(input_size_L, 1 * rnn_size)(img_fc)
                    i2h = nn.CAddTable()([w2h, v2h])
                else:
                    i2h = nn.Linear(input_size_L, rnn_size)(x)
                h2h = nn.Linear(rnn_size, rnn_size)(prev_h)
                n5 = nn.CAddTable()([i2h, h2h])

                fake_region = nn.CMulTable()([nn.Sigmoid()(n5), tanh_nex_c])

            outputs.append(next_c)
            outputs.append(next_h)
        # set up the decoder
        top_h = nn.Identity()(outputs[len(outputs) - 1])
        if dropout > 0:
            top_h = nn.Dropout(dropout)(top_h)
        if dropout > 0:
            fake_region = nn.Dropout(dropout)(fake_region)

        outputs.append(top_h)
        outputs.append(fake_region)
        return nn.gModule(inputs, outputs)


# ---- misc/attention.lua ------------------------------------------------------------------------------------
class attention:
    @staticmethod
    def attention(input_size, rnn_size, output_size, dropout):
        inputs = []
        outputs = []
        inputs.append(nn.Identity()())   # top_h
        inputs.append(nn.Identity()())   # fake_region
        inputs.append(nn.Identity()())   # conv_feat
        inputs.append(nn.Identity()())   # conv_feat_embed

        h_out = inputs[0]
        fake_region = inputs[1]
        conv_feat = inputs[2]
        conv_feat_embed = inputs[3]

        fake_region = nn.ReLU()(nn.Linear(rnn_size, input_size)(fake_region))
        # view neighbor from bach_size * neighbor_num x rnn_size to bach_size x rnn_size * neighbor_num
        if dropout > 0:
            fake_region = nn.Dropout(dropout)(fake_region)

        fake_region_embed = nn.Linear(input_size, input_size)(fake_region)

        h_out_linear = nn.Tanh()(nn.Linear(rnn_size, input_size)(h_out))
        if dropout > 0:
            h_out_linear = nn.Dropout(dropout)(h_out_linear)

        h_out_embed = nn.Linear(input_size, input_size)(h_out_linear)

        txt_replicate = nn.Replicate(50, 1)(h_out_embed)

        img_all = nn.JoinTable(1)([nn.View(-1, 1, input_size)(fake_region), conv_feat])
        img_all_embed = nn.JoinTable(1)([nn.View(-1, 1, input_size)(fake_region_embed), conv_feat_embed])

        hA = nn.Tanh()(nn.CAddTable()([img_all_embed, txt_replicate]))
        if dropout > 0:
            hA = nn.Dropout(dropout)(hA)
        hAflat = nn.Linear(input_size, 1)(nn.View(input_size).setNumInputDims(2)(hA))
        PI = nn.SoftMax()(nn.View(50).setNumInputDims(2)(hAflat))

        probs3dim = nn.View(1, -1).setNumInputDims(1)(PI)
        visAtt = nn.MM(False, False)([probs3dim, img_all])
        visAttdim = nn.View(input_size).setNumInputDims(2)(visAtt)
        atten_out = nn.CAddTable()([visAttdim, h_out_linear])

        h = nn.Tanh()(nn.Linear(input_size, input_size)(atten_out))
        if dropout > 0:
            h = nn.Dropout(dropout)(h)
        proj = nn.Linear(input_size, output_size)(h)

        logsoft = nn.LogSoftMax()(proj)
        outputs.append(logsoft)

        return nn.gModule(inputs, outputs)


# ---- misc/img_embedding.lua --------------------------------------------------------------------------------
class img_embedding:
    @staticmethod
    def img_embedding(hidden_size, fc_size, conv_size, conv_num, dropout):
        inputs = []
        outputs = []

        inputs.append(nn.Identity()())   # image feature
        inputs.append(nn.Identity()())

        conv_feat = inputs[0]
        fc_feat = inputs[1]

        # embed the fc7 feature -- dropout here?
        fc_feat_out = nn.ReLU()(nn.Linear(fc_size, hidden_size)(fc_feat))
        if dropout > 0:
            fc_feat_out = nn.Dropout(dropout)(fc_feat_out)

        # embed the conv feature
        conv_feat_embed = nn.Linear(conv_size, hidden_size)(nn.View(conv_size).setNumInputDims(2)(conv_feat))

        conv_feat_out = nn.ReLU()(conv_feat_embed)
        if dropout > 0:
            conv_feat_out = nn.Dropout(dropout)(conv_feat_out)

        conv_feat_back = nn.View(-1, conv_num, hidden_size)(conv_feat_out)

        img_feat_dim = nn.View(hidden_size).setNumInputDims(2)(conv_feat_back)
        embed_feat = nn.Linear(hidden_size, hidden_size)(img_feat_dim)
        embed_feat_out = nn.View(-1, conv_num, hidden_size)(embed_feat)

        outputs.append(conv_feat_back)
        outputs.append(embed_feat_out)
        outputs.append(fc_feat_out)

        return nn.gModule(inputs, outputs)


# ---- misc/LanguageModel.lua --------------------------------------------------------------------------------
class LanguageModel(nn.Module):
    def __init__(self, opt):
        super().__init__()

        # options for core network
        self.vocab_size = getopt(opt, 'vocab_size')   # required
        self.input_encoding_size = getopt(opt, 'input_encoding_size')
        self.n_rnn_layer = getopt(opt, 'n_rnn_layer', 1)

        self.rnn_size = getopt(opt, 'rnn_size')
        self.num_layers = getopt(opt, 'num_layers', 1)
        dropout = getopt(opt, 'dropout', 0)

        self.fc_size = getopt(opt, 'fc_size', 4096)
        self.conv_size = getopt(opt, 'conv_size', 512)

        # options for Language Model
        self.seq_length = getopt(opt, 'seq_length')

        print('rnn_size: ' + str(self.rnn_size) + ' num_layers: ' + str(self.num_layers))
        print('input_encoding_size: ' + str(self.input_encoding_size))
        print('dropout rate: ' + str(dropout))

        # create the core lstm network. note +1 for both the START and END tokens
        self.core = LSTM.lstm(self.input_encoding_size, self.rnn_size, self.num_layers, dropout)

        self.lookup_table = nn.Sequential() \
            .add(LookupTableMaskZero(self.vocab_size + 1, self.input_encoding_size)) \
            .add(nn.ReLU()) \
            .add(nn.Dropout(dropout))

        self.img_embedding = img_embedding.img_embedding(self.input_encoding_size, self.fc_size, self.conv_size,
                                                         49, dropout)

        self.attention = attention.attention(self.input_encoding_size, self.rnn_size, self.vocab_size + 1,
                                             dropout)

        self.init_state = None
        self._createInitState(1)   # will be lazily resized later during forward passes

    def _createInitState(self, batch_size):
        assert batch_size is not None, 'batch size must be provided'
        # construct the initial state for the LSTM
        if self.init_state is None:
            self.init_state = []   # lazy init
        for h in range(self.num_layers * 2):
            # note, the init state Must be zeros because we are using init_state to init grads in backward call too
            if h < len(self.init_state):
                if self.init_state[h].size(0) != batch_size:
                    self.init_state[h].resize(batch_size, self.rnn_size).zero()   # expand the memory
            else:
                self.init_state.append(lg.zeros(batch_size, self.rnn_size))
        self.num_state = len(self.init_state)

    def createClones(self):
        # construct the net clones
        print('constructing clones inside the LanguageModel')
        self.clones = [self.core]
        self.lookup_tables = [self.lookup_table]
        self.attentions = [self.attention]
        for t in range(2, self.seq_length + 2):
            self.clones.append(self.core.clone('weight', 'bias', 'gradWeight', 'gradBias'))
            self.lookup_tables.append(self.lookup_table.clone('weight', 'gradWeight'))
            self.attentions.append(self.attention.clone('weight', 'bias', 'gradWeight', 'gradBias'))

    def getModulesList(self):
        return [self.core, self.lookup_table, self.img_embedding, self.attention]

    def parameters(self):
        # we only have two internal modules, return their params
        p1, g1 = self.core.parameters()
        p2, g2 = self.lookup_table.parameters()
        p3, g3 = self.img_embedding.parameters()
        p4, g4 = self.attention.parameters()

        params = []
        for v in p1:
            params.append(v)
        for v in p2:
            params.append(v)
        for v in p3:
            params.append(v)
        for v in p4:
            params.append(v)

        grad_params = []
        for v in g1:
            grad_params.append(v)
        for v in g2:
            grad_params.append(v)
        for v in g3:
            grad_params.append(v)
        for v in g4:
            grad_params.append(v)

        return params, grad_params

    def training(self):
        for v in self.clones:
            v.training()
        for v in self.lookup_tables:
            v.training()
        for v in self.attentions:
            v.training()
        self.img_embedding.training()

    def evaluate(self):
        for v in self.clones:
            v.evaluate()
        for v in self.lookup_tables:
            v.evaluate()
        for v in self.attentions:
            v.evaluate()
        self.img_embedding.evaluate()

    def sample(self, inputs, opt=None):
        conv = inputs[0]
        fc = inputs[1]
        ix_to_word = inputs[2]

        sample_max = getopt(opt, 'sample_max', 1)
        beam_size = getopt(opt, 'beam_size', 1)

        temperature = getopt(opt, 'temperature', 1.0)

        batch_size = fc.size(0)

        if sample_max == 1 and beam_size > 1:
            return self.sample_beam(inputs, opt)   # indirection for beam search

        self._createInitState(batch_size)
        state = self.init_state

        img_input = [conv, fc]
        conv_feat, conv_feat_embed, fc_embed = self.img_embedding.forward(img_input)

        # we will write output predictions into tensor seq
        seq = lg.LongTensor(self.seq_length, batch_size).zero()
        seqLogprobs = lg.FloatTensor(self.seq_length, batch_size)

        logprobs = None   # logprobs predicted in last time step

        for t in range(1, self.seq_length + 2):
            if t == 1:
                it = lg.LongTensor(batch_size).fill(self.vocab_size)
                xt = self.lookup_table.forward(it)
            else:
                # take predictions from previous time step and feed them in
                if sample_max == 1:
                    # use argmax "sampling"
                    sampleLogprobs, it = lg.max(logprobs, 1)
                    it = it.view(-1).long()
                else:
                    # sample from the distribution of previous predictions
                    if temperature == 1.0:
                        prob_prev = lg.exp(logprobs)   # fetch prev distribution: shape Nx(M+1)
                    else:
                        # scale logprobs by temperature
                        prob_prev = lg.exp(lg.div(logprobs, temperature))
                    it = lg.multinomial(prob_prev, 1)
                    sampleLogprobs = logprobs.gather(1, it)   # gather the logprobs at sampled positions
                    it = it.view(-1).long()   # and flatten indices for downstream processing
                xt = self.lookup_table.forward(it)

            if t >= 2:
                seq[t - 2] = it   # record the samples
                seqLogprobs[t - 2] = sampleLogprobs.view(-1).float()   # and also their log likelihoods

            inputs = [xt, fc_embed, *state]
            out = self.core.forward(inputs)
            state = []
            for i in range(self.num_state):
                state.append(out[i])

            h_out = out[self.num_state]
            p_out = out[self.num_state + 1]

            atten_input = [h_out, p_out, conv_feat, conv_feat_embed]
            logprobs = self.attention.forward(atten_input)

        # return the samples and their log likelihoods
        return seq, seqLogprobs

    def sample_beam(self, inputs, opt=None):
        beam_size = getopt(opt, 'beam_size', 10)

        conv = inputs[0]
        fc = inputs[1]
        ix_to_word = inputs[2]

        batch_size = fc.size(0)

        def compare(a):   # used downstream: table.sort's a.p > b.p
            return a['p']

        assert beam_size <= self.vocab_size + 1, 'lets assume this for now, otherwise this corner case causes a few headaches down the road. can be dealt with in future if needed'

        img_input = [conv, fc]
        conv_feat, conv_feat_embed, fc_embed = self.img_embedding.forward(img_input)

        seq = lg.LongTensor(self.seq_length, batch_size).zero()
        seqLogprobs = lg.FloatTensor(self.seq_length, batch_size)
        seqLogprobs_sum = lg.FloatTensor(batch_size)

        # lets process every image independently for now, for simplicity
        for k in range(batch_size):

            # create initial states for all beams
            self._createInitState(beam_size)
            state = self.init_state

            # we will write output predictions into tensor seq (-1: the null token, the Lua's 0)
            beam_seq = lg.LongTensor(self.seq_length, beam_size).fill(-1)
            beam_seq_logprobs = lg.FloatTensor(self.seq_length, beam_size).zero()
            beam_logprobs_sum = lg.zeros(beam_size)   # running sum of logprobs for each beam
            logprobs = None   # logprobs predicted in last time step, shape (beam_size, vocab_size+1)
            done_beams = []
            imgk = fc_embed[k:k + 1].expand(beam_size, self.input_encoding_size)   # k'th image feature expanded out
            conv_feat_k = conv_feat[k:k + 1].expand(beam_size, conv_feat.size(1), self.input_encoding_size)
            conv_feat_embed_k = conv_feat_embed[k:k + 1].expand(beam_size, conv_feat_embed.size(1),
                                                                self.input_encoding_size)

            for t in range(1, self.seq_length + 2):

                new_state = None
                if t == 1:
                    # feed in the start tokens
                    it = lg.LongTensor(beam_size).fill(self.vocab_size)
                    xt = self.lookup_table.forward(it)
                else:
                    # perform a beam merge. that is, for every previous beam we now many new possibilities to
                    # branch out; we need to resort our beams to maintain the loop invariant of keeping the top
                    # beam_size most likely sequences.
                    logprobsf = logprobs.float()   # lets go to CPU for more efficiency in indexing operations
                    ys, ix = lg.sort(logprobsf, 1, True)   # sorted array of logprobs along each previous beam
                    candidates = []
                    cols = min(beam_size, ys.size(1))
                    rows = beam_size
                    if t == 2:
                        rows = 1   # at first time step only the first beam is active
                    for c in range(cols):   # for each column (word, essentially)
                        for q in range(rows):   # for each beam expansion
                            # compute logprob of expanding beam q with word in (sorted) position c
                            local_logprob = ys[q, c]
                            candidate_logprob = beam_logprobs_sum[q] + local_logprob
                            candidates.append({'c': ix[q, c], 'q': q, 'p': candidate_logprob, 'r': local_logprob})
                    candidates.sort(key=compare, reverse=True)   # find the best c,q pairs

                    # construct new beams
                    new_state = clone_list(state)
                    if t > 2:
                        # well need these as reference when we fork beams around
                        beam_seq_prev = beam_seq[0:t - 2, :].clone()
                        beam_seq_logprobs_prev = beam_seq_logprobs[0:t - 2, :].clone()

                    for vix in range(beam_size):
                        v = candidates[vix]
                        # fork beam index q into index vix
                        if t > 2:
                            beam_seq[0:t - 2, vix] = beam_seq_prev[:, v['q']]
                            beam_seq_logprobs[0:t - 2, vix] = beam_seq_logprobs_prev[:, v['q']]
                        # rearrange recurrent states
                        for state_ix in range(len(new_state)):
                            # copy over state in previous beam q to new beam at vix
                            new_state[state_ix][vix] = state[state_ix][v['q']]
                        # append new end terminal at the end of this beam
                        beam_seq[t - 2, vix] = v['c']   # c'th word is the continuation
                        beam_seq_logprobs[t - 2, vix] = v['r']   # the raw logprob here
                        beam_logprobs_sum[vix] = v['p']   # the new (sum) logprob along this beam

                        if v['c'] == self.vocab_size or t == self.seq_length + 1:
                            # END token special case here, or we reached the end.
                            # add the beam to a set of done beams
                            done_beams.append({'seq': beam_seq[:, vix].clone(),
                                               'logps': beam_seq_logprobs[:, vix].clone(),
                                               'p': beam_logprobs_sum[vix]})

                    # encode as vectors
                    it = beam_seq[t - 2]
                    xt = self.lookup_table.forward(it)

                if new_state is not None:
                    state = new_state   # swap rnn state, if we reassinged beams

                inputs = [xt, imgk, *state]
                out = self.core.forward(inputs)
                state = []
                for i in range(self.num_state):
                    state.append(out[i])
                h_out = out[self.num_state]
                p_out = out[self.num_state + 1]
                atten_input = [h_out, p_out, conv_feat_k, conv_feat_embed_k]
                logprobs = self.attention.forward(atten_input)

            done_beams.sort(key=compare, reverse=True)
            seq[:, k] = done_beams[0]['seq']   # the first beam has highest cumulative score
            seqLogprobs[:, k] = done_beams[0]['logps']
            seqLogprobs_sum[k] = done_beams[0]['p']

        # return the samples and their log likelihoods
        return seq, seqLogprobs_sum

    def updateOutput(self, input):
        conv = input[0]
        fc = input[1]
        seq = input[2]

        assert seq.size(0) == self.seq_length
        batch_size = seq.size(1)

        self._createInitState(batch_size)

        # first get the nearest neighbor representation.
        self.output.resize(self.seq_length + 1, batch_size, self.vocab_size + 1).zero()

        self.img_input = [conv, fc]
        self.conv_feat, self.conv_feat_embed, self.fc_embed = self.img_embedding.forward(self.img_input)

        self.state = {0: self.init_state}
        self.inputs = {}
        self.atten_inputs = {}
        self.lookup_tables_inputs = {}
        self.tmax = 0   # we will keep track of max sequence length encountered in the data for efficiency

        for t in range(1, self.seq_length + 2):
            can_skip = False
            xt = None
            if t == 1:
                # feed in the start tokens
                it = lg.LongTensor(batch_size).fill(self.vocab_size)
                self.lookup_tables_inputs[t] = it
                xt = self.lookup_table.forward(it)   # NxK sized input (token embedding vectors)
            else:
                # feed in the rest of the sequence...
                it = seq[t - 2].clone()
                if lg.ne(it, -1).sum() == 0:   # the Lua's torch.sum(it) == 0: every sequence has ended
                    can_skip = True

                if not can_skip:
                    self.lookup_tables_inputs[t] = it
                    xt = self.lookup_tables[t - 1].forward(it)

            if not can_skip:
                # construct the inputs
                self.inputs[t] = [xt, self.fc_embed, *self.state[t - 1]]
                # forward the network
                out = self.clones[t - 1].forward(self.inputs[t])
                # insert the hidden state
                self.state[t] = []   # the rest is state
                for i in range(self.num_state):
                    self.state[t].append(out[i])
                h_out = out[self.num_state]
                p_out = out[self.num_state + 1]

                # forward the attention
                self.atten_inputs[t] = [h_out, p_out, self.conv_feat, self.conv_feat_embed]
                atten_out = self.attentions[t - 1].forward(self.atten_inputs[t])

                self.output.narrow(0, t - 1, 1).copy(atten_out)
                self.tmax = t

        return self.output

    def updateGradInput(self, input, gradOutput):
        dconv = dconv_embed = dfc = None   # grad on input images

        batch_size = self.output.size(1)
        # go backwards and lets compute gradients
        dstate = self.init_state   # this works when init_state is all zeros

        for t in range(self.tmax, 0, -1):

            d_atten = self.attentions[t - 1].backward(self.atten_inputs[t], gradOutput[t - 1])
            if dconv is None:
                dconv = d_atten[2]
            else:
                dconv.add(d_atten[2])
            if dconv_embed is None:
                dconv_embed = d_atten[3]
            else:
                dconv_embed.add(d_atten[3])

            dout = []
            for k in range(self.num_state):
                dout.append(dstate[k])
            dout.append(d_atten[0])
            dout.append(d_atten[1])

            dinputs = self.clones[t - 1].backward(self.inputs[t], dout)

            dxt = dinputs[0]   # first element is the input vector
            if dfc is None:
                dfc = dinputs[1]
            else:
                dfc.add(dinputs[1])

            dstate = []   # copy over rest to state grad
            for k in range(2, self.num_state + 2):
                dstate.append(dinputs[k])

            # continue backprop of xt
            it = self.lookup_tables_inputs[t]
            self.lookup_tables[t - 1].backward(it, dxt)   # backprop into lookup table

        # backprob to the visual features.
        dimgs_cnn, dfc_cnn = self.img_embedding.backward(self.img_input, [dconv, dconv_embed, dfc])

        self.gradInput = [dimgs_cnn, dfc_cnn]
        return self.gradInput


# ---- Language Model-aware Criterion (misc/LanguageModel.lua) -----------------------------------------------
class LanguageModelCriterion(nn.Criterion):
    def __init__(self):
        super().__init__()

    def updateOutput(self, inputs, target=None):
        input = inputs[0]
        seq = inputs[1]

        L, N, Mp1 = input.size(0), input.size(1), input.size(2)
        D = seq.size(0)
        assert D == L - 1, 'input Tensor should be 1 larger in time'

        self.gradInput.resizeAs(input).zero()
        loss = 0
        n = 0
        for b in range(N):   # iterate over batches
            first_time = True
            for t in range(L):   # iterate over sequence time (ignore t=1, dummy forward for the image)
                # fetch the index of the next token in the sequence
                if t > D - 1:   # we are out of bounds of the index sequence: pad with null tokens
                    target_index = -1
                else:
                    target_index = seq[t, b]
                # the first time we see null token as next index, actually want the model to predict the END token
                if target_index == -1 and first_time:
                    target_index = Mp1 - 1
                    first_time = False

                # if there is a non-null next token, enforce loss!
                if target_index != -1:
                    # accumulate loss
                    loss = loss - input[t, b, target_index]   # log(p)
                    self.gradInput[t, b, target_index] = -1
                    n = n + 1
        self.output = loss / n   # normalize by number of predictions that were made
        self.gradInput.div(n)

        return self.output

    def updateGradInput(self, inputs, target=None):
        return self.gradInput


# ---- misc/net_utils.lua ------------------------------------------------------------------------------------
class net_utils:
    @staticmethod
    def _backend(backend):
        # the lines every build_* function repeats: the backend is checked (and then unused)
        if backend == 'cudnn':
            from legonn import cudnn
            backend = cudnn
        elif backend == 'nn':
            backend = nn
        else:
            raise ValueError('Unrecognized backend "%s"' % backend)
        return backend

    @staticmethod
    def _copy_layers(cnn, first, last):
        # the loop every build_* function repeats: cnn's modules first .. last (1-based, inclusive, as the Lua's
        # numbers and options count them) into a new Sequential
        cnn_part = nn.Sequential()
        for i in range(first, last + 1):
            layer = cnn.get(i - 1)
            cnn_part.add(layer)
        return cnn_part

    @staticmethod
    def build_residual_cnn_conv_fix(cnn, opt):
        layer_num = getopt(opt, 'start_layer_num', 6)
        backend = net_utils._backend(getopt(opt, 'backend', 'cudnn'))
        encoding_size = getopt(opt, 'encoding_size', 512)

        return net_utils._copy_layers(cnn, 1, layer_num - 1)

    @staticmethod
    def build_residual_cnn_conv(cnn, opt):
        start_layer_num = getopt(opt, 'start_layer_num', 6)
        layer_num = getopt(opt, 'layer_num', 8)
        backend = net_utils._backend(getopt(opt, 'backend', 'cudnn'))

        return net_utils._copy_layers(cnn, start_layer_num, layer_num)

    @staticmethod
    def transform_cnn_conv(nDim):
        cnn_part = nn.Sequential()
        cnn_part.add(nn.View(nDim, -1).setNumInputDims(3))
        cnn_part.add(nn.Transpose([1, 2]))
        return cnn_part

    @staticmethod
    def build_residual_cnn_fc(cnn, opt):
        layer_num_start = getopt(opt, 'layer_num', 9)
        layer_num_end = getopt(opt, 'layer_num', 10)
        backend = net_utils._backend(getopt(opt, 'backend', 'cudnn'))

        return net_utils._copy_layers(cnn, layer_num_start, layer_num_end)

    @staticmethod
    def decode_sequence(ix_to_word, seq):
        """A LongTensor D x N of 0 .. vocab_size (the last the END token) to a list of N sentences."""
        D, N = seq.size(0), seq.size(1)
        out = []
        count = []
        for i in range(N):
            tmp = 0
            txt = ''
            for j in range(D):
                ix = seq[j, i]
                word = ix_to_word.get(str(ix))
                if word is None:
                    break   # END token, likely. Or null token
                if j >= 1:
                    txt = txt + ' '
                tmp = tmp + 1
                txt = txt + word
            count.append(tmp)
            out.append(txt)
        return out, count

    @staticmethod
    def setBNGradient0(graph):
        # setting the gradient of BN to be zero
        BNlayers = graph.findModules('nn.SpatialBatchNormalization')[0]   # the first of its two results
        for node in BNlayers:
            node.gradWeight.zero()
            node.gradBias.zero()


def clone_list(lst):
    # takes list of tensors, clone all
    new = []
    for v in lst:
        new.append(v.clone())
    return new


net_utils.clone_list = staticmethod(clone_list)
net_utils.deepCopy = staticmethod(deepCopy)


# layer that expands features out so we can forward multiple sentences per image
class FeatExpander(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.n = n

    def updateOutput(self, input):
        if self.n == 1:
            self.output = input
            return self.output   # act as a noop for efficiency
        # simply expands out the features. Performs a copy information
        assert input.nDimension() == 2
        d = input.size(1)
        self.output.resize(input.size(0) * self.n, d)
        for k in range(input.size(0)):
            j = k * self.n
            self.output[j:j + self.n] = input[k:k + 1, :].expand(self.n, d)   # copy over
        return self.output

    def updateGradInput(self, input, gradOutput):
        if self.n == 1:
            self.gradInput = gradOutput
            return self.gradInput   # act as noop for efficiency
        # add up the gradients for each block of expanded features
        self.gradInput.resizeAs(input)
        d = input.size(1)
        for k in range(input.size(0)):
            j = k * self.n
            self.gradInput[k] = lg.sum(gradOutput[j:j + self.n], 0)
        return self.gradInput


class FeatExpanderConv(FeatExpander):
    # net_utils.lua's own class, whose updateGradInput (lines 237-247) is FeatExpander's (lines 208-218) line for
    # line: inherited here
    def __init__(self, n):
        super().__init__(n)

    def updateOutput(self, input):
        if self.n == 1:
            self.output = input
            return self.output   # act as a noop for efficiency
        # simply expands out the features. Performs a copy information
        s = input.size(1)
        d = input.size(2)
        self.output.resize(input.size(0) * self.n, s, d)
        for k in range(input.size(0)):
            j = k * self.n
            self.output[j:j + self.n] = input[k:k + 1, :].expand(self.n, s, d)   # copy over
        return self.output


# ---- misc/transforms.lua -----------------------------------------------------------------------------------
class t:
    @staticmethod
    def Compose(transforms):
        def compose(input):
            for transform in transforms:
                input = transform(input)
            return input
        return compose

    @staticmethod
    def ColorNormalize(meanstd):
        def normalize(img):
            img = img.clone()
            for i in range(3):
                img[:, i:i + 1, :, :].add(-meanstd['mean'][i])
                img[:, i:i + 1, :, :].div(meanstd['std'][i])
            return img
        return normalize


# ---- misc/optim_updates.lua (sgd and sgdm; rmsprop and adam are imported, the file being neuraltalk2's) -------
def sgd(x, dx, lr):
    x.add(-lr, dx)


def sgdm(x, dx, lr, alpha, state):
    # sgd with momentum, standard update
    if state.get('v') is None:
        state['v'] = x.new(x.size()).zero()
    state['v'].mul(alpha)
    state['v'].add(lr, dx)
    x.add(-1, state['v'])



# ---- misc/DataLoaderResNet.lua -----------------------------------------------------------------------------
class DataLoader:
    def __init__(self, opt):
        # load the json file which contains additional information about the dataset
        print('DataLoader loading json file: ', opt['json_file'])
        self.info = read_json(opt['json_file'])
        self.ix_to_word = self.info['ix_to_word']
        self.vocab_size = count_keys(self.ix_to_word)

        self.batch_size = getopt(opt, 'batch_size', 5)   # how many images get returned at one time
        self.seq_per_img = getopt(opt, 'seq_per_img', 5)   # number of sequences to return per image

        print('vocab size is ' + str(self.vocab_size))

        # open the hdf5 file
        print('DataLoader loading h5 file: ', opt['h5_file'])
        self.h5_file = hdf5.open(opt['h5_file'], 'r')

        # extract image size from dataset
        images_size = self.h5_file.read('/images').dataspaceSize()
        assert len(images_size) == 4, '/images should be a 4D tensor'
        assert images_size[2] == images_size[3], 'width and height must match'
        self.num_images = images_size[0]
        self.num_channels = images_size[1]
        self.max_image_size = images_size[2]

        self.imgs = self.h5_file.read('/images').all()

        print('read %d images of size %dx%dx%d' % (self.num_images, self.num_channels, self.max_image_size,
                                                   self.max_image_size))

        # load in the sequence data
        seq_size = self.h5_file.read('/labels').dataspaceSize()
        self.seq_length = seq_size[1]
        print('max sequence length in data is ' + str(self.seq_length))
        # load the pointers in full to RAM (should be small enough)
        self.label_start_ix = self.h5_file.read('/label_start_ix').all()
        self.label_end_ix = self.h5_file.read('/label_end_ix').all()
        self.labels = self.h5_file.read('/labels').all()
        self.label_lens = self.h5_file.read('/label_length').all()
        # separate out indexes for each of the provided splits
        self.split_ix = {}
        self.iterator = {}
        self.image_ids = lg.LongTensor(self.num_images).zero()
        for i, img in enumerate(self.info['images']):
            split = img['split']
            if split not in self.split_ix:
                # initialize new split
                self.split_ix[split] = []
                self.iterator[split] = 0
            self.split_ix[split].append(i)
            self.image_ids[i] = img['id']

        self.__size = {}
        for k, v in self.split_ix.items():
            print('assigned %d images to split %s' % (len(v), k))

        self.meanstd = {
            'mean': [0.485, 0.456, 0.406],
            'std': [0.229, 0.224, 0.225],
        }

        self.transform = t.Compose([
            t.ColorNormalize(self.meanstd)
        ])

    def init_rand(self, split):
        size = len(self.split_ix[split])
        if split == 'train':
            self.perm = lg.randperm(size)
        else:
            self.perm = lg.range(0, size - 1)   # for test and validation, do not permutate

    def reset_iterator(self, split):
        self.iterator[split] = 0

    def getVocabSize(self):
        return self.vocab_size

    def getVocab(self):
        return self.ix_to_word

    def getSeqLength(self):
        return self.seq_length

    def getnBatch(self, split):
        return math.ceil(len(self.split_ix[split]) / self.batch_size)

    def run(self, opt):
        split = getopt(opt, 'split')   # lets require that user passes this in, for safety
        size_image_use = getopt(opt, 'size_image_use', -1)
        size, batch_size = len(self.split_ix[split]), self.batch_size
        seq_per_img, seq_length = self.seq_per_img, self.seq_length
        num_channels, max_image_size = self.num_channels, self.max_image_size

        if size_image_use != -1 and size_image_use <= size:
            size = size_image_use
        split_ix = self.split_ix[split]
        idx = self.iterator[split]

        if idx < size:

            indices = self.perm.narrow(0, idx, min(batch_size, size - idx))

            img_batch_raw = lg.ByteTensor(batch_size, 3, 256, 256)
            label_batch = lg.LongTensor(batch_size * seq_per_img, seq_length).fill(-1)
            img_id_batch = lg.LongTensor(batch_size * seq_per_img).zero()
            for i, ixm in enumerate(indices.totable()):

                ix = split_ix[int(ixm)]   # the Lua's index may be a float (torch.range): Lua reads 1.0 as 1
                img_batch_raw[i] = self.imgs[ix]

                # fetch the sequence labels
                ix1 = int(self.label_start_ix[ix])
                ix2 = int(self.label_end_ix[ix])

                ncap = ix2 - ix1 + 1   # number of captions available for this image
                assert ncap > 0, 'an image does not have any label. this can be handled but right now isn\'t'
                if ncap < seq_per_img:
                    # we need to subsample (with replacement)
                    seq = lg.LongTensor(seq_per_img, seq_length)
                    for q in range(seq_per_img):
                        ixl = lg.random(ix1, ix2 + 1)
                        seq[q:q + 1] = self.labels[ixl:ixl + 1, 0:seq_length]
                else:
                    # there is enough data to read a contiguous chunk, but subsample the chunk position
                    ixl = lg.random(ix1, ix2 - seq_per_img + 2)   # generates integer in the range
                    seq = self.labels[ixl:ixl + seq_per_img, 0:seq_length]

                il = i * seq_per_img
                label_batch[il:il + seq_per_img] = seq
                img_id_batch[i] = self.image_ids[ix]

            data_augment = False
            if split == 'train':
                data_augment = True

            h, w = img_batch_raw.size(2), img_batch_raw.size(3)
            cnn_input_size = 224
            # cropping data augmentation, if needed
            if h > cnn_input_size or w > cnn_input_size:
                if data_augment:
                    xoff, yoff = lg.random(w - cnn_input_size), lg.random(h - cnn_input_size)
                else:
                    # sample the center
                    xoff, yoff = math.ceil((w - cnn_input_size) / 2) - 1, math.ceil((h - cnn_input_size) / 2) - 1
                # crop.
                img_batch_raw = img_batch_raw[:, :, yoff:yoff + cnn_input_size, xoff:xoff + cnn_input_size]

            img_batch_raw = self.transform(img_batch_raw.float().div(255))

            batch_data = {}
            batch_data['labels'] = label_batch.transpose(0, 1).contiguous()
            batch_data['images'] = img_batch_raw
            batch_data['img_id'] = img_id_batch

            self.iterator[split] = self.iterator[split] + batch_size
            return batch_data


# ---- train.lua ---------------------------------------------------------------------------------------------
def parse_options(arg):
    """train.lua lines 15-80: the options and their defaults."""
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Train an Image Captioning model')
    cmd.text()
    cmd.text('Options')
    # Data input settings
    cmd.option('-input_h5', '/data/coco/cocotalk.h5', 'path to the h5file containing the preprocessed dataset')
    cmd.option('-input_json', '/data/coco/cocotalk.json', 'path to the json file containing additional info and vocab')
    cmd.option('-cnn_model', '../image_model/resnet-152.t7', 'path to CNN model file containing the weights, Caffe format. Note this MUST be a VGGNet-16 right now.')
    cmd.option('-start_from', '', 'path to a model checkpoint to initialize model weights from. Empty = don\'t')
    cmd.option('-checkpoint_path', 'save/', 'folder to save checkpoints into (empty = this folder)')
    cmd.option('-startEpoch', 1, 'Max number of training epoch')
    # Model settings
    cmd.option('-rnn_size', 512, 'size of the rnn in number of hidden nodes in each layer')
    cmd.option('-num_layers', 1, 'the encoding size of each token in the vocabulary, and the image.')
    cmd.option('-input_encoding_size', 512, 'the encoding size of each token in the vocabulary, and the image.')
    cmd.option('-batch_size', 20, 'what is the batch size in number of images per batch? (there will be x seq_per_img sentences)')
    # training setting
    cmd.option('-nEpochs', 20, 'Max number of training epoch')
    cmd.option('-finetune_cnn_after', 20, 'After what epoch do we start finetuning the CNN? (-1 = disable; never finetune, 0 = finetune from start)')
    cmd.option('-fc_size', 2048, 'the encoding size of each token in the vocabulary, and the image.')
    cmd.option('-conv_size', 2048, 'the encoding size of each token in the vocabulary, and the image.')
    cmd.option('-seq_per_img', 5, 'number of captions to sample for each image during training. Done for efficiency since CNN forward pass is expensive. E.g. coco has 5 sents/image')
    # Optimization: General
    cmd.option('-grad_clip', 0.1, 'clip gradients at this value (note should be lower than usual 5 because we normalize grads by both batch and seq_length)')
    cmd.option('-drop_prob_lm', 0.5, 'strength of dropout in the Language Model RNN')
    # Optimization: for the Language Model
    cmd.option('-optim', 'adam', 'what update to use? rmsprop|sgd|sgdmom|adagrad|adam')
    cmd.option('-learning_rate', 4e-4, 'learning rate')
    cmd.option('-learning_rate_decay_start', 20, 'at what iteration to start decaying learning rate? (-1 = dont)')
    cmd.option('-learning_rate_decay_every', 50, 'how many epoch the learning rate x 0.5')
    cmd.option('-optim_alpha', 0.8, 'alpha for adagrad/rmsprop/momentum/adam')
    cmd.option('-optim_beta', 0.999, 'beta used for adam')
    cmd.option('-optim_epsilon', 1e-8, 'epsilon that goes into denominator for smoothing')
    # Optimization: for the CNN
    cmd.option('-cnn_optim', 'adam', 'optimization to use for CNN')
    cmd.option('-cnn_optim_alpha', 0.8, 'alpha for momentum of CNN')
    cmd.option('-cnn_optim_beta', 0.999, 'alpha for momentum of CNN')
    cmd.option('-cnn_learning_rate', 1e-5, 'learning rate for the CNN')
    cmd.option('-cnn_weight_decay', 0, 'L2 weight decay just for the CNN')
    cmd.option('-finetune_start_layer', 6, 'finetune start layer. [1-10]')
    # Evaluation/Checkpointing
    cmd.option('-val_images_use', -1, 'how many images to use when periodically evaluating the validation loss? (-1 = all)')
    cmd.option('-save_checkpoint_every', 4, 'how often to save a model checkpoint?')
    cmd.option('-language_eval', 1, 'Evaluate language as well (1 = yes, 0 = no)? BLEU/CIDEr/METEOR/ROUGE_L? requires coco-caption code from Github.')
    # misc
    cmd.option('-backend', 'cudnn', 'nn|cudnn')
    cmd.option('-id', '1', 'an id identifying this run/job. used in cross-val and appended when writing progress files')
    cmd.option('-seed', 123, 'random number generator seed to use')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.text()
    return cmd.parse(arg)


def main(arg):
    """train.lua from line 85; returns what the test checks (the protos, the loader, the loss histories)."""
    opt = parse_options(arg)
    lg.setdefaulttensortype('torch.FloatTensor')   # for CPU

    def to_gpu(x):
        # the Lua calls :cuda() unconditionally (it runs only with cutorch); on the CPU it is left out
        return x.cuda() if opt['gpuid'] >= 0 else x

    # Create the Data Loader instance
    loader = DataLoader({'h5_file': opt['input_h5'], 'json_file': opt['input_json'], 'neighbor_h5': opt.get('nn_neighbor'),
                         'batch_size': opt['batch_size'], 'seq_per_img': opt['seq_per_img'],
                         'thread_num': opt.get('thread_num')})

    # Initialize the networks: create protos from scratch; intialize language model
    lmOpt = {}
    lmOpt['vocab_size'] = loader.getVocabSize()
    lmOpt['input_encoding_size'] = opt['input_encoding_size']
    lmOpt['rnn_size'] = opt['rnn_size']
    lmOpt['num_layers'] = opt['num_layers']
    lmOpt['dropout'] = opt['drop_prob_lm']
    lmOpt['seq_length'] = loader.getSeqLength()
    lmOpt['batch_size'] = opt['batch_size'] * opt['seq_per_img']
    lmOpt['fc_size'] = opt['fc_size']
    lmOpt['conv_size'] = opt['conv_size']

    loaded_checkpoint = None
    if opt['start_from'] != '':   # just copy to gpu1 params
        loaded_checkpoint_path = path.join(opt['checkpoint_path'], opt['start_from'])
        loaded_checkpoint = lg.load(loaded_checkpoint_path)

    protos = {}
    protos['lm'] = to_gpu(LanguageModel(lmOpt))
    # initialize the ConvNet
    cnn_backend = None   # a global train.lua never sets
    if opt['start_from'] != '':
        protos['cnn_conv_fix'] = to_gpu(loaded_checkpoint['protos']['cnn_conv_fix'])
        protos['cnn_conv'] = to_gpu(loaded_checkpoint['protos']['cnn_conv'])
        protos['cnn_fc'] = to_gpu(loaded_checkpoint['protos']['cnn_fc'])
    else:
        cnn_raw = lg.load(opt['cnn_model'])
        protos['cnn_conv_fix'] = to_gpu(net_utils.build_residual_cnn_conv_fix(
            cnn_raw, {'backend': cnn_backend, 'start_layer_num': opt['finetune_start_layer']}))
        protos['cnn_conv'] = to_gpu(net_utils.build_residual_cnn_conv(
            cnn_raw, {'backend': cnn_backend, 'start_layer_num': opt['finetune_start_layer']}))
        protos['cnn_fc'] = to_gpu(net_utils.build_residual_cnn_fc(cnn_raw, {'backend': cnn_backend}))
    protos['expanderConv'] = to_gpu(FeatExpanderConv(opt['seq_per_img']))
    protos['expanderFC'] = to_gpu(FeatExpander(opt['seq_per_img']))
    protos['transform_cnn_conv'] = to_gpu(net_utils.transform_cnn_conv(opt['conv_size']))
    # criterion for the language model
    protos['crit'] = to_gpu(LanguageModelCriterion())

    params, grad_params = protos['lm'].getParameters()
    cnn1_params, cnn1_grad_params = protos['cnn_conv'].getParameters()

    print('total number of parameters in LM: ', params.nElement())
    print('total number of parameters in CNN_conv: ', cnn1_params.nElement())

    assert params.nElement() == grad_params.nElement()
    assert cnn1_params.nElement() == cnn1_grad_params.nElement()

    if opt['start_from'] != '':
        params.copy(loaded_checkpoint['lmparam'])

    protos['lm'].createClones()

    # Validation evaluation
    def evaluate_split(split, evalopt):
        val_images_use = getopt(evalopt, 'val_images_use', True)

        print('=> evaluating ...')
        # setting to the evaluation mode, use only the first gpu
        protos['cnn_conv'].evaluate()
        protos['cnn_fc'].evaluate()
        protos['lm'].evaluate()
        protos['cnn_conv_fix'].evaluate()

        loss_sum = 0
        loss_evals = 0
        predictions = []
        vocab = loader.getVocab()
        imgId_cell = {}

        nbatch = math.ceil(val_images_use / opt['batch_size'])
        if val_images_use == -1:
            nbatch = loader.getnBatch(split)
        loader.init_rand(split)
        loader.reset_iterator(split)

        for n in range(1, nbatch + 1):
            data = loader.run({'split': split, 'size_image_use': val_images_use})
            # convert the data to cuda
            data['images'] = to_gpu(data['images'])
            data['labels'] = to_gpu(data['labels'])

            # forward the model to get loss
            feats_conv_fix = protos['cnn_conv_fix'].forward(data['images'])
            feats_conv = protos['cnn_conv'].forward(feats_conv_fix)
            feat_conv_t = protos['transform_cnn_conv'].forward(feats_conv)
            feats_fc = protos['cnn_fc'].forward(feats_conv)

            expanded_feats_conv = protos['expanderConv'].forward(feat_conv_t)
            expanded_feats_fc = protos['expanderFC'].forward(feats_fc)
            logprobs = protos['lm'].forward([expanded_feats_conv, expanded_feats_fc, data['labels']])

            loss = protos['crit'].forward([logprobs, data['labels']])
            loss_sum = loss_sum + loss
            loss_evals = loss_evals + 1
            # forward the model to also get generated samples for each image
            seq = protos['lm'].sample([feat_conv_t, feats_fc, vocab, to_gpu(data['labels'])])[0]
            sents = net_utils.decode_sequence(vocab, seq)[0]

            for k in range(len(sents)):
                img_id = int(data['img_id'][k])
                entry = None
                if imgId_cell.get(img_id) is None:   # make sure there are one caption for each image.
                    imgId_cell[img_id] = 1
                    entry = {'image_id': img_id, 'caption': sents[k]}
                    predictions.append(entry)
                if n == 1:   # print the first batch
                    print('image %s: %s' % (entry['image_id'], entry['caption']))
        lang_stats = None
        if opt['language_eval'] == 1:
            raise NotImplementedError('net_utils.language_eval runs the coco-caption toolkit: not ported')

        return loss_sum / loss_evals, predictions, lang_stats

    # train function
    def Train(epoch):
        size_image_use = -1
        print('=> Training epoch # ' + str(epoch))
        print('lm_learning_rate: ' + str(learning_rate) + ' cnn_learning_rate: ' + str(cnn_learning_rate))

        protos['cnn_conv'].training()
        protos['cnn_fc'].training()
        protos['lm'].training()
        protos['cnn_conv_fix'].training()

        nbatch = math.ceil(size_image_use / opt['batch_size'])
        if size_image_use == -1:
            nbatch = loader.getnBatch('train')

        ave_loss = 0
        loader.init_rand('train')
        loader.reset_iterator('train')
        for n in range(1, nbatch + 1):
            xlua.progress(n, nbatch)
            grad_params.zero()

            # setting the gradient of the CNN network
            if epoch >= opt['finetune_cnn_after'] and opt['finetune_cnn_after'] != -1:
                cnn1_grad_params.zero()

            data = loader.run({'split': 'train', 'size_image_use': size_image_use})
            # convert the data to cuda
            data['images'] = to_gpu(data['images'])
            data['labels'] = to_gpu(data['labels'])

            feats_conv_fix = protos['cnn_conv_fix'].forward(data['images'])
            feats_conv = protos['cnn_conv'].forward(feats_conv_fix)
            feat_conv_t = protos['transform_cnn_conv'].forward(feats_conv)

            # we have to expand out image features, once for each sentence
            feats_fc = protos['cnn_fc'].forward(feats_conv)
            expanded_feats_conv = protos['expanderConv'].forward(feat_conv_t)
            expanded_feats_fc = protos['expanderFC'].forward(feats_fc)

            # forward the language model
            log_prob = protos['lm'].forward([expanded_feats_conv, expanded_feats_fc, data['labels']])
            # forward the language model criterion
            loss = protos['crit'].forward([log_prob, data['labels']])
            # Backward pass: backprop criterion
            d_logprobs = protos['crit'].backward([])
            # backprop language model
            dexpanded_conv, dexpanded_fc = protos['lm'].backward([], d_logprobs)

            grad_params.clamp(-opt['grad_clip'], opt['grad_clip'])

            if epoch >= opt['finetune_cnn_after'] and opt['finetune_cnn_after'] != -1:
                net_utils.setBNGradient0(protos['transform_cnn_conv'])
                net_utils.setBNGradient0(protos['cnn_fc'])
                net_utils.setBNGradient0(protos['cnn_conv'])
                # backprop the CNN, but only if we are finetuning
                dconv_t = protos['expanderConv'].backward(feat_conv_t, dexpanded_conv)
                dfc = protos['expanderFC'].backward(feats_fc, dexpanded_fc)
                dconv = protos['transform_cnn_conv'].backward(feats_conv, dconv_t)
                dx = protos['cnn_fc'].backward(feats_conv, dfc)
                dconv.add(dx)
                dummy = protos['cnn_conv'].backward(feats_conv_fix, dconv)

                # apply L2 regularization
                if opt['cnn_weight_decay'] > 0:
                    cnn1_grad_params.add(opt['cnn_weight_decay'], cnn1_params)

                cnn1_grad_params.clamp(-opt['grad_clip'], opt['grad_clip'])

            ave_loss = ave_loss + loss
            # update the parameters
            if opt['optim'] == 'rmsprop':
                rmsprop(params, grad_params, learning_rate, opt['optim_alpha'], opt['optim_epsilon'], optim_state)
            elif opt['optim'] == 'adam':
                adam(params, grad_params, learning_rate, opt['optim_alpha'], opt['optim_beta'], opt['optim_epsilon'],
                     optim_state)
            else:
                raise ValueError('bad option opt.optim')

            if epoch >= opt['finetune_cnn_after'] and opt['finetune_cnn_after'] != -1:
                if opt['cnn_optim'] == 'sgd':
                    sgd(cnn1_params, cnn1_grad_params, cnn1_learning_rate)   # noqa: F821 (a global the Lua never sets)
                elif opt['cnn_optim'] == 'sgdm':
                    sgdm(cnn1_params, cnn1_grad_params, cnn_learning_rate, opt['cnn_optim_alpha'], cnn1_optim_state)
                elif opt['cnn_optim'] == 'adam':
                    adam(cnn1_params, cnn1_grad_params, cnn_learning_rate, opt['cnn_optim_alpha'],
                         opt['cnn_optim_beta'], opt['optim_epsilon'], cnn1_optim_state)
                else:
                    raise ValueError('bad option for opt.cnn_optim')
        ave_loss = ave_loss / nbatch

        return ave_loss

    paths.mkdir(opt['checkpoint_path'])

    # Main loop
    optim_state = {}
    cnn1_optim_state = {}
    learning_rate = opt['learning_rate']
    cnn_learning_rate = opt['cnn_learning_rate']

    startEpoch = opt['startEpoch']
    loss_history = {}
    val_lang_stats_history = {}
    val_loss_history = {}
    checkpoint_path = path.join(opt['checkpoint_path'], 'model_id' + opt['id'])
    timer = lg.Timer()

    for epoch in range(startEpoch, opt['nEpochs'] + 1):

        # doing the learning rate decay
        if epoch > opt['learning_rate_decay_start'] and opt['learning_rate_decay_start'] >= 0:
            frac = (epoch - opt['learning_rate_decay_start']) / opt['learning_rate_decay_every']
            decay_factor = math.pow(0.5, frac)
            learning_rate = learning_rate * decay_factor   # set the decayed rate

        train_loss = Train(epoch)
        print('training loss for # ' + str(epoch) + ' : ' + str(train_loss))

        # save the model.
        if epoch % opt['save_checkpoint_every'] == 0:
            val_loss, val_predictions, lang_stats = evaluate_split('val', {'val_images_use': opt['val_images_use']})
            print('validation loss for # ' + str(epoch) + ' : ' + str(val_loss))

            loss_history[epoch] = train_loss
            val_loss_history[epoch] = val_loss

            if lang_stats is not None:
                val_lang_stats_history[epoch] = lang_stats

            checkpoint = {}
            checkpoint['loss_history'] = loss_history
            checkpoint['val_loss_history'] = val_loss_history
            checkpoint['val_predictions'] = val_predictions   # save these too for CIDEr/METEOR/etc eval
            checkpoint['val_lang_stats_history'] = val_lang_stats_history

            write_json(checkpoint_path + '.json', checkpoint)
            print('wrote json checkpoint to ' + checkpoint_path + '.json')

            save_protos = {}
            save_protos['cnn_conv'] = net_utils.deepCopy(protos['cnn_conv']).float().clearState()
            save_protos['cnn_conv_fix'] = net_utils.deepCopy(protos['cnn_conv_fix']).float().clearState()
            save_protos['cnn_fc'] = net_utils.deepCopy(protos['cnn_fc']).float().clearState()

            checkpoint['protos'] = save_protos
            checkpoint['lmparam'] = params.float()
            checkpoint['vocab'] = loader.getVocab()
            lg.save(checkpoint_path + '_' + str(epoch) + '.t7', checkpoint)
            print('wrote checkpoint to ' + checkpoint_path + '_' + str(epoch) + '.t7')

    return {'protos': protos, 'loader': loader, 'params': params, 'loss_history': loss_history,
            'val_loss_history': val_loss_history, 'checkpoint_path': checkpoint_path}
