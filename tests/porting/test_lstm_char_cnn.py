"""yoonkim/lstm-char-cnn (Kim, Jernite, Sontag and Rush's character-aware language model) ported line by line:
util/BatchLoaderUnk.lua (``create`` 10-79, ``reset_batch_pointer``/``next_batch`` 81-95, ``text_to_tensor``
97-203), model/TDNN.lua (6-47, both the TemporalConvolution and the cudnn branch), model/HighwayMLP.lua (3-25),
model/LSTMTDNN.lua (6-121), util/model_utils.lua (``combine_all_parameters`` 9-109, ``clone_many_times``
114-161), util/misc.lua's ``clone_list``, util/HSMClass.lua and util/HLogSoftMax.lua (the hierarchical softmax,
a user nn.Criterion with its own backward), main.lua (options 21-82, model, clones and init 99-210,
``get_input``/``eval_split``/``feval`` 213-363, the loop with its learning-rate decay and checkpoints 367-431)
and evaluate.lua (a checkpoint loaded and the test perplexity, 54-147), on a corpus of a few sentences written
into tmp_path.

Word ids, character ids, splits, clusters and batch pointers are 0-based (the zero-pad character is 0, so the
Lua's ``torch.ones`` of pad ids is ``lg.zeros``). Edits beyond the mechanical ones, each a row of
docs/porting.md: HighwayMLP's one ``f`` module used by every layer becomes ``f.clone()`` per layer (legonn
refuses one module in two graph nodes), ``nn.BatchNormalization(0)`` (2015 nn: no affine) becomes
``nn.BatchNormalization(input_size_L, None, None, False)``, ``math.log(0)`` is ``-math.inf``,
``loadstring('opt.kernels = ' .. opt.kernels)()`` is ``pretty.read``, ``rnn_state[#rnn_state]`` of a table
with a ``[0]`` key is ``rnn_state[len(rnn_state) - 1]``, lua-utf8's ``utf8.len``/``utf8.next`` are Python's
``len`` and iteration over a str, and evaluate.lua's fifth argument to ``create`` (one more than it names) is
dropped. ``lg.load`` gives a GPU checkpoint back on the GPU, as ``torch.load`` does, and evaluate.lua's
``v:cuda()`` loop leaves it there with ``-gpuid 0``."""
import math
import re

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, lfs, nn
from legonn.pl import path, pretty, stringx

from .char_rnn.util import model_utils  # util/model_utils.lua and misc.lua are char-rnn's files: one port serves both
from .char_rnn.util.misc import clone_list

opt = {}        # main.lua's global: text_to_tensor reads opt.tokens, TDNN.tdnn reads opt.cudnn


@pytest.fixture(autouse=True)
def _double():
    lg.setdefaulttensortype('torch.DoubleTensor')     # Torch7's default; tests/conftest.py restores Float


# ---------------------------------------------------------------- util/BatchLoaderUnk.lua

class BatchLoaderUnk:

    @staticmethod
    def create(data_dir, batch_size, seq_length, max_word_l):
        self = BatchLoaderUnk()

        train_file = path.join(data_dir, 'train.txt')
        valid_file = path.join(data_dir, 'valid.txt')
        test_file = path.join(data_dir, 'test.txt')
        input_files = [train_file, valid_file, test_file]
        vocab_file = path.join(data_dir, 'vocab.t7')
        tensor_file = path.join(data_dir, 'data.t7')
        char_file = path.join(data_dir, 'data_char.t7')

        # construct a tensor with all the data
        if not (path.exists(vocab_file) or path.exists(tensor_file) or path.exists(char_file)):
            print('one-time setup: preprocessing input train/valid/test files in dir: ' + data_dir)
            BatchLoaderUnk.text_to_tensor(input_files, vocab_file, tensor_file, char_file, max_word_l)

        print('loading data files...')
        all_data = lg.load(tensor_file)  # train, valid, test tensors
        all_data_char = lg.load(char_file)  # train, valid, test character indices
        vocab_mapping = lg.load(vocab_file)
        self.idx2word, self.word2idx, self.idx2char, self.char2idx = vocab_mapping
        self.vocab_size = len(self.idx2word)
        print('Word vocab size: %d, Char vocab size: %d' % (len(self.idx2word), len(self.idx2char)))
        # create word-char mappings
        self.max_word_l = all_data_char[0].size(1)
        # cut off the end for train/valid sets so that it divides evenly
        # test set is not cut off
        self.batch_size = batch_size
        self.seq_length = seq_length
        self.split_sizes = {}
        self.all_batches = {}
        print('reshaping tensors...')
        for split, data in enumerate(all_data):
            len_ = data.size(0)
            if len_ % (batch_size * seq_length) != 0 and split < 2:
                data = data.sub(0, batch_size * seq_length * math.floor(len_ / (batch_size * seq_length)) - 1)
            ydata = data.clone()
            ydata.sub(0, -2).copy(data.sub(1, -1))
            ydata[-1] = data[0]
            data_char = lg.zeros(data.size(0), self.max_word_l).long()
            for i in range(data.size(0)):
                data_char[i] = all_data_char[split][i]
            if split < 2:
                x_batches = data.view(batch_size, -1).split(seq_length, 1)
                y_batches = ydata.view(batch_size, -1).split(seq_length, 1)
                x_char_batches = data_char.view(batch_size, -1, self.max_word_l).split(seq_length, 1)
                nbatches = len(x_batches)
                self.split_sizes[split] = nbatches
                assert len(x_batches) == len(y_batches)
                assert len(x_batches) == len(x_char_batches)
            else:  # for test we repeat dimensions to batch size (easier but inefficient evaluation)
                x_batches = [data.resize(1, data.size(0)).expand(batch_size, data.size(1))]
                y_batches = [ydata.resize(1, ydata.size(0)).expand(batch_size, ydata.size(1))]
                data_char = data_char.resize(1, data_char.size(0), data_char.size(1))
                x_char_batches = [data_char.expand(batch_size, data_char.size(1), data_char.size(2))]
                self.split_sizes[split] = 1
            self.all_batches[split] = [x_batches, y_batches, x_char_batches]
        self.batch_idx = [-1, -1, -1]
        print('data load done. Number of batches in train: %d, val: %d, test: %d'
              % (self.split_sizes[0], self.split_sizes[1], self.split_sizes[2]))
        return self

    def reset_batch_pointer(self, split_idx, batch_idx=None):
        batch_idx = batch_idx if batch_idx is not None else -1
        self.batch_idx[split_idx] = batch_idx

    def next_batch(self, split_idx):
        # split_idx is integer: 0 = train, 1 = val, 2 = test
        self.batch_idx[split_idx] = self.batch_idx[split_idx] + 1
        if self.batch_idx[split_idx] >= self.split_sizes[split_idx]:
            self.batch_idx[split_idx] = 0  # cycle around to beginning
        # pull out the correct next batch
        idx = self.batch_idx[split_idx]
        return (self.all_batches[split_idx][0][idx], self.all_batches[split_idx][1][idx],
                self.all_batches[split_idx][2][idx])

    @staticmethod
    def text_to_tensor(input_files, out_vocabfile, out_tensorfile, out_charfile, max_word_l):
        print('Processing text into tensors...')
        tokens = opt['tokens']  # inherit global constants for tokens
        output_tensors = []  # output tensors for train/val/test
        output_chars = []  # output character tensors for train/val/test sets
        max_word_l_tmp = 0  # max word length of the corpus
        idx2word = [tokens['UNK']]  # unknown word token
        word2idx = {}
        word2idx[tokens['UNK']] = 0
        idx2char = [tokens['ZEROPAD'], tokens['START'], tokens['END']]  # zero-pad, start-of-word, end-of-word
        char2idx = {}
        char2idx[tokens['ZEROPAD']] = 0
        char2idx[tokens['START']] = 1
        char2idx[tokens['END']] = 2
        split_counts = []

        # first go through train/valid/test to get max word length
        # if actual max word length is smaller than specified
        # we use that instead. this is inefficient, but only a one-off thing so should be fine
        # also counts the number of tokens
        for split in range(3):  # split = 0 (train), 1 (val), or 2 (test)
            f = open(input_files[split], 'r', encoding='utf-8')
            counts = 0
            for line in f:
                line = stringx.replace(line, '<unk>', tokens['UNK'])  # replace unk with a single character
                line = stringx.replace(line, tokens['START'], '')  # start-of-word token is reserved
                line = stringx.replace(line, tokens['END'], '')  # end-of-word token is reserved
                for word in re.findall(r'[^\s]+', line):
                    max_word_l_tmp = max(max_word_l_tmp, len(word) + 2)  # add 2 for start/end chars
                    counts = counts + 1
                if tokens['EOS'] != '':
                    counts = counts + 1  # PTB uses \n for <eos>, so need to add one more token at the end
            f.close()
            split_counts.append(counts)

        print('After first pass of data, max word length is: %d' % max_word_l_tmp)
        print('Token count: train %d, val %d, test %d' % (split_counts[0], split_counts[1], split_counts[2]))

        # if actual max word length is less than the limit, use that
        max_word_l = min(max_word_l_tmp, max_word_l)

        for split in range(3):  # split = 0 (train), 1 (val), or 2 (test)
            # Preallocate the tensors we will need.
            output_tensors.append(lg.LongTensor(split_counts[split]))
            output_chars.append(lg.zeros(split_counts[split], max_word_l).long())

            f = open(input_files[split], 'r', encoding='utf-8')
            word_num = 0

            def append(word):
                nonlocal word_num
                word_num = word_num + 1
                chars = [char2idx[tokens['START']]]  # start-of-word symbol
                if word[0:1] == tokens['UNK'] and len(word) > 1:  # unk token with character info available
                    word = word[2:]
                    output_tensors[split][word_num - 1] = word2idx[tokens['UNK']]
                else:
                    if word2idx.get(word) is None:
                        idx2word.append(word)  # create word-idx/idx-word mappings
                        word2idx[word] = len(idx2word) - 1
                    output_tensors[split][word_num - 1] = word2idx[word]
                for char in word:
                    if char2idx.get(char) is None:
                        idx2char.append(char)  # create char-idx/idx-char mappings
                        char2idx[char] = len(idx2char) - 1
                    chars.append(char2idx[char])
                chars.append(char2idx[tokens['END']])  # end-of-word symbol
                for i in range(min(len(chars), max_word_l)):
                    output_chars[split][word_num - 1][i] = chars[i]
                if len(chars) == max_word_l:
                    chars[-1] = char2idx[tokens['END']]

            for line in f:
                line = stringx.replace(line, '<unk>', tokens['UNK'])
                line = stringx.replace(line, tokens['START'], '')  # start and end of word tokens are reserved
                line = stringx.replace(line, tokens['END'], '')
                for rword in re.findall(r'[^\s]+', line):
                    append(rword)
                if tokens['EOS'] != '':  # PTB does not have <eos> so we add a character for <eos> tokens
                    append(tokens['EOS'])  # other datasets don't need this
            f.close()
        print('done')
        # save output preprocessed files
        print('saving ' + out_vocabfile)
        lg.save(out_vocabfile, [idx2word, word2idx, idx2char, char2idx])
        print('saving ' + out_tensorfile)
        lg.save(out_tensorfile, output_tensors)
        print('saving ' + out_charfile)
        lg.save(out_charfile, output_chars)


