"""harvardnlp/seq2seq-attn ported line by line, in part: s2sa/models.lua (make_lstm with attention and input
feeding, the word-feature LookupTables, the char-CNN and highway input; make_decoder_attn, make_generator, make_cnn's
nn branch, make_highway), s2sa/data.lua (the ``data`` class over the hdf5 file preprocess.py writes), train.lua
(zero_table, append_table, reset_state, clean_layer, decay_lr, train_batch with the clones over time and the
gradient renorm, eval, the epoch loop with its checkpoints) and s2sa/model_utils.lua's clone_many_times.

s2sa/memory.lua is the file harvardnlp/im2markup copied (src/utils/memory.lua, the same functions): its port is
tests/porting/im2markup.py's reuseMem/setReuse/usePrealloc/setPrealloc, installed on nn.Module by the tests'
fixture (the Lua adds them to nn.Module), and clone_many_times is im2markup's port of the same function.

Edits beyond syntax and 0-based indexing:
- the Lua's globals ``opt``, ``encoder``, ``decoder``, ``generator``, ``criterion``, the protos and the clones
  are this module's globals (train.lua sets them in main()); ``opt`` is a SimpleNamespace so ``opt.rnn_size``
  reads as in the Lua.
- word ids and batch_idx in the hdf5 file are the Lua's, from 1 (preprocess.py: PAD 1, UNK 2, BOS 3, EOS 4):
  data's __init__ adds -1 to them (docs/porting.md's row on a Lua's own data files of word ids), so PAD is 0,
  make_generator's ``w[1] = 0`` is ``w[0] = 0`` and train_batch's ``gradWeight[1]:zero()`` is ``gradWeight[0]``.
- make_highway calls ``f.clone()`` where the Lua calls its one ``f`` in every layer (legonn refuses one module
  on several nodes: docs/porting.md's row on lstm-char-cnn's HighwayMLP.lua, which this function copies).
- the ``[0]`` initial state of rnn_state_enc/dec is key -1 here (the clones run t = 0 .. l - 1).
Not ported: the brnn encoder, guided alignment, the two-GPU split, the adagrad/adadelta/adam steps (sgd only),
shards, the Lua's ``opt.print_every`` timings, and main()'s option parsing (setup() builds what it builds);
checkpoints hold ``opt.__dict__`` (a table in the Lua). s2sa/beam.lua, evaluate.lua and convert_to_cpu.lua are
tests/porting/seq2seq_attn_beam.py. Tests live in tests/porting/test_seq2seq_attn.py."""
import math

import legonn as lg
from legonn import hdf5, nn
from tests.porting.im2markup import clone_many_times

opt = None          # train.lua's global options
layers = None       # {encoder, decoder, generator}


# --- s2sa/models.lua -----------------------------------------------------------------------------------------

