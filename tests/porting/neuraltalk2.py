"""karpathy/neuraltalk2 ported line by line (the tests are tests/porting/test_neuraltalk2.py), at commit
bd8c9d8: misc/LSTM.lua, misc/LanguageModel.lua (the clones over time, sample, sample_beam, the criterion),
misc/net_utils.lua (all; language_eval, which shells out to the coco-caption Python toolkit, raises),
misc/DataLoader.lua, misc/optim_updates.lua, misc/utils.lua, misc/gradcheck.lua (torch-rnn's, imported), train.lua
and eval.lua (as ``train(arg)`` and ``evaluate(arg)``; eval.lua's ``cp`` of images into vis/ raises),
misc/DataLoaderRaw.lua; test_language_model.lua is ported as tests in test_neuraltalk2.py. Not ported:
videocaptioning.lua (a camera loop),
convert_checkpoint_gpu_to_cpu.lua (``lg.load(path, device='cpu')`` does it), prepro.py and the coco/cv tools.
Functions that are the same lines in another port are imported from it: utils.getopt and read_json and
optim_updates' rmsprop (HieCoAttenVQA's copies of these files), adam (densecap's), write_json, count_keys, sgd,
sgdm, clone_list, FeatExpander and LanguageModel._createInitState (AdaptiveAttention's, which copied them from
neuraltalk2).

The edits beyond the syntax (each one tested):
- token ids are 0-based with -1 as the null token (docs/porting.md's LookupTableMaskZero row): words 0 .. V-1,
  the START/END token V (the Lua's V+1), so ``fill(self.vocab_size+1)`` is ``fill(self.vocab_size)``, the
  criterion's END ``Mp1`` is ``Mp1 - 1`` and its null ``0`` is ``-1``; updateOutput's ``it[torch.eq(it,0)] = 1``
  is ``it[lg.eq(it, -1)] = 0`` and ``torch.sum(it) == 0`` is ``lg.ne(it, -1).sum() == 0``; beam_seq's
  ``:zero()`` (null tokens after a beam's END) is ``fill(-1)``. The stand-in h5/json are written so.
- train.lua and eval.lua call ``v:cuda()`` only when ``opt.gpuid >= 0``, as the Lua; loadcaffe's VGG-16 is a
  tiny stand-in Sequential saved as the ``-cnn_model`` .t7 (``-cnn_layer_num`` modules whose output has the
  4096 features build_cnn's Linear takes).
- net_utils.prepro's centre offset ``math.ceil((w-cnn_input_size)/2)`` is 1-based: one less here (its
  ``torch.random(w-cnn_input_size)``, 1 .. n, is ``lg.random(n)``, 0 .. n-1, already); DataLoader's
  ``torch.random(a, b)`` (both ends) is ``lg.random(a, b + 1)``.
- LanguageModel fields the Lua reads before they are set: ``self.clones == nil`` reads as ``getattr(...)``
  (a loaded checkpoint has none), ``init_state`` starts as None in the constructor.
- ``torch.class('nn.LanguageModel', 'nn.Module')`` (and the criterion) register as ``neuraltalk2.*``, names
  of their own, so that checkpoints of the thin clones save and load; ``cutorch.setDevice(opt.gpuid + 1)`` is
  ``setDevice(opt['gpuid'])`` (legonn's devices are 0-based).
- eval.lua's ``loss_sum/loss_evals`` of an image folder (no labels) is Lua's 0/0, nan: ``math.nan`` here
  (porting.md's 0/0 row); DataLoaderRaw's ``resetIterator()`` takes the split eval.lua passes (Lua drops it).
- sample_beam's ``table.sort(candidates, compare)`` is a key sort: ties keep their order (porting.md's
  table.sort row), where Lua leaves it unspecified.
Found, and the same in legonn as in Torch7 (tested): DataLoaderRaw's isImage reads only the first match of
``f:find(ext)``, so 'c.png.png' is not an image; train.lua's ``iter == opt.max_iters`` never holds where
it is tested, so the last iteration is never checkpointed; eval.lua's createClones before ``:cuda()`` keeps the
clones sharing the core's parameters (Torch7's type conversion keeps shared storages shared).
"""
import math
import re

import legonn as lg
from legonn import hdf5, image, nn, paths
from legonn.pl import path
from tests.porting.adaptive_attention import FeatExpander, clone_list, count_keys, sgd, sgdm, write_json
from tests.porting.adaptive_attention import LanguageModel as AdaptiveAttentionLM
from tests.porting.hiecoatten_vqa import getopt, read_json, rmsprop
from tests.porting.test_densecap_model import adam
from tests.porting.test_torch_rnn import gradcheck


# ---- misc/utils.lua (getopt, read_json, write_json and count_keys are imported) ------------------------------
def dict_average(dicts):
    # dicts is a list of tables of k:v pairs, create a single k:v table that has the mean of the v's for each k
    d = {}
    n = 0
    for di in dicts:
        for k, v in di.items():
            if d.get(k) is None:
                d[k] = 0
            d[k] = d[k] + v
        n = n + 1
    for k in d:
        d[k] = d[k] / n   # produce the average
    return d


def average_values(t):
    n = 0
    vsum = 0
    for v in t.values():
        vsum = vsum + v
        n = n + 1
    return vsum / n


# ---- misc/optim_updates.lua (sgd, sgdm, rmsprop and adam are imported) ----------------------------------------
def sgdmom(x, dx, lr, alpha, state):
    # sgd momentum, uses nesterov update (reference: http://cs231n.github.io/neural-networks-3/#sgd)
    if state.get('m') is None:
        state['m'] = x.new(x.size()).zero()
        state['tmp'] = x.new(x.size())
    state['tmp'].copy(state['m'])
    state['m'].mul(alpha).add(-lr, dx)
    x.add(-alpha, state['tmp'])
    x.add(1 + alpha, state['m'])


def adagrad(x, dx, lr, epsilon, state):
    if state.get('m') is None:
        state['m'] = x.new(x.size()).zero()
        state['tmp'] = x.new(x.size())
    # calculate new mean squared values
    state['m'].addcmul(1.0, dx, dx)
    # perform update
    state['tmp'].sqrt(state['m']).add(epsilon)
    x.addcdiv(-lr, dx, state['tmp'])


# ---- misc/gradcheck.lua: torch-rnn's util/gradcheck.lua, the same lines, imported (relative_error and
# numeric_gradient, which test_language_model.lua uses; its check_random_dims is used nowhere) ------------------
relative_error = gradcheck.relative_error
numeric_gradient = gradcheck.numeric_gradient


# ---- misc/LSTM.lua ---------------------------------------------------------------------------------------------
class LSTM:
    @staticmethod
    def lstm(input_size, output_size, rnn_size, n, dropout=None):
        dropout = dropout if dropout is not None else 0

        # there will be 2*n+1 inputs
        inputs = []
        inputs.append(nn.Identity()())   # indices giving the sequence of symbols
        for L in range(1, n + 1):
            inputs.append(nn.Identity()())   # prev_c[L]
            inputs.append(nn.Identity()())   # prev_h[L]

        x = input_size_L = None
        outputs = []
        for L in range(1, n + 1):
            # c,h from previos timesteps
            prev_h = inputs[L * 2]
            prev_c = inputs[L * 2 - 1]
            # the input to this layer
            if L == 1:
                x = inputs[0]
                input_size_L = input_size
            else:
                x = outputs[(L - 1) * 2 - 1]
                if dropout > 0:
                    x = nn.Dropout(dropout)(x).annotate({'name': 'drop_' + str(L)})   # apply dropout, if any
                input_size_L = rnn_size
            # evaluate the input sums at once for efficiency
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
            # gated cells form the output
            next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])

            outputs.append(next_c)
            outputs.append(next_h)

        # set up the decoder
        top_h = outputs[-1]
        if dropout > 0:
            top_h = nn.Dropout(dropout)(top_h).annotate({'name': 'drop_final'})
        proj = nn.Linear(rnn_size, output_size)(top_h).annotate({'name': 'decoder'})
        logsoft = nn.LogSoftMax()(proj)
        outputs.append(logsoft)

        return nn.gModule(inputs, outputs)


