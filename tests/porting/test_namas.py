"""facebookarchive/NAMAS (commit f020d27) ported line by line: summary/util.lua, build_dict.lua, build.lua (the
bucketed article and title matrices), data.lua (the batch iterator and ``make_input``), encoder.lua (every encoder:
none, bag-of-words, the convolutional one and the attention-based one), nnlm.lua (the feed-forward NNLM whose
second layer joins the encoder, its training loop, validation, table renormalisation, save and load),
features.lua, beam_search.lua and the bodies of train.lua and run.lua (``sync_dicts``, ``process_word``, the
summary writer). The Gigaword files the repository's scripts build are replaced by a tiny generated corpus of
article/title pairs (a title copies some article words), written through build_dict.lua and build.lua.

The index shifts: word ids from 0 (the dictionary's first line, ``<unk>``, is 0, which build.lua's ``or 1``
becomes), the title matrices' sentence numbers and word positions from 0, the feature positions NNLM .. LEN
from 0; the bucket and batch positions of data.lua and the beam's stages are 0-based, the Lua's number written
``i + 1`` where it enters a count (docs/porting.md). fbcunn's ``nn.TemporalKMaxPooling`` is
``fbnn.TemporalKMaxPooling``, whose ``indices`` are 0-based as the CUDA kernel writes them, so the beam's
``pool.indices:t():add(1)``, which makes Lua word ids of them, keeps no ``add(1)`` (docs/porting.md's Indices).

The Lua builds every model with ``torch.setdefaulttensortype('torch.CudaTensor')`` and ``:cuda()`` and moves its
data with ``:float():cuda()``; legonn's default type is a CPU one (docs/porting.md), so the port drops the two
``setdefaulttensortype`` lines and routes each ``:cuda()`` through ``cuda()``, which converts when ``GPU['on']``:
the CPU tests run the same lines on NumPy, the gpu test on CuPy. The rest of the Lua runs in DoubleTensor.

Three places follow docs/porting.md's rows where Python or legonn differ: ``data.make_input`` hands the beam's
LongTensor of contexts over in the article's type (Torch7's LookupTable and MulConstant copy it into their own
type and device; legonn's refuse it); ``nnlm:save``'s ``torch.save(fname, self)`` of a setmetatable object,
which Torch7 writes as the plain table of its fields, saves ``vars(self)``; and a ``-window`` run.lua never
defines reads as nil (``opt.get``). The training loop's first log line divides by 0, a number in Lua.

beam_search.lua writes ``words_used[i+1][k][...]`` whether or not ``-blockRepeatWords`` made the table, so the
Lua's beam fails without that flag; test_model.sh always passes it, and the tests do so too.
"""
import math
import os
import random

import numpy as np
import pytest

import legonn as lg
from legonn import fbnn, nn
from legonn import sys as tsys

pytestmark = pytest.mark.usefixtures('double_default')

GPU = {'on': False}


def cuda(x):
    """The Lua's ``x:cuda()``: done on the gpu test's run, left out on the CPU ones."""
    return x.cuda() if GPU['on'] else x


# ----------------------------------------------------------------------------------------------- util.lua

class util:
    @staticmethod
    def string_shortfloat(t):
        return '%2.4g' % t

    @staticmethod
    def shuffleTable(t):
        rand = random.randint
        iterations = len(t)
        for i in range(iterations - 1, 0, -1):
            j = rand(0, i)
            t[i], t[j] = t[j], t[i]

    @staticmethod
    def string_split(s, c=None):
        if c is None:
            c = ' '
        t = []
        while True:
            f = s.find(c)
            if f == -1:
                if len(s) > 0:
                    t.append(s)
                break
            if f > 0:
                t.append(s[:f])
            s = s[f + 1:]
        return t

    @staticmethod
    def add(tab, key):
        cur = tab
        for i in range(len(key) - 1):
            new_cur = cur.get(key[i])
            if new_cur is None:
                cur[key[i]] = {}
                new_cur = cur[key[i]]
            cur = new_cur
        cur[key[-1]] = True

    @staticmethod
    def has(tab, key):
        cur = tab
        for i in range(len(key)):
            cur = cur.get(key[i])
            if cur is None:
                return False
        return True

    @staticmethod
    def isnan(x):
        return x != x


# ----------------------------------------------------------------------------------------- build_dict.lua

def build_dict(opt):
    f = open(opt['inf'], 'r')
    word_id = -1
    dict = {'symbol_to_index': {}, 'index_to_symbol': []}
    for l in f:
        word_id = word_id + 1
        word = util.string_split(l.rstrip('\n'))[0]
        dict['symbol_to_index'][word] = word_id
        dict['index_to_symbol'].append(word)
    f.close()
    lg.save(opt['outf'], dict)


# ---------------------------------------------------------------------------------------------- build.lua

def count(file, aligned_lengths, pad):
    # Count up properties of the input file.
    f = open(file, 'r')
    counter = {'nsents': 0, 'max_length': 0, 'aligned_lengths': {}, 'line_lengths': {}, 'bucket_words': {}}
    nline = 0
    for l in f:
        l = l.rstrip('\n')
        true_l = l
        if pad:
            true_l = '<s> <s> <s> ' + l + ' </s> </s> </s>'
        line = util.string_split(true_l, ' ')
        counter['line_lengths'][len(line)] = counter['line_lengths'].get(len(line), 0) + 1
        counter['nsents'] = counter['nsents'] + 1
        counter['aligned_lengths'][nline] = len(line)
        if aligned_lengths is not None:
            # Add extra for implicit </s>.
            counter['bucket_words'][aligned_lengths[nline]] = \
                counter['bucket_words'].get(aligned_lengths[nline], 0) + len(line) + 1
        nline = nline + 1
    f.close()
    return counter


def build_article_matrices(dict, file, nsents, line_lengths):
    # For each length bucket, construct a #sentence x length matrix of word forms.
    f = open(file, 'r')
    mat = {}             # One matrix for each length.
    of_length = {}       # Number of sentences seen of this length.
    for length, count_ in line_lengths.items():
        mat[length] = lg.zeros(count_, length).long()
        of_length[length] = 0
    # For each sentence. Col 1 is its length bin. Col 2 is its position in bin.
    pos = lg.zeros(nsents, 2).long()
    nsent = 0
    for l in f:
        true_l = '<s> <s> <s> ' + l.rstrip('\n') + ' </s> </s> </s>'
        line = util.string_split(true_l, ' ')
        length = len(line)
        nbin = of_length[length]
        for j in range(len(line)):
            index = dict['symbol_to_index'].get(line[j], 0)
            mat[length][nbin][j] = index
        pos[nsent][0] = length
        pos[nsent][1] = nbin
        of_length[length] = nbin + 1
        nsent = nsent + 1
    f.close()
    return mat, pos


def build_title_matrices(dict, file, aligned_lengths, bucket_sizes, window):
    # For each article length bucket construct a num-words x 1 flat vector of word forms and a corresponding
    # num-words x window matrix of context forms.
    nsent = 0
    pos = {}
    mat = {}                 # One matrix for each length.
    ngram = {}
    sent_of_length = {}      # Number of sentences seen of this length.
    words_of_length = {}
    for length, count_ in bucket_sizes.items():
        mat[length] = lg.zeros(count_, 3).long()
        sent_of_length[length] = 0
        words_of_length[length] = 0
        ngram[length] = lg.zeros(count_, window).long()
    # Columns are the preceding window.
    nline = 0
    f = open(file, 'r')
    for l in f:
        # Add implicit </s>.
        true_l = l.rstrip('\n') + ' </s>'
        line = util.string_split(true_l, ' ')
        last = []
        # Initialize window as START symbol.
        for w in range(window):
            last.append(dict['symbol_to_index']['<s>'])
        aligned_length = aligned_lengths[nline]
        for j in range(len(line)):
            nword = words_of_length[aligned_length]
            index = dict['symbol_to_index'].get(line[j], 0)
            mat[aligned_length][nword][0] = index
            mat[aligned_length][nword][1] = sent_of_length[aligned_length]
            mat[aligned_length][nword][2] = j
            # Move the window forward.
            for w in range(window - 1):
                ngram[aligned_length][nword][w] = last[w]
                last[w] = last[w + 1]
            ngram[aligned_length][nword][window - 1] = last[window - 1]
            last[window - 1] = index
            words_of_length[aligned_length] = words_of_length[aligned_length] + 1
        sent_of_length[aligned_length] = sent_of_length[aligned_length] + 1
        nsent = nsent + 1
        # Debug logging.
        if nsent % 100000 == 1:
            print(nsent)
        nline = nline + 1
    f.close()
    return mat, pos, ngram