# ---------------------------------------------------------------- model/TDNN.lua

class TDNN:

    @staticmethod
    def tdnn(length, input_size, feature_maps, kernels):
        # length = length of sentences/words (zero padded to be of same length)
        # input_size = embedding_size
        # feature_maps = table of feature maps (for each kernel width)
        # kernels = table of kernel widths
        input = nn.Identity()()  # input is batch_size x length x input_size

        layer1 = []
        for i in range(len(kernels)):
            reduced_l = length - kernels[i] + 1
            if opt['cudnn'] == 1:
                # Use CuDNN for temporal convolution.
                # Fake the spatial convolution.
                conv = cudnn.SpatialConvolution(1, feature_maps[i], input_size, kernels[i], 1, 1, 0)
                conv.name = 'conv_filter_' + str(kernels[i]) + '_' + str(feature_maps[i])
                conv_layer = conv(nn.View(1, -1, input_size).setNumInputDims(2)(input))
                pool_layer = nn.Squeeze()(cudnn.SpatialMaxPooling(1, reduced_l, 1, 1, 0, 0)(nn.Tanh()(conv_layer)))
            else:
                # Temporal conv. much slower
                conv = nn.TemporalConvolution(input_size, feature_maps[i], kernels[i])
                conv_layer = conv(input)
                conv.name = 'conv_filter_' + str(kernels[i]) + '_' + str(feature_maps[i])
                pool_layer = nn.TemporalMaxPooling(reduced_l)(nn.Tanh()(conv_layer))
                pool_layer = nn.Squeeze()(pool_layer)
            layer1.append(pool_layer)
        if len(kernels) > 1:
            layer1_concat = nn.JoinTable(1)(layer1)
            output = layer1_concat
        else:
            output = layer1[0]
        return nn.gModule([input], [output])


# ---------------------------------------------------------------- model/HighwayMLP.lua

class HighwayMLP:

    @staticmethod
    def mlp(size, num_layers=None, bias=None, f=None):
        # size = dimensionality of inputs
        # num_layers = number of hidden layers (default = 1)
        # bias = bias for transform gate (default = -2)
        # f = non-linearity (default = ReLU)
        # Lua's `x or default` replaces only nil: a bias of 0 stays 0 (docs/porting.md)
        num_layers = num_layers if num_layers is not None else 1
        bias = bias if bias is not None else -2
        f = f if f is not None else nn.ReLU()
        input = nn.Identity()()
        inputs = [input]
        for i in range(num_layers):
            # f.clone(): the Lua calls the one f module in every layer (docs/porting.md)
            output = f.clone()(nn.Linear(size, size)(inputs[i]))
            transform_gate = nn.Sigmoid()(nn.AddConstant(bias)(nn.Linear(size, size)(inputs[i])))
            carry_gate = nn.AddConstant(1)(nn.MulConstant(-1)(transform_gate))
            output = nn.CAddTable()([
                nn.CMulTable()([transform_gate, output]),
                nn.CMulTable()([carry_gate, inputs[i]])])
            inputs.append(output)
        return nn.gModule([input], [output])


# ---------------------------------------------------------------- model/LSTMTDNN.lua

LookupTable = nn.LookupTable


class LSTMTDNN:

    @staticmethod
    def lstmtdnn(rnn_size, n, dropout, word_vocab_size, word_vec_size, char_vocab_size, char_vec_size,
                 feature_maps, kernels, length, use_words, use_chars, batch_norm, highway_layers, hsm):
        dropout = dropout or 0

        # there will be 2*n+1 inputs if using words or chars,
        # otherwise there will be 2*n + 2 inputs
        highway_layers = highway_layers or 0
        inputs = []
        if use_chars == 1:
            inputs.append(nn.Identity()())  # batch_size x word length (char indices)
            char_vec_layer = LookupTable(char_vocab_size, char_vec_size)
            char_vec_layer.name = 'char_vecs'  # change name so we can refer to it easily later
        if use_words == 1:
            inputs.append(nn.Identity()())  # batch_size x 1 (word indices)
            word_vec_layer = LookupTable(word_vocab_size, word_vec_size)
            word_vec_layer.name = 'word_vecs'  # change name so we can refer to it easily later
        for L in range(n):
            inputs.append(nn.Identity()())  # prev_c[L]
            inputs.append(nn.Identity()())  # prev_h[L]
        outputs = []
        for L in range(n):
            # c,h from previous timesteps. offsets depend on if we are using both word/chars
            prev_h = inputs[L * 2 + 1 + use_words + use_chars]
            prev_c = inputs[L * 2 + use_words + use_chars]
            # the input to this layer
            if L == 0:
                if use_chars == 1:
                    char_vec = char_vec_layer(inputs[0])
                    char_cnn = TDNN.tdnn(length, char_vec_size, feature_maps, kernels)
                    char_cnn.name = 'cnn'  # change name so we can refer to it later
                    cnn_output = char_cnn(char_vec)
                    input_size_L = lg.Tensor(feature_maps).sum()
                    if use_words == 1:
                        word_vec = word_vec_layer(inputs[1])
                        x = nn.JoinTable(1)([cnn_output, word_vec])
                        input_size_L = input_size_L + word_vec_size
                    else:
                        x = nn.Identity()(cnn_output)
                else:  # word_vecs only
                    x = word_vec_layer(inputs[0])
                    input_size_L = word_vec_size
                if batch_norm == 1:
                    # nn.BatchNormalization(0) in the Lua: the 2015 nn's "no affine transform" (docs/porting.md)
                    x = nn.BatchNormalization(input_size_L, None, None, False)(x)
                if highway_layers > 0:
                    highway_mlp = HighwayMLP.mlp(input_size_L, highway_layers)
                    highway_mlp.name = 'highway'
                    x = highway_mlp(x)
            else:
                x = outputs[L * 2 - 1]  # prev_h
                if dropout > 0:
                    x = nn.Dropout(dropout)(x)  # apply dropout, if any
                input_size_L = rnn_size
            # evaluate the input sums at once for efficiency
            i2h = nn.Linear(input_size_L, 4 * rnn_size)(x)
            h2h = nn.Linear(rnn_size, 4 * rnn_size)(prev_h)
            all_input_sums = nn.CAddTable()([i2h, h2h])

            sigmoid_chunk = nn.Narrow(1, 0, 3 * rnn_size)(all_input_sums)
            sigmoid_chunk = nn.Sigmoid()(sigmoid_chunk)
            in_gate = nn.Narrow(1, 0, rnn_size)(sigmoid_chunk)
            out_gate = nn.Narrow(1, rnn_size, rnn_size)(sigmoid_chunk)
            forget_gate = nn.Narrow(1, 2 * rnn_size, rnn_size)(sigmoid_chunk)
            in_transform = nn.Tanh()(nn.Narrow(1, 3 * rnn_size, rnn_size)(all_input_sums))

            # perform the LSTM update
            next_c = nn.CAddTable()([
                nn.CMulTable()([forget_gate, prev_c]),
                nn.CMulTable()([in_gate, in_transform])])
            # gated cells form the output
            next_h = nn.CMulTable()([out_gate, nn.Tanh()(next_c)])

            outputs.append(next_c)
            outputs.append(next_h)

        # set up the decoder
        top_h = outputs[-1]
        if dropout > 0:
            top_h = nn.Dropout(dropout)(top_h)
        else:
            top_h = nn.Identity()(top_h)  # to be compatiable with dropout=0 and hsm>1

        if hsm > 0:  # if HSM is used then softmax will be done later
            outputs.append(top_h)
        else:
            proj = nn.Linear(rnn_size, word_vocab_size)(top_h)
            logsoft = nn.LogSoftMax()(proj)
            outputs.append(logsoft)
        return nn.gModule(inputs, outputs)