def make_lstm(data, opt, model, use_chars):
    assert model == 'enc' or model == 'dec'
    name = '_' + model
    dropout = opt.dropout if opt.dropout is not None else 0
    n = opt.num_layers
    rnn_size = opt.rnn_size
    RnnD = [opt.rnn_size, opt.rnn_size]
    if use_chars == 0:
        input_size = opt.word_vec_size
    else:
        input_size = opt.num_kernels
    offset = 0
    # there will be 2*n+3 inputs
    inputs = []
    inputs.append(nn.Identity()())   # x (batch_size x max_word_l)
    if model == 'dec':
        inputs.append(nn.Identity()())   # all context (batch_size x source_l x rnn_size)
        offset = offset + 1
        if opt.input_feed == 1:
            inputs.append(nn.Identity()())   # prev context_attn (batch_size x rnn_size)
            offset = offset + 1
    else:
        for i in range(data.num_source_features):
            inputs.append(nn.Identity()())   # table of features
            offset = offset + 1
    for L in range(1, n + 1):
        inputs.append(nn.Identity()())   # prev_c[L]
        inputs.append(nn.Identity()())   # prev_h[L]

    outputs = []
    for L in range(1, n + 1):
        nameL = model + '_L' + str(L) + '_'
        # c,h from previous timesteps
        prev_c = inputs[L * 2 + offset - 1]
        prev_h = inputs[L * 2 + 1 + offset - 1]
        # the input to this layer
        if L == 1:
            if use_chars == 0:
                if model == 'enc':
                    word_vecs = nn.LookupTable(data.source_size, input_size)
                else:
                    word_vecs = nn.LookupTable(data.target_size, input_size)
                word_vecs.name = 'word_vecs' + name
                x = word_vecs(inputs[0])   # batch_size x word_vec_size
            else:
                char_vecs = nn.LookupTable(data.char_size, opt.char_vec_size)
                char_vecs.name = 'word_vecs' + name
                charcnn = make_cnn(opt.char_vec_size, opt.kernel_width, opt.num_kernels)
                charcnn.name = 'charcnn' + name
                x = charcnn(char_vecs(inputs[0]))
                if opt.num_highway_layers > 0:
                    mlp = make_highway(input_size, opt.num_highway_layers)
                    mlp.name = 'mlp' + name
                    x = mlp(x)
            if model == 'enc':
                for i in range(data.num_source_features):
                    feat_vecs = nn.LookupTable(data.source_features_size[i], data.source_features_vec_size[i])
                    feat_x = feat_vecs(inputs[1 + i])
                    x = nn.JoinTable(1)([x, feat_x])
            input_size_L = input_size
            if model == 'dec':
                if opt.input_feed == 1:
                    x = nn.JoinTable(1).usePrealloc(
                        'dec_inputfeed_join', [[opt.max_batch_l, opt.word_vec_size], [opt.max_batch_l, opt.rnn_size]]
                    )([x, inputs[offset]])   # batch_size x (word_vec_size + rnn_size)
                    input_size_L = input_size_L + rnn_size
            else:
                input_size_L = input_size_L + data.total_source_features_size
        else:
            x = outputs[(L - 1) * 2 - 1]
            if opt.res_net == 1 and L > 2:
                x = nn.CAddTable()([x, outputs[(L - 2) * 2 - 1]])
            input_size_L = rnn_size
            if opt.multi_attn == L and model == 'dec':
                multi_attn = make_decoder_attn(data, opt, 1)
                multi_attn.name = 'multi_attn' + str(L)
                x = multi_attn([x, inputs[1]])
            if dropout > 0:
                x = nn.Dropout(dropout, None, False).usePrealloc(nameL + 'dropout',
                                                                 [[opt.max_batch_l, input_size_L]])(x)
        # evaluate the input sums at once for efficiency
        i2h = nn.Linear(input_size_L, 4 * rnn_size).usePrealloc(
            nameL + 'i2h-reuse', [[opt.max_batch_l, input_size_L]], [[opt.max_batch_l, 4 * rnn_size]])(x)
        h2h = nn.Linear(rnn_size, 4 * rnn_size, False).usePrealloc(
            nameL + 'h2h-reuse', [[opt.max_batch_l, rnn_size]], [[opt.max_batch_l, 4 * rnn_size]])(prev_h)
        all_input_sums = nn.CAddTable().usePrealloc(
            nameL + 'allinput', [[opt.max_batch_l, 4 * rnn_size], [opt.max_batch_l, 4 * rnn_size]],
            [[opt.max_batch_l, 4 * rnn_size]])([i2h, h2h])

        reshaped = nn.Reshape(4, rnn_size)(all_input_sums)
        n1, n2, n3, n4 = nn.SplitTable(1).usePrealloc(nameL + 'reshapesplit',
                                                      [[opt.max_batch_l, 4, rnn_size]])(reshaped).split(4)
        # decode the gates
        in_gate = nn.Sigmoid().usePrealloc(nameL + 'G1-reuse', [RnnD])(n1)
        forget_gate = nn.Sigmoid().usePrealloc(nameL + 'G2-reuse', [RnnD])(n2)
        out_gate = nn.Sigmoid().usePrealloc(nameL + 'G3-reuse', [RnnD])(n3)
        # decode the write inputs
        in_transform = nn.Tanh().usePrealloc(nameL + 'G4-reuse', [RnnD])(n4)
        # perform the LSTM update
        next_c = nn.CAddTable().usePrealloc(nameL + 'G5a', [RnnD, RnnD])([
            nn.CMulTable().usePrealloc(nameL + 'G5b', [RnnD, RnnD])([forget_gate, prev_c]),
            nn.CMulTable().usePrealloc(nameL + 'G5c', [RnnD, RnnD])([in_gate, in_transform])])
        # gated cells form the output
        next_h = nn.CMulTable().usePrealloc(nameL + 'G5d', [RnnD, RnnD])(
            [out_gate, nn.Tanh().usePrealloc(nameL + 'G6-reuse', [RnnD])(next_c)])

        outputs.append(next_c)
        outputs.append(next_h)
    if model == 'dec':
        top_h = outputs[-1]
        if opt.attn == 1:
            decoder_attn = make_decoder_attn(data, opt)
            decoder_attn.name = 'decoder_attn'
            decoder_out = decoder_attn([top_h, inputs[1]])
        else:
            decoder_out = nn.JoinTable(1)([top_h, inputs[1]])
            decoder_out = nn.Tanh()(nn.Linear(opt.rnn_size * 2, opt.rnn_size, False)(decoder_out))
        if dropout > 0:
            decoder_out = nn.Dropout(dropout, None, False).usePrealloc('dec_dropout', [RnnD])(decoder_out)
        outputs.append(decoder_out)
    return nn.gModule(inputs, outputs)