def build_main(opt):
    counter = count(opt['inArticleFile'], None, True)
    dict = lg.load(opt['inArticleDictionary'])
    # Construct a rectangular word matrix.
    word_mat, offset_mat = build_article_matrices(dict, opt['inArticleFile'], counter['nsents'],
                                                  counter['line_lengths'])
    lg.save(opt['outArticleDirectory'] + '/word.mat.torch', word_mat)
    lg.save(opt['outArticleDirectory'] + '/offset.mat.torch', offset_mat)
    title_counter = count(opt['inTitleFile'], counter['aligned_lengths'], False)
    title_dict = lg.load(opt['inTitleDictionary'])
    # Construct a 1d word matrix.
    word_mat, offset_mat, ngram_mat = build_title_matrices(title_dict, opt['inTitleFile'],
                                                           counter['aligned_lengths'],
                                                           title_counter['bucket_words'], opt['window'])
    lg.save(opt['outTitleDirectory'] + '/word.mat.torch', word_mat)
    lg.save(opt['outTitleDirectory'] + '/offset.mat.torch', offset_mat)
    lg.save(opt['outTitleDirectory'] + '/ngram.mat.torch', ngram_mat)


# ----------------------------------------------------------------------------------------------- data.lua

class data:
    """data.lua's table of functions and the object ``data.init`` makes (its metatable's ``__index``)."""

    @staticmethod
    def add_opts(cmd):
        cmd.option('-articleDir', '', 'Directory containing article training matrices.')
        cmd.option('-titleDir', '', 'Directory containing title training matrices.')
        cmd.option('-validArticleDir', '', 'Directory containing article matricess for validation.')
        cmd.option('-validTitleDir', '', 'Directory containing title matrices for validation.')

    @staticmethod
    def init(title_data, article_data):
        new_data = data()
        new_data.title_data = title_data
        new_data.article_data = article_data
        new_data.reset()
        return new_data

    def reset(self):
        self.bucket_order = []
        for length in self.title_data['target']:
            self.bucket_order.append(length)
        util.shuffleTable(self.bucket_order)
        self.bucket_index = -1
        self.load_next_bucket()

    def load_next_bucket(self):
        self.done_bucket = False
        self.bucket_index = self.bucket_index + 1
        self.bucket = self.bucket_order[self.bucket_index]
        self.bucket_size = self.title_data['target'][self.bucket].size(0)
        self.pos = 0
        self.aux_ptrs = self.title_data['sentences'][self.bucket].float().long()
        self.positions = cuda(lg.range(1, self.bucket).view(1, self.bucket)
                              .expand(1000, self.bucket).contiguous()) + (200 * self.bucket)

    def is_done(self):
        return self.bucket_index + 1 >= len(self.bucket_order) - 1 and self.done_bucket

    def next_batch(self, max_size):
        diff = self.bucket_size - (self.pos + 1)
        if self.done_bucket or diff == 0 or diff == 1:
            self.load_next_bucket()
        if self.pos + 1 + max_size > self.bucket_size:
            offset = self.bucket_size - (self.pos + 1)
            self.done_bucket = True
        else:
            offset = max_size
        positions = self.positions.narrow(0, 0, offset)
        aux_rows = self.article_data['words'][self.bucket].index(0, self.aux_ptrs.narrow(0, self.pos, offset))
        context = self.title_data['ngram'][self.bucket].narrow(0, self.pos, offset)
        target = self.title_data['target'][self.bucket].narrow(0, self.pos, offset)
        self.pos = self.pos + offset
        return [aux_rows, positions, context], target

    @staticmethod
    def make_input(article, context, K):
        bucket = article.size(0)
        aux_sentence = cuda(article.view(bucket, 1).expand(article.size(0), K).t().contiguous())
        positions = cuda(lg.range(1, bucket).view(bucket, 1).expand(bucket, K).t().contiguous()) + (200 * bucket)
        # the beam's contexts are a CPU LongTensor, which Torch7's modules copy into their own type and device
        # (LookupTable.lua's _input, MulConstant's output); legonn's refuse it: given in the model's type here
        # (docs/porting.md's row)
        return [aux_sentence, positions, context.typeAs(aux_sentence)]

    @staticmethod
    def load_title_dict(dname):
        return lg.load(dname + 'dict')

    @staticmethod
    def load_title(dname, shuffle=None, use_dict=None):
        ngram = lg.load(dname + 'ngram.mat.torch')
        words = lg.load(dname + 'word.mat.torch')
        dict = use_dict or lg.load(dname + 'dict')
        target_full = {}
        sentences_full = {}
        pos_full = {}
        for length, mat in ngram.items():
            if shuffle is not None:
                perm = lg.randperm(ngram[length].size(0)).long()
                ngram[length] = cuda(ngram[length].index(0, perm).float())
                words[length] = words[length].index(0, perm)
            else:
                ngram[length] = cuda(ngram[length].float())
            assert ngram[length].size(0) == words[length].size(0)
            target_full[length] = cuda(words[length][:, 0].contiguous().float())
            sentences_full[length] = cuda(words[length][:, 1].contiguous().float())
            pos_full[length] = words[length][:, 2]
        title_data = {'ngram': ngram, 'target': target_full, 'sentences': sentences_full, 'pos': pos_full,
                      'dict': dict}
        return title_data

    @staticmethod
    def load_article(dname, use_dict=None):
        input_words = lg.load(dname + 'word.mat.torch')
        dict = use_dict or lg.load(dname + 'dict')
        for length, mat in input_words.items():
            input_words[length] = mat
            input_words[length] = cuda(input_words[length].float())
        article_data = {'words': input_words, 'dict': dict}
        return article_data


# -------------------------------------------------------------------------------------------- encoder.lua