# ---- misc/net_utils.lua ----------------------------------------------------------------------------------------
class net_utils:
    vgg_mean = None   # the Lua's lazily set net_utils.vgg_mean

    @staticmethod
    def build_cnn(cnn, opt):
        """take a raw CNN from Caffe and perform surgery. Note: VGG-16 SPECIFIC!"""
        layer_num = getopt(opt, 'layer_num', 38)
        backend = getopt(opt, 'backend', 'cudnn')
        encoding_size = getopt(opt, 'encoding_size', 512)

        if backend == 'cudnn':
            from legonn import cudnn
            backend = cudnn
        elif backend == 'nn':
            backend = nn
        else:
            raise ValueError('Unrecognized backend "%s"' % backend)

        # copy over the first layer_num layers of the CNN
        cnn_part = nn.Sequential()
        for i in range(layer_num):
            layer = cnn.get(i)

            if i == 0:
                # convert kernels in first conv layer into RGB format instead of BGR,
                # which is the order in which it was trained in Caffe
                w = layer.weight.clone()
                # swap weights to R and B channels
                print('converting first layer conv filters from BGR to RGB...')
                layer.weight[:, 0, :, :].copy(w[:, 2, :, :])
                layer.weight[:, 2, :, :].copy(w[:, 0, :, :])

            cnn_part.add(layer)

        cnn_part.add(nn.Linear(4096, encoding_size))
        cnn_part.add(backend.ReLU(True))
        return cnn_part

    @staticmethod
    def prepro(imgs, data_augment, on_gpu):
        """takes a batch of images and preprocesses them; VGG-16 network is hardcoded, as is 224 as size"""
        assert data_augment is not None, 'pass this in. careful here.'
        assert on_gpu is not None, 'pass this in. careful here.'

        h, w = imgs.size(2), imgs.size(3)
        cnn_input_size = 224

        # cropping data augmentation, if needed
        if h > cnn_input_size or w > cnn_input_size:
            if data_augment:
                xoff, yoff = lg.random(w - cnn_input_size), lg.random(h - cnn_input_size)
            else:
                # sample the center
                xoff, yoff = math.ceil((w - cnn_input_size) / 2) - 1, math.ceil((h - cnn_input_size) / 2) - 1
            # crop.
            imgs = imgs[:, :, yoff:yoff + cnn_input_size, xoff:xoff + cnn_input_size]

        # ship to gpu or convert from byte to float
        if on_gpu:
            imgs = imgs.cuda()
        else:
            imgs = imgs.float()

        # lazily instantiate vgg_mean
        if net_utils.vgg_mean is None:
            net_utils.vgg_mean = lg.FloatTensor([123.68, 116.779, 103.939]).view(1, 3, 1, 1)   # in RGB order
        net_utils.vgg_mean = net_utils.vgg_mean.typeAs(imgs)   # a noop if the types match

        # subtract vgg mean
        imgs.add(-1, net_utils.vgg_mean.expandAs(imgs))

        return imgs

    @staticmethod
    def list_nngraph_modules(g):
        omg = []
        for node in g.forwardnodes:
            m = node.data.module
            if m is not None:
                omg.append(m)
        return omg

    @staticmethod
    def listModules(net):
        # torch, our relationship is a complicated love/hate thing. And right here it's the latter
        t = lg.type(net)
        if t == 'nn.gModule':
            moduleList = net_utils.list_nngraph_modules(net)
        else:
            moduleList = net.listModules()
        return moduleList

    @staticmethod
    def sanitize_gradients(net):
        moduleList = net_utils.listModules(net)
        for m in moduleList:
            if m.weight is not None and m.gradWeight is not None:
                m.gradWeight = None
            if m.bias is not None and m.gradBias is not None:
                m.gradBias = None

    @staticmethod
    def unsanitize_gradients(net):
        moduleList = net_utils.listModules(net)
        for m in moduleList:
            if m.weight is not None and m.gradWeight is None:
                m.gradWeight = m.weight.clone().zero()
            if m.bias is not None and m.gradBias is None:
                m.gradBias = m.bias.clone().zero()

    @staticmethod
    def decode_sequence(ix_to_word, seq):
        """A LongTensor D x N of 0 .. vocab_size (the last the END token, -1 the null token) to N sentences."""
        D, N = seq.size(0), seq.size(1)
        out = []
        for i in range(N):
            txt = ''
            for j in range(D):
                ix = seq[j, i]
                word = ix_to_word.get(str(ix))
                if word is None:
                    break   # END token, likely. Or null token
                if j >= 1:
                    txt = txt + ' '
                txt = txt + word
            out.append(txt)
        return out

    clone_list = staticmethod(clone_list)

    @staticmethod
    def language_eval(predictions, id):
        # the Lua writes coco-caption/val<id>.json and runs misc/call_python_caption_eval.sh on it
        raise NotImplementedError('net_utils.language_eval needs the coco-caption toolkit '
                                  '(misc/call_python_caption_eval.sh): run with -language_eval 0')


