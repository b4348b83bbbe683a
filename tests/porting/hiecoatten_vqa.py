"""jiasenlu/HieCoAttenVQA ported line by line (the test file is tests/porting/test_hiecoatten_vqa.py):
misc/utils.lua (getopt, read_json, write_json, count_key: the functions train.lua and the loader call), misc/LookupTableMaskZero.lua (all),
misc/maskSoftmax.lua (all: its THNN calls), misc/LanguageEmbedding.lua (LE and the cudnn conv, lines 1-46),
misc/LSTM.lua (all), misc/attention.lua (parallel_atten, alternating_atten, fuse, recursive_atten: all),
misc/word_level.lua, misc/phrase_level.lua, misc/ques_level.lua, misc/recursive_atten.lua (all),
misc/optim_updates.lua's rmsprop (lines 43-56), misc/DataLoaderDisk.lua (all: h5 questions, per-image
``partial`` reads), and train.lua's model building, ``lossFun``, ``eval_split``, the rmsprop steps and the
checkpoint (lines 86-325), and prepro/prepro_img_vgg.lua (lines 35-140: VGG-19 cut after its 37th module, 448 x 448
images, the (N, 14, 14, 512) features to h5).

The edits beyond the syntax: word ids are 0-based with -1 as padding (the DataLoader's file is written so here,
docs/porting.md's LookupTableMaskZero row), so word_level's ``torch.eq(seq, 0)`` is ``lg.eq(seq, -1)``;
word_level's ``torch.CudaByteTensor()`` mask is the ByteTensor of the device the test runs on (``MaskTensor``:
the Lua always uses CUDA, cudnn being required); the ``__input`` field LookupTableMaskZero.lua tests for nil is
set to None in ``__init__``, as ques_level's ``cores`` (Python reads a field never set as an AttributeError). The 196 image regions, the 512
widths alternating_atten and word_level fix, and recursive_atten's (512, 512, 1024, 1000) are the Lua's.
"""
import legonn as lg
from legonn import cjson, cudnn, hdf5, image, loadcaffe, nn, xlua

MaskTensor = lg.ByteTensor     # word_level.lua's torch.CudaByteTensor; the GPU test sets lg.CudaByteTensor


# ---- misc/utils.lua ---------------------------------------------------------------------------------------
def getopt(opt, key, default_value=None):
    if default_value is None and (opt is None or opt.get(key) is None):
        raise ValueError('error: required key ' + key + ' was not provided in an opt.')
    if opt is None:
        return default_value
    v = opt.get(key)
    if v is None:
        v = default_value
    return v


def read_json(path):
    with open(path) as file:
        text = file.read()
    return cjson.decode(text)


def write_json(path, j):
    text = cjson.encode(j)
    with open(path, 'w') as file:
        file.write(text)


def count_key(t):
    count = 1
    for i, w in t.items():
        count = count + 1
    return count


# ---- misc/LookupTableMaskZero.lua --------------------------------------------------------------------------
class LookupTableMaskZero(nn.LookupTable):
    def __init__(self, nIndex, nOutput):
        super().__init__(nIndex + 1, nOutput)
        self.__input = None

    def updateOutput(self, input):
        self.weight[0].zero()
        if self.__input is not None and (lg.type(self.__input) != lg.type(input)):
            self.__input = None   # fixes old casting bug
        self.__input = self.__input if self.__input is not None else input.new()
        self.__input.resizeAs(input).add(input, 1)
        return super().updateOutput(self.__input)

    def accGradParameters(self, input, gradOutput, scale=1):
        super().accGradParameters(self.__input, gradOutput, scale)

    def type(self, type=None, cache=None):
        if type is not None:
            self.__input = None
        return super().type(type, cache)


# ---- misc/maskSoftmax.lua ----------------------------------------------------------------------------------
class maskSoftMax(nn.Module):
    def updateOutput(self, input):
        data = input[0]
        mask = input[1]
        if mask.type() == 'torch.CudaTensor':
            mask = mask.cudaByte()

        data.maskedFill(mask, -9999999)
        if mask.type() == 'torch.CudaByteTensor':
            mask = mask.cuda()
        data.THNN.SoftMax_updateOutput(
            data.cdata(),
            self.output.cdata()
        )
        return self.output

    def updateGradInput(self, input, gradOutput):
        data = input[0]
        mask = input[1]
        if mask.type() == 'torch.CudaTensor':
            mask = mask.cudaByte()

        data.maskedFill(mask, -9999999)
        if mask.type() == 'torch.CudaByteTensor':
            mask = mask.cuda()

        data.THNN.SoftMax_updateGradInput(
            data.cdata(),
            gradOutput.cdata(),
            self.gradInput.cdata(),
            self.output.cdata()
        )
        if getattr(self, 'dummy_out', None) is None:
            self.dummy_out = mask.clone()
        self.dummy_out.resizeAs(mask).zero()
        return [self.gradInput, self.dummy_out]