class encoder:
    @staticmethod
    def add_opts(cmd):
        cmd.option('-encoderModel', 'bow', 'The encoder model to use.')
        cmd.option('-bowDim', 50, 'Article embedding size.')
        cmd.option('-attenPool', 5, 'Attention model pooling size.')
        cmd.option('-hiddenUnits', 1000, 'Conv net encoder hidden units.')
        cmd.option('-kernelWidth', 5, 'Conv net encoder kernel width.')

    @staticmethod
    def build(opt, data):
        model = None
        if opt['encoderModel'] == 'none':
            model = encoder.build_blank_model(opt, data)
        elif opt['encoderModel'] == 'bow':
            model = encoder.build_bow_model(opt, data)
        elif opt['encoderModel'] == 'attenbow':
            model = encoder.build_attnbow_model(opt, data)
        elif opt['encoderModel'] == 'conv':
            model = encoder.build_conv_model(opt, data)
        return model

    @staticmethod
    def build_blank_model(opt, data):
        # Ignores the article layer entirely (acts like LM).
        lookup = nn.Identity()()
        ignore1 = nn.Identity()()
        ignore2 = nn.Identity()()
        start = nn.SelectTable(2)([lookup, ignore1, ignore2])
        mout = nn.MulConstant(0)(start)
        encoder_mlp = nn.gModule([lookup, ignore1, ignore2], [mout])
        cuda(encoder_mlp)
        return encoder_mlp

    @staticmethod
    def build_bow_model(opt, data):
        print('Encoder model: Bag-of-Words')
        # BOW with mean on article.
        lookup = nn.LookupTable(len(data.article_data['dict']['index_to_symbol']), opt['bowDim'])()
        # Ignore the context.
        ignore1 = nn.Identity()()
        ignore2 = nn.Identity()()
        # Ignores the context and position input.
        start = nn.SelectTable(0)([lookup, ignore1, ignore2])
        mout = nn.Linear(opt['bowDim'], opt['bowDim'])(nn.Mean(2)(nn.Transpose([1, 2])(start)))
        encoder_mlp = nn.gModule([lookup, ignore1, ignore2], [mout])
        cuda(encoder_mlp)
        return encoder_mlp

    @staticmethod
    def build_conv_model(opt, data):
        from legonn import cudnn
        # Three layer thin convolutional architecture.
        print('Encoder model: Conv')
        V2 = len(data.article_data['dict']['index_to_symbol'])
        nhid = opt['hiddenUnits']
        # Article embedding.
        article_lookup = nn.LookupTable(V2, nhid)()
        # Ignore the context.
        ignore1 = nn.Identity()()
        ignore2 = nn.Identity()()
        start = nn.SelectTable(0)([article_lookup, ignore1, ignore2])
        kwidth = opt['kernelWidth']
        model = nn.Sequential()
        model.add(nn.View(1, -1, nhid).setNumInputDims(2))
        model.add(cudnn.SpatialConvolution(1, nhid, nhid, kwidth, 1, 1, 0))
        model.add(cudnn.SpatialMaxPooling(1, 2, 1, 2))
        model.add(nn.Threshold())
        model.add(nn.Transpose([1, 3]))
        # layer 2
        model.add(cudnn.SpatialConvolution(1, nhid, nhid, kwidth, 1, 1, 0))
        model.add(nn.Threshold())
        model.add(nn.Transpose([1, 3]))
        # layer 3
        model.add(cudnn.SpatialConvolution(1, nhid, nhid, kwidth, 1, 1, 0))
        model.add(nn.View(nhid, -1).setNumInputDims(3))
        model.add(nn.Max(2))
        done = nn.View(opt['hiddenUnits'])(model(start))
        mout = nn.Linear(opt['hiddenUnits'], opt['embeddingDim'])(done)
        encoder_mlp = nn.gModule([article_lookup, ignore1, ignore2], [mout])
        encoder_mlp.lookup = article_lookup.data.module
        cuda(encoder_mlp)
        return encoder_mlp

    @staticmethod
    def build_attnbow_model(opt, data):
        print('Encoder model: BoW + Attention')
        D2 = opt['bowDim']
        N = opt['window']
        V = len(data.title_data['dict']['index_to_symbol'])
        V2 = len(data.article_data['dict']['index_to_symbol'])
        # Article Embedding.
        article_lookup = nn.LookupTable(V2, D2)()
        # Title Embedding.
        title_lookup = nn.LookupTable(V, D2)()
        # Size Lookup
        size_lookup = nn.Identity()()
        # Ignore size lookup to make NNGraph happy.
        article_context = nn.SelectTable(0)([article_lookup, size_lookup])
        # Pool article
        pad = (opt['attenPool'] - 1) / 2
        article_match = article_context
        # Title context embedding.
        title_context = nn.View(D2, 1)(nn.Linear(N * D2, D2)(nn.View(N * D2)(title_lookup)))
        # Attention layer. Distribution over article.
        dot_article_context = nn.MM()([article_match, title_context])
        # Compute the attention distribution.
        non_linearity = nn.SoftMax()
        attention = non_linearity(nn.Sum(2)(dot_article_context))
        process_article = nn.Sum(1)(nn.SpatialSubSampling(1, 1, opt['attenPool'])(
            nn.SpatialZeroPadding(0, 0, pad, pad)(nn.View(1, -1, D2).setNumInputDims(2)(article_context))))
        # Apply attention to the subsampled article.
        mout = nn.Linear(D2, D2)(nn.Sum(2)(nn.MM(True, False)(
            [process_article, nn.View(-1, 1).setNumInputDims(1)(attention)])))
        # Apply attention
        encoder_mlp = nn.gModule([article_lookup, size_lookup, title_lookup], [mout])
        cuda(encoder_mlp)
        encoder_mlp.lookup = article_lookup.data.module
        encoder_mlp.title_lookup = title_lookup.data.module
        return encoder_mlp


# ----------------------------------------------------------------------------------------------- nnlm.lua

class nnlm:
    """nnlm.lua's table of methods; ``create_lm``'s object (its metatable's ``__index``) is an instance."""

    @staticmethod
    def addOpts(cmd):
        cmd.option('-epochs', 5, 'Number of epochs to train.')
        cmd.option('-miniBatchSize', 64, 'Size of training minibatch.')
        cmd.option('-printEvery', 10000, 'How often to print during training.')
        cmd.option('-modelFilename', '', 'File for saving loading/model.')
        cmd.option('-window', 5, 'Size of NNLM window.')
        cmd.option('-embeddingDim', 50, 'Size of NNLM embeddings.')
        cmd.option('-hiddenSize', 100, 'Size of NNLM hiddent layer.')
        cmd.option('-learningRate', 0.1, 'SGD learning rate.')

    @staticmethod
    def create_lm(opt, dict=None, encoder=None, encoder_size=None, encoder_dict=None):
        new_mlp = nnlm()
        new_mlp.opt = opt
        new_mlp.dict = dict
        new_mlp.encoder_dict = encoder_dict
        new_mlp.encoder_model = encoder
        new_mlp.window = opt.get('window')   # nil in run.lua, whose options have no -window
        if encoder is not None:
            new_mlp.build_mlp(encoder, encoder_size)
        return new_mlp

    def build_mlp(self, encoder, encoder_size):
        # Set constants
        D = self.opt['embeddingDim']
        N = self.opt['window']
        H = self.opt['hiddenSize']
        V = len(self.dict['index_to_symbol'])
        P = encoder_size
        print(H, P)
        # Input
        context_input = nn.Identity()()
        encoder_input = nn.Identity()()
        position_input = nn.Identity()()
        lookup = nn.LookupTable(V, D)(context_input)
        encoder_node = encoder([encoder_input, position_input, context_input])
        # tanh W (E y)
        lm_mlp = nn.Tanh()(nn.Linear(D * N, H)(nn.View(D * N)(lookup)))
        # Second layer: takes LM and encoder model.
        mlp = nn.Linear(H + P, V)(nn.View(H + P)(nn.JoinTable(1)([lm_mlp, encoder_node])))
        self.soft_max = nn.LogSoftMax()(mlp)
        # Input is conditional context and ngram context.
        self.mlp = nn.gModule([encoder_input, position_input, context_input], [self.soft_max])
        self.criterion = nn.ClassNLLCriterion()
        self.lookup = lookup.data.module
        cuda(self.mlp)
        cuda(self.criterion)

    def validation(self, valid_data):
        # Run validation
        print('[Running Validation]')
        offset = 1000
        loss = 0
        total = 0
        valid_data.reset()
        while not valid_data.is_done():
            input, target = valid_data.next_batch(offset)
            out = self.mlp.forward(input)
            err = self.criterion.forward(out, target) * target.size(0)
            # Augment counters.
            loss = loss + err
            total = total + target.size(0)
        print('[perp: %f validation: %f total: %d]' % (math.exp(loss / total), loss / total, total))
        return loss / total

    def renorm(self, data, th):
        size = data.size(0)
        for i in range(size):
            norm = data[i].norm()
            if norm > th:
                data[i].div(norm / th)

    def renorm_tables(self):
        # Renormalize the lookup tables.
        if getattr(self, 'lookup', None) is not None:
            print(self.lookup.weight.size())
            print(self.lookup.weight.type())
            self.renorm(self.lookup.weight, 1)
        if getattr(self.encoder_model, 'lookup', None) is not None:
            self.renorm(self.encoder_model.lookup.weight, 1)
            if getattr(self.encoder_model, 'title_lookup', None) is not None:
                self.renorm(self.encoder_model.title_lookup.weight, 1)
        if getattr(self.encoder_model, 'lookups', None) is not None:
            for i in range(len(self.encoder_model.lookups)):
                self.renorm(self.encoder_model.lookups[i].weight, 1)

    def run_valid(self, valid_data):
        # Run validation.
        if valid_data is not None:
            cur_valid_loss = self.validation(valid_data)
            # If valid loss does not improve drop learning rate.
            if cur_valid_loss > self.last_valid_loss:
                self.opt['learningRate'] = self.opt['learningRate'] / 2
            self.last_valid_loss = cur_valid_loss
        # Save the model.
        self.save(self.opt['modelFilename'])

    def train(self, data, valid_data):
        # Best loss seen yet.
        self.last_valid_loss = 1e9
        # Train
        for epoch in range(1, self.opt['epochs'] + 1):
            data.reset()
            self.renorm_tables()
            self.run_valid(valid_data)
            # Loss for the epoch.
            epoch_loss = 0
            batch = 1
            last_batch = 1
            total = 0
            loss = 0
            tsys.tic()
            while not data.is_done():
                input, target = data.next_batch(self.opt['miniBatchSize'])
                if data.is_done():
                    break
                out = self.mlp.forward(input)
                err = self.criterion.forward(out, target) * target.size(0)
                deriv = self.criterion.backward(out, target)
                if not util.isnan(err):
                    loss = loss + err
                    epoch_loss = epoch_loss + err
                    self.mlp.zeroGradParameters()
                    self.mlp.backward(input, deriv)
                    self.mlp.updateParameters(self.opt['learningRate'])
                else:
                    print('NaN')
                    print(input)
                # Logging
                if batch % self.opt['printEvery'] == 1:
                    # at batch 1 the Lua divides by 0, a number (inf) in Lua, an error in Python (porting.md)
                    count_ = (batch - last_batch) * self.opt['miniBatchSize']
                    print('[Loss: %f Epoch: %d Position: %d Rate: %f Time: %f]' % (
                        loss / count_ if count_ else math.copysign(math.inf, loss) if loss else math.nan,
                        epoch, batch * self.opt['miniBatchSize'], self.opt['learningRate'], tsys.toc()))
                    tsys.tic()
                    last_batch = batch
                    loss = 0
                batch = batch + 1
                total = total + input[0].size(0)
            print('[EPOCH : %d LOSS: %f TOTAL: %d BATCHES: %d]' % (epoch, epoch_loss / total, total, batch))
            self.epoch_losses.append(epoch_loss / total)

    def save(self, fname):
        print('[saving mlp: ' + fname + ']')
        lg.save(fname, vars(self))
        return True

    def load(self, fname):
        new_self = lg.load(fname)
        for k, v in new_self.items():
            if k != 'opt':
                setattr(self, k, v)
        return True

    def __init__(self):
        # the test's record of train's per-epoch losses, which the Lua prints
        self.epoch_losses = []