# ---- misc/LanguageModel.lua ------------------------------------------------------------------------------------
class LanguageModel(nn.Module):
    """Image captioning LSTM: input ``[imgs (N x K), seq (D x N LongTensor, words 0 .. M-1, -1 null)]``,
    output ``(D+2) x N x (M+1)`` log probabilities (the last column the END token)."""

    def __init__(self, opt):
        super().__init__()

        # options for core network
        self.vocab_size = getopt(opt, 'vocab_size')   # required
        self.input_encoding_size = getopt(opt, 'input_encoding_size')
        self.rnn_size = getopt(opt, 'rnn_size')
        self.num_layers = getopt(opt, 'num_layers', 1)
        dropout = getopt(opt, 'dropout', 0)
        # options for Language Model
        self.seq_length = getopt(opt, 'seq_length')
        # create the core lstm network. note +1 for both the START and END tokens
        self.core = LSTM.lstm(self.input_encoding_size, self.vocab_size + 1, self.rnn_size, self.num_layers,
                              dropout)
        self.lookup_table = nn.LookupTable(self.vocab_size + 1, self.input_encoding_size)
        self.init_state = None   # the Lua's nil field, which _createInitState fills
        self._createInitState(1)   # will be lazily resized later during forward passes

    # the same lines as AdaptiveAttention's LanguageModel.lua, which copied this file
    _createInitState = AdaptiveAttentionLM._createInitState

    def createClones(self):
        # construct the net clones
        print('constructing clones inside the LanguageModel')
        self.clones = [self.core]
        self.lookup_tables = [self.lookup_table]
        for t in range(2, self.seq_length + 3):
            self.clones.append(self.core.clone('weight', 'bias', 'gradWeight', 'gradBias'))
            self.lookup_tables.append(self.lookup_table.clone('weight', 'gradWeight'))

    def getModulesList(self):
        return [self.core, self.lookup_table]

    def parameters(self):
        # we only have two internal modules, return their params
        p1, g1 = self.core.parameters()
        p2, g2 = self.lookup_table.parameters()

        params = []
        for v in p1:
            params.append(v)
        for v in p2:
            params.append(v)

        grad_params = []
        for v in g1:
            grad_params.append(v)
        for v in g2:
            grad_params.append(v)

        return params, grad_params

    def training(self):
        if getattr(self, 'clones', None) is None:
            self.createClones()   # create these lazily if needed
        for v in self.clones:
            v.training()
        for v in self.lookup_tables:
            v.training()

    def evaluate(self):
        if getattr(self, 'clones', None) is None:
            self.createClones()   # create these lazily if needed
        for v in self.clones:
            v.evaluate()
        for v in self.lookup_tables:
            v.evaluate()

    def sample(self, imgs, opt=None):
        """imgs N x K; returns a D x N LongTensor of words 0 .. M (M the END token) and their log
        probabilities. Careful: make sure model is in evaluate() mode if you're calling this."""
        sample_max = getopt(opt, 'sample_max', 1)
        beam_size = getopt(opt, 'beam_size', 1)
        temperature = getopt(opt, 'temperature', 1.0)
        if sample_max == 1 and beam_size > 1:
            return self.sample_beam(imgs, opt)   # indirection for beam search

        batch_size = imgs.size(0)
        self._createInitState(batch_size)
        state = self.init_state

        # we will write output predictions into tensor seq
        seq = lg.LongTensor(self.seq_length, batch_size).zero()
        seqLogprobs = lg.FloatTensor(self.seq_length, batch_size)
        logprobs = None   # logprobs predicted in last time step
        for t in range(1, self.seq_length + 3):

            if t == 1:
                # feed in the images
                xt = imgs
            elif t == 2:
                # feed in the start tokens
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

            if t >= 3:
                seq[t - 3] = it   # record the samples
                seqLogprobs[t - 3] = sampleLogprobs.view(-1).float()   # and also their log likelihoods

            inputs = [xt, *state]
            out = self.core.forward(inputs)
            logprobs = out[self.num_state]   # last element is the output vector
            state = []
            for i in range(self.num_state):
                state.append(out[i])

        # return the samples and their log likelihoods
        return seq, seqLogprobs

    def sample_beam(self, imgs, opt=None):
        """Beam search, each image on its own; returns as sample() does."""
        beam_size = getopt(opt, 'beam_size', 10)
        batch_size, feat_dim = imgs.size(0), imgs.size(1)

        def compare(a):   # used downstream: table.sort's a.p > b.p
            return a['p']

        assert beam_size <= self.vocab_size + 1, 'lets assume this for now, otherwise this corner case causes a few headaches down the road. can be dealt with in future if needed'

        seq = lg.LongTensor(self.seq_length, batch_size).zero()
        seqLogprobs = lg.FloatTensor(self.seq_length, batch_size)
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
            for t in range(1, self.seq_length + 3):

                new_state = None
                if t == 1:
                    # feed in the images
                    imgk = imgs[k:k + 1].expand(beam_size, feat_dim)   # k'th image feature expanded out
                    xt = imgk
                elif t == 2:
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
                    if t == 3:
                        rows = 1   # at first time step only the first beam is active
                    for c in range(cols):   # for each column (word, essentially)
                        for q in range(rows):   # for each beam expansion
                            # compute logprob of expanding beam q with word in (sorted) position c
                            local_logprob = ys[q, c]
                            candidate_logprob = beam_logprobs_sum[q] + local_logprob
                            candidates.append({'c': ix[q, c], 'q': q, 'p': candidate_logprob, 'r': local_logprob})
                    candidates.sort(key=compare, reverse=True)   # find the best c,q pairs

                    # construct new beams
                    new_state = net_utils.clone_list(state)
                    if t > 3:
                        # well need these as reference when we fork beams around
                        beam_seq_prev = beam_seq[0:t - 3, :].clone()
                        beam_seq_logprobs_prev = beam_seq_logprobs[0:t - 3, :].clone()
                    for vix in range(beam_size):
                        v = candidates[vix]
                        # fork beam index q into index vix
                        if t > 3:
                            beam_seq[0:t - 3, vix] = beam_seq_prev[:, v['q']]
                            beam_seq_logprobs[0:t - 3, vix] = beam_seq_logprobs_prev[:, v['q']]
                        # rearrange recurrent states
                        for state_ix in range(len(new_state)):
                            # copy over state in previous beam q to new beam at vix
                            new_state[state_ix][vix] = state[state_ix][v['q']]
                        # append new end terminal at the end of this beam
                        beam_seq[t - 3, vix] = v['c']   # c'th word is the continuation
                        beam_seq_logprobs[t - 3, vix] = v['r']   # the raw logprob here
                        beam_logprobs_sum[vix] = v['p']   # the new (sum) logprob along this beam

                        if v['c'] == self.vocab_size or t == self.seq_length + 2:
                            # END token special case here, or we reached the end.
                            # add the beam to a set of done beams
                            done_beams.append({'seq': beam_seq[:, vix].clone(),
                                               'logps': beam_seq_logprobs[:, vix].clone(),
                                               'p': beam_logprobs_sum[vix]})

                    # encode as vectors
                    it = beam_seq[t - 3]
                    xt = self.lookup_table.forward(it)

                if new_state is not None:
                    state = new_state   # swap rnn state, if we reassinged beams

                inputs = [xt, *state]
                out = self.core.forward(inputs)
                logprobs = out[self.num_state]   # last element is the output vector
                state = []
                for i in range(self.num_state):
                    state.append(out[i])

            done_beams.sort(key=compare, reverse=True)
            seq[:, k] = done_beams[0]['seq']   # the first beam has highest cumulative score
            seqLogprobs[:, k] = done_beams[0]['logps']

        # return the samples and their log likelihoods
        return seq, seqLogprobs

    def updateOutput(self, input):
        imgs = input[0]
        seq = input[1]
        if getattr(self, 'clones', None) is None:
            self.createClones()   # lazily create clones on first forward pass

        assert seq.size(0) == self.seq_length
        batch_size = seq.size(1)
        self.output.resize(self.seq_length + 2, batch_size, self.vocab_size + 1)

        self._createInitState(batch_size)

        self.state = {0: self.init_state}
        self.inputs = {}
        self.lookup_tables_inputs = {}
        self.tmax = 0   # we will keep track of max sequence length encountered in the data for efficiency
        for t in range(1, self.seq_length + 3):

            can_skip = False
            xt = None
            if t == 1:
                # feed in the images
                xt = imgs   # NxK sized input
            elif t == 2:
                # feed in the start tokens
                it = lg.LongTensor(batch_size).fill(self.vocab_size)
                self.lookup_tables_inputs[t] = it
                xt = self.lookup_tables[t - 1].forward(it)   # NxK sized input (token embedding vectors)
            else:
                # feed in the rest of the sequence...
                it = seq[t - 3].clone()
                if lg.ne(it, -1).sum() == 0:   # the Lua's torch.sum(it) == 0: every sequence has ended
                    # computational shortcut for efficiency. All sequences have already terminated and only
                    # contain null tokens from here on. We can skip the rest of the forward pass and save time
                    can_skip = True
                # seq may contain null tokens (-1), make sure we take them out to any arbitrary token that won't
                # make lookup_table crash with an error: token 0 will do; the criterion sets the loss to zero
                # at these places
                it[lg.eq(it, -1)] = 0

                if not can_skip:
                    self.lookup_tables_inputs[t] = it
                    xt = self.lookup_tables[t - 1].forward(it)

            if not can_skip:
                # construct the inputs
                self.inputs[t] = [xt, *self.state[t - 1]]
                # forward the network
                out = self.clones[t - 1].forward(self.inputs[t])
                # process the outputs
                self.output[t - 1] = out[self.num_state]   # last element is the output vector
                self.state[t] = []   # the rest is state
                for i in range(self.num_state):
                    self.state[t].append(out[i])
                self.tmax = t

        return self.output

    def updateGradInput(self, input, gradOutput):
        dimgs = None   # grad on input images

        # go backwards and lets compute gradients
        dstate = {self.tmax: self.init_state}   # this works when init_state is all zeros
        for t in range(self.tmax, 0, -1):
            # concat state gradients and output vector gradients at time step t
            dout = []
            for k in range(len(dstate[t])):
                dout.append(dstate[t][k])
            dout.append(gradOutput[t - 1])
            dinputs = self.clones[t - 1].backward(self.inputs[t], dout)
            # split the gradient to xt and to state
            dxt = dinputs[0]   # first element is the input vector
            dstate[t - 1] = []   # copy over rest to state grad
            for k in range(1, self.num_state + 1):
                dstate[t - 1].append(dinputs[k])

            # continue backprop of xt
            if t == 1:
                dimgs = dxt
            else:
                it = self.lookup_tables_inputs[t]
                self.lookup_tables[t - 1].backward(it, dxt)   # backprop into lookup table

        # we have gradient on image, but for LongTensor gt sequence we only create an empty tensor - can't backprop
        self.gradInput = [dimgs, lg.Tensor()]
        return self.gradInput