def make_decoder_attn(data, opt, simple=None):
    # 2D tensor target_t (batch_l x rnn_size) and
    # 3D tensor for context (batch_l x source_l x rnn_size)
    inputs = []
    inputs.append(nn.Identity()())
    inputs.append(nn.Identity()())
    target_t = nn.Linear(opt.rnn_size, opt.rnn_size, False)(inputs[0])
    context = inputs[1]
    simple = simple if simple is not None else 0
    # get attention
    attn = nn.MM().usePrealloc('dec_attn_mm1',
                               [[opt.max_batch_l, opt.max_sent_l_src, opt.rnn_size], [opt.rnn_size, opt.rnn_size, 1]],
                               [[opt.max_batch_l, opt.max_sent_l_src, 1]]
                               )([context, nn.Replicate(1, 2)(target_t)])   # batch_l x source_l x 1
    attn = nn.Sum(2)(attn)
    softmax_attn = nn.SoftMax()
    softmax_attn.name = 'softmax_attn'
    attn = softmax_attn(attn)
    attn = nn.Replicate(1, 1)(attn)   # batch_l x 1 x source_l

    # apply attention to context
    context_combined = nn.MM().usePrealloc(
        'dec_attn_mm2', [[opt.max_batch_l, 1, opt.max_sent_l_src], [opt.max_batch_l, opt.max_sent_l_src, opt.rnn_size]],
        [[opt.max_batch_l, 1, opt.rnn_size]])([attn, context])   # batch_l x 1 x rnn_size
    context_combined = nn.Sum(1).usePrealloc('dec_attn_sum', [[opt.max_batch_l, 1, opt.rnn_size]],
                                             [[opt.max_batch_l, opt.rnn_size]])(context_combined)  # batch_l x rnn_size
    if simple == 0:
        context_combined = nn.JoinTable(1).usePrealloc(
            'dec_attn_jointable', [[opt.max_batch_l, opt.rnn_size], [opt.max_batch_l, opt.rnn_size]]
        )([context_combined, inputs[0]])   # batch_l x rnn_size*2
        context_output = nn.Tanh().usePrealloc('dec_attn_tanh', [[opt.max_batch_l, opt.rnn_size]])(
            nn.Linear(opt.rnn_size * 2, opt.rnn_size, False).usePrealloc(
                'dec_attn_linear', [[opt.max_batch_l, 2 * opt.rnn_size]])(context_combined))
    else:
        context_output = nn.CAddTable().usePrealloc(
            'dec_attn_caddtable1', [[opt.max_batch_l, opt.rnn_size], [opt.max_batch_l, opt.rnn_size]]
        )([context_combined, inputs[0]])
    return nn.gModule(inputs, [context_output])