# ---- misc/LanguageEmbedding.lua ----------------------------------------------------------------------------
class LanguageEmbedding:
    @staticmethod
    def LE(vocab_size, embedding_size, conv_size, seq_length):
        inputs = []
        outputs = []
        inputs.append(nn.Identity()())
        seq = inputs[0]
        embed = nn.Dropout(0.5)(nn.Tanh()(LookupTableMaskZero(vocab_size, embedding_size)(seq)))
        outputs.append(embed)
        return nn.gModule(inputs, outputs)

    @staticmethod
    def conv(conv_size, embedding_size, seq_length):
        inputs = []
        outputs = []
        inputs.append(nn.Identity()())
        embed = inputs[0]

        unigram = cudnn.TemporalConvolution(embedding_size, conv_size, 1, 1, 0)(embed)
        bigram = cudnn.TemporalConvolution(embedding_size, conv_size, 2, 1, 1)(embed)
        trigram = cudnn.TemporalConvolution(embedding_size, conv_size, 3, 1, 1)(embed)

        bigram = nn.Narrow(1, 0, seq_length)(bigram)

        unigram_dim = nn.View(-1, seq_length, conv_size, 1)(unigram)
        bigram_dim = nn.View(-1, seq_length, conv_size, 1)(bigram)
        trigram_dim = nn.View(-1, seq_length, conv_size, 1)(trigram)

        feat = nn.JoinTable(3)([unigram_dim, bigram_dim, trigram_dim])
        max_feat = nn.Dropout(0.5)(nn.Tanh()(nn.Max(2, 3)(feat)))
        outputs.append(max_feat)
        return nn.gModule(inputs, outputs)


# ---- misc/LSTM.lua -----------------------------------------------------------------------------------------
class LSTM:
    @staticmethod
    def lstm(input_size, rnn_size, n, dropout=None):
        dropout = dropout if dropout is not None else 0.5

        # there will be 2*n+1 inputs
        inputs = []
        inputs.append(nn.Identity()())    # indices giving the sequence of symbols
        for L in range(1, n + 1):
            inputs.append(nn.Identity()())   # prev_c[L]
            inputs.append(nn.Identity()())   # prev_h[L]

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
        top_h = nn.Identity()(outputs[len(outputs) - 1])
        if dropout > 0:
            top_h = nn.Dropout(dropout)(top_h).annotate({'name': 'drop_final'})
        outputs.append(top_h)
        return nn.gModule(inputs, outputs)