lg.register(LanguageModel, 'neuraltalk2.LanguageModel')


class LanguageModelCriterion(nn.Criterion):
    """input (D+2) x N x (M+1) log probabilities, target the D x N LongTensor of words: the mean negative log
    probability of each caption's words shifted by one, then END once (the first null token)."""

    def __init__(self):
        super().__init__()

    def updateOutput(self, input, seq):
        self.gradInput.resizeAs(input).zero()   # reset to zeros
        L, N, Mp1 = input.size(0), input.size(1), input.size(2)
        D = seq.size(0)
        assert D == L - 2, 'input Tensor should be 2 larger in time'

        loss = 0
        n = 0
        for b in range(N):   # iterate over batches
            first_time = True
            for t in range(2, L + 1):   # iterate over sequence time (ignore t=1, dummy forward for the image)

                # fetch the index of the next token in the sequence
                if t - 1 > D:   # we are out of bounds of the index sequence: pad with null tokens
                    target_index = -1
                else:
                    target_index = seq[t - 2, b]   # at t=2 START token was fed in: predict the first word
                # the first time we see null token as next index, actually want the model to predict the END token
                if target_index == -1 and first_time:
                    target_index = Mp1 - 1
                    first_time = False

                # if there is a non-null next token, enforce loss!
                if target_index != -1:
                    # accumulate loss
                    loss = loss - input[t - 1, b, target_index]   # log(p)
                    self.gradInput[t - 1, b, target_index] = -1
                    n = n + 1

        self.output = loss / n   # normalize by number of predictions that were made
        self.gradInput.div(n)
        return self.output

    def updateGradInput(self, input, seq):
        return self.gradInput


lg.register(LanguageModelCriterion, 'neuraltalk2.LanguageModelCriterion')


# ---- misc/DataLoader.lua ---------------------------------------------------------------------------------------
class DataLoader:
    def __init__(self, opt):
        # load the json file which contains additional information about the dataset
        print('DataLoader loading json file: ', opt['json_file'])
        self.info = read_json(opt['json_file'])
        self.ix_to_word = self.info['ix_to_word']
        self.vocab_size = count_keys(self.ix_to_word)
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
        print('read %d images of size %dx%dx%d' % (self.num_images, self.num_channels, self.max_image_size,
                                                   self.max_image_size))

        # load in the sequence data
        seq_size = self.h5_file.read('/labels').dataspaceSize()
        self.seq_length = seq_size[1]
        print('max sequence length in data is ' + str(self.seq_length))
        # load the pointers in full to RAM (should be small enough)
        self.label_start_ix = self.h5_file.read('/label_start_ix').all()
        self.label_end_ix = self.h5_file.read('/label_end_ix').all()

        # separate out indexes for each of the provided splits
        self.split_ix = {}
        self.iterators = {}
        for i, img in enumerate(self.info['images']):
            split = img['split']
            if split not in self.split_ix:
                # initialize new split
                self.split_ix[split] = []
                self.iterators[split] = 0
            self.split_ix[split].append(i)
        for k, v in self.split_ix.items():
            print('assigned %d images to split %s' % (len(v), k))

    def resetIterator(self, split):
        self.iterators[split] = 0

    def getVocabSize(self):
        return self.vocab_size

    def getVocab(self):
        return self.ix_to_word

    def getSeqLength(self):
        return self.seq_length

    def getBatch(self, opt):
        """A batch: images (N,3,256,256) bytes, labels (L, N*seq_per_img), bounds and infos; splits are
        iterated linearly in order."""
        split = getopt(opt, 'split')   # lets require that user passes this in, for safety
        batch_size = getopt(opt, 'batch_size', 5)   # how many images get returned at one time (to go through CNN)
        seq_per_img = getopt(opt, 'seq_per_img', 5)   # number of sequences to return per image

        split_ix = self.split_ix.get(split)
        assert split_ix is not None, 'split ' + split + ' not found.'

        # pick an index of the datapoint to load next
        img_batch_raw = lg.ByteTensor(batch_size, 3, 256, 256)
        label_batch = lg.LongTensor(batch_size * seq_per_img, self.seq_length)
        max_index = len(split_ix)
        wrapped = False
        infos = []
        for i in range(batch_size):

            ri = self.iterators[split]   # get next index from iterator
            ri_next = ri + 1   # increment iterator
            if ri_next > max_index - 1:
                ri_next = 0
                wrapped = True   # wrap back around
            self.iterators[split] = ri_next
            ix = split_ix[ri]
            assert ix is not None, 'bug: split ' + split + ' was accessed out of bounds with ' + str(ri)

            # fetch the image from h5
            img = self.h5_file.read('/images').partial([ix, ix], [0, self.num_channels - 1],
                                                       [0, self.max_image_size - 1], [0, self.max_image_size - 1])
            img_batch_raw[i] = img

            # fetch the sequence labels
            ix1 = self.label_start_ix[ix]
            ix2 = self.label_end_ix[ix]
            ncap = ix2 - ix1 + 1   # number of captions available for this image
            assert ncap > 0, 'an image does not have any label. this can be handled but right now isn\'t'
            if ncap < seq_per_img:
                # we need to subsample (with replacement)
                seq = lg.LongTensor(seq_per_img, self.seq_length)
                for q in range(seq_per_img):
                    ixl = lg.random(ix1, ix2 + 1)
                    seq[q:q + 1] = self.h5_file.read('/labels').partial([ixl, ixl], [0, self.seq_length - 1])
            else:
                # there is enough data to read a contiguous chunk, but subsample the chunk position
                ixl = lg.random(ix1, ix2 - seq_per_img + 2)   # generates integer in the range
                seq = self.h5_file.read('/labels').partial([ixl, ixl + seq_per_img - 1], [0, self.seq_length - 1])
            il = i * seq_per_img
            label_batch[il:il + seq_per_img] = seq

            # and record associated info as well
            info_struct = {}
            info_struct['id'] = self.info['images'][ix]['id']
            info_struct['file_path'] = self.info['images'][ix].get('file_path')
            infos.append(info_struct)

        data = {}
        data['images'] = img_batch_raw
        data['labels'] = label_batch.transpose(0, 1).contiguous()   # note: make label sequences go down as columns
        data['bounds'] = {'it_pos_now': self.iterators[split], 'it_max': len(split_ix), 'wrapped': wrapped}
        data['infos'] = infos
        return data