def make_generator(data, opt):
    model = nn.Sequential()
    model.add(nn.Linear(opt.rnn_size, data.target_size))
    model.add(nn.LogSoftMax())
    w = lg.ones(data.target_size)
    w[0] = 0
    criterion = nn.ClassNLLCriterion(w)
    criterion.sizeAverage = False
    return model, criterion


# cnn Unit (the nn branch: opt.cudnn == 0)
def make_cnn(input_size, kernel_width, num_kernels):
    input = nn.Identity()()
    conv = nn.TemporalConvolution(input_size, num_kernels, kernel_width)
    conv_layer = conv(input)
    output = nn.Max(1)(nn.Tanh()(conv_layer))
    return nn.gModule([input], [output])


def make_highway(input_size, num_layers=None, output_size=None, bias=None, f=None):
    num_layers = num_layers if num_layers is not None else 1
    output_size = output_size if output_size is not None else input_size
    bias = bias if bias is not None else -2
    f = f if f is not None else nn.ReLU()
    start = nn.Identity()()
    for i in range(1, num_layers + 1):
        if i > 1:
            input_size = output_size
        else:
            input = start
        output = f.clone()(nn.Linear(input_size, output_size)(input))   # one node per module: porting.md's row
        transform_gate = nn.Sigmoid()(nn.AddConstant(bias, True)(nn.Linear(input_size, output_size)(input)))
        carry_gate = nn.AddConstant(1, True)(nn.MulConstant(-1)(transform_gate))
        if input_size == output_size:
            proj = nn.Identity()
        else:
            proj = nn.Linear(input_size, output_size, False)
        input = nn.CAddTable()([nn.CMulTable()([transform_gate, output]), nn.CMulTable()([carry_gate, proj(input)])])
    return nn.gModule([start], [input])


# --- s2sa/data.lua -------------------------------------------------------------------------------------------

def features_per_timestep(features):
    data = []
    if len(features) != 0:
        sent_len = features[0].size(0)
        for i in range(sent_len):
            data.append([])
            for j in range(len(features)):
                data[i].append(features[j][i])
    return data