# ------------------------------------------------------------------------------------------- features.lua

NNLM = 0   # Feature positions.
UNI = 1
BI = 2
TRI = 3
OO = 4
LEN = 5
kFeat = 6


class features:
    @staticmethod
    def addOpts(cmd):
        cmd.option('-lmWeight', 1.0, 'Feature weight for the neural model.')
        cmd.option('-unigramBonus', 0.0, 'Feature weight for unigram extraction.')
        cmd.option('-bigramBonus', 0.0, 'Feature weight for bigram extraction.')
        cmd.option('-trigramBonus', 0.0, 'Feature weight for trigram extraction.')
        cmd.option('-lengthBonus', 0.0, 'Feature weight for length.')
        cmd.option('-unorderBonus', 0.0, 'Feature weight for out-of-order.')

    @staticmethod
    def init(opt, article_to_title):
        new_features = features()
        new_features.opt = opt
        new_features.num_features = kFeat
        new_features.article_to_title = article_to_title
        return new_features

    def has_ngram(self, words):
        # Helper: Are words in article.
        return util.has(self.ngrams[len(words) - 1], words)

    def compute(self, f_new, hyp, out_score, y_i1, i):
        # Augment the feature count based on the new word.
        W = self.opt['window']
        # LM Features.
        f_new[NNLM] = f_new[NNLM] + out_score
        if self.has_ngram([y_i1]):
            f_new[UNI] = f_new[UNI] + 1
        if self.has_ngram([hyp[i + W], y_i1]):
            f_new[BI] = f_new[BI] + 1
        if self.has_ngram([hyp[i + W - 1], hyp[i + W], y_i1]):
            f_new[TRI] = f_new[TRI] + 1
        if self.ooordered_ngram.get(hyp[i + W]) is not None and \
                self.ooordered_ngram[hyp[i + W]].get(y_i1) is not None:
            f_new[OO] = f_new[OO] + 1
        # Length
        f_new[LEN] = f_new[LEN] + 1

    def add_features(self, out, beam):
        # Augment the score based on the extractive feature values.
        W = self.opt['window']
        for k in range(beam.size(0)):
            # Exact unigram matches.
            for s in self.ngrams[0]:
                out[k][s] = out[k][s] + self.opt['unigramBonus']
            # Exact bigram matches.
            if self.ngrams[1].get(beam[k][W - 1]) is not None:
                for s in self.ngrams[1][beam[k][W - 1]]:
                    out[k][s] = out[k][s] + self.opt['bigramBonus']
            # Exact trigram matches.
            if self.ngrams[2].get(beam[k][W - 2]) is not None and \
                    self.ngrams[2][beam[k][W - 2]].get(beam[k][W - 1]):
                for s in self.ngrams[2][beam[k][W - 2]][beam[k][W - 1]]:
                    out[k][s] = out[k][s] + self.opt['trigramBonus']
            if self.ooordered_ngram.get(beam[k][W - 1]) is not None:
                for s in self.ooordered_ngram[beam[k][W - 1]]:
                    out[k][s] = out[k][s] + self.opt['unorderBonus']
        out.add(self.opt['lengthBonus'])

    def match_words(self, START, article):
        # Precompute extractive table based on the input article.
        self.ooordered_ngram = {}
        ordered_ngram = {}
        self.ngrams = [{}, {}, {}]
        hist = [START, START, START, START]
        for j in range(article.size(0)):
            tw = self.article_to_title[article[j]]
            # Does the current word exist in title dict.
            if tw is not None:
                for j2 in range(j + 1):
                    tw2 = self.article_to_title[article[j2]]
                    if tw2 is not None:
                        util.add(ordered_ngram, [tw2, tw])
                        if not util.has(ordered_ngram, [tw, tw2]):
                            util.add(self.ooordered_ngram, [tw, tw2])
                util.add(self.ngrams[0], [tw])
                util.add(self.ngrams[1], [hist[2], tw])
                util.add(self.ngrams[2], [hist[1], hist[2], tw])
            # Advance window.
            for k in range(1, 4):
                hist[k - 1] = hist[k]
            hist[3] = tw


# ---------------------------------------------------------------------------------------- beam_search.lua

INF = 1e9


def flat_to_rc(v, indices, flat_index):
    # Helper: convert flat index to matrix.
    row = math.floor(flat_index / v.size(1))
    return row, indices[row][flat_index % v.size(1)]


def find_k_max(pool, mat):
    # Helper: find kmax of vector.
    v = pool.forward(mat.t()).t()
    orig_indices = pool.indices.t()
    return v.contiguous(), orig_indices