# ---- misc/DataLoaderRaw.lua -----------------------------------------------------------------------------------
class DataLoaderRaw:
    """Same as DataLoader but only requires a folder of images (or a coco-style json of file names in it);
    only used at test time."""

    def __init__(self, opt):
        coco_json = getopt(opt, 'coco_json', '')

        # load the json file which contains additional information about the dataset
        print('DataLoaderRaw loading images from folder: ', opt['folder_path'])

        self.files = []
        self.ids = []
        if len(opt['coco_json']) > 0:
            print('reading from ' + opt['coco_json'])
            # read in filenames from the coco-style json file
            self.coco_annotation = read_json(opt['coco_json'])
            for v in self.coco_annotation['images']:
                fullpath = path.join(opt['folder_path'], v['file_name'])
                self.files.append(fullpath)
                self.ids.append(v['id'])
        else:
            # read in all the filenames from the folder
            print('listing all images in directory ' + opt['folder_path'])

            def isImage(f):
                supportedExt = ['.jpg', '.JPG', '.jpeg', '.JPEG', '.png', '.PNG', '.ppm', '.PPM']
                for ext in supportedExt:
                    # Lua's f:find(ext): a pattern ('.' any character), its first match only
                    found = re.search(ext, f)
                    if found is not None and found.end() == len(f):
                        return True
                return False

            n = 1
            for file in paths.files(opt['folder_path'], isImage):
                fullpath = path.join(opt['folder_path'], file)
                self.files.append(fullpath)
                self.ids.append(str(n))   # just order them sequentially (ids, not indices: from 1 as the Lua's)
                n = n + 1

        self.N = len(self.files)
        print('DataLoaderRaw found ' + str(self.N) + ' images')

        self.iterator = 0

    def resetIterator(self, split=None):
        # eval.lua passes the split, which Lua drops: Python needs the parameter
        self.iterator = 0

    def getBatch(self, opt):
        """A batch: images (N,3,256,256) uint8 and infos; the folder is iterated linearly in order."""
        batch_size = getopt(opt, 'batch_size', 5)   # how many images get returned at one time (to go through CNN)
        # pick an index of the datapoint to load next
        img_batch_raw = lg.ByteTensor(batch_size, 3, 256, 256)
        max_index = self.N
        wrapped = False
        infos = []
        for i in range(batch_size):
            ri = self.iterator
            ri_next = ri + 1   # increment iterator
            if ri_next > max_index - 1:
                ri_next = 0
                wrapped = True   # wrap back around
            self.iterator = ri_next

            # load the image
            img = image.load(self.files[ri], 3, 'byte')
            img_batch_raw[i] = image.scale(img, 256, 256)

            # and record associated info as well
            info_struct = {}
            info_struct['id'] = self.ids[ri]
            info_struct['file_path'] = self.files[ri]
            infos.append(info_struct)

        data = {}
        data['images'] = img_batch_raw
        data['bounds'] = {'it_pos_now': self.iterator, 'it_max': self.N, 'wrapped': wrapped}
        data['infos'] = infos
        return data


# ---- train.lua -------------------------------------------------------------------------------------------------
def train_options(arg):
    """train.lua lines 17-74: the options and their defaults, and -cnn_layer_num, the stand-in's build_cnn
    layer_num (the Lua leaves it at VGG-16's 38)."""
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Train an Image Captioning model')
    cmd.text()
    cmd.text('Options')
    # Data input settings
    cmd.option('-input_h5', 'coco/data.h5', 'path to the h5file containing the preprocessed dataset')
    cmd.option('-input_json', 'coco/data.json', 'path to the json file containing additional info and vocab')
    cmd.option('-cnn_proto', 'model/VGG_ILSVRC_16_layers_deploy.prototxt', 'path to CNN prototxt file in Caffe format. Note this MUST be a VGGNet-16 right now.')
    cmd.option('-cnn_model', 'model/VGG_ILSVRC_16_layers.caffemodel', 'path to CNN model file containing the weights, Caffe format. Note this MUST be a VGGNet-16 right now.')
    cmd.option('-cnn_layer_num', 38, 'the stand-in: how many modules of -cnn_model build_cnn keeps')
    cmd.option('-start_from', '', 'path to a model checkpoint to initialize model weights from. Empty = don\'t')
    # Model settings
    cmd.option('-rnn_size', 512, 'size of the rnn in number of hidden nodes in each layer')
    cmd.option('-input_encoding_size', 512, 'the encoding size of each token in the vocabulary, and the image.')
    # Optimization: General
    cmd.option('-max_iters', -1, 'max number of iterations to run for (-1 = run forever)')
    cmd.option('-batch_size', 16, 'what is the batch size in number of images per batch? (there will be x seq_per_img sentences)')
    cmd.option('-grad_clip', 0.1, 'clip gradients at this value (note should be lower than usual 5 because we normalize grads by both batch and seq_length)')
    cmd.option('-drop_prob_lm', 0.5, 'strength of dropout in the Language Model RNN')
    cmd.option('-finetune_cnn_after', -1, 'After what iteration do we start finetuning the CNN? (-1 = disable; never finetune, 0 = finetune from start)')
    cmd.option('-seq_per_img', 5, 'number of captions to sample for each image during training. Done for efficiency since CNN forward pass is expensive. E.g. coco has 5 sents/image')
    # Optimization: for the Language Model
    cmd.option('-optim', 'adam', 'what update to use? rmsprop|sgd|sgdmom|adagrad|adam')
    cmd.option('-learning_rate', 4e-4, 'learning rate')
    cmd.option('-learning_rate_decay_start', -1, 'at what iteration to start decaying learning rate? (-1 = dont)')
    cmd.option('-learning_rate_decay_every', 50000, 'every how many iterations thereafter to drop LR by half?')
    cmd.option('-optim_alpha', 0.8, 'alpha for adagrad/rmsprop/momentum/adam')
    cmd.option('-optim_beta', 0.999, 'beta used for adam')
    cmd.option('-optim_epsilon', 1e-8, 'epsilon that goes into denominator for smoothing')
    # Optimization: for the CNN
    cmd.option('-cnn_optim', 'adam', 'optimization to use for CNN')
    cmd.option('-cnn_optim_alpha', 0.8, 'alpha for momentum of CNN')
    cmd.option('-cnn_optim_beta', 0.999, 'alpha for momentum of CNN')
    cmd.option('-cnn_learning_rate', 1e-5, 'learning rate for the CNN')
    cmd.option('-cnn_weight_decay', 0, 'L2 weight decay just for the CNN')
    # Evaluation/Checkpointing
    cmd.option('-val_images_use', 3200, 'how many images to use when periodically evaluating the validation loss? (-1 = all)')
    cmd.option('-save_checkpoint_every', 2500, 'how often to save a model checkpoint?')
    cmd.option('-checkpoint_path', '', 'folder to save checkpoints into (empty = this folder)')
    cmd.option('-language_eval', 0, 'Evaluate language as well (1 = yes, 0 = no)? BLEU/CIDEr/METEOR/ROUGE_L? requires coco-caption code from Github.')
    cmd.option('-losses_log_every', 25, 'How often do we snapshot losses, for inclusion in the progress dump? (0 = disable)')
    # misc
    cmd.option('-backend', 'cudnn', 'nn|cudnn')
    cmd.option('-id', '', 'an id identifying this run/job. used in cross-val and appended when writing progress files')
    cmd.option('-seed', 123, 'random number generator seed to use')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.text()
    return cmd.parse(arg)