class data:
    """Manages encoder/decoder data matrices: the batches preprocess.py wrote, each time-major."""

    def __init__(self, opt, data_file):
        f = hdf5.open(data_file, 'r')

        self.source = f.read('source').all().add(-1)    # word ids from 1 in the file
        self.target = f.read('target').all().add(-1)
        self.target_output = f.read('target_output').all().add(-1)
        self.target_l = f.read('target_l').all()   # max target length each batch
        self.target_l_all = f.read('target_l_all').all()
        self.target_l_all.add(-1)
        self.batch_l = f.read('batch_l').all()
        self.source_l = f.read('batch_w').all()   # max source length each batch

        self.num_source_features = int(f.read('num_source_features').all()[0])
        self.source_features = []
        self.source_features_size = []
        self.source_features_vec_size = []
        self.total_source_features_size = 0

        for i in range(1, self.num_source_features + 1):
            self.source_features.append(f.read('source_feature_' + str(i)).all().add(-1))
            feature_size = int(f.read('source_feature_' + str(i) + '_size').all()[0])
            self.source_features_size.append(feature_size)
            feature_size = math.floor(feature_size ** opt.feature_embeddings_dim_exponent)
            self.source_features_vec_size.append(feature_size)
            self.total_source_features_size = self.total_source_features_size + feature_size

        if opt.start_symbol == 0:
            self.source_l.add(-2)
            self.source = self.source[:, 1:self.source.size(1) - 1]
            for i in range(self.num_source_features):
                self.source_features[i] = self.source_features[i][:, 1:self.source_features[i].size(1) - 1]
        self.batch_idx = f.read('batch_idx').all().add(-1)   # a row index from 1 in the file

        self.target_size = int(f.read('target_size').all()[0])
        self.source_size = int(f.read('source_size').all()[0])
        self.target_nonzeros = f.read('target_nonzeros').all()

        self.length = self.batch_l.size(0)
        self.seq_length = self.target.size(1)
        self.batches = []
        max_source_l = int(self.source_l.max())
        source_l_rev = lg.ones(max_source_l).long()
        for i in range(max_source_l):
            source_l_rev[i] = max_source_l - i - 1
        for i in range(self.length):
            b, n = int(self.batch_idx[i]), int(self.batch_l[i])
            target_output_i = self.target_output.sub(b, b + n - 1, 0, int(self.target_l[i]) - 1)
            target_l_i = self.target_l_all.sub(b, b + n - 1)
            source_i = self.source.sub(b, b + n - 1, 0, int(self.source_l[i]) - 1).transpose(0, 1)
            if opt.reverse_src == 1:
                source_i = source_i.index(0, source_l_rev[max_source_l - int(self.source_l[i]):max_source_l])
            target_i = self.target.sub(b, b + n - 1, 0, int(self.target_l[i]) - 1).transpose(0, 1)

            source_feats = []
            for j in range(self.num_source_features):
                source_feats.append(self.source_features[j].sub(b, b + n - 1, 0, int(self.source_l[i]) - 1)
                                    .transpose(0, 1).double())
                if opt.reverse_src == 1:
                    source_feats[j] = source_feats[j].index(
                        0, source_l_rev[max_source_l - int(self.source_l[i]):max_source_l])

            # convert table of timesteps per feature to a table of features per timestep
            source_features_i = features_per_timestep(source_feats)

            self.batches.append([target_i, target_output_i.transpose(0, 1), int(self.target_nonzeros[i]), source_i,
                                 n, int(self.target_l[i]), int(self.source_l[i]), target_l_i, source_features_i,
                                 None])

    def size(self):
        return self.length

    def __getitem__(self, idx):   # data.__index with a number
        target_input, target_output, nonzeros, source_input, batch_l, target_l, source_l, target_l_all, \
            source_features, alignment = self.batches[idx]
        return [target_input, target_output, nonzeros, source_input, batch_l, target_l, source_l, target_l_all,
                source_features, alignment]


# --- train.lua -----------------------------------------------------------------------------------------------

def zero_table(t):
    for i in range(len(t)):
        t[i].zero()


def append_table(dst, src):
    for i in range(len(src)):
        dst.append(src[i])


def reset_state(state, batch_l, t=None):
    if t is None:
        u = []
        for i in range(len(state)):
            state[i].zero()
            u.append(state[i][0:batch_l])
        return u
    u = {t: []}
    for i in range(len(state)):
        state[i].zero()
        u[t].append(state[i][0:batch_l])
    return u


def clean_layer(layer):
    """clean layer before saving to make the model smaller"""
    layer.output = lg.DoubleTensor()
    layer.gradInput = lg.DoubleTensor()
    if getattr(layer, 'modules', None) is not None:
        for mod in layer.modules:
            clean_layer(mod)