class beam:
    @staticmethod
    def addOpts(cmd):
        cmd.option('-allowUNK', False, 'Allow generating <unk>.')
        cmd.option('-fixedLength', True, 'Produce exactly -length words.')
        cmd.option('-blockRepeatWords', False, 'Disallow generating a word twice.')
        cmd.option('-lmWeight', 1.0, 'Weight for main model.')
        cmd.option('-beamSize', 100, 'Size of the beam.')
        cmd.option('-extractive', False, 'Force fully extractive summary.')
        cmd.option('-abstractive', False, 'Force fully abstractive summary.')
        cmd.option('-recombine', False, 'Used hypothesis recombination.')
        features.addOpts(cmd)

    @staticmethod
    def init(opt, mlp, aux_model, article_to_title, dict):
        new_beam = beam()
        new_beam.opt = opt
        new_beam.K = opt['beamSize']
        new_beam.mlp = mlp
        new_beam.aux_model = aux_model
        new_beam.article_to_title = article_to_title
        new_beam.dict = dict
        # Special Symbols.
        new_beam.UNK = dict['symbol_to_index']['<unk>']
        new_beam.START = dict['symbol_to_index']['<s>']
        new_beam.END = dict['symbol_to_index']['</s>']
        return new_beam

    def generate(self, article, len_):
        # Use beam search to generate a summary of the article of length <= len.
        n = len_
        K = self.K
        W = self.opt['window']
        # Initialize the extractive features.
        feat_gen = features.init(self.opt, self.article_to_title)
        feat_gen.match_words(self.START, article)
        F = feat_gen.num_features
        FINAL_VAL = 1000
        # scores[i][k] is the log prob of the k'th hyp of i words. hyps[i][k] contains the words in k'th hyp at
        # i word (left padded with W <s>) tokens. feats[i][k][f] contains the feature count of the f features for
        # the k'th hyp at word i.
        result = []
        scores = lg.zeros(n + 1, K).float()
        hyps = lg.zeros(n + 1, K, W + n + 1).long()
        feats = lg.zeros(n + 1, K, F).float()
        hyps.fill(self.START)
        # Initilialize used word set. words_used[i][k] is a set of the words used in the i,k hyp.
        words_used = []
        if self.opt['blockRepeatWords']:
            for i in range(n + 1):
                words_used.append([])
                for k in range(K):
                    words_used[i].append({})
        # Find k-max columns of a matrix. Use 2*k in case some are invalid.
        pool = fbnn.TemporalKMaxPooling(2 * K)
        # Main loop of beam search.
        for i in range(n):
            cur_beam = hyps[i].narrow(1, i + 1, W)
            cur_K = K
            # (1) Score all next words for each context in the beam. log p(y_{i+1} | y_c, x) for all y_c
            input = data.make_input(article, cur_beam, cur_K)
            model_scores = self.mlp.forward(input)
            out = model_scores.clone().double()
            out.mul(self.opt['lmWeight'])
            # If length limit is reached, next word must be end.
            finalized = (i == n - 1) and self.opt['fixedLength']
            if finalized:
                out[:, self.END].add(FINAL_VAL)
            else:
                # Apply hard constraints.
                out[:, self.START] = -INF
                if not self.opt['allowUNK']:
                    out[:, self.UNK] = -INF
                if self.opt['fixedLength']:
                    out[:, self.END] = -INF
                # Add additional extractive features.
                feat_gen.add_features(out, cur_beam)
            # Only take first row when starting out.
            if i == 0:
                cur_K = 1
                out = out.narrow(0, 0, 1)
                model_scores = model_scores.narrow(0, 0, 1)
            # Prob of summary is log p + log p(y_{i+1} | y_c, x)
            for k in range(cur_K):
                out[k].add(scores[i][k])
            # (2) Retain the K-best words for each hypothesis using GPU. This leaves a KxK matrix which we
            # flatten to a K^2 vector.
            max_scores, mat_indices = find_k_max(pool, cuda(out))
            flat = max_scores.view(max_scores.size(0) * max_scores.size(1)).float()
            # 3) Construct the next hypotheses by taking the next k-best.
            seen_ngram = {}
            for k in range(K):
                for _ in range(100):
                    # (3a) Pull the score, index, rank, and word of the current best in the table, and then
                    # zero it out.
                    score, index = flat.max(0)
                    if finalized:
                        score[0] = score[0] - FINAL_VAL
                    scores[i + 1][k] = score[0]
                    prev_k, y_i1 = flat_to_rc(max_scores, mat_indices, index[0])
                    flat[index[0]] = -INF
                    # (3b) Is this a valid next word?
                    blocked = (self.opt['blockRepeatWords'] and words_used[i][prev_k].get(y_i1))
                    blocked = blocked or (self.opt['extractive'] and not feat_gen.has_ngram([y_i1]))
                    blocked = blocked or (self.opt['abstractive'] and feat_gen.has_ngram([y_i1]))
                    # Hypothesis recombination.
                    new_context = []
                    if self.opt['recombine']:
                        for j in range(i + 2, i + W + 1):
                            new_context.append(hyps[i][prev_k][j])
                        new_context.append(y_i1)
                        blocked = blocked or util.has(seen_ngram, new_context)
                    # (3c) Add the word, its score, and its features to the beam.
                    if not blocked:
                        # Update tables with new hypothesis.
                        for j in range(i + W + 1):
                            pword = hyps[i][prev_k][j]
                            hyps[i + 1][k][j] = pword
                            words_used[i + 1][k][pword] = True
                        hyps[i + 1][k][i + W + 1] = y_i1
                        words_used[i + 1][k][y_i1] = True
                        # Keep track of hypotheses seen.
                        if self.opt['recombine']:
                            util.add(seen_ngram, new_context)
                        # Keep track of features used (For MERT)
                        feats[i + 1][k].copy(feats[i][prev_k])
                        feat_gen.compute(feats[i + 1][k], hyps[i + 1][k], model_scores[prev_k][y_i1], y_i1, i)
                        # If we have produced an END symbol, push to stack.
                        if y_i1 == self.END:
                            result.append([i + 1, scores[i + 1][k], hyps[i + 1][k].clone(),
                                           feats[i + 1][k].clone()])
                            scores[i + 1][k] = -INF
                        break
        # Sort by score.
        result.sort(key=lambda a: a[1], reverse=True)
        # Return the scores and hypotheses at the final stage.
        return result


# ----------------------------------------------------------------------------------- train.lua, run.lua

def train_main(opt):
    # Load in the data.
    tdata = data.load_title(opt['titleDir'], True)
    article_data = data.load_article(opt['articleDir'])
    valid_data = data.load_title(opt['validTitleDir'], None, tdata['dict'])
    valid_article_data = data.load_article(opt['validArticleDir'], article_data['dict'])
    # Make main LM
    train_data = data.init(tdata, article_data)
    valid = data.init(valid_data, valid_article_data)
    encoder_mlp = encoder.build(opt, train_data)
    mlp = nnlm.create_lm(opt, tdata['dict'], encoder_mlp, opt['bowDim'], article_data['dict'])
    mlp.train(train_data, valid)
    return mlp


def sync_dicts(dict1, dict2):
    # Map the words from one dictionary to another.
    dict_map = lg.ones(len(dict1['index_to_symbol'])).long()
    for i in range(len(dict1['index_to_symbol'])):
        res = dict2['symbol_to_index'].get(dict1['index_to_symbol'][i])
        dict_map[i] = res if res is not None else 0
    return dict_map


def process_word(input_word):
    # Apply digit preprocessing.
    word = input_word.lower()
    for i in range(len(word)):
        if '0' <= word[i] <= '9':
            word = word[:i] + '#' + word[i + 1:]
    return word