def train(arg):
    """train.lua from line 74; returns what the test checks (opt, protos, the thin clones, the flat
    parameters, the histories)."""
    opt = train_options(arg)
    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')   # for CPU

    if opt['gpuid'] >= 0:
        from legonn import cutorch
        cutorch.manualSeed(opt['seed'])
        cutorch.setDevice(opt['gpuid'])   # the Lua's +1 made the 0-based gpuid 1-based: legonn's devices are 0-based

    # Create the Data Loader instance
    loader = DataLoader({'h5_file': opt['input_h5'], 'json_file': opt['input_json']})

    # Initialize the networks
    protos = {}

    if len(opt['start_from']) > 0:
        # load protos from file
        print('initializing weights from ' + opt['start_from'])
        loaded_checkpoint = lg.load(opt['start_from'])
        protos = loaded_checkpoint['protos']
        net_utils.unsanitize_gradients(protos['cnn'])
        lm_modules = protos['lm'].getModulesList()
        for v in lm_modules:
            net_utils.unsanitize_gradients(v)
        protos['crit'] = LanguageModelCriterion()   # not in checkpoints, create manually
        protos['expander'] = FeatExpander(opt['seq_per_img'])   # not in checkpoints, create manually
    else:
        # create protos from scratch
        # intialize language model
        lmOpt = {}
        lmOpt['vocab_size'] = loader.getVocabSize()
        lmOpt['input_encoding_size'] = opt['input_encoding_size']
        lmOpt['rnn_size'] = opt['rnn_size']
        lmOpt['num_layers'] = 1
        lmOpt['dropout'] = opt['drop_prob_lm']
        lmOpt['seq_length'] = loader.getSeqLength()
        lmOpt['batch_size'] = opt['batch_size'] * opt['seq_per_img']
        protos['lm'] = LanguageModel(lmOpt)
        # initialize the ConvNet
        cnn_backend = opt['backend']
        if opt['gpuid'] == -1:
            cnn_backend = 'nn'   # override to nn if gpu is disabled
        cnn_raw = lg.load(opt['cnn_model'])   # the stand-in for loadcaffe.load(opt.cnn_proto, opt.cnn_model, ...)
        protos['cnn'] = net_utils.build_cnn(cnn_raw, {'encoding_size': opt['input_encoding_size'],
                                                      'backend': cnn_backend, 'layer_num': opt['cnn_layer_num']})
        # a FeatExpander "corrects" for the batch number discrepancy where we have multiple captions per one
        # image in a batch: the CNN features are expanded out for each sentence
        protos['expander'] = FeatExpander(opt['seq_per_img'])
        # criterion for the language model
        protos['crit'] = LanguageModelCriterion()

    # ship everything to GPU, maybe
    if opt['gpuid'] >= 0:
        for v in protos.values():
            v.cuda()

    # flatten and prepare all model parameters to a single vector.
    # Keep CNN params separate in case we want to try to get fancy with different optims on LM/CNN
    params, grad_params = protos['lm'].getParameters()
    cnn_params, cnn_grad_params = protos['cnn'].getParameters()
    print('total number of parameters in LM: ', params.nElement())
    print('total number of parameters in CNN: ', cnn_params.nElement())
    assert params.nElement() == grad_params.nElement()
    assert cnn_params.nElement() == cnn_grad_params.nElement()

    # construct thin module clones that share parameters with the actual modules. These thin module will have
    # no intermediates and will be used for checkpointing to write significantly smaller checkpoint files
    thin_lm = protos['lm'].clone()
    thin_lm.core.share(protos['lm'].core, 'weight', 'bias')   # TODO: we are assuming that LM has specific members! figure out clean way to get rid of, not modular.
    thin_lm.lookup_table.share(protos['lm'].lookup_table, 'weight', 'bias')
    thin_cnn = protos['cnn'].clone('weight', 'bias')
    # sanitize all modules of gradient storage so that we dont save big checkpoints
    net_utils.sanitize_gradients(thin_cnn)
    lm_modules = thin_lm.getModulesList()
    for v in lm_modules:
        net_utils.sanitize_gradients(v)

    # create clones and ensure parameter sharing. we have to do this all the way here at the end because calls
    # such as :cuda() and :getParameters() reshuffle memory around.
    protos['lm'].createClones()

    # Validation evaluation
    def eval_split(split, evalopt):
        verbose = getopt(evalopt, 'verbose', True)
        val_images_use = getopt(evalopt, 'val_images_use', True)

        protos['cnn'].evaluate()
        protos['lm'].evaluate()
        loader.resetIterator(split)   # rewind iteator back to first datapoint in the split
        n = 0
        loss_sum = 0
        loss_evals = 0
        predictions = []
        vocab = loader.getVocab()
        while True:

            # fetch a batch of data
            data = loader.getBatch({'batch_size': opt['batch_size'], 'split': split,
                                    'seq_per_img': opt['seq_per_img']})
            data['images'] = net_utils.prepro(data['images'], False, opt['gpuid'] >= 0)   # preprocess in place, and don't augment
            n = n + data['images'].size(0)

            # forward the model to get loss
            feats = protos['cnn'].forward(data['images'])
            expanded_feats = protos['expander'].forward(feats)
            logprobs = protos['lm'].forward([expanded_feats, data['labels']])
            loss = protos['crit'].forward(logprobs, data['labels'])
            loss_sum = loss_sum + loss
            loss_evals = loss_evals + 1

            # forward the model to also get generated samples for each image
            seq = protos['lm'].sample(feats)[0]
            sents = net_utils.decode_sequence(vocab, seq)
            for k in range(len(sents)):
                entry = {'image_id': data['infos'][k]['id'], 'caption': sents[k]}
                predictions.append(entry)
                if verbose:
                    print('image %s: %s' % (entry['image_id'], entry['caption']))

            # if we wrapped around the split or used up val imgs budget then bail
            ix0 = data['bounds']['it_pos_now']
            ix1 = min(data['bounds']['it_max'], val_images_use)
            if verbose:
                print('evaluating validation performance... %d/%d (%f)' % (ix0, ix1, loss))

            if data['bounds']['wrapped']:
                break   # the split ran out of data, lets break out
            if n >= val_images_use:
                break   # we've used enough images

        lang_stats = None
        if opt['language_eval'] == 1:
            lang_stats = net_utils.language_eval(predictions, opt['id'])

        return loss_sum / loss_evals, predictions, lang_stats

    # Loss function
    iter = 0

    def lossFun():
        protos['cnn'].training()
        protos['lm'].training()
        grad_params.zero()
        if opt['finetune_cnn_after'] >= 0 and iter >= opt['finetune_cnn_after']:
            cnn_grad_params.zero()

        # Forward pass: get batch of data
        data = loader.getBatch({'batch_size': opt['batch_size'], 'split': 'train', 'seq_per_img': opt['seq_per_img']})
        data['images'] = net_utils.prepro(data['images'], True, opt['gpuid'] >= 0)   # preprocess in place, do data augmentation
        # data.images: Nx3x224x224; data.seq: LxM where L is sequence length upper bound, and M = N*seq_per_img

        # forward the ConvNet on images (most work happens here)
        feats = protos['cnn'].forward(data['images'])
        # we have to expand out image features, once for each sentence
        expanded_feats = protos['expander'].forward(feats)
        # forward the language model
        logprobs = protos['lm'].forward([expanded_feats, data['labels']])
        # forward the language model criterion
        loss = protos['crit'].forward(logprobs, data['labels'])

        # Backward pass: backprop criterion
        dlogprobs = protos['crit'].backward(logprobs, data['labels'])
        # backprop language model
        dexpanded_feats, ddummy = protos['lm'].backward([expanded_feats, data['labels']], dlogprobs)
        # backprop the CNN, but only if we are finetuning
        if opt['finetune_cnn_after'] >= 0 and iter >= opt['finetune_cnn_after']:
            dfeats = protos['expander'].backward(feats, dexpanded_feats)
            protos['cnn'].backward(data['images'], dfeats)

        # clip gradients
        grad_params.clamp(-opt['grad_clip'], opt['grad_clip'])

        # apply L2 regularization
        if opt['cnn_weight_decay'] > 0:
            cnn_grad_params.add(opt['cnn_weight_decay'], cnn_params)
            # note: we don't bother adding the l2 loss to the total loss, meh.
            cnn_grad_params.clamp(-opt['grad_clip'], opt['grad_clip'])

        # and lets get out!
        losses = {'total_loss': loss}
        return losses

    # Main loop
    loss0 = None
    optim_state = {}
    cnn_optim_state = {}
    loss_history = {}
    val_lang_stats_history = {}
    val_loss_history = {}
    best_score = None
    while True:

        # eval loss/gradient
        losses = lossFun()
        if iter % opt['losses_log_every'] == 0:
            loss_history[iter] = losses['total_loss']
        print('iter %d: %f' % (iter, losses['total_loss']))

        # save checkpoint once in a while (or on final iteration)
        if iter % opt['save_checkpoint_every'] == 0 or iter == opt['max_iters']:

            # evaluate the validation performance
            val_loss, val_predictions, lang_stats = eval_split('val', {'val_images_use': opt['val_images_use']})
            print('validation loss: ', val_loss)
            print(lang_stats)
            val_loss_history[iter] = val_loss
            if lang_stats is not None:
                val_lang_stats_history[iter] = lang_stats

            checkpoint_path = path.join(opt['checkpoint_path'], 'model_id' + opt['id'])

            # write a (thin) json report
            checkpoint = {}
            checkpoint['opt'] = opt
            checkpoint['iter'] = iter
            checkpoint['loss_history'] = loss_history
            checkpoint['val_loss_history'] = val_loss_history
            checkpoint['val_predictions'] = val_predictions   # save these too for CIDEr/METEOR/etc eval
            checkpoint['val_lang_stats_history'] = val_lang_stats_history

            write_json(checkpoint_path + '.json', checkpoint)
            print('wrote json checkpoint to ' + checkpoint_path + '.json')

            # write the full model checkpoint as well if we did better than ever
            if lang_stats is not None:
                # use CIDEr score for deciding how well we did
                current_score = lang_stats['CIDEr']
            else:
                # use the (negative) validation loss as a score
                current_score = -val_loss
            if best_score is None or current_score > best_score:
                best_score = current_score
                if iter > 0:   # dont save on very first iteration
                    # include the protos (which have weights) and save to file
                    save_protos = {}
                    save_protos['lm'] = thin_lm   # these are shared clones, and point to correct param storage
                    save_protos['cnn'] = thin_cnn
                    checkpoint['protos'] = save_protos
                    # also include the vocabulary mapping so that we can use the checkpoint
                    # alone to run on arbitrary images without the data loader
                    checkpoint['vocab'] = loader.getVocab()
                    lg.save(checkpoint_path + '.t7', checkpoint)
                    print('wrote checkpoint to ' + checkpoint_path + '.t7')

        # decay the learning rate for both LM and CNN
        learning_rate = opt['learning_rate']
        cnn_learning_rate = opt['cnn_learning_rate']
        if iter > opt['learning_rate_decay_start'] and opt['learning_rate_decay_start'] >= 0:
            frac = (iter - opt['learning_rate_decay_start']) / opt['learning_rate_decay_every']
            decay_factor = math.pow(0.5, frac)
            learning_rate = learning_rate * decay_factor   # set the decayed rate
            cnn_learning_rate = cnn_learning_rate * decay_factor

        # perform a parameter update
        if opt['optim'] == 'rmsprop':
            rmsprop(params, grad_params, learning_rate, opt['optim_alpha'], opt['optim_epsilon'], optim_state)
        elif opt['optim'] == 'adagrad':
            adagrad(params, grad_params, learning_rate, opt['optim_epsilon'], optim_state)
        elif opt['optim'] == 'sgd':
            sgd(params, grad_params, opt['learning_rate'])
        elif opt['optim'] == 'sgdm':
            sgdm(params, grad_params, learning_rate, opt['optim_alpha'], optim_state)
        elif opt['optim'] == 'sgdmom':
            sgdmom(params, grad_params, learning_rate, opt['optim_alpha'], optim_state)
        elif opt['optim'] == 'adam':
            adam(params, grad_params, learning_rate, opt['optim_alpha'], opt['optim_beta'], opt['optim_epsilon'],
                 optim_state)
        else:
            raise ValueError('bad option opt.optim')

        # do a cnn update (if finetuning, and if rnn above us is not warming up right now)
        if opt['finetune_cnn_after'] >= 0 and iter >= opt['finetune_cnn_after']:
            if opt['cnn_optim'] == 'sgd':
                sgd(cnn_params, cnn_grad_params, cnn_learning_rate)
            elif opt['cnn_optim'] == 'sgdm':
                sgdm(cnn_params, cnn_grad_params, cnn_learning_rate, opt['cnn_optim_alpha'], cnn_optim_state)
            elif opt['cnn_optim'] == 'adam':
                adam(cnn_params, cnn_grad_params, cnn_learning_rate, opt['cnn_optim_alpha'], opt['cnn_optim_beta'],
                     opt['optim_epsilon'], cnn_optim_state)
            else:
                raise ValueError('bad option for opt.cnn_optim')

        # stopping criterions
        iter = iter + 1
        if loss0 is None:
            loss0 = losses['total_loss']
        if losses['total_loss'] > loss0 * 20:
            print('loss seems to be exploding, quitting.')
            break
        if opt['max_iters'] > 0 and iter >= opt['max_iters']:
            break   # stopping criterion

    return {'opt': opt, 'protos': protos, 'thin_lm': thin_lm, 'thin_cnn': thin_cnn, 'params': params,
            'cnn_params': cnn_params, 'loss_history': loss_history, 'val_loss_history': val_loss_history,
            'best_score': best_score}