def setup(data_):
    """train.lua's main() and the top of train(): the models, their parameters, the protos and the clones
    (main() calls memory.lua's preallocateMemory(opt.prealloc) before the models are made)."""
    global encoder, decoder, generator, criterion, layers, params, grad_params, word_vec_layers
    global encoder_clones, decoder_clones, encoder_grad_proto, context_proto
    global init_fwd_enc, init_bwd_enc, init_fwd_dec, init_bwd_dec, dec_offset, start_decay
    encoder = make_lstm(data_, opt, 'enc', opt.use_chars_enc)
    decoder = make_lstm(data_, opt, 'dec', opt.use_chars_dec)
    generator, criterion = make_generator(data_, opt)
    layers = [encoder, decoder, generator]
    params, grad_params = [], []
    start_decay = 0
    opt.train_perf = []
    opt.val_perf = []
    for i in range(len(layers)):
        p, gp = layers[i].getParameters()
        if opt.train_from == '':
            p.uniform(-opt.param_init, opt.param_init)
        params.append(p)
        grad_params.append(gp)
    word_vec_layers = []
    for i in range(len(layers) - 1):   # get_layer on encoder and decoder: their 'word_vecs_*' LookupTables
        layers[i].apply(lambda layer: word_vec_layers.append(layer)
                        if getattr(layer, 'name', None) in ('word_vecs_enc', 'word_vecs_dec') else None)
    # prototypes for gradients so there is no need to clone
    encoder_grad_proto = lg.zeros(opt.max_batch_l, opt.max_sent_l, opt.rnn_size)
    context_proto = lg.zeros(opt.max_batch_l, opt.max_sent_l, opt.rnn_size)
    # clone encoder/decoder up to max source/target length
    decoder_clones = clone_many_times(decoder, opt.max_sent_l_targ)
    encoder_clones = clone_many_times(encoder, opt.max_sent_l_src)
    for i in range(opt.max_sent_l_src):
        encoder_clones[i].apply(lambda m: m.setReuse())
        if opt.prealloc == 1:
            encoder_clones[i].apply(lambda m: m.setPrealloc())
    for i in range(opt.max_sent_l_targ):
        decoder_clones[i].apply(lambda m: m.setReuse())
        if opt.prealloc == 1:
            decoder_clones[i].apply(lambda m: m.setPrealloc())
    h_init = lg.zeros(opt.max_batch_l, opt.rnn_size)
    init_fwd_enc, init_bwd_enc, init_fwd_dec, init_bwd_dec = [], [], [], []
    for L in range(opt.num_layers):
        init_fwd_enc.append(h_init.clone())
        init_fwd_enc.append(h_init.clone())
        init_bwd_enc.append(h_init.clone())
        init_bwd_enc.append(h_init.clone())
    if opt.input_feed == 1:
        init_fwd_dec.append(h_init.clone())
    init_bwd_dec.append(h_init.clone())
    for L in range(opt.num_layers):
        init_fwd_dec.append(h_init.clone())
        init_fwd_dec.append(h_init.clone())
        init_bwd_dec.append(h_init.clone())
        init_bwd_dec.append(h_init.clone())
    dec_offset = 3   # offset depends on input feeding
    if opt.input_feed == 1:
        dec_offset = dec_offset + 1


def decay_lr(epoch):
    """decay learning rate if val perf does not improve or we hit the opt.start_decay_at limit"""
    global start_decay
    if epoch >= opt.start_decay_at:
        start_decay = 1
    if len(opt.val_perf) >= 2:   # opt.val_perf[#opt.val_perf] ~= nil and opt.val_perf[#opt.val_perf-1] ~= nil
        curr_ppl = opt.val_perf[-1]
        prev_ppl = opt.val_perf[-2]
        if curr_ppl > prev_ppl:
            start_decay = 1
    if start_decay == 1:
        opt.learning_rate = opt.learning_rate * opt.lr_decay