# ---------------------------------------------------------------- util/HSMClass.lua, util/HLogSoftMax.lua

class HSMClass:

    @staticmethod
    def hsm(input_size, n_clusters, n_max_class_in_cluster):
        # inputs[0] is the input (batch_size by input_size)
        # inputs[1] is the target cluster (batch_size)
        inputs = [nn.Identity()(), nn.Identity()()]
        class_bias_layer = nn.LookupTable(n_clusters, n_max_class_in_cluster)
        class_vec_layer = nn.LookupTable(n_clusters, input_size * n_max_class_in_cluster)
        class_mat = nn.View(n_max_class_in_cluster, input_size)(class_vec_layer(inputs[1]))
        class_bias_layer.name = 'class_bias'
        class_vec_layer.name = 'class_weight'
        input_mat = nn.View(input_size, 1)(inputs[0])
        class_scores = nn.Squeeze()(nn.MM()([class_mat, input_mat]))
        output = nn.LogSoftMax()(nn.CAddTable()([class_bias_layer(inputs[1]), class_scores]))
        return nn.gModule(inputs, [output])


@lg.register
class HLogSoftMax(nn.Criterion):

    def __init__(self, mapping, input_size):
        # different implementation of the fbnn.HSM module
        # variable names are mostly the same as in fbnn.HSM
        # only supports batch inputs
        super().__init__()
        if isinstance(mapping, list):
            self.mapping = lg.LongTensor(mapping)
        else:
            self.mapping = mapping
        self.input_size = input_size
        self.n_classes = self.mapping.size(0)
        self.n_clusters = self.mapping[:, 0].max() + 1          # a count: the largest 0-based cluster + 1
        self.n_class_in_cluster = lg.LongTensor(self.n_clusters).zero()
        for i in range(self.mapping.size(0)):
            c = self.mapping[i][0]
            self.n_class_in_cluster[c] = self.n_class_in_cluster[c] + 1
        self.n_max_class_in_cluster = self.mapping[:, 1].max() + 1

        # cluster softmax/loss
        self.cluster_model = nn.Sequential()
        self.cluster_model.add(nn.Linear(input_size, self.n_clusters))
        self.cluster_model.add(nn.LogSoftMax())
        self.logLossCluster = nn.ClassNLLCriterion()

        # class softmax/loss
        self.class_model = HSMClass.hsm(self.input_size, self.n_clusters, self.n_max_class_in_cluster)

        def get_layer(layer):
            if getattr(layer, 'name', None) is not None:
                if layer.name == 'class_bias':
                    self.class_bias = layer
                elif layer.name == 'class_weight':
                    self.class_weight = layer
        self.class_model.apply(get_layer)
        self.logLossClass = nn.ClassNLLCriterion()

        self.change_bias()
        self.gradInput = lg.Tensor(input_size)

    def clone(self, *args):
        return nn.Module.clone(self, *args)

    def parameters(self):
        return ([self.cluster_model.modules[0].weight,
                 self.cluster_model.modules[0].bias,
                 self.class_bias.weight,
                 self.class_weight.weight],
                [self.cluster_model.modules[0].gradWeight,
                 self.cluster_model.modules[0].gradBias,
                 self.class_bias.gradWeight,
                 self.class_weight.gradWeight])

    def getParameters(self):
        return nn.Module.getParameters(self)

    def updateOutput(self, input, target):
        self.batch_size = input.size(0)
        new_target = self.mapping.index(0, target)
        cluster_loss = self.logLossCluster.forward(
            self.cluster_model.forward(input),
            new_target.select(1, 0))
        class_loss = self.logLossClass.forward(
            self.class_model.forward([input, new_target.select(1, 0)]),
            new_target.select(1, 1))
        self.output = cluster_loss + class_loss
        return self.output

    def updateGradInput(self, input, target):
        self.gradInput.resizeAs(input)
        new_target = self.mapping.index(0, target)
        # backprop clusters
        self.logLossCluster.updateGradInput(self.cluster_model.output, new_target.select(1, 0))
        self.gradInput.copy(self.cluster_model.backward(input, self.logLossCluster.gradInput))
        # backprop classes
        self.logLossClass.updateGradInput(self.class_model.output, new_target.select(1, 1))
        self.gradInput.add(self.class_model.backward(input, self.logLossClass.gradInput)[0])
        return self.gradInput

    def backward(self, input, target, scale=None):
        self.updateGradInput(input, target)
        return self.gradInput

    def change_bias(self):
        # hacky way to deal with variable cluster sizes
        for i in range(self.n_clusters):
            c = self.n_class_in_cluster[i]
            for j in range(c, self.n_max_class_in_cluster):
                self.class_bias.weight[i][j] = -math.inf     # math.log(0): Lua's -inf (docs/porting.md)


# ---------------------------------------------------------------- util/model_utils.lua, util/misc.lua

# util/model_utils.lua and util/misc.lua: char-rnn's files, ported in tests/porting/char_rnn/util/ (imported above)


# ---------------------------------------------------------------- main.lua