# ---- misc/attention.lua ------------------------------------------------------------------------------------
class attention:
    @staticmethod
    def parallel_atten(input_size_ques, input_size_img, embedding_size, ques_seq_size, img_seq_size):
        inputs = []
        outputs = []
        inputs.append(nn.Identity()())
        inputs.append(nn.Identity()())
        inputs.append(nn.Identity()())

        ques_feat = inputs[0]
        img_feat = inputs[1]
        mask = inputs[2]

        img_corr_dim = nn.Linear(input_size_img, input_size_ques)(nn.View(input_size_img).setNumInputDims(2)(img_feat))
        img_corr = nn.View(img_seq_size, embedding_size).setNumInputDims(2)(img_corr_dim)

        weight_matrix = nn.Tanh()(nn.MM(False, True)([ques_feat, img_corr]))

        ques_embed_dim = nn.Linear(input_size_ques, embedding_size)(nn.View(input_size_ques).setNumInputDims(2)(ques_feat))
        ques_embed = nn.View(ques_seq_size, embedding_size).setNumInputDims(2)(ques_embed_dim)

        img_embed_dim = nn.Linear(input_size_img, input_size_ques)(nn.View(input_size_img).setNumInputDims(2)(img_feat))
        img_embed = nn.View(img_seq_size, embedding_size).setNumInputDims(2)(img_embed_dim)

        transform_img = nn.MM(False, False)([weight_matrix, img_embed])
        ques_atten_sum = nn.Dropout(0.5)(nn.Tanh()(nn.CAddTable()([transform_img, ques_embed])))
        ques_atten_embedding = nn.Linear(embedding_size, 1)(nn.View(embedding_size).setNumInputDims(2)(ques_atten_sum))
        ques_atten = maskSoftMax()([nn.View(ques_seq_size).setNumInputDims(2)(ques_atten_embedding), mask])

        transform_ques = nn.MM(True, False)([weight_matrix, ques_embed])
        img_atten_sum = nn.Dropout(0.5)(nn.Tanh()(nn.CAddTable()([transform_ques, img_embed])))
        img_atten_embedding = nn.Linear(embedding_size, 1)(nn.View(embedding_size).setNumInputDims(2)(img_atten_sum))
        img_atten = nn.SoftMax()(nn.View(img_seq_size).setNumInputDims(2)(img_atten_embedding))

        ques_atten_dim = nn.View(1, -1).setNumInputDims(1)(ques_atten)
        img_atten_dim = nn.View(1, -1).setNumInputDims(1)(img_atten)

        ques_atten_feat = nn.MM(False, False)([ques_atten_dim, ques_feat])
        ques_atten_feat = nn.View(input_size_ques).setNumInputDims(2)(ques_atten_feat)

        img_atten_feat = nn.MM(False, False)([img_atten_dim, img_feat])
        img_atten_feat = nn.View(input_size_img).setNumInputDims(2)(img_atten_feat)

        outputs.append(ques_atten_feat)
        outputs.append(img_atten_feat)
        return nn.gModule(inputs, outputs)

    @staticmethod
    def alternating_atten(input_size_ques, input_size_img, embedding_size, ques_seq_size, img_seq_size):
        inputs = []
        outputs = []
        inputs.append(nn.Identity()())
        inputs.append(nn.Identity()())
        inputs.append(nn.Identity()())

        ques_feat = inputs[0]
        img_feat = inputs[1]
        mask = inputs[2]

        ques_embed_dim = nn.Linear(input_size_ques, embedding_size)(nn.View(-1, input_size_ques)(ques_feat))
        ques_embed = nn.View(-1, ques_seq_size, embedding_size)(ques_embed_dim)

        feat = nn.Dropout(0.5)(nn.Tanh()(ques_embed))
        h1 = nn.Linear(embedding_size, 1)(nn.View(-1, embedding_size)(feat))
        P1 = maskSoftMax()([nn.View(-1, ques_seq_size)(h1), mask])
        ques_atten = nn.View(1, -1).setNumInputDims(1)(P1)
        quesAtt1 = nn.MM(False, False)([ques_atten, ques_feat])
        ques_atten_feat_1 = nn.View(-1, input_size_ques)(quesAtt1)

        # img attention
        ques_embed_img = nn.Linear(input_size_ques, embedding_size)(ques_atten_feat_1)

        img_embed_dim = nn.Linear(input_size_img, embedding_size)(nn.View(-1, input_size_img)(img_feat))

        img_embed = nn.View(-1, img_seq_size, embedding_size)(img_embed_dim)

        ques_replicate = nn.Replicate(img_seq_size, 1)(ques_embed_img)

        feat = nn.Dropout(0.5)(nn.Tanh()(nn.CAddTable()([img_embed, ques_replicate])))
        h2 = nn.Linear(embedding_size, 1)(nn.View(-1, embedding_size)(feat))
        P2 = nn.SoftMax()(nn.View(-1, img_seq_size)(h2))
        img_atten = nn.View(1, -1).setNumInputDims(1)(P2)
        visAtt = nn.MM(False, False)([img_atten, img_feat])
        img_atten_feat = nn.View(-1, input_size_img)(visAtt)

        # question attention

        img_embed = nn.Linear(input_size_img, embedding_size)(img_atten_feat)
        img_replicate = nn.Replicate(ques_seq_size, 1)(img_embed)

        ques_embed_dim = nn.Linear(input_size_ques, embedding_size)(nn.View(-1, input_size_ques)(ques_feat))
        ques_embed = nn.View(-1, ques_seq_size, embedding_size)(ques_embed_dim)

        feat = nn.Dropout(0.5)(nn.Tanh()(nn.CAddTable()([ques_embed, img_replicate])))

        h3 = nn.Linear(embedding_size, 1)(nn.View(-1, embedding_size)(feat))
        P3 = maskSoftMax()([nn.View(-1, ques_seq_size)(h3), mask])
        probs3dim = nn.View(1, -1).setNumInputDims(1)(P3)
        quesAtt = nn.MM(False, False)([probs3dim, ques_feat])
        ques_atten_feat = nn.View(-1, 512)(quesAtt)

        # combine image attention feature and language attention feature
        outputs.append(ques_atten_feat)
        outputs.append(img_atten_feat)
        return nn.gModule(inputs, outputs)

    @staticmethod
    def fuse(input_size, ques_seq_size):
        inputs = []
        outputs = []
        inputs.append(nn.Identity()())
        inputs.append(nn.Identity()())

        fore_lstm = inputs[0]
        back_lstm = inputs[1]

        concat_lstm = nn.JoinTable(1)([fore_lstm, back_lstm])

        ques_feat_dim = nn.Linear(input_size * 2, input_size)(nn.View(input_size * 2).setNumInputDims(2)(concat_lstm))
        ques_feat = nn.Dropout(0.5)(nn.View(ques_seq_size, input_size).setNumInputDims(2)(ques_feat_dim))

        outputs.append(ques_feat)
        return nn.gModule(inputs, outputs)

    @staticmethod
    def recursive_atten(input_size, embedding_size, last_embed_size, output_size):
        inputs = []
        outputs = []
        for _ in range(6):
            inputs.append(nn.Identity()())

        embed_ques = inputs[0]
        embed_img = inputs[1]
        conv_ques = inputs[2]
        conv_img = inputs[3]
        lstm_ques = inputs[4]
        lstm_img = inputs[5]

        feat1 = nn.Dropout(0.5)(nn.CAddTable()([embed_ques, embed_img]))
        hidden1 = nn.Tanh()(nn.Linear(input_size, embedding_size)(feat1))
        feat2 = nn.Dropout(0.5)(nn.JoinTable(1)([nn.CAddTable()([conv_ques, conv_img]), hidden1]))
        hidden2 = nn.Tanh()(nn.Linear(embedding_size + input_size, embedding_size)(feat2))
        feat3 = nn.Dropout(0.5)(nn.JoinTable(1)([nn.CAddTable()([lstm_ques, lstm_img]), hidden2]))
        hidden3 = nn.Tanh()(nn.Linear(embedding_size + input_size, last_embed_size)(feat3))
        outfeat = nn.Linear(last_embed_size, output_size)(nn.Dropout(0.5)(hidden3))

        outputs.append(outfeat)
        return nn.gModule(inputs, outputs)