# ---- eval.lua --------------------------------------------------------------------------------------------------
def eval_options(arg):
    """eval.lua lines 16-53."""
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Train an Image Captioning model')
    cmd.text()
    cmd.text('Options')
    # Input paths
    cmd.option('-model', '', 'path to model to evaluate')
    # Basic options
    cmd.option('-batch_size', 1, 'if > 0 then overrule, otherwise load from checkpoint.')
    cmd.option('-num_images', 100, 'how many images to use when periodically evaluating the loss? (-1 = all)')
    cmd.option('-language_eval', 0, 'Evaluate language as well (1 = yes, 0 = no)? BLEU/CIDEr/METEOR/ROUGE_L? requires coco-caption code from Github.')
    cmd.option('-dump_images', 1, 'Dump images into vis/imgs folder for vis? (1=yes,0=no)')
    cmd.option('-dump_json', 1, 'Dump json with predictions into vis folder? (1=yes,0=no)')
    cmd.option('-dump_path', 0, 'Write image paths along with predictions into vis json? (1=yes,0=no)')
    # Sampling options
    cmd.option('-sample_max', 1, '1 = sample argmax words. 0 = sample from distributions.')
    cmd.option('-beam_size', 2, 'used when sample_max = 1, indicates number of beams in beam search. Usually 2 or 3 works well. More is not better. Set this to 1 for faster runtime but a bit worse performance.')
    cmd.option('-temperature', 1.0, 'temperature when sampling from distributions (i.e. when sample_max = 0). Lower = "safer" predictions.')
    # For evaluation on a folder of images:
    cmd.option('-image_folder', '', 'If this is nonempty then will predict on the images in this folder path')
    cmd.option('-image_root', '', 'In case the image paths have to be preprended with a root path to an image folder')
    # For evaluation on MSCOCO images from some split:
    cmd.option('-input_h5', '', 'path to the h5file containing the preprocessed dataset. empty = fetch from model checkpoint.')
    cmd.option('-input_json', '', 'path to the json file containing additional info and vocab. empty = fetch from model checkpoint.')
    cmd.option('-split', 'test', 'if running on MSCOCO images, which split to use: val|test|train')
    cmd.option('-coco_json', '', 'if nonempty then use this file in DataLoaderRaw (see docs there). Used only in MSCOCO test evaluation, where we have a specific json file of only test set images.')
    # misc
    cmd.option('-backend', 'cudnn', 'nn|cudnn')
    cmd.option('-id', 'evalscript', 'an id identifying this run/job. used only if language_eval = 1 for appending to intermediate files')
    cmd.option('-seed', 123, 'random number generator seed to use')
    cmd.option('-gpuid', 0, 'which gpu to use. -1 = use CPU')
    cmd.text()
    return cmd.parse(arg)