def main(arg):
    global opt
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('Train a word+character-level language model')
    cmd.text()
    cmd.text('Options')
    # data
    cmd.option('-data_dir', 'data/ptb', 'data directory. Should contain train.txt/valid.txt/test.txt with input data')
    # model params
    cmd.option('-rnn_size', 650, 'size of LSTM internal state')
    cmd.option('-use_words', 0, 'use words (1=yes)')
    cmd.option('-use_chars', 1, 'use characters (1=yes)')
    cmd.option('-highway_layers', 2, 'number of highway layers')
    cmd.option('-word_vec_size', 650, 'dimensionality of word embeddings')
    cmd.option('-char_vec_size', 15, 'dimensionality of character embeddings')
    cmd.option('-feature_maps', '{50,100,150,200,200,200,200}', 'number of feature maps in the CNN')
    cmd.option('-kernels', '{1,2,3,4,5,6,7}', 'conv net kernel widths')
    cmd.option('-num_layers', 2, 'number of layers in the LSTM')
    cmd.option('-dropout', 0.5, 'dropout. 0 = no dropout')
    # optimization
    cmd.option('-hsm', 0, 'number of clusters to use for hsm. 0 = normal softmax, -1 = use sqrt(|V|)')
    cmd.option('-learning_rate', 1, 'starting learning rate')
    cmd.option('-learning_rate_decay', 0.5, 'learning rate decay')
    cmd.option('-decay_when', 1, 'decay if validation perplexity does not improve by more than this much')
    cmd.option('-param_init', 0.05, 'initialize parameters at')
    cmd.option('-batch_norm', 0, 'use batch normalization over input embeddings (1=yes)')
    cmd.option('-seq_length', 35, 'number of timesteps to unroll for')
    cmd.option('-batch_size', 20, 'number of sequences to train on in parallel')
    cmd.option('-max_epochs', 25, 'number of full passes through the training data')
    cmd.option('-max_grad_norm', 5, 'normalize gradients at')
    cmd.option('-max_word_l', 65, 'maximum word length')
    # bookkeeping
    cmd.option('-seed', 3435, 'torch manual random number generator seed')
    cmd.option('-print_every', 500, 'how many steps/minibatches between printing out the loss')
    cmd.option('-save_every', 5, 'save every n epochs')
    cmd.option('-checkpoint_dir', 'cv', 'output directory where checkpoints get written')
    cmd.option('-savefile', 'char', 'filename to autosave the checkpont to. Will be inside checkpoint_dir/')
    cmd.option('-EOS', '+', '<EOS> symbol. should be a single unused character (like +) for PTB and blank for others')
    cmd.option('-time', 0, 'print batch times')
    # GPU/CPU
    cmd.option('-gpuid', -1, 'which gpu to use. -1 = use CPU')
    cmd.option('-cudnn', 0, 'use cudnn (1=yes). this should greatly speed up convolutions')
    cmd.text()

    # parse input params
    opt = cmd.parse(arg)
    lg.manualSeed(opt['seed'])

    assert opt['use_words'] == 1 or opt['use_words'] == 0, '-use_words has to be 0 or 1'
    assert opt['use_chars'] == 1 or opt['use_chars'] == 0, '-use_chars has to be 0 or 1'
    assert (opt['use_chars'] + opt['use_words']) > 0, 'has to use at least one of words or chars'

    # some housekeeping: loadstring('opt.kernels = ' .. opt.kernels)() reads a literal table
    opt['kernels'] = pretty.read(opt['kernels'])  # get kernel sizes
    opt['feature_maps'] = pretty.read(opt['feature_maps'])  # get feature map sizes

    # global constants for certain tokens
    opt['tokens'] = {}
    opt['tokens']['EOS'] = opt['EOS']
    opt['tokens']['UNK'] = '|'  # unk word token
    opt['tokens']['START'] = '{'  # start-of-word token
    opt['tokens']['END'] = '}'  # end-of-word token
    opt['tokens']['ZEROPAD'] = ' '  # zero-pad token

    # load necessary packages depending on config options
    if opt['gpuid'] >= 0:
        print('using CUDA on GPU ' + str(opt['gpuid']) + '...')
        from legonn import cutorch
        cutorch.setDevice(opt['gpuid'])

    if opt['cudnn'] == 1:
        assert opt['gpuid'] >= 0, 'GPU must be used if using cudnn'
        print('using cudnn...')

    # create the data loader class
    loader = BatchLoaderUnk.create(opt['data_dir'], opt['batch_size'], opt['seq_length'], opt['max_word_l'])
    print('Word vocab size: ' + str(len(loader.idx2word)) + ', Char vocab size: ' + str(len(loader.idx2char))
          + ', Max word length (incl. padding): ', loader.max_word_l)
    opt['max_word_l'] = loader.max_word_l

    # if number of clusters is not explicitly provided
    if opt['hsm'] == -1:
        opt['hsm'] = lg.round(lg.sqrt(len(loader.idx2word)))

    mapping = None
    if opt['hsm'] > 0:
        # partition into opt.hsm clusters
        # we want roughly equal number of words in each cluster
        mapping = lg.LongTensor(len(loader.idx2word), 2).zero()
        n_in_each_cluster = len(loader.idx2word) / opt['hsm']
        _, idx = lg.sort(lg.randn(len(loader.idx2word)), 0, True)
        n_in_cluster = {}  # number of tokens in each cluster
        c = 0
        for i in range(idx.size(0)):
            word_idx = idx[i]
            if n_in_cluster.get(c) is None:
                n_in_cluster[c] = 1
            else:
                n_in_cluster[c] = n_in_cluster[c] + 1
            mapping[word_idx][0] = c
            mapping[word_idx][1] = n_in_cluster[c] - 1      # a position: the count less one
            if n_in_cluster[c] >= n_in_each_cluster:
                c = c + 1
            if c > opt['hsm'] - 1:  # take care of some corner cases
                c = opt['hsm'] - 1
        print('using hierarchical softmax with %d classes' % opt['hsm'])

    # make sure output directory exists
    if not path.exists(opt['checkpoint_dir']):
        lfs.mkdir(opt['checkpoint_dir'])

    # define the model: prototypes for one timestep, then clone them in time
    protos = {}
    print('creating an LSTM-CNN with ' + str(opt['num_layers']) + ' layers')
    protos['rnn'] = LSTMTDNN.lstmtdnn(opt['rnn_size'], opt['num_layers'], opt['dropout'], len(loader.idx2word),
                                      opt['word_vec_size'], len(loader.idx2char), opt['char_vec_size'],
                                      opt['feature_maps'], opt['kernels'], loader.max_word_l, opt['use_words'],
                                      opt['use_chars'], opt['batch_norm'], opt['highway_layers'], opt['hsm'])
    # training criterion (negative log likelihood)
    if opt['hsm'] > 0:
        protos['criterion'] = HLogSoftMax(mapping, opt['rnn_size'])
    else:
        protos['criterion'] = nn.ClassNLLCriterion()

    # the initial state of the cell/hidden states
    init_state = []
    for L in range(opt['num_layers']):
        h_init = lg.zeros(opt['batch_size'], opt['rnn_size'])
        if opt['gpuid'] >= 0:
            h_init = h_init.cuda()
        init_state.append(h_init.clone())
        init_state.append(h_init.clone())

    # ship the model to the GPU if desired
    if opt['gpuid'] >= 0:
        for k, v in protos.items():
            v.cuda()

    # put the above things into one flattened parameters tensor
    params, grad_params = model_utils.combine_all_parameters(protos['rnn'])
    # hsm has its own params
    hsm_params = hsm_grad_params = None
    if opt['hsm'] > 0:
        hsm_params, hsm_grad_params = protos['criterion'].getParameters()
        hsm_params.uniform(-opt['param_init'], opt['param_init'])
        print('number of parameters in the model: ' + str(params.nElement() + hsm_params.nElement()))
    else:
        print('number of parameters in the model: ' + str(params.nElement()))

    # initialization
    params.uniform(-opt['param_init'], opt['param_init'])  # small numbers uniform

    # get layers which will be referenced layer (during SGD or introspection)
    layers = {}

    def get_layer(layer):
        if getattr(layer, 'name', None) is not None:
            if layer.name == 'word_vecs':
                layers['word_vecs'] = layer
            elif layer.name == 'char_vecs':
                layers['char_vecs'] = layer
            elif layer.name == 'cnn':
                layers['cnn'] = layer
    protos['rnn'].apply(get_layer)
    char_vecs = layers.get('char_vecs')

    # make a bunch of clones after flattening, as that reallocates memory
    clones = {}
    for name, proto in protos.items():
        print('cloning ' + name)
        clones[name] = model_utils.clone_many_times(proto, opt['seq_length'])

    # for easy switch between using words/chars (or both)
    def get_input(x, x_char, t, prev_states):
        u = []
        if opt['use_chars'] == 1:
            u.append(x_char[:, t - 1])
        if opt['use_words'] == 1:
            u.append(x[:, t - 1])
        for i in range(len(prev_states)):
            u.append(prev_states[i])
        return u

    # evaluate the loss over an entire split
    def eval_split(split_idx, max_batches=None):
        print('evaluating loss over split index ' + str(split_idx))
        n = loader.split_sizes[split_idx]
        if opt['hsm'] > 0:
            protos['criterion'].change_bias()

        if max_batches is not None:
            n = min(max_batches, n)

        loader.reset_batch_pointer(split_idx)  # move batch iteration pointer for this split to front
        loss = 0
        rnn_state = {0: init_state}
        token_perp = None
        if split_idx <= 1:  # batch eval
            for i in range(n):  # iterate over batches in the split
                # fetch a batch
                x, y, x_char = loader.next_batch(split_idx)
                if opt['gpuid'] >= 0:  # ship the input arrays to GPU
                    # have to convert to float because integers can't be cuda()'d
                    x = x.float().cuda()
                    y = y.float().cuda()
                    x_char = x_char.float().cuda()
                # forward pass
                for t in range(1, opt['seq_length'] + 1):
                    clones['rnn'][t - 1].evaluate()  # for dropout proper functioning
                    lst = clones['rnn'][t - 1].forward(get_input(x, x_char, t, rnn_state[t - 1]))
                    rnn_state[t] = []
                    for i in range(len(init_state)):
                        rnn_state[t].append(lst[i])
                    prediction = lst[-1]
                    loss = loss + clones['criterion'][t - 1].forward(prediction, y[:, t - 1])
                # carry over lstm state: #rnn_state does not count the [0] key
                rnn_state[0] = rnn_state[len(rnn_state) - 1]
            loss = loss / opt['seq_length'] / n
        else:  # full eval on test set
            token_perp = lg.zeros(len(loader.idx2word), 2)
            x, y, x_char = loader.next_batch(split_idx)
            if opt['gpuid'] >= 0:  # ship the input arrays to GPU
                # have to convert to float because integers can't be cuda()'d
                x = x.float().cuda()
                y = y.float().cuda()
                x_char = x_char.float().cuda()
            protos['rnn'].evaluate()  # just need one clone
            for t in range(1, x.size(1) + 1):
                lst = protos['rnn'].forward(get_input(x, x_char, t, rnn_state[0]))
                rnn_state[0] = []
                for i in range(len(init_state)):
                    rnn_state[0].append(lst[i])
                prediction = lst[-1]
                tok_perp = protos['criterion'].forward(prediction, y[:, t - 1])
                loss = loss + tok_perp
                token_perp[y[0][t - 1]][0] = token_perp[y[0][t - 1]][0] + 1  # count
                token_perp[y[0][t - 1]][1] = token_perp[y[0][t - 1]][1] + tok_perp
            loss = loss / x.size(1)
        perp = lg.exp(loss)
        return perp, token_perp

    # do fwd/bwd and return loss, grad_params
    init_state_global = clone_list(init_state)
    lr = opt['learning_rate']  # starting learning rate which will be decayed

    def feval(x):
        nonlocal init_state_global
        if x is not params:
            params.copy(x)
        grad_params.zero()
        if opt['hsm'] > 0:
            hsm_grad_params.zero()
        # ----------------- get minibatch -------------------
        x, y, x_char = loader.next_batch(0)  # from train
        if opt['gpuid'] >= 0:  # ship the input arrays to GPU
            # have to convert to float because integers can't be cuda()'d
            x = x.float().cuda()
            y = y.float().cuda()
            x_char = x_char.float().cuda()
        # ------------------ forward pass -------------------
        rnn_state = {0: init_state_global}
        predictions = {}  # softmax outputs
        loss = 0
        for t in range(1, opt['seq_length'] + 1):
            clones['rnn'][t - 1].training()  # make sure we are in correct mode (this is cheap, sets flag)
            lst = clones['rnn'][t - 1].forward(get_input(x, x_char, t, rnn_state[t - 1]))
            rnn_state[t] = []
            for i in range(len(init_state)):
                rnn_state[t].append(lst[i])  # extract the state, without output
            predictions[t] = lst[-1]  # last element is the prediction
            loss = loss + clones['criterion'][t - 1].forward(predictions[t], y[:, t - 1])
        loss = loss / opt['seq_length']
        # ----------------- backward pass -------------------
        # initialize gradient at time t to be zeros (there's no influence from future)
        drnn_state = {opt['seq_length']: clone_list(init_state, True)}  # true also zeros the clones
        for t in range(opt['seq_length'], 0, -1):
            # backprop through loss, and softmax/linear
            doutput_t = clones['criterion'][t - 1].backward(predictions[t], y[:, t - 1])
            drnn_state[t].append(doutput_t)
            rnn_state[t - 1].append(drnn_state[t])
            dlst = clones['rnn'][t - 1].backward(get_input(x, x_char, t, rnn_state[t - 1]), drnn_state[t])
            drnn_state[t - 1] = []
            tmp = opt['use_words'] + opt['use_chars']  # not the safest way but quick
            for k, v in enumerate(dlst):
                if k >= tmp:  # k == 0 is gradient on x, which we dont need
                    drnn_state[t - 1].append(v)

        # ----------------------- misc ----------------------
        # transfer final state to initial state (BPTT)
        init_state_global = rnn_state[len(rnn_state) - 1]

        # renormalize gradients
        if opt['hsm'] == 0:
            grad_norm = grad_params.norm()
        else:
            grad_norm = lg.sqrt(grad_params.norm() ** 2 + hsm_grad_params.norm() ** 2)
        if grad_norm > opt['max_grad_norm']:
            shrink_factor = opt['max_grad_norm'] / grad_norm
            grad_params.mul(shrink_factor)
            if opt['hsm'] > 0:
                hsm_grad_params.mul(shrink_factor)
        params.add(grad_params.mul(-lr))  # update params
        if opt['hsm'] > 0:
            hsm_params.add(hsm_grad_params.mul(-lr))
        return lg.exp(loss)

    # start optimization here
    train_losses = {}
    val_losses = []
    saved, lrs = [], []  # not in the Lua: what the tests read back
    iterations = opt['max_epochs'] * loader.split_sizes[0]
    if char_vecs is not None:
        char_vecs.weight[0].zero()  # zero-padding vector is always zero
    for i in range(1, iterations + 1):
        epoch = i / loader.split_sizes[0]

        train_loss = feval(params)  # fwd/backprop and update params
        if char_vecs is not None:  # zero-padding vector is always zero
            char_vecs.weight[0].zero()
            char_vecs.gradWeight[0].zero()
        train_losses[i] = train_loss

        # every now and then or on last iteration
        if i % loader.split_sizes[0] == 0:
            # evaluate loss on validation data
            val_loss = eval_split(1)[0]  # 1 = validation
            val_losses.append(val_loss)
            savefile = '%s/lm_%s_epoch%.2f_%.2f.t7' % (opt['checkpoint_dir'], opt['savefile'], epoch, val_loss)
            checkpoint = {}
            checkpoint['protos'] = protos
            checkpoint['opt'] = opt
            checkpoint['train_losses'] = train_losses
            checkpoint['val_loss'] = val_loss
            checkpoint['val_losses'] = val_losses
            checkpoint['i'] = i
            checkpoint['epoch'] = epoch
            checkpoint['vocab'] = [loader.idx2word, loader.word2idx, loader.idx2char, loader.char2idx]
            checkpoint['lr'] = lr
            print('saving checkpoint to ' + savefile)
            if epoch == opt['max_epochs'] or epoch % opt['save_every'] == 0:
                lg.save(savefile, checkpoint)
                saved.append(savefile)

        # decay learning rate after epoch
        if i % loader.split_sizes[0] == 0 and len(val_losses) > 2:
            if val_losses[-2] - val_losses[-1] < opt['decay_when']:
                lr = lr * opt['learning_rate_decay']
        lrs.append(lr)

        if i % opt['print_every'] == 0:
            print('%d/%d (epoch %.2f), train_loss = %6.4f' % (i, iterations, epoch, train_loss))

    # evaluate on full test set. this just uses the model from the last epoch
    test_perp, token_perp = eval_split(2)
    print('Perplexity on test set: ' + str(test_perp))
    lg.save(path.join(opt['checkpoint_dir'], 'token_perp-ss.t7'), [token_perp, loader.idx2word])
    return {'loader': loader, 'protos': protos, 'clones': clones, 'params': params, 'grad_params': grad_params,
            'hsm_params': hsm_params, 'train_losses': train_losses, 'val_losses': val_losses, 'lrs': lrs,
            'saved': saved, 'test_perp': test_perp, 'token_perp': token_perp, 'feval': feval,
            'eval_split': eval_split, 'mapping': mapping}