def run_main(opt, write):
    """run.lua's main(); ``write`` stands for io.write (and print's newline)."""
    # Load in the dictionaries and the input files.
    mlp = nnlm.create_lm(opt)
    mlp.load(opt['modelFilename'])
    adict = mlp.encoder_dict
    tdict = mlp.dict
    dict_map = sync_dicts(adict, tdict)
    sent_file = open(opt['inputf'])
    len_ = opt['length']
    W = mlp.window
    opt['window'] = W
    sent_num = 0
    for line in sent_file:
        line = line.rstrip('\n')
        sent_num = sent_num + 1
        # Add padding.
        true_line = '<s> <s> <s> ' + line + ' </s> </s> </s>'
        words = util.string_split(true_line)
        article = lg.zeros(len(words))
        for j in range(len(words)):
            word = process_word(words[j])
            article[j] = adict['symbol_to_index'].get(word, adict['symbol_to_index']['<unk>'])
        # Run beam search.
        sbeam = beam.init(opt, mlp.mlp, mlp.encoder_model, dict_map, tdict)
        results = sbeam.generate(article, len_)
        if not opt['nbest']:
            if len(results) == 0:
                write('*FAIL*')
            else:
                # Print out in standard format.
                len__, _, output, _ = results[0]
                total = 0
                for j in range(W + 1, W + len__):
                    word = tdict['index_to_symbol'][output[j]]
                    total = total + len(word) + 1
                    write(word, ' ')
            write('\n')
        else:
            # Print out an nbest list in Moses/ZMert format.
            for k in range(len(results)):
                write(sent_num - 1, ' ||| ')
                len__, score, output, features_ = results[k]
                for j in range(W + 1, W + len__):
                    write(tdict['index_to_symbol'][output[j]], ' ')
                write(' ||| ')
                for f in range(features_.size(0)):
                    write(features_[f], ' ')
                write(' ||| ', score)
                write('\n')
    sent_file.close()


# ------------------------------------------------------------------------------------------------------ tests

WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo',
         'lima', 'mike', 'november']


def write_corpus(root, name, n, rng):
    """``n`` article/title pairs: an article of 6 to 8 words, its title the article's first three words in order
    (so the attention has something to find). Words without digits: run.lua's process_word maps digits to '#',
    as the Gigaword dictionaries have them."""
    os.makedirs(os.path.join(root, name), exist_ok=True)
    with open(os.path.join(root, name, 'article.txt'), 'w') as fa, \
            open(os.path.join(root, name, 'title.txt'), 'w') as ft:
        for _ in range(n):
            words = list(rng.choice(WORDS, rng.integers(6, 9), replace=False))
            fa.write(' '.join(words) + '\n')
            ft.write(' '.join(words[:3]) + '\n')


@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    """The directory layout prep_torch_data.sh makes (dictionaries from build_dict.lua, matrices from
    build.lua) for a train and a valid split, built by the ported scripts."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    root = str(tmp_path_factory.mktemp('namas'))
    rng = np.random.default_rng(0)
    write_corpus(root, 'train', 240, rng)
    write_corpus(root, 'valid', 60, rng)
    with open(os.path.join(root, 'dict.txt'), 'w') as f:   # dataset/make_dict.py's "word count" lines
        for w in ['<unk>', '<s>', '</s>'] + WORDS:
            f.write(w + ' 1\n')
    for split in ('train', 'valid'):
        for part in ('article', 'title'):
            os.makedirs(os.path.join(root, split, part), exist_ok=True)
            build_dict({'inf': os.path.join(root, 'dict.txt'), 'outf': os.path.join(root, split, part, 'dict')})
        build_main({'window': 5, 'inTitleFile': os.path.join(root, split, 'title.txt'),
                    'inTitleDictionary': os.path.join(root, split, 'title', 'dict'),
                    'outTitleDirectory': os.path.join(root, split, 'title'),
                    'inArticleFile': os.path.join(root, split, 'article.txt'),
                    'inArticleDictionary': os.path.join(root, split, 'article', 'dict'),
                    'outArticleDirectory': os.path.join(root, split, 'article')})
    with open(root + '/input.txt', 'w') as f:   # run.lua's -inputf: one article a line
        f.write('bravo Charlie delta echo foxtrot golf hotel 2015\njuliet india kilo lima mike november\n')
    lg.setdefaulttensortype('torch.FloatTensor')
    return root


def options(root, model, **kw):
    """train.lua's options (its defaults, scaled down) as its command line would give them."""
    cmd = lg.CmdLine()
    data.add_opts(cmd)
    encoder.add_opts(cmd)
    nnlm.addOpts(cmd)
    args = ['-titleDir', root + '/train/title/', '-articleDir', root + '/train/article/',
            '-validTitleDir', root + '/valid/title/', '-validArticleDir', root + '/valid/article/',
            '-modelFilename', root + '/model_' + model, '-encoderModel', model, '-epochs', '2',
            '-miniBatchSize', '16', '-embeddingDim', '6', '-bowDim', '6', '-hiddenSize', '8', '-window', '5',
            '-hiddenUnits', '6', '-kernelWidth', '2', '-printEvery', '4', '-learningRate', '0.5']
    if model == 'none':   # the blank encoder's output is the context times 0: P = bowDim must be the window
        args += ['-bowDim', '5']
    for k, v in kw.items():
        args += ['-' + k, str(v)]
    return cmd.parse(args)


def test_build_writes_buckets_the_iterator_reads(corpus):
    """build.lua's matrices: one article bucket per padded length, each title word with its bucket row (0-based)
    and position, the ngram context the preceding window from <s>; data.lua's batches pair them back."""
    adict = lg.load(corpus + '/train/article/dict')
    assert adict['index_to_symbol'][:3] == ['<unk>', '<s>', '</s>'] and adict['symbol_to_index']['alpha'] == 3
    words = lg.load(corpus + '/train/article/word.mat.torch')
    assert sorted(words) == [12, 13, 14]
    titles = lg.load(corpus + '/train/title/word.mat.torch')
    ngram = lg.load(corpus + '/train/title/ngram.mat.torch')
    lines = [l.split() for l in open(corpus + '/train/article.txt')]
    for length in words:
        t, g = titles[length].numpy(), ngram[length].numpy()
        assert t.shape[0] == 4 * (words[length].size(0))       # three title words and </s> per sentence
        for r in range(t.shape[0]):
            art = words[length][int(t[r, 1])].numpy()
            assert art[:3].tolist() == [1, 1, 1] and art[-3:].tolist() == [2, 2, 2]
            if t[r, 2] < 3:                                    # a title word is the article's word at it
                assert t[r, 0] == art[3 + t[r, 2]]
                assert g[r, -1] == (1 if t[r, 2] == 0 else art[3 + t[r, 2] - 1])
            else:
                assert t[r, 0] == 2 and g[r, -3:].tolist() == art[3:6].tolist()
    assert sum(words[k].size(0) for k in words) == len(lines)
    random.seed(0)
    d = data.init(data.load_title(corpus + '/train/title/', True), data.load_article(corpus + '/train/article/'))
    seen = 0
    while not d.is_done():
        (aux, pos, ctx), target = d.next_batch(16)
        assert aux.size(0) == ctx.size(0) == target.size(0) == pos.size(0) <= 16
        assert aux.size(1) == d.bucket and ctx.size(1) == 5
        # each row's article holds its target word unless the target is </s>
        for r in range(target.size(0)):
            assert target[r] == 2 or target[r] in aux[r].numpy()
        seen += target.size(0)
    # data.lua's is_done stops after the second-to-last bucket and next_batch leaves each bucket's last row
    order = d.bucket_order
    assert seen == sum(titles[b].size(0) - 1 for b in order[:-1])


def numpy_attention(enc, article, context, opt):
    """encoder.lua's build_attnbow_model written out: the title context's linear map p, the attention
    softmax(A p) over the article's embeddings A, the article pooled by the zero-padded attenPool-high
    SpatialSubSampling (one weight, one bias), its attention-weighted sum, and the output Linear."""
    lin = enc.findModules('nn.Linear')[0]
    sub = enc.findModules('nn.SpatialSubSampling')[0][0]
    A = enc.lookup.weight.numpy()[article]                    # B x L x D
    T = enc.title_lookup.weight.numpy()[context]              # B x N x D
    B, L, D = A.shape
    title_lin = [m for m in lin if m.weight.size(1) == opt['window'] * D][0]
    out_lin = [m for m in lin if m is not title_lin][0]
    p = T.reshape(B, -1) @ title_lin.weight.numpy().T + title_lin.bias.numpy()
    scores = np.einsum('bld,bd->bl', A, p)
    attn = np.exp(scores - scores.max(1, keepdims=True))
    attn /= attn.sum(1, keepdims=True)
    pad = (opt['attenPool'] - 1) // 2
    Ap = np.concatenate([np.zeros((B, pad, D)), A, np.zeros((B, pad, D))], 1)
    pooled = sum(Ap[:, t:t + L] for t in range(opt['attenPool'])) * sub.weight.numpy().item() \
        + sub.bias.numpy().item()
    enc_vec = np.einsum('bl,bld->bd', attn, pooled)
    return enc_vec @ out_lin.weight.numpy().T + out_lin.bias.numpy()