def forward_backward(d, num_source_features):
    """The body of train_batch's loop up to the renorm: forward through the clones, backward, the gradients
    accumulated in grad_params; returns the loss over the batch (summed over words, divided by batch_l) and the
    gradient norm. A function here so the finite-difference check can call it; train_batch runs it as the Lua."""
    target, target_out, nonzeros, source = d[0], d[1], d[2], d[3]
    batch_l, target_l, source_l = d[4], d[5], d[6]
    source_features = d[8]

    encoder_grads = encoder_grad_proto[0:batch_l, 0:source_l]
    rnn_state_enc = reset_state(init_fwd_enc, batch_l, -1)
    context = context_proto[0:batch_l, 0:source_l]
    # forward prop encoder
    for t in range(source_l):
        encoder_clones[t].training()
        encoder_input = [source[t]]
        if num_source_features > 0:
            append_table(encoder_input, source_features[t])
        append_table(encoder_input, rnn_state_enc[t - 1])
        out = encoder_clones[t].forward(encoder_input)
        rnn_state_enc[t] = out
        context[:, t].copy(out[-1])

    # copy encoder last hidden state to decoder initial state
    rnn_state_dec = reset_state(init_fwd_dec, batch_l, -1)
    if opt.init_dec == 1:
        for L in range(1, opt.num_layers + 1):
            rnn_state_dec[-1][L * 2 - 2 + opt.input_feed].copy(rnn_state_enc[source_l - 1][L * 2 - 2])
            rnn_state_dec[-1][L * 2 - 1 + opt.input_feed].copy(rnn_state_enc[source_l - 1][L * 2 - 1])
    # forward prop decoder
    preds = []
    for t in range(target_l):
        decoder_clones[t].training()
        if opt.attn == 1:
            decoder_input = [target[t], context, *rnn_state_dec[t - 1]]
        else:
            decoder_input = [target[t], context[:, source_l - 1], *rnn_state_dec[t - 1]]
        out = decoder_clones[t].forward(decoder_input)
        out_pred_idx = len(out) - 1
        next_state = []
        preds.append(out[out_pred_idx])
        if opt.input_feed == 1:
            next_state.append(out[out_pred_idx])
        for j in range(out_pred_idx):
            next_state.append(out[j])
        rnn_state_dec[t] = next_state

    # backward prop decoder
    encoder_grads.zero()
    drnn_state_dec = reset_state(init_bwd_dec, batch_l)
    loss = 0
    for t in range(target_l - 1, -1, -1):
        pred = generator.forward(preds[t])
        input = pred
        output = target_out[t]
        loss = loss + criterion.forward(input, output) / batch_l
        dl_dpred = criterion.backward(input, output)
        dl_dpred.div(batch_l)
        dl_dtarget = generator.backward(preds[t], dl_dpred)

        rnn_state_dec_pred_idx = len(drnn_state_dec) - 1
        drnn_state_dec[rnn_state_dec_pred_idx].add(dl_dtarget)

        if opt.attn == 1:
            decoder_input = [target[t], context, *rnn_state_dec[t - 1]]
        else:
            decoder_input = [target[t], context[:, source_l - 1], *rnn_state_dec[t - 1]]
        dlst = decoder_clones[t].backward(decoder_input, drnn_state_dec)
        # accumulate encoder/decoder grads
        if opt.attn == 1:
            encoder_grads.add(dlst[1])
        else:
            encoder_grads[:, source_l - 1].add(dlst[1])

        drnn_state_dec[rnn_state_dec_pred_idx].zero()
        if opt.input_feed == 1:
            drnn_state_dec[rnn_state_dec_pred_idx].add(dlst[2])
        for j in range(dec_offset, len(dlst) + 1):   # the Lua's j = dec_offset, #dlst (positions from 1)
            drnn_state_dec[j - dec_offset].copy(dlst[j - 1])
    word_vec_layers[1].gradWeight[0].zero()
    if opt.fix_word_vecs_dec == 1:
        word_vec_layers[1].gradWeight.zero()

    grad_norm = 0
    grad_norm = grad_norm + grad_params[1].norm() ** 2 + grad_params[2].norm() ** 2

    # backward prop encoder
    drnn_state_enc = reset_state(init_bwd_enc, batch_l)
    if opt.init_dec == 1:
        for L in range(1, opt.num_layers + 1):
            drnn_state_enc[L * 2 - 2].copy(drnn_state_dec[L * 2 - 2])
            drnn_state_enc[L * 2 - 1].copy(drnn_state_dec[L * 2 - 1])

    for t in range(source_l - 1, -1, -1):
        encoder_input = [source[t]]
        if num_source_features > 0:
            append_table(encoder_input, source_features[t])
        append_table(encoder_input, rnn_state_enc[t - 1])
        if opt.attn == 1:
            drnn_state_enc[-1].add(encoder_grads[:, t])
        else:
            if t == source_l - 1:
                drnn_state_enc[-1].add(encoder_grads[:, t])
        dlst = encoder_clones[t].backward(encoder_input, drnn_state_enc)
        for j in range(len(drnn_state_enc)):
            drnn_state_enc[j].copy(dlst[j + 1 + num_source_features])

    word_vec_layers[0].gradWeight[0].zero()
    if opt.fix_word_vecs_enc == 1:
        word_vec_layers[0].gradWeight.zero()

    grad_norm = grad_norm + grad_params[0].norm() ** 2
    grad_norm = grad_norm ** 0.5
    return loss, grad_norm