# ---------------------------------------------------------------- evaluate.lua

def evaluate(arg):
    global opt
    cmd = lg.CmdLine()
    cmd.text('Options')
    # data
    cmd.option('-data_dir', 'data/ptb', 'data directory. Should contain train.txt/valid.txt/test.txt with input data')
    cmd.option('-savefile', 'model_results.t7', 'save results to')
    cmd.option('-model', 'en-large-word-model.t7', 'model checkpoint file')
    # GPU/CPU these params must be passed in because it affects the constructors
    cmd.option('-gpuid', -1, 'which gpu to use. -1 = use CPU')
    cmd.option('-cudnn', 0, 'use cudnn (1 = yes, 0 = no)')
    cmd.text()

    # parse input params
    opt2 = cmd.parse(arg)
    if opt2['gpuid'] >= 0:
        print('using CUDA on GPU ' + str(opt2['gpuid']) + '...')
        from legonn import cutorch
        cutorch.setDevice(opt2['gpuid'])

    if opt2['cudnn'] == 1:
        assert opt2['gpuid'] >= 0, 'GPU must be used if using cudnn'
        print('using cudnn')

    checkpoint = lg.load(opt2['model'])
    opt = checkpoint['opt']
    protos = checkpoint['protos']
    idx2word, word2idx, idx2char, char2idx = checkpoint['vocab']

    # recreate the data loader class: create's max_word_l takes the nil opt.padding, Lua drops opt.max_word_l
    loader = BatchLoaderUnk.create(opt['data_dir'], opt['batch_size'], opt['seq_length'], opt.get('padding'))

    # the initial state of the cell/hidden states
    init_state = []
    for L in range(opt['num_layers']):
        h_init = lg.zeros(2, opt['rnn_size'])
        if opt['gpuid'] >= 0:
            h_init = h_init.cuda()
        init_state.append(h_init.clone())
        init_state.append(h_init.clone())

    # ship the model to the GPU if desired
    if opt['gpuid'] >= 0:
        for k, v in protos.items():
            v.cuda()

    params, grad_params = model_utils.combine_all_parameters(protos['rnn'])
    if opt['hsm'] > 0:
        hsm_params, hsm_grad_params = model_utils.combine_all_parameters(protos['criterion'])
        print('number of parameters in the model: ' + str(params.nElement() + hsm_params.nElement()))
    else:
        print('number of parameters in the model: ' + str(params.nElement()))

    # for easy switch between using words/chars (or both)
    def get_input(x, x_char, t, prev_states):
        u = []
        if opt['use_chars'] == 1:
            u.append(x_char[0:2, t - 1])
        if opt['use_words'] == 1:
            u.append(x[0:2, t - 1])
        for i in range(len(prev_states)):
            u.append(prev_states[i])
        return u

    # evaluate the loss over an entire split
    def eval_split_full(split_idx):
        print('evaluating loss over split index ' + str(split_idx))
        if opt['hsm'] > 0:
            protos['criterion'].change_bias()
        loader.reset_batch_pointer(split_idx)  # move batch iteration pointer for this split to front
        loss = 0
        token_count = lg.zeros(len(idx2word))
        token_loss = lg.zeros(len(idx2word))
        rnn_state = {0: init_state}
        x, y, x_char = loader.next_batch(split_idx)
        if opt['gpuid'] >= 0:
            x = x.float().cuda()
            y = y.float().cuda()
            x_char = x_char.float().cuda()
        protos['rnn'].evaluate()
        for t in range(1, x.size(1) + 1):
            lst = protos['rnn'].forward(get_input(x, x_char, t, rnn_state[0]))
            rnn_state[0] = []
            for i in range(len(init_state)):
                rnn_state[0].append(lst[i])
            prediction = lst[-1]
            singleton_loss = protos['criterion'].forward(prediction, y[0:2, t - 1])
            loss = loss + singleton_loss
            token_idx = x[0][t - 1]
            token_count[token_idx] = token_count[token_idx] + 1
            token_loss[token_idx] = token_loss[token_idx] + singleton_loss
        loss = loss / x.size(1)
        total_perp = lg.exp(loss)
        return total_perp, token_loss.float(), token_count.float()

    total_perp, token_loss, token_count = eval_split_full(2)
    print(total_perp)
    test_results = {}
    test_results['perp'] = total_perp
    test_results['token_loss'] = token_loss
    test_results['token_count'] = token_count
    test_results['vocab'] = [idx2word, word2idx, idx2char, char2idx]
    test_results['opt'] = opt
    test_results['val_losses'] = checkpoint['val_losses']
    lg.save(opt2['savefile'], test_results)
    return test_results