class FakeData:
    """The fields encoder.build reads from data.init's object: the two dictionaries' sizes."""

    def __init__(self, V, V2):
        self.title_data = {'dict': {'index_to_symbol': ['t'] * V}}
        self.article_data = {'dict': {'index_to_symbol': ['a'] * V2}}


def encoder_input(B=3, L=12, N=5, V=11, V2=13, seed=0):
    rng = np.random.default_rng(seed)
    article = rng.integers(0, V2, (B, L))
    context = rng.integers(0, V, (B, N))
    return article, context, [lg.from_numpy(article.astype(np.float64)), lg.range(1, L).view(1, L).expand(B, L),
                              lg.from_numpy(context.astype(np.float64))]


def test_attention_encoder_matches_numpy():
    """The attention encoder's forward against encoder_numpy's hand-written maths, with attenPool 5 and 3."""
    for pool in (5, 3):
        opt = {'bowDim': 4, 'window': 5, 'attenPool': pool}
        enc = encoder.build_attnbow_model(opt, FakeData(11, 13))
        enc.findModules('nn.SpatialSubSampling')[0][0].weight.fill(0.7)
        article, context, x = encoder_input()
        out = enc.forward(x).numpy()
        np.testing.assert_allclose(out, numpy_attention(enc, article, context, opt), rtol=1e-10, atol=1e-12)