def evaluate(arg, vis_dir='vis'):
    """eval.lua from line 53 on a checkpoint and the h5/json DataLoader; ``vis_dir`` is the Lua's ./vis.
    Returns the loss and the predictions."""
    opt = eval_options(arg)
    lg.manualSeed(opt['seed'])
    lg.setdefaulttensortype('torch.FloatTensor')   # for CPU

    if opt['gpuid'] >= 0:
        from legonn import cutorch
        cutorch.manualSeed(opt['seed'])
        cutorch.setDevice(opt['gpuid'])   # the Lua's +1 made the 0-based gpuid 1-based: legonn's devices are 0-based

    # Load the model checkpoint to evaluate
    assert len(opt['model']) > 0, 'must provide a model'
    checkpoint = lg.load(opt['model'])
    # override and collect parameters
    if len(opt['input_h5']) == 0:
        opt['input_h5'] = checkpoint['opt']['input_h5']
    if len(opt['input_json']) == 0:
        opt['input_json'] = checkpoint['opt']['input_json']
    if opt['batch_size'] == 0:
        opt['batch_size'] = checkpoint['opt']['batch_size']
    fetch = ['rnn_size', 'input_encoding_size', 'drop_prob_lm', 'cnn_proto', 'cnn_model', 'seq_per_img']
    for v in fetch:
        opt[v] = checkpoint['opt'][v]   # copy over options from model
    vocab = checkpoint['vocab']   # ix -> word mapping

    # Create the Data Loader instance
    if len(opt['image_folder']) == 0:
        loader = DataLoader({'h5_file': opt['input_h5'], 'json_file': opt['input_json']})
    else:
        loader = DataLoaderRaw({'folder_path': opt['image_folder'], 'coco_json': opt['coco_json']})

    # Load the networks from model checkpoint
    protos = checkpoint['protos']
    protos['expander'] = FeatExpander(opt['seq_per_img'])
    protos['crit'] = LanguageModelCriterion()
    protos['lm'].createClones()   # reconstruct clones inside the language model
    if opt['gpuid'] >= 0:
        for v in protos.values():
            v.cuda()

    # Evaluation fun(ction)
    def eval_split(split, evalopt):
        verbose = getopt(evalopt, 'verbose', True)
        num_images = getopt(evalopt, 'num_images', True)

        protos['cnn'].evaluate()
        protos['lm'].evaluate()
        loader.resetIterator(split)   # rewind iteator back to first datapoint in the split
        n = 0
        loss_sum = 0
        loss_evals = 0
        predictions = []
        while True:

            # fetch a batch of data
            data = loader.getBatch({'batch_size': opt['batch_size'], 'split': split,
                                    'seq_per_img': opt['seq_per_img']})
            data['images'] = net_utils.prepro(data['images'], False, opt['gpuid'] >= 0)   # preprocess in place, and don't augment
            n = n + data['images'].size(0)

            # forward the model to get loss
            feats = protos['cnn'].forward(data['images'])

            # evaluate loss if we have the labels
            loss = 0
            if data.get('labels') is not None:
                expanded_feats = protos['expander'].forward(feats)
                logprobs = protos['lm'].forward([expanded_feats, data['labels']])
                loss = protos['crit'].forward(logprobs, data['labels'])
                loss_sum = loss_sum + loss
                loss_evals = loss_evals + 1

            # forward the model to also get generated samples for each image
            sample_opts = {'sample_max': opt['sample_max'], 'beam_size': opt['beam_size'],
                           'temperature': opt['temperature']}
            seq = protos['lm'].sample(feats, sample_opts)[0]
            sents = net_utils.decode_sequence(vocab, seq)
            for k in range(len(sents)):
                entry = {'image_id': data['infos'][k]['id'], 'caption': sents[k]}
                if opt['dump_path'] == 1:
                    entry['file_name'] = data['infos'][k]['file_path']
                predictions.append(entry)
                if opt['dump_images'] == 1:
                    # the Lua's os.execute of cp "<image_root>/<file_path>" vis/imgs/img<n>.jpg
                    raise NotImplementedError('-dump_images copies the raw images with cp: run with -dump_images 0')
                if verbose:
                    print('image %s: %s' % (entry['image_id'], entry['caption']))

            # if we wrapped around the split or used up val imgs budget then bail
            ix0 = data['bounds']['it_pos_now']
            ix1 = min(data['bounds']['it_max'], num_images)
            if verbose:
                print('evaluating performance... %d/%d (%f)' % (ix0, ix1, loss))

            if data['bounds']['wrapped']:
                break   # the split ran out of data, lets break out
            if num_images >= 0 and n >= num_images:
                break   # we've used enough images

        lang_stats = None
        if opt['language_eval'] == 1:
            lang_stats = net_utils.language_eval(predictions, opt['id'])

        # an image folder has no labels: the Lua's 0/0 is nan, where Python raises
        return loss_sum / loss_evals if loss_evals > 0 else math.nan, predictions, lang_stats

    loss, split_predictions, lang_stats = eval_split(opt['split'], {'num_images': opt['num_images']})
    print('loss: ', loss)
    if lang_stats is not None:
        print(lang_stats)

    if opt['dump_json'] == 1:
        # dump the json
        write_json(path.join(vis_dir, 'vis.json'), split_predictions)

    return {'loss': loss, 'predictions': split_predictions, 'protos': protos}