# ---------------------------------------------------------------- the tests

TRAIN = """the cat sat on the mat
the dog sat on the log
a cat saw the dog
the dog saw a <unk>
"""
VALID = """the cat sat on the log
a dog saw the <unk>:zebra
"""
TEST = """the dog sat on the mat
a cat saw the {dog}
"""


@pytest.fixture
def data_dir(tmp_path):
    """train/valid/test.txt in the layout BatchLoaderUnk.create reads (data/ptb's: a sentence a line)."""
    for name, text in (('train.txt', TRAIN * 2), ('valid.txt', VALID), ('test.txt', TEST)):
        (tmp_path / name).write_text(text)
    return str(tmp_path)


def set_tokens(EOS='+', cudnn=0):
    """main.lua lines 77-82: the global opt.tokens that text_to_tensor reads."""
    opt.clear()
    opt.update(cudnn=cudnn, tokens={'EOS': EOS, 'UNK': '|', 'START': '{', 'END': '}', 'ZEROPAD': ' '})


def test_batch_loader_words_chars_and_batches(data_dir):
    """text_to_tensor: word ids in order of appearance from 1 (0 is the unknown word, `<unk>` and `|` with
    character info), `+` after every line, characters framed by `{` (1) and `}` (2) and padded with 0;
    create: train/valid cut to whole batches, targets the next word (the last wrapping to the first),
    (batch, seq_length) and (batch, seq_length, max_word_l) batches; the test split whole, repeated on
    every row; next_batch cycles."""
    set_tokens()
    loader = BatchLoaderUnk.create(data_dir, 2, 3, 65)
    words = 'the cat sat on mat + dog log a saw zebra'.split()
    assert loader.idx2word == ['|'] + [w for w in words if w != 'zebra']
    assert loader.word2idx['the'] == 1 and loader.word2idx['+'] == 6
    assert loader.idx2char[:3] == [' ', '{', '}'] and loader.char2idx['c'] == 6
    assert loader.max_word_l == 7 + 2          # '|:zebra' framed: the first pass measures it before the cut
    # train: 2 x 26 tokens cut to 48 = 8 batches of 2 x 3; valid 13 -> 12: 2 batches; test: 13, one batch
    assert loader.split_sizes == {0: 8, 1: 2, 2: 1}
    corpus = [loader.word2idx[w] for w in (TRAIN.replace('<unk>', '|').replace('\n', ' + ') * 2).split()]
    x, y, x_char = loader.next_batch(0)
    assert x.size() == (2, 3) and y.size() == (2, 3) and x_char.size() == (2, 3, 9)
    assert x.tolist() == [corpus[0:3], corpus[24:27]]
    assert y.tolist() == [corpus[1:4], corpus[25:28]]
    cat = [1] + [loader.char2idx[c] for c in 'cat'] + [2, 0, 0, 0, 0]
    assert x_char[0][1].tolist() == cat
    for _ in range(7):
        last = loader.next_batch(0)
    assert last[1][1][2] == corpus[0]                       # ydata[-1] = data[1]: the wrap-around
    assert loader.next_batch(0)[0].tolist() == x.tolist()  # cycles to the first batch

    vx, vy, vchar = loader.next_batch(1)
    zebra = [loader.char2idx[c] for c in 'zebra']
    valid = (VALID.replace('<unk>:zebra', '|:zebra').replace('\n', ' + ')).split()
    assert valid.index('|:zebra') == 11                     # row 1, step 2 of the second valid batch
    vx, vy, vchar = loader.next_batch(1)
    assert vx[1][2] == 0 and vchar[1][2].tolist() == [1] + zebra + [2, 0, 0]

    tx, ty, tchar = loader.next_batch(2)
    assert tx.size() == (2, 13) and tchar.size() == (2, 13, 9)
    assert tx[0].tolist() == tx[1].tolist() and tx.stride(0) == 0           # expand: one row repeated
    assert tchar[0][11].tolist() == [1] + [loader.char2idx[c] for c in 'dog'] + [2, 0, 0, 0, 0]  # '{dog}'
    assert ty[0][12] == tx[0][0]


def test_batch_loader_truncates_long_words(tmp_path):
    """max_word_l below the longest word: the characters are cut, losing the end-of-word mark, as the Lua
    copies min(#chars, max_word_l) of them."""
    set_tokens(EOS='')
    for name in ('train.txt', 'valid.txt', 'test.txt'):
        (tmp_path / name).write_text('abcdefg hi\n')
    loader = BatchLoaderUnk.create(str(tmp_path), 1, 1, 5)
    assert loader.max_word_l == 5 and loader.idx2word == ['|', 'abcdefg', 'hi']
    x, _, x_char = loader.next_batch(0)
    a = loader.char2idx
    assert x_char[0][0].tolist() == [1, a['a'], a['b'], a['c'], a['d']]
    assert loader.next_batch(0)[2][0][0].tolist() == [1, a['h'], a['i'], 2, 0]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def np_tdnn(x, convs):
    """tanh(temporal convolution) max-pooled over time, per kernel width, joined: x (batch, length, dim)."""
    out = []
    for conv in convs:
        w, b = conv.weight.numpy().reshape(conv.weight.size(0), -1), conv.bias.numpy()
        k = w.shape[1] // x.shape[2]
        frames = [x[:, t:t + k].reshape(x.shape[0], -1) @ w.T + b for t in range(x.shape[1] - k + 1)]
        out.append(np.tanh(np.stack(frames, 1)).max(1))
    return np.concatenate(out, 1)


def np_highway(x, linears, bias=-2):
    """y = t * relu(W_H x + b_H) + (1 - t) * x with t = sigmoid(W_T x + b_T + bias), per layer."""
    for H, T in zip(linears[0::2], linears[1::2]):
        t = _sigmoid(x @ T.weight.numpy().T + T.bias.numpy() + bias)
        x = t * np.maximum(x @ H.weight.numpy().T + H.bias.numpy(), 0) + (1 - t) * x
    return x


def modules_of(net, typename):
    return [m for m in net.modules if lg.typename(m) == typename]


def highway_linears(net):
    """[H_1, T_1, H_2, T_2, ...]: each layer's Linear that feeds the ReLU, then the one that feeds the gate's
    AddConstant (net.modules is in the graph's order)."""
    mods = net.modules
    pairs = [(lg.typename(mods[i + 1]), m) for i, m in enumerate(mods) if lg.typename(m) == 'nn.Linear']
    H = [m for after, m in pairs if after == 'nn.ReLU']
    T = [m for after, m in pairs if after == 'nn.AddConstant']
    return [m for layer in zip(H, T) for m in layer]