def test_conv_encoder_matches_numpy():
    """The convolutional encoder written out: three full-width convolutions over time (each a (k x nhid) window
    of the B x L x nhid embeddings), max-pooling pairs of steps and a threshold at 0 after the first, the threshold
    after the second, the max over time after the third, then the Linear. The Transpose({2,4}) between layers
    puts the conv's planes back as the next layer's features."""
    opt = {'hiddenUnits': 3, 'kernelWidth': 2, 'embeddingDim': 4}
    enc = encoder.build_conv_model(opt, FakeData(11, 13))
    article, _, x = encoder_input(L=12)
    convs = enc.findModules('cudnn.SpatialConvolution')[0]
    lin = enc.findModules('nn.Linear')[0][0]

    def conv(h, m):   # h: B x T x nhid -> B x (T - k + 1) x nOutputPlane
        w, k = m.weight.numpy()[:, 0], m.weight.size(2)
        return np.stack([np.einsum('bkh,okh->bo', h[:, t:t + k], w) for t in range(h.shape[1] - k + 1)], 1) \
            + m.bias.numpy()

    h = conv(enc.lookup.weight.numpy()[article], convs[0])
    h = np.maximum(h[:, 0:h.shape[1] // 2 * 2:2], h[:, 1:h.shape[1] // 2 * 2:2])   # SpatialMaxPooling(1, 2, 1, 2)
    h = np.maximum(conv(np.maximum(h, 0), convs[1]), 0)
    h = conv(h, convs[2]).max(1)
    want = h @ lin.weight.numpy().T + lin.bias.numpy()
    np.testing.assert_allclose(enc.forward(x).numpy(), want, rtol=1e-10, atol=1e-12)


def parameter_gradients_agree(model, x, tol=1e-6, per_tensor=6, seed=1):
    """d(sum(out * g)) / d(each parameter tensor), at a few of its entries, from backward and from central
    differences in float64 (the inputs are word ids, which nn.Jacobian would perturb)."""
    rng = np.random.default_rng(seed)
    out = model.forward(x)
    g = lg.from_numpy(rng.standard_normal(tuple(out.size())))
    model.zeroGradParameters()
    model.backward(x, g)
    params, grads = model.parameters()
    assert params
    for p, dp in zip(params, grads):
        flat, dflat = p.view(-1), dp.clone().view(-1)
        for i in rng.choice(flat.nElement(), min(per_tensor, flat.nElement()), replace=False):
            v = flat[i]
            flat[i] = v + 1e-6
            up = float((model.forward(x) * g).sum())
            flat[i] = v - 1e-6
            down = float((model.forward(x) * g).sum())
            flat[i] = v
            assert abs((up - down) / 2e-6 - dflat[i]) < tol * max(1, abs(dflat[i])), (p.size(), i)


@pytest.mark.parametrize('model', ['none', 'bow', 'conv', 'attenbow'])
def test_encoders_and_nnlm_gradients(model):
    """Every encoder inside nnlm.lua's graph (the encoder gModule called as a node): the NNLM's gradients of every
    parameter, the encoder's included, against central differences in float64; output shapes as the Lua's."""
    opt = {'encoderModel': model, 'bowDim': 5 if model == 'none' else 4, 'window': 5, 'attenPool': 3,
           'hiddenUnits': 4, 'kernelWidth': 2, 'embeddingDim': 4, 'hiddenSize': 6}
    d = FakeData(11, 13)
    enc = encoder.build(opt, d)
    _, _, x = encoder_input()
    assert tuple(enc.forward(x).size()) == (3, opt['bowDim'] if model == 'none' else 4)
    lm = nnlm.create_lm(opt, d.title_data['dict'], enc, opt['bowDim'], d.article_data['dict'])
    out = lm.mlp.forward(x)
    assert tuple(out.size()) == (3, 11)
    np.testing.assert_allclose(out.exp().sum(1).numpy(), 1, rtol=1e-10)
    parameter_gradients_agree(lm.mlp, x)
    if model == 'none':   # the blank encoder adds nothing: the NNLM ignores the article
        _, _, x2 = encoder_input(seed=5)
        np.testing.assert_allclose(lm.mlp.forward([x2[0], x2[1], x[2]]).numpy(), out.numpy())


def test_beam_contexts_enter_in_the_models_type():
    """The beam's contexts are a LongTensor (hyps); Torch7's MulConstant copies them into its own type, legonn's
    refuses them naming the module, so make_input hands them over as the article's type (docs/porting.md's row):
    the blank encoder's NNLM then scores them as it scores the float contexts of training."""
    opt = {'encoderModel': 'none', 'bowDim': 5, 'window': 5, 'embeddingDim': 4, 'hiddenSize': 6}
    d = FakeData(11, 13)
    lm = nnlm.create_lm(opt, d.title_data['dict'], encoder.build(opt, d), 5, d.article_data['dict'])
    article = lg.Tensor([1, 1, 1, 4, 7, 2, 2, 2])
    hyps = lg.LongTensor([[1, 1, 1, 1, 3], [1, 1, 1, 3, 9]])
    with pytest.raises(TypeError, match='MulConstant.*floating-point tensor input, got legonn.LongTensor'):
        aux = article.view(8, 1).expand(8, 2).t().contiguous()
        lm.mlp.forward([aux, lg.range(1, 8).view(1, 8).expand(2, 8), hyps])
    x = data.make_input(article, hyps, 2)
    assert x[2].type() == 'legonn.DoubleTensor'
    np.testing.assert_allclose(lm.mlp.forward(x).numpy(), lm.mlp.forward([x[0], x[1], hyps.double()]).numpy())


def test_renorm_caps_lookup_rows(tmp_path):
    """nnlm:renorm_tables scales each lookup row (the NNLM's and the encoder's two) to norm at most 1, on a model
    saved and loaded as nnlm:save and nnlm:load do it: the fields ``lookup``, ``encoder_model.lookup`` and
    ``title_lookup`` come back as the very modules of the loaded graphs, so renorm reaches the model."""
    opt = {'encoderModel': 'attenbow', 'bowDim': 4, 'window': 5, 'attenPool': 5, 'embeddingDim': 4,
           'hiddenSize': 6, 'modelFilename': str(tmp_path / 'model')}
    d = FakeData(11, 13)
    saved = nnlm.create_lm(opt, d.title_data['dict'], encoder.build(opt, d), 4, d.article_data['dict'])
    saved.save(opt['modelFilename'])
    lm = nnlm.create_lm({'window': 5})
    lm.load(opt['modelFilename'])
    assert lm.opt == {'window': 5} and lm.encoder_dict is not None
    graph_modules = [n.data.module for g in (lm.mlp, lm.encoder_model) for n in g.forwardnodes]
    for m in (lm.lookup, lm.encoder_model, lm.encoder_model.lookup, lm.encoder_model.title_lookup):
        assert any(m is g for g in graph_modules)
    for t in (lm.lookup.weight, lm.encoder_model.lookup.weight, lm.encoder_model.title_lookup.weight):
        t.mul(10)
    before = lm.encoder_model.title_lookup.weight.clone().numpy()
    lm.renorm_tables()
    for t in (lm.lookup.weight, lm.encoder_model.lookup.weight, lm.encoder_model.title_lookup.weight):
        norms = np.linalg.norm(t.numpy(), axis=1)
        np.testing.assert_allclose(norms[norms > 0.99], 1, rtol=1e-12)
    np.testing.assert_allclose(lm.encoder_model.title_lookup.weight.numpy(),
                               before / np.maximum(np.linalg.norm(before, axis=1, keepdims=True), 1))


def ropt_base(opt):
    """run.lua's options as test_model.sh passes them (-blockRepeatWords), a beam of 3, summaries of 4."""
    cmd = lg.CmdLine()
    beam.addOpts(cmd)
    cmd.option('-modelFilename', '', 'Model to test.')
    cmd.option('-inputf', '', 'Input article files. ')
    cmd.option('-nbest', False, 'Write out the nbest list in ZMert format.')
    cmd.option('-length', 15, 'Maximum length of summary.')
    return cmd.parse(['-modelFilename', opt['modelFilename'], '-inputf', os.path.dirname(opt['modelFilename'])
                      + '/input.txt', '-length', '4', '-blockRepeatWords', '-beamSize', '3'])


def sequence_logprob(lm, article, words, W, START):
    """log p(words | article) under the NNLM, one context window at a time (the beam's score of a summary)."""
    hist = [START] * W
    total = 0.0
    for w in words:
        # a batch of two equal rows: nn.View(D * N) reads a batch of one as a single sample, in Torch7 too
        x = data.make_input(article, lg.LongTensor([hist, hist]), 2)
        total += float(lm.mlp.forward(x)[0][w])
        hist = hist[1:] + [w]
    return total


@pytest.mark.parametrize('model', ['none', 'bow', 'conv', 'attenbow'])
def test_train_then_summarise(corpus, model, capsys):
    """train.lua's main for each encoder: the epoch loss falls and validation's learning-rate halving and
    checkpoint run; then run.lua loads the checkpoint (nnlm:load keeps the caller's opt) and beam-searches
    summaries, fixed-length, without repeats, <s> or <unk>; the n-best lists' scores are the NNLM's log
    probabilities of the summaries (recomputed window by window) and their features count them. The Lua's
    models and data are CudaTensors, float32: FloatTensor here (nn.JoinTable would copy a DoubleTensor branch
    into its output's type in Torch7; legonn refuses mixed types, and only the blank encoder mixes them,
    passing the float context through)."""
    lg.setdefaulttensortype('torch.FloatTensor')
    random.seed(1)
    opt = options(corpus, model)
    mlp = train_main(opt)
    assert mlp.epoch_losses[-1] < mlp.epoch_losses[0] - 0.1, mlp.epoch_losses
    assert os.path.exists(opt['modelFilename'])
    out = capsys.readouterr().out
    assert '[perp: ' in out and '[EPOCH : 2 LOSS: ' in out
    ropt = ropt_base(opt)
    written = []
    run_main(dict(ropt), lambda *a: written.extend(str(v) for v in a))
    lines = ''.join(written).split('\n')[:-1]
    assert len(lines) == 2
    for line in lines:
        words = line.split()
        assert len(words) == 3 and len(set(words)) == 3 and not {'<s>', '<unk>', '</s>'} & set(words)
    # -extractive: every word of a summary is one of its article's. A beam of 8 keeps 16 candidates a row, all the
    # 17 words but one -INF: with fewer, a row whose candidates are all blocked keeps its <s> filling (the Lua's too)
    written.clear()
    run_main(dict(ropt, extractive=True, beamSize=8), lambda *a: written.extend(str(v) for v in a))
    articles = [l.lower().split() for l in open(ropt['inputf'])]
    for line, art in zip(''.join(written).split('\n')[:-1], articles):
        assert line.split() and set(line.split()) <= set(art)
    # a large -unigramBonus (features.lua's add_features) does by score what -extractive does by blocking; its
    # n-best features count the article's unigrams: every word and the </s> the article ends with
    written.clear()
    run_main(dict(ropt, unigramBonus=50.0, nbest=True), lambda *a: written.extend(str(v) for v in a))
    for e in ''.join(written).split('\n')[:-1]:
        sent, summary, feats, score = e.split(' ||| ')
        assert set(summary.split()) <= set(articles[int(sent)])
        assert float(feats.split()[UNI]) == 4
    # the n-best list: scores sorted, each the summary's log probability under the loaded model
    written.clear()
    run_main(dict(ropt, nbest=True), lambda *a: written.append(a))
    loaded = nnlm.create_lm(dict(ropt))
    loaded.load(opt['modelFilename'])
    assert loaded.opt['length'] == 4 and loaded.mlp is not None
    tdict = loaded.dict
    entries = ''.join(''.join(str(v) for v in a) for a in written).split('\n')[:-1]
    assert entries
    # process_word lower-cases Charlie and makes 2015 '####', an <unk>
    article = lg.zeros(14)
    for j, w in enumerate('<s> <s> <s> bravo charlie delta echo foxtrot golf hotel <unk> </s> </s> </s>'.split()):
        article[j] = loaded.encoder_dict['symbol_to_index'][w]
    scores = []
    for e in entries:
        sent, summary, feats, score = e.split(' ||| ')
        if sent != '0':
            continue
        ids = [tdict['symbol_to_index'][w] for w in summary.split()] + [tdict['symbol_to_index']['</s>']]
        logp = sequence_logprob(loaded, article, ids, 5, tdict['symbol_to_index']['<s>'])
        f = [float(v) for v in feats.split()]
        assert abs(float(score) - logp) < 1e-3 and abs(f[NNLM] - logp) < 1e-3 and f[LEN] == 4
        scores.append(float(score))
    assert scores == sorted(scores, reverse=True) and len(scores) >= 1


@pytest.mark.gpu
def test_gpu_train_and_beam_follow_the_cpu(corpus):
    """The Lua's CUDA path (every ``:cuda()`` done): the attention model trained for an epoch on the GPU from the
    same initial weights as on the CPU gives the same epoch loss; the beam search (TemporalKMaxPooling on CUDA)
    then writes the CPU's summaries."""
    lg.setdefaulttensortype('torch.FloatTensor')
    results = {}
    for on in (False, True):
        GPU['on'] = on
        try:
            random.seed(3)
            lg.manualSeed(3)
            opt = options(corpus, 'attenbow', epochs=1)
            mlp = train_main(opt)
            written = []
            run_main(ropt_base(opt), lambda *a: written.extend(str(v) for v in a))
            results[on] = mlp.epoch_losses, ''.join(written)
        finally:
            GPU['on'] = False
    np.testing.assert_allclose(results[True][0], results[False][0], rtol=1e-4)
    assert results[True][1] == results[False][1]