# ---- misc/word_level.lua -----------------------------------------------------------------------------------
class word_level(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.vocab_size = getopt(opt, 'vocab_size')   # required
        self.hidden_size = getopt(opt, 'hidden_size')
        dropout = getopt(opt, 'dropout', 0)
        self.seq_length = getopt(opt, 'seq_length')
        self.atten_type = getopt(opt, 'atten_type')
        self.feature_type = getopt(opt, 'feature_type')
        self.LE = LanguageEmbedding.LE(self.vocab_size, self.hidden_size, self.hidden_size, self.seq_length)

        if self.atten_type == 'Alternating':
            self.atten = attention.alternating_atten(self.hidden_size, self.hidden_size, self.hidden_size,
                                                     self.seq_length, 196)
        elif self.atten_type == 'Parallel':
            self.atten = attention.parallel_atten(self.hidden_size, self.hidden_size, self.hidden_size,
                                                  self.seq_length, 196)
        else:
            raise ValueError('Must provide an valid attention type.')

        if self.feature_type == 'VGG':
            self.cnn = nn.Sequential() \
                .add(nn.View(512).setNumInputDims(2)) \
                .add(nn.Linear(512, self.hidden_size)) \
                .add(nn.View(-1, 196, self.hidden_size)) \
                .add(nn.Tanh()) \
                .add(nn.Dropout(0.5))
        elif self.feature_type == 'Residual':
            self.cnn = nn.Sequential() \
                .add(nn.View(2048).setNumInputDims(2)) \
                .add(nn.Linear(2048, self.hidden_size)) \
                .add(nn.View(-1, 196, self.hidden_size)) \
                .add(nn.Tanh()) \
                .add(nn.Dropout(0.5))

    def getModulesList(self):
        return [self.LE, self.atten, self.cnn]

    def parameters(self):
        p1, g1 = self.cnn.parameters()
        p2, g2 = self.LE.parameters()
        p3, g3 = self.atten.parameters()

        params = []
        for v in p1: params.append(v)
        for v in p2: params.append(v)
        for v in p3: params.append(v)

        grad_params = []
        for v in g1: grad_params.append(v)
        for v in g2: grad_params.append(v)
        for v in g3: grad_params.append(v)
        return params, grad_params

    def training(self):
        self.LE.training()
        self.atten.training()
        self.cnn.training()

    def evaluate(self):
        self.atten.evaluate()
        self.LE.evaluate()
        self.cnn.evaluate()

    def updateOutput(self, input):
        seq = input[0]
        img = input[1]

        batch_size = seq.size(0)
        if getattr(self, 'mask', None) is None:
            self.mask = MaskTensor()
        self.mask.resize(seq.size()).zero()
        self.mask[lg.eq(seq, -1)] = 1

        self.img_feat = self.cnn.forward(img)

        self.embed_output = self.LE.forward(seq)
        w_embed_ques, w_embed_img, *_ = self.atten.forward([self.embed_output, self.img_feat, self.mask])

        return [self.embed_output, self.img_feat, w_embed_ques, w_embed_img, self.mask]

    def updateGradInput(self, input, gradOutput):
        seq = input[0]
        img = input[1]

        batch_size = seq.size(0)

        d_embed_ques, d_embed_img, *_ = self.atten.backward([self.embed_output, self.img_feat, self.mask],
                                                            [gradOutput[1], gradOutput[2]])

        d_embed_ques.add(gradOutput[0])

        dummy = self.LE.backward(seq, d_embed_ques)

        d_embed_img.add(gradOutput[3])
        d_embed_img.add(gradOutput[4])
        d_imgfeat = self.cnn.backward(img, d_embed_img)
        self.gradInput = d_imgfeat
        return self.gradInput


# ---- misc/phrase_level.lua ---------------------------------------------------------------------------------
class phrase_level(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.vocab_size = getopt(opt, 'vocab_size')   # required
        self.hidden_size = getopt(opt, 'hidden_size')
        dropout = getopt(opt, 'dropout', 0)

        self.seq_length = getopt(opt, 'seq_length')
        self.atten_type = getopt(opt, 'atten_type')
        self.feature_type = getopt(opt, 'feature_type')

        self.conv = LanguageEmbedding.conv(self.hidden_size, self.hidden_size, self.seq_length)

        if self.atten_type == 'Alternating':
            self.atten = attention.alternating_atten(self.hidden_size, self.hidden_size, self.hidden_size,
                                                     self.seq_length, 196)
        elif self.atten_type == 'Parallel':
            self.atten = attention.parallel_atten(self.hidden_size, self.hidden_size, self.hidden_size,
                                                  self.seq_length, 196)
        else:
            raise ValueError('Must provide an valid attention type.')

    def getModulesList(self):
        return [self.conv, self.atten]

    def parameters(self):
        # we only have two internal modules, return their params
        p1, g1 = self.conv.parameters()
        p3, g3 = self.atten.parameters()

        params = []
        for v in p1: params.append(v)
        for v in p3: params.append(v)

        grad_params = []
        for v in g1: grad_params.append(v)
        for v in g3: grad_params.append(v)
        return params, grad_params

    def training(self):
        self.atten.training()
        self.conv.training()

    def evaluate(self):
        self.atten.evaluate()
        self.conv.evaluate()

    def updateOutput(self, input):
        ques = input[0]
        seq_len = input[1]
        img = input[2]
        self.mask = input[3]

        self.conv_out = self.conv.forward(ques)
        w_conv_ques, w_conv_img, *_ = self.atten.forward([self.conv_out, img, self.mask])

        return [self.conv_out, w_conv_ques, w_conv_img]

    def updateGradInput(self, input, gradOutput):
        ques = input[0]
        seq_len = input[1]
        img = input[2]

        batch_size = ques.size(0)

        d_core_output, d_imgfeat, *_ = self.atten.backward([self.conv_out, img, self.mask],
                                                           [gradOutput[1], gradOutput[2]])

        d_core_output.add(gradOutput[0])

        d_embedding = self.conv.backward(ques, d_core_output)

        self.gradInput = [d_embedding, d_imgfeat]
        return self.gradInput


# ---- misc/ques_level.lua -----------------------------------------------------------------------------------
class ques_level(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.rnn_size = getopt(opt, 'rnn_size')
        self.num_layers = getopt(opt, 'num_layers', 1)
        dropout = getopt(opt, 'dropout', 0)
        self.hidden_size = getopt(opt, 'hidden_size')
        self.seq_length = getopt(opt, 'seq_length')
        self.atten_type = getopt(opt, 'atten_type')

        self.core = LSTM.lstm(self.rnn_size, self.rnn_size, self.num_layers, dropout)

        if self.atten_type == 'Alternating':
            self.atten = attention.alternating_atten(self.hidden_size, self.hidden_size, self.hidden_size,
                                                     self.seq_length, 196)
        elif self.atten_type == 'Parallel':
            self.atten = attention.parallel_atten(self.hidden_size, self.hidden_size, self.hidden_size,
                                                  self.seq_length, 196)
        else:
            raise ValueError('Must provide an valid attention type.')
        self.cores = None
        self._createInitState(1)
        self.mask = lg.Tensor()
        self.core_output = lg.Tensor()

    def _createInitState(self, batch_size):
        assert batch_size is not None, 'batch size must be provided'
        # construct the initial state for the LSTM
        if getattr(self, 'init_state', None) is None:
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
        print('constructing clones inside the ques_level')
        self.cores = [self.core]
        for t in range(self.seq_length):
            if t < len(self.cores):
                self.cores[t] = self.core.clone('weight', 'bias', 'gradWeight', 'gradBias')
            else:
                self.cores.append(self.core.clone('weight', 'bias', 'gradWeight', 'gradBias'))

    def shareClones(self):
        if self.cores is None:
            self.createClones()
            return
        print('resharing clones inside the ques_level')
        self.cores[0] = self.core
        for t in range(self.seq_length):
            self.cores[t].share(self.core, 'weight', 'bias', 'gradWeight', 'gradBias')

    def getModulesList(self):
        return [self.core, self.atten]

    def parameters(self):
        # we only have two internal modules, return their params
        p1, g1 = self.core.parameters()
        p3, g3 = self.atten.parameters()

        params = []
        for v in p1: params.append(v)
        for v in p3: params.append(v)

        grad_params = []
        for v in g1: grad_params.append(v)
        for v in g3: grad_params.append(v)
        return params, grad_params

    def training(self):
        if self.cores is None:
            self.createClones()   # create these lazily if needed
        for v in self.cores:
            v.training()
        self.atten.training()

    def evaluate(self):
        if self.cores is None:
            self.createClones()   # create these lazily if needed
        for v in self.cores:
            v.evaluate()
        self.atten.evaluate()

    def updateOutput(self, input):
        ques = input[0]
        seq_len = input[1]
        img = input[2]
        self.mask = input[3]

        if self.cores is None:
            self.createClones()   # lazily create clones on first forward pass
        batch_size = ques.size(0)
        self.tmax = int(lg.max(seq_len))
        self.tmin = int(lg.min(seq_len))

        self._createInitState(batch_size)
        self.fore_state = {0: self.init_state}
        self.fore_inputs = {}
        self.core_output.resize(batch_size, self.seq_length, self.rnn_size).zero()

        for t in range(1, self.tmax + 1):
            self.fore_inputs[t] = [ques.narrow(1, t - 1, 1).contiguous().view(-1, self.rnn_size),
                                   *self.fore_state[t - 1]]
            out = self.cores[t - 1].forward(self.fore_inputs[t])
            if t > self.tmin:
                for i in range(self.num_state + 1):
                    out[i].maskedFill(self.mask.narrow(1, t - 1, 1).contiguous().view(batch_size, 1)
                                      .expandAs(out[i]), 0)
            self.fore_state[t] = []   # the rest is state
            for i in range(self.num_state):
                self.fore_state[t].append(out[i])

            self.core_output.narrow(1, t - 1, 1).copy(out[self.num_state])

        w_lstm_ques, w_lstm_img, *_ = self.atten.forward([self.core_output, img, self.mask])

        return [w_lstm_ques, w_lstm_img]

    def updateGradInput(self, input, gradOutput):
        ques = input[0]
        seq_len = input[1]
        img = input[2]

        batch_size = ques.size(0)

        d_core_output, d_imgfeat, *_ = self.atten.backward([self.core_output, img, self.mask], gradOutput)

        # go backwards and lets compute gradients
        d_core_state = {self.tmax: self.init_state}   # initial dstates
        d_embed_core = self.core_output.new()
        d_embed_core.resize(batch_size, self.seq_length, self.rnn_size).zero()

        for t in range(self.tmax, 0, -1):
            # concat state gradients and output vector gradients at time step t
            dout = []
            for k in range(len(d_core_state[t])):
                dout.append(d_core_state[t][k])
            dout.append(d_core_output.narrow(1, t - 1, 1).contiguous().view(-1, self.hidden_size))
            dinputs = self.cores[t - 1].backward(self.fore_inputs[t], dout)

            if t > self.tmin:
                for k in range(self.num_state + 1):
                    dinputs[k].maskedFill(self.mask.narrow(1, t - 1, 1).contiguous().view(batch_size, 1)
                                          .expandAs(dinputs[k]), 0)
            d_core_state[t - 1] = []   # copy over rest to state grad
            for k in range(1, self.num_state + 1):
                d_core_state[t - 1].append(dinputs[k])
            d_embed_core.narrow(1, t - 1, 1).copy(dinputs[0])
        self.gradInput = [d_embed_core, d_imgfeat]
        return self.gradInput


# ---- misc/recursive_atten.lua ------------------------------------------------------------------------------
class recursive_atten(nn.Module):
    def __init__(self, opt=None):
        super().__init__()
        self.atten_encode = attention.recursive_atten(512, 512, 1024, 1000)

    def getModulesList(self):
        return [self.atten_encode]

    def parameters(self):
        p1, g1 = self.atten_encode.parameters()
        params = []
        for v in p1: params.append(v)
        grad_params = []
        for v in g1: grad_params.append(v)
        return params, grad_params

    def training(self):
        self.atten_encode.training()

    def evaluate(self):
        self.atten_encode.evaluate()

    def updateOutput(self, input):
        out_feat = self.atten_encode.forward(input)
        return out_feat

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.atten_encode.backward(input, gradOutput)
        return self.gradInput


# ---- misc/optim_updates.lua --------------------------------------------------------------------------------
def rmsprop(x, dx, lr, alpha, epsilon, state):
    if state.get('m') is None:
        state['m'] = x.new(x.size()).zero()
        state['tmp'] = x.new(x.size())
    # calculate new (leaky) mean squared values
    state['m'].mul(alpha)
    state['m'].addcmul(1.0 - alpha, dx, dx)
    # perform update
    state['tmp'].sqrt(state['m']).add(epsilon)
    x.addcdiv(-lr, dx, state['tmp'])


# ---- misc/DataLoaderDisk.lua -------------------------------------------------------------------------------
class DataLoader:
    typename = 'DataLoader'

    def __init__(self, opt):
        self.h5_img_file_train = None
        self.h5_img_file_test = None
        if opt.get('h5_img_file_train') is not None:
            print('DataLoader loading h5 image file: ', opt['h5_img_file_train'])
            self.h5_img_file_train = hdf5.open(opt['h5_img_file_train'], 'r')

        if opt.get('h5_img_file_train') is not None:
            print('DataLoader loading h5 image file: ', opt['h5_img_file_test'])
            self.h5_img_file_test = hdf5.open(opt['h5_img_file_test'], 'r')

        print('DataLoader loading h5 question file: ', opt['h5_ques_file'])
        h5_file = hdf5.open(opt['h5_ques_file'], 'r')
        self.ques_train = h5_file.read('/ques_train').all()
        self.ques_len_train = h5_file.read('/ques_len_train').all()
        self.img_pos_train = h5_file.read('/img_pos_train').all()
        self.ques_id_train = h5_file.read('/ques_id_train').all()
        self.answer = h5_file.read('/answers').all()
        self.split_train = h5_file.read('/split_train').all()

        self.ques_test = h5_file.read('/ques_test').all()
        self.ques_len_test = h5_file.read('/ques_len_test').all()
        self.img_pos_test = h5_file.read('/img_pos_test').all()
        self.ques_id_test = h5_file.read('/ques_id_test').all()
        self.split_test = h5_file.read('/split_test').all()
        self.ans_test = h5_file.read('/ans_test').all()

        h5_file.close()

        print('DataLoader loading json file: ', opt['json_file'])
        json_file = read_json(opt['json_file'])
        self.ix_to_word = json_file['ix_to_word']
        self.ix_to_ans = json_file['ix_to_ans']
        self.feature_type = opt['feature_type']
        self.seq_length = self.ques_train.size(1)

        # count the vocabulary key!
        self.vocab_size = count_key(self.ix_to_word)

        # Let's get the split for train and val and test.
        self.split_ix = {}
        self.iterators = {}

        for i in range(self.split_train.size(0)):
            idx = int(self.split_train[i])
            if idx not in self.split_ix:
                self.split_ix[idx] = []
                self.iterators[idx] = 0
            self.split_ix[idx].append(i)

        for i in range(self.split_test.size(0)):
            idx = int(self.split_test[i])
            if idx not in self.split_ix:
                self.split_ix[idx] = []
                self.iterators[idx] = 0
            self.split_ix[idx].append(i)

        for k, v in self.split_ix.items():
            print('assigned %d images to split %s' % (len(v), k))

    def resetIterator(self, split):
        self.iterators[split] = 0

    def getVocabSize(self):
        return self.vocab_size

    def getSeqLength(self):
        return self.seq_length

    def getDataNum(self, split):
        return len(self.split_ix[split])

    def getBatch(self, opt):
        split = getopt(opt, 'split')   # lets require that user passes this in, for safety
        batch_size = getopt(opt, 'batch_size', 128)

        split_ix = self.split_ix.get(split)
        assert split_ix, 'split ' + str(split) + ' not found.'

        max_index = len(split_ix)
        ques_idx = lg.LongTensor(batch_size).fill(0)
        img_idx = lg.LongTensor(batch_size).fill(0)

        if self.feature_type == 'VGG':
            self.img_batch = lg.Tensor(batch_size, 14, 14, 512)
        elif self.feature_type == 'Residual':
            self.img_batch = lg.Tensor(batch_size, 14, 14, 2048)

        for i in range(batch_size):
            ri = self.iterators[split]   # get next index from iterator
            ri_next = ri + 1   # increment iterator
            if ri_next > max_index - 1:
                ri_next = 0
            self.iterators[split] = ri_next
            if split == 0:
                ix = split_ix[lg.random(max_index)]
            else:
                ix = split_ix[ri]
            assert ix is not None, 'bug: split ' + str(split) + ' was accessed out of bounds with ' + str(ri)
            ques_idx[i] = ix
            if split == 0 or split == 1:
                img_idx[i] = self.img_pos_train[ix]
                if self.h5_img_file_train is not None:
                    if self.feature_type == 'VGG':
                        img = self.h5_img_file_train.read('/images_train').partial(
                            [int(img_idx[i]), int(img_idx[i])], [0, 13], [0, 13], [0, 511])
                        self.img_batch[i] = img
                    elif self.feature_type == 'Residual':
                        img = self.h5_img_file_train.read('/images_train').partial(
                            [int(img_idx[i]), int(img_idx[i])], [0, 13], [0, 13], [0, 2047])
                        self.img_batch[i] = img
                    else:
                        raise ValueError('feature type error')
            else:
                img_idx[i] = self.img_pos_test[ix]
                if self.h5_img_file_test is not None:
                    if self.feature_type == 'VGG':
                        img = self.h5_img_file_test.read('/images_test').partial(
                            [int(img_idx[i]), int(img_idx[i])], [0, 13], [0, 13], [0, 511])
                        self.img_batch[i] = img
                    elif self.feature_type == 'Residual':
                        img = self.h5_img_file_test.read('/images_test').partial(
                            [int(img_idx[i]), int(img_idx[i])], [0, 13], [0, 13], [0, 2047])
                        self.img_batch[i] = img
                    else:
                        raise ValueError('feature type error')

        data = {}
        # fetch the question and image features.
        if split == 0 or split == 1:
            data['images'] = self.img_batch.view(batch_size, 196, -1).contiguous()
            data['questions'] = self.ques_train.index(0, ques_idx)
            data['ques_id'] = self.ques_id_train.index(0, ques_idx)
            data['ques_len'] = self.ques_len_train.index(0, ques_idx)
            data['answer'] = self.answer.index(0, ques_idx)
        else:
            data['images'] = self.img_batch.view(batch_size, 196, -1).contiguous()
            data['questions'] = self.ques_test.index(0, ques_idx)
            data['ques_id'] = self.ques_id_test.index(0, ques_idx)
            data['ques_len'] = self.ques_len_test.index(0, ques_idx)
            data['answer'] = self.ans_test.index(0, ques_idx)
        return data


# ---- prepro/prepro_img_vgg.lua -----------------------------------------------------------------------------
def prepro_img_vgg(opt):
    """The script from line 35: the Caffe net's modules 38 to 46 removed, images scaled to 448 and made BGR minus
    VGG's means, module 37's (N, 512, 14, 14) output permuted to (N, 14, 14, 512) into each split's h5 file."""
    net = loadcaffe.load(opt['cnn_proto'], opt['cnn_model'], opt['backend'])
    for i in range(46, 37, -1):
        net.remove(i - 1)
    net.evaluate()
    net = net.cuda() if opt['gpuid'] >= 0 else net
    CudaTensor = lg.CudaTensor if opt['gpuid'] >= 0 else lg.FloatTensor   # the Lua's torch.CudaTensor

    class imloader:
        @staticmethod
        def load(fname):
            imloader.im = image.load(fname)

    def loadim(imname):
        imloader.load(imname)   # the Lua's extra arguments (3, 'float') are dropped by its load(fname)
        im = imloader.im
        im = image.scale(im, 448, 448)
        if im.size(0) == 1:
            im2 = lg.cat(im, im, 0)
            im2 = lg.cat(im2, im, 0)
            im = im2
        elif im.size(0) == 4:
            im = im[0:3, :, :]
        im = im * 255
        im2 = im.clone()
        im2[2:3, :, :] = im[0:1, :, :] - 123.68
        im2[1:2, :, :] = im[1:2, :, :] - 116.779
        im2[0:1, :, :] = im[2:3, :, :] - 103.939
        return im2

    image_root = opt['image_root']
    json_file = read_json(opt['input_json'])
    lists = {'train': [image_root + n for n in json_file['unique_img_train']],
             'test': [image_root + n for n in json_file['uniuqe_img_test']]}   # (sic: prepro_vqa.py's key)
    batch_size = opt['batch_size']
    for split in ('train', 'test'):
        sz = len(lists[split])
        feat = lg.FloatTensor(sz, 14, 14, 512)
        for i in range(1, sz + 1, batch_size):
            xlua.progress(i - 1, sz)
            r = min(sz, i + batch_size - 1)
            ims = CudaTensor(r - i + 1, 3, 448, 448)
            for j in range(1, r - i + 2):
                im = loadim(lists[split][i + j - 2])
                ims[j - 1] = im.cuda() if opt['gpuid'] >= 0 else im
            net.forward(ims)
            feat[i - 1:r] = net.modules[36].output.permute(0, 2, 3, 1).contiguous().float()
        h5_file = hdf5.open(opt['out_name_' + split], 'w')
        h5_file.write('/images_' + split, feat)
        h5_file.close()
    return net