def test_tdnn_against_numpy_and_its_cudnn_branch():
    """TDNN.lua: TemporalConvolution per width, Tanh, TemporalMaxPooling(length - width + 1), Squeeze,
    JoinTable over features; the cudnn branch (a SpatialConvolution over a one-plane (length, dim) image and
    a SpatialMaxPooling) computes the same with the same weights."""
    lg.manualSeed(1)
    set_tokens()
    length, dim, feature_maps, kernels = 6, 3, [2, 4, 3], [1, 2, 3]
    net = TDNN.tdnn(length, dim, feature_maps, kernels)
    x = lg.randn(4, length, dim)
    out = net.forward(x)
    assert out.size() == (4, sum(feature_maps))
    convs = modules_of(net, 'nn.TemporalConvolution')
    assert [c.name for c in convs] == ['conv_filter_1_2', 'conv_filter_2_4', 'conv_filter_3_3']
    np.testing.assert_allclose(out.numpy(), np_tdnn(x.numpy(), convs), rtol=1e-12)

    opt['cudnn'] = 1
    fast = TDNN.tdnn(length, dim, feature_maps, kernels)
    for conv, temporal in zip(modules_of(fast, 'cudnn.SpatialConvolution'), convs):
        conv.weight.copy(temporal.weight.view(conv.weight.size()))
        conv.bias.copy(temporal.bias)
    np.testing.assert_allclose(fast.forward(x).numpy(), out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(fast.backward(x, lg.ones(4, 9)).numpy(), net.backward(x, lg.ones(4, 9)).numpy(),
                               rtol=1e-12)


def test_highway_against_numpy_and_gradients():
    """HighwayMLP.lua with two layers against the formula; its gradients against finite differences. The
    literal Lua (one ReLU module called in both layers) is refused with the reason."""
    lg.manualSeed(2)
    net = HighwayMLP.mlp(5, 2)
    x = lg.randn(3, 5)
    np.testing.assert_allclose(net.forward(x).numpy(), np_highway(x.numpy(), highway_linears(net)), rtol=1e-12)
    from tests.checks import assert_jacobian
    assert_jacobian(net, x)

    f = nn.ReLU()
    a, b = nn.Identity()(), None
    b = f(nn.Linear(5, 5)(f(nn.Linear(5, 5)(a))))
    with pytest.raises(ValueError, match='use the same module object'):
        nn.gModule([a], [b])


def lstmtdnn_count(V, C, c_dim, fms, kernels, rnn, n, highway, use_words=0, w_dim=0):
    """The parameter count the Lua's sizes give: lookup tables, one (width * dim * maps + maps) per
    convolution, two square Linears per highway layer, 4 * rnn rows of input and recurrent Linears per LSTM
    layer, the decoder."""
    conv = sum(k * c_dim * m + m for k, m in zip(kernels, fms))
    x = sum(fms) + use_words * w_dim
    lstm = (x * 4 * rnn + 4 * rnn) + (rnn * 4 * rnn + 4 * rnn)
    lstm += (n - 1) * 2 * (rnn * 4 * rnn + 4 * rnn)
    return C * c_dim + use_words * V * w_dim + conv + highway * 2 * (x * x + x) + lstm + rnn * V + V


@pytest.mark.parametrize('use_words, batch_norm, dropout', [(0, 0, 0), (1, 1, 0.5)])
def test_lstmtdnn_sizes_and_shapes(use_words, batch_norm, dropout):
    """LSTMTDNN.lua: the inputs (chars, words, then c and h per layer), the outputs (c and h per layer, then
    the log-probabilities), and the parameter count computed by hand (BatchNormalization has none)."""
    lg.manualSeed(3)
    set_tokens()
    V, C, length = 11, 9, 6
    rnn = LSTMTDNN.lstmtdnn(7, 2, dropout, V, 4, C, 3, [2, 3], [1, 2], length, use_words, 1, batch_norm, 2, 0)
    params, _ = model_utils.combine_all_parameters(rnn)
    assert params.nElement() == lstmtdnn_count(V, C, 3, [2, 3], [1, 2], 7, 2, 2, use_words, 4)
    assert len(modules_of(rnn, 'nn.BatchNormalization')) == batch_norm
    batch = 3
    inputs = [lg.LongTensor(batch, length).random(C)] + [lg.LongTensor(batch).random(V)] * use_words
    inputs += [lg.zeros(batch, 7) for _ in range(4)]
    out = rnn.forward(inputs)
    assert len(out) == 5 and [o.size() for o in out[:4]] == [(batch, 7)] * 4
    assert out[4].size() == (batch, V)
    np.testing.assert_allclose(np.exp(out[4].numpy()).sum(1), 1, rtol=1e-12)


def test_combine_all_parameters_holes_and_sharing():
    """model_utils.lua's flatten: parameters sharing a storage are stored once, views keep their values, and
    a storage with elements no parameter uses (a hole) is compacted out; the gradients follow."""
    lg.manualSeed(4)
    a = nn.Linear(3, 2)
    shared = a.clone('weight', 'bias', 'gradWeight', 'gradBias')
    b = nn.Linear(2, 2)
    big = lg.randn(10)
    b.weight.set(big.storage(), 3, (2, 2), (2, 1))      # uses elements 3..6 of a 10-element storage
    before = [p.clone() for p in a.parameters()[0] + b.parameters()[0]]
    params, grads = model_utils.combine_all_parameters(a, shared, b)
    assert params.nElement() == (3 * 2 + 2) + (2 * 2 + 2)     # shared once, the 6 unused elements gone
    assert grads.nElement() == params.nElement()
    for p, value in zip(a.parameters()[0] + b.parameters()[0], before):
        np.testing.assert_array_equal(p.numpy(), value.numpy())
        assert lg.pointer(p.storage()) == lg.pointer(params.storage())
    assert shared.weight.storageOffset() == a.weight.storageOffset()
    params.zero()
    assert a.weight.sum() == 0 and b.weight.sum() == 0 and shared.bias.sum() == 0


def test_clone_many_times_shares_parameters_keeps_buffers():
    """model_utils.lua clone_many_times: clones through serialization, parameters and gradients set() to the
    prototype's, each clone with its own output."""
    lg.manualSeed(5)
    net = nn.Sequential().add(nn.Linear(3, 2)).add(nn.Tanh())
    params, grads = model_utils.combine_all_parameters(net)
    clones = model_utils.clone_many_times(net, 3)
    params.fill(0.5)
    x = lg.randn(4, 3)
    assert clones[0].forward(x) is not clones[1].forward(x)
    np.testing.assert_allclose(clones[2].forward(x).numpy(), np.tanh(x.numpy().sum(1, keepdims=True) * .5 + .5)
                               * np.ones((1, 2)), rtol=1e-12)
    clones[1].backward(x, lg.ones(4, 2))
    assert grads.abs().sum() > 0
    crits = model_utils.clone_many_times(nn.ClassNLLCriterion(), 2)      # main.lua clones its criterion too
    logp, target = lg.randn(3, 4), lg.LongTensor([3, 0, 1])
    assert crits[0] is not crits[1] and crits[0].forward(logp, target) == crits[1].forward(logp, target)
    assert crits[0].forward(logp, target) == pytest.approx(-logp.numpy()[[0, 1, 2], [3, 0, 1]].mean(), rel=1e-12)


def np_hsm(crit, x, target):
    """-log p(cluster) - log p(word | cluster) with the criterion's weights, per row."""
    lin = crit.cluster_model.modules[0]
    cl = x @ lin.weight.numpy().T + lin.bias.numpy()
    cl = cl - np.log(np.exp(cl).sum(1, keepdims=True))
    mapping = crit.mapping.numpy()[target]
    W = crit.class_weight.weight.numpy().reshape(crit.n_clusters, crit.n_max_class_in_cluster, -1)
    scores = np.einsum('bkd,bd->bk', W[mapping[:, 0]], x) + crit.class_bias.weight.numpy()[mapping[:, 0]]
    scores = scores - np.log(np.exp(scores).sum(1, keepdims=True))
    rows = np.arange(len(target))
    return -cl[rows, mapping[:, 0]] - scores[rows, mapping[:, 1]]


def test_hlogsoftmax_against_numpy_and_finite_differences():
    """HLogSoftMax.lua (with HSMClass.lua): the loss is the mean cluster NLL plus the mean in-cluster NLL;
    change_bias's -inf biases on the unused slots of smaller clusters make each row's word probabilities sum
    to 1; its own updateGradInput matches finite differences."""
    lg.manualSeed(6)
    mapping = [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2]]   # clusters of 3, 2, 1 words
    crit = HLogSoftMax(mapping, 4)
    assert (crit.n_clusters, crit.n_max_class_in_cluster) == (3, 3)
    assert crit.class_bias.weight[2].tolist()[1:] == [-math.inf, -math.inf]
    x = lg.randn(2, 4)
    target = lg.LongTensor([5, 3])
    loss = crit.forward(x, target)
    assert loss == pytest.approx(np_hsm(crit, x.numpy(), target.numpy()).mean(), rel=1e-12)
    every = np.array([[np_hsm(crit, x.numpy()[r:r + 1], np.array([w]))[0] for w in range(6)] for r in range(2)])
    np.testing.assert_allclose(np.exp(-every).sum(1), 1, rtol=1e-12)
    _, grads = crit.getParameters()
    grads.zero()
    g = crit.backward(x, target).numpy().copy()
    from tests.checks import numeric_gradient
    xa = x.numpy()
    np.testing.assert_allclose(g, numeric_gradient(lambda: crit.forward(x, target), xa), atol=1e-8)
    assert grads.abs().sum() > 0


def run_main(data_dir, tmp_path, *extra):
    """main.lua on the toy corpus: 2 x 3 batches, a 2-layer LSTM of 8 units over a 2-width TDNN of 3 + 4 maps
    on 3-dimensional characters, 2 highway layers."""
    return main(['-data_dir', data_dir, '-rnn_size', '8', '-char_vec_size', '3', '-feature_maps', '{3,4}',
                 '-kernels', '{1,2}', '-seq_length', '3', '-batch_size', '2', '-print_every', '8',
                 '-checkpoint_dir', str(tmp_path / 'cv'), '-save_every', '2', *extra])


def lstm_linears(rnn, n):
    """[(i2h, h2h)] per layer: h2h is the Linear whose input is the layer's prev_h input node, i2h the other
    Linear feeding the same CAddTable."""
    nodes = rnn.forwardnodes
    inputs = rnn.inputnodes
    pairs = []
    for L in range(n):
        prev_h = inputs[len(inputs) - 2 * n + 2 * L + 1]
        h2h = next(nd for nd in nodes if nd.module is not None and lg.typename(nd.module) == 'nn.Linear'
                   and nd.inputs[0] is prev_h)
        add = h2h.consumers[0]
        i2h = next(nd for nd in add.inputs if nd is not h2h)
        pairs.append((i2h.module, h2h.module))
    return pairs