def train_batch(data, epoch):
    opt.num_source_features = data.num_source_features
    train_nonzeros = 0
    train_loss = 0
    batch_order = lg.randperm(data.length).long().add(-1)   # shuffle mini batch order (0-based)
    for i in range(data.size()):
        zero_table(grad_params)
        if epoch <= opt.curriculum:
            d = data[i]
        else:
            d = data[int(batch_order[i])]
        nonzeros, batch_l = d[2], d[4]
        loss, grad_norm = forward_backward(d, data.num_source_features)
        # Shrink norm and update params
        param_norm = 0
        shrinkage = opt.max_grad_norm / grad_norm
        for j in range(len(grad_params)):
            if shrinkage < 1:
                grad_params[j].mul(shrinkage)
            params[j].add(grad_params[j].mul(-opt.learning_rate))
            param_norm = param_norm + params[j].norm() ** 2
        param_norm = param_norm ** 0.5
        # Bookkeeping
        train_nonzeros = train_nonzeros + nonzeros
        train_loss = train_loss + loss * batch_l
    return train_loss, train_nonzeros


def eval(data):
    encoder_clones[0].evaluate()
    decoder_clones[0].evaluate()   # just need one clone
    generator.evaluate()
    nll = 0
    total = 0
    for i in range(data.size()):
        d = data[i]
        target, target_out, nonzeros, source = d[0], d[1], d[2], d[3]
        batch_l, target_l, source_l = d[4], d[5], d[6]
        source_features = d[8]
        rnn_state_enc = reset_state(init_fwd_enc, batch_l)
        context = context_proto[0:batch_l, 0:source_l]
        # forward prop encoder
        for t in range(source_l):
            encoder_input = [source[t]]
            if data.num_source_features > 0:
                append_table(encoder_input, source_features[t])
            append_table(encoder_input, rnn_state_enc)
            out = encoder_clones[0].forward(encoder_input)
            rnn_state_enc = out
            context[:, t].copy(out[-1])
        rnn_state_dec = reset_state(init_fwd_dec, batch_l)
        if opt.init_dec == 1:
            for L in range(1, opt.num_layers + 1):
                rnn_state_dec[L * 2 - 2 + opt.input_feed].copy(rnn_state_enc[L * 2 - 2])
                rnn_state_dec[L * 2 - 1 + opt.input_feed].copy(rnn_state_enc[L * 2 - 1])
        loss = 0
        for t in range(target_l):
            if opt.attn == 1:
                decoder_input = [target[t], context, *rnn_state_dec]
            else:
                decoder_input = [target[t], context[:, source_l - 1], *rnn_state_dec]
            out = decoder_clones[0].forward(decoder_input)
            out_pred_idx = len(out) - 1
            rnn_state_dec = []
            if opt.input_feed == 1:
                rnn_state_dec.append(out[out_pred_idx])
            for j in range(out_pred_idx):
                rnn_state_dec.append(out[j])
            pred = generator.forward(out[out_pred_idx])
            loss = loss + criterion.forward(pred, target_out[t])
        nll = nll + loss
        total = total + nonzeros
    valid = math.exp(nll / total)
    return valid


def train(train_data, valid_data):
    """The epoch loop of train.lua's train(): train_batch, eval, decay_lr, a checkpoint every opt.save_every."""
    for epoch in range(opt.start_epoch, opt.epochs + 1):
        generator.training()
        total_loss, total_nonzeros = train_batch(train_data, epoch)
        train_score = math.exp(total_loss / total_nonzeros)
        opt.train_perf.append(train_score)
        score = eval(valid_data)
        opt.val_perf.append(score)
        if opt.optim == 'sgd':   # only decay with SGD
            decay_lr(epoch)
        # clean and save models
        savefile = '%s_epoch%.2f_%.2f.t7' % (opt.savefile, epoch, score)
        if epoch % opt.save_every == 0:
            clean_layer(generator)
            lg.save(savefile, [[encoder, decoder, generator], opt.__dict__])
    # save final model
    savefile = '%s_final.t7' % opt.savefile
    clean_layer(generator)
    lg.save(savefile, [[encoder.double(), decoder.double(), generator.double()], opt.__dict__])