def np_perplexity(run, n):
    """exp of the mean NLL over the test split, the whole LSTMTDNN (chars only, no dropout) computed in NumPy
    from the trained weights, one row of the repeated test batch."""
    rnn = run['protos']['rnn']
    named = {}
    rnn.apply(lambda m: named.setdefault(getattr(m, 'name', None), m))
    x, y, x_char = run['loader'].all_batches[2][0][0], run['loader'].all_batches[2][1][0], \
        run['loader'].all_batches[2][2][0]
    convs = modules_of(named['cnn'], 'nn.TemporalConvolution') + modules_of(named['cnn'], 'cudnn.SpatialConvolution')
    linears = lstm_linears(rnn, n)
    proj = [m for m in modules_of(rnn, 'nn.Linear') if m.weight.size(0) == len(run['loader'].idx2word)][0]
    R = linears[0][1].weight.size(1)
    c, h = [np.zeros((1, R)) for _ in range(n)], [np.zeros((1, R)) for _ in range(n)]
    nll = []
    for t in range(x.size(1)):
        emb = named['char_vecs'].weight.numpy()[x_char.numpy()[0:1, t]]
        inp = np_highway(np_tdnn(emb, convs), highway_linears(named['highway']))
        for L, (i2h, h2h) in enumerate(linears):
            z = inp @ i2h.weight.numpy().T + i2h.bias.numpy() + h[L] @ h2h.weight.numpy().T + h2h.bias.numpy()
            i, o, f, g = _sigmoid(z[:, :R]), _sigmoid(z[:, R:2 * R]), _sigmoid(z[:, 2 * R:3 * R]), np.tanh(z[:, 3 * R:])
            c[L] = f * c[L] + i * g
            h[L] = o * np.tanh(c[L])
            inp = h[L]
        s = inp @ proj.weight.numpy().T + proj.bias.numpy()
        logp = s - s.max() - np.log(np.exp(s - s.max()).sum())
        nll.append(-logp[0, y.numpy()[0, t]])
    return np.exp(np.mean(nll))


def test_main_trains_decays_and_evaluate_reloads(data_dir, tmp_path):
    """main.lua: the parameter count the sizes give, the training perplexity falling over 40 SGD steps of
    3 unrolled clones (gradients renormalised to max_grad_norm), the learning rate halved after each epoch
    from the third whose validation perplexity improved by less than decay_when, checkpoints every
    save_every epochs; the test perplexity equals exp of the mean NLL of a NumPy forward of the same weights,
    and evaluate.lua, from the last checkpoint, gives it again exactly."""
    run = run_main(data_dir, tmp_path, '-max_epochs', '10', '-dropout', '0', '-decay_when', '1')
    loader = run['loader']
    V, C = len(loader.idx2word), len(loader.idx2char)
    assert run['params'].nElement() == lstmtdnn_count(V, C, 3, [3, 4], [1, 2], 8, 2, 2)
    losses = np.array([run['train_losses'][i] for i in range(1, 81)]).reshape(10, 8).mean(1)
    assert losses[-1] < 0.9 * losses[0] and losses[0] == pytest.approx(V, rel=0.05)   # from uniform guessing
    val = run['val_losses']
    assert len(val) == 10
    lr, expected = 1, []
    for epoch in range(1, 11):
        expected += [lr] * 7
        if epoch >= 3 and val[epoch - 2] - val[epoch - 1] < 1:
            lr = lr * 0.5
        expected += [lr]                  # decayed at the epoch's last step, after its validation
    assert run['lrs'] == expected and min(expected) < 1
    assert [s.rsplit('/', 1)[1][:17] for s in run['saved']] == ['lm_char_epoch%d.00' % e for e in (2, 4, 6, 8)] + [
        'lm_char_epoch10.0']
    assert run['test_perp'] == pytest.approx(np_perplexity(run, 2), rel=1e-10)
    count, total = run['token_perp'].numpy().T
    assert count.sum() == 13 and np.exp(total.sum() / 13) == pytest.approx(run['test_perp'], rel=1e-12)

    results = evaluate(['-model', run['saved'][-1], '-savefile', str(tmp_path / 'results.t7')])
    assert results['perp'] == run['test_perp']
    assert lg.load(str(tmp_path / 'results.t7'))['token_count'].sum() == 13


def test_feval_gradient_matches_finite_differences(data_dir, tmp_path):
    """main.lua's feval: the clones' forward over seq_length steps, the backward through time with the state
    gradients handed from step t to t - 1; with lr 1 and no renormalisation the step it takes is minus the
    gradient of the summed NLL of the steps (the Lua divides the loss it reports by seq_length, never the
    gradient), which finite differences check (the zero-pad character row aside: main.lua zeroes it after
    each step)."""
    run = run_main(data_dir, tmp_path, '-max_epochs', '0', '-dropout', '0', '-max_grad_norm', '1e9',
                   '-rnn_size', '4', '-feature_maps', '{2,3}', '-highway_layers', '1')
    params, loader, clones = run['params'], run['loader'], run['clones']
    before = params.clone()
    loader.reset_batch_pointer(0)
    run['feval'](params)
    step = (params - before).numpy()
    params.copy(before)

    def loss():
        state = [lg.zeros(2, 4) for _ in range(4)]
        x, y, x_char = loader.all_batches[0][0][0], loader.all_batches[0][1][0], loader.all_batches[0][2][0]
        total = 0
        for t in range(3):
            lst = clones['rnn'][t].forward([x_char[:, t]] + state)
            state = lst[:4]
            total += clones['criterion'][t].forward(lst[-1], y[:, t])
        return total

    pad = run['protos']['rnn'].findModules('nn.LookupTable')[0][0].weight.storageOffset()
    candidates = np.setdiff1d(np.arange(params.nElement()), np.arange(pad, pad + 3))
    pick = np.random.RandomState(0).choice(candidates, 40, replace=False)
    from tests.checks import central_difference
    flat = params.numpy()
    numeric = [central_difference(loss, flat, j) for j in pick]
    np.testing.assert_allclose(-step[pick], numeric, rtol=1e-6, atol=1e-9)
    assert np.abs(numeric).max() > 1e-3


def test_main_hierarchical_softmax(data_dir, tmp_path):
    """main.lua with -hsm -1: round(sqrt(|V|)) clusters filled in a random order (4, 4 and 3 of the 11
    words), HLogSoftMax as the criterion with its own parameters (renormalised with the model's), dropout
    0.5; the loss falls, and evaluate.lua reloads the registered criterion and recomputes the perplexity."""
    run = run_main(data_dir, tmp_path, '-max_epochs', '6', '-dropout', '0.5', '-hsm', '-1', '-num_layers', '1',
                   '-highway_layers', '1', '-learning_rate', '0.5', '-save_every', '6')
    mapping = run['mapping'].numpy()
    assert sorted(np.bincount(mapping[:, 0])) == [3, 4, 4]
    for cluster in range(3):
        assert sorted(mapping[mapping[:, 0] == cluster, 1]) == list(range((mapping[:, 0] == cluster).sum()))
    crit = run['protos']['criterion']
    assert run['hsm_params'].nElement() == (8 * 3 + 3) + 3 * 4 + 3 * 8 * 4
    V, C = len(run['loader'].idx2word), len(run['loader'].idx2char)
    assert run['params'].nElement() == lstmtdnn_count(V, C, 3, [3, 4], [1, 2], 8, 1, 1) - (8 * V + V)
    assert crit.class_bias.weight.numpy()[np.bincount(mapping[:, 0]) == 3][0, 3] == -math.inf
    losses = np.array([run['train_losses'][i] for i in range(1, 49)]).reshape(6, 8).mean(1)
    assert losses[-1] < 0.9 * losses[0]
    results = evaluate(['-model', run['saved'][-1], '-savefile', str(tmp_path / 'results.t7')])
    assert results['perp'] == pytest.approx(run['test_perp'], rel=1e-12)


@pytest.mark.gpu
def test_main_and_evaluate_on_the_gpu(data_dir, tmp_path):
    """-gpuid 0 -cudnn 1: the batches shipped as x:float():cuda(), the model, states and flat parameters CUDA
    tensors, the clones too (deserialize keeps the device), the TDNN on cudnn's convolution; after an epoch
    the test perplexity is the NumPy forward's, and evaluate.lua reloads the CUDA checkpoint and gives it
    again."""
    lg.setdefaulttensortype('torch.FloatTensor')     # the Lua's :cuda() gives cutorch's float CudaTensor
    run = run_main(data_dir, tmp_path, '-max_epochs', '1', '-dropout', '0', '-gpuid', '0', '-cudnn', '1',
                   '-save_every', '1')
    assert run['params'].type() == 'torch.CudaTensor'
    assert run['clones']['rnn'][2].parameters()[0][0].type() == 'torch.CudaTensor'
    assert modules_of(run['protos']['rnn'].findModules('nn.gModule')[0][1], 'cudnn.SpatialConvolution')
    assert len(run['train_losses']) == 8 and all(np.isfinite(list(run['train_losses'].values())))
    run['protos']['rnn'].double()       # the NumPy forward reads the trained weights
    assert run['test_perp'] == pytest.approx(np_perplexity(run, 2), rel=1e-4)
    results = evaluate(['-model', run['saved'][-1], '-savefile', str(tmp_path / 'results.t7'), '-gpuid', '0'])
    assert results['perp'] == pytest.approx(run['test_perp'], rel=1e-6)
