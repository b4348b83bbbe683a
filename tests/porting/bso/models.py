"""BSO's models.lua: make_lstm (the encoder), make_sd_lstm_dec (the decoder with SynchedDropout, its inputs
reordered so the state table is contiguous), make_decoder_attn and make_generator (seq2seq-attn's
make_generator, imported from tests/porting/seq2seq_attn.py: the same lines; the Lua's global criterion is
bso_train.py's). ``nn.Module:reuseMem`` and ``setReuse`` are the two methods tests/porting/im2markup.py ports
(installed on nn.Module by the tests' fixture, as the Lua adds them to nn.Module). make_lstm2 (predict.lua's
decoder: make_sd_lstm_dec's graph with nn.Dropout) is ported after make_lstm."""
from legonn import nn
from tests.porting.seq2seq_attn import make_generator  # noqa: F401  (the same Lua lines)
from .SynchedDropout import SynchedDropout
from .util import LinearNoBias


def make_lstm(data, opt, model):
    assert model == 'enc' or model == 'dec'
    name = '_' + model
    dropout = opt.dropout or 0
    n = opt.num_layers
    rnn_size = opt.rnn_size
    input_size = opt.word_vec_size
    offset = 0
    # there will be 2*n+3 inputs
    inputs = []
    inputs.append(nn.Identity()())   # x (batch_size x max_word_l)
    if model == 'dec':
        inputs.append(nn.Identity()())   # all context (batch_size x source_l x rnn_size)
        inputs.append(nn.Identity()())   # prev context_attn (batch_size x rnn_size)
        offset = offset + 2
    for L in range(1, n + 1):
        inputs.append(nn.Identity()())   # prev_c[L]
        inputs.append(nn.Identity()())   # prev_h[L]
    outputs = []
    for L in range(1, n + 1):
        # c,h from previous timesteps
        prev_c = inputs[L * 2 + offset - 1]
        prev_h = inputs[L * 2 + 1 + offset - 1]
        # the input to this layer
        if L == 1:
            if model == 'enc':
                word_vecs = nn.LookupTable(data.source_size, input_size)
            else:
                word_vecs = nn.LookupTable(data.target_size, input_size)
            word_vecs.name = 'word_vecs' + name
            x = word_vecs(inputs[0])   # batch_size x word_vec_size
            input_size_L = input_size
            if model == 'dec':
                x = nn.JoinTable(1)([x, inputs[1 + offset - 1]])   # batch_size x (word_vec_size + rnn_size)
                input_size_L = input_size + rnn_size
        else:
            x = outputs[(L - 1) * 2 - 1]
            input_size_L = rnn_size
            if dropout > 0:
                x = nn.Dropout(dropout, None, False)(x)
        # evaluate the input sums at once for efficiency
        i2h = nn.Linear(input_size_L, 4 * rnn_size).reuseMem()(x)
        h2h = LinearNoBias(rnn_size, 4 * rnn_size).reuseMem()(prev_h)
        all_input_sums = nn.CAddTable()([i2h, h2h])
        reshaped = nn.Reshape(4, rnn_size)(all_input_sums)
        n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
        # decode the gates
        in_gate = nn.Sigmoid().reuseMem()(n1)
        forget_gate = nn.Sigmoid().reuseMem()(n2)
        out_gate = nn.Sigmoid().reuseMem()(n3)
        # decode the write inputs
        in_transform = nn.Tanh().reuseMem()(n4)
        # perform the LSTM update
        next_c = nn.CAddTable()([
            nn.CMulTable()([forget_gate, prev_c]),
            nn.CMulTable()([in_gate, in_transform])
        ])
        # gated cells form the output
        next_h = nn.CMulTable()([out_gate, nn.Tanh().reuseMem()(next_c)])
        outputs.append(next_c)
        outputs.append(next_h)
    if model == 'dec':
        top_h = outputs[-1]
        decoder_attn = make_decoder_attn(data, opt)
        decoder_attn.name = 'decoder_attn'
        attn_out = decoder_attn([top_h, inputs[offset - 1]])
        if dropout > 0:
            attn_out = nn.Dropout(dropout, None, False)(attn_out)
        outputs.append(attn_out)
    return nn.gModule(inputs, outputs)


# just changes order of inputs so don't have to move stuff around during training
def make_lstm2(data, opt, model):
    assert model == 'enc' or model == 'dec'
    name = '_' + model
    dropout = opt.dropout or 0
    n = opt.num_layers
    rnn_size = opt.rnn_size
    input_size = opt.word_vec_size
    offset = 0
    # there will be 2*n+3 inputs
    inputs = []
    inputs.append(nn.Identity()())   # x (batch_size x max_word_l)
    if model == 'dec':
        offset = 1
        inputs.append(nn.Identity()())   # all context (batch_size x source_l x rnn_size)
    for L in range(1, n + 1):
        inputs.append(nn.Identity()())   # prev_c[L]
        inputs.append(nn.Identity()())   # prev_h[L]
    if model == 'dec':
        inputs.append(nn.Identity()())   # prev context attn (batch_size x rnn_size)
    outputs = []
    for L in range(1, n + 1):
        # c,h from previous timesteps
        prev_c = inputs[L * 2 + offset - 1]
        prev_h = inputs[L * 2 + 1 + offset - 1]
        # the input to this layer
        if L == 1:
            if model == 'enc':
                word_vecs = nn.LookupTable(data.source_size, input_size)
            else:
                word_vecs = nn.LookupTable(data.target_size, input_size)
            word_vecs.name = 'word_vecs' + name
            x = word_vecs(inputs[0])   # batch_size x word_vec_size
            input_size_L = input_size
            if model == 'dec':
                x = nn.JoinTable(1)([x, inputs[-1]])   # batch_size x (word_vec_size + rnn_size)
                input_size_L = input_size + rnn_size
        else:
            x = outputs[(L - 1) * 2 - 1]
            input_size_L = rnn_size
            if dropout > 0:
                x = nn.Dropout(dropout, None, False)(x)
        # evaluate the input sums at once for efficiency
        i2h = nn.Linear(input_size_L, 4 * rnn_size).reuseMem()(x)
        h2h = LinearNoBias(rnn_size, 4 * rnn_size).reuseMem()(prev_h)
        all_input_sums = nn.CAddTable()([i2h, h2h])
        reshaped = nn.Reshape(4, rnn_size)(all_input_sums)
        n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
        # decode the gates
        in_gate = nn.Sigmoid().reuseMem()(n1)
        forget_gate = nn.Sigmoid().reuseMem()(n2)
        out_gate = nn.Sigmoid().reuseMem()(n3)
        # decode the write inputs
        in_transform = nn.Tanh().reuseMem()(n4)
        # perform the LSTM update
        next_c = nn.CAddTable()([
            nn.CMulTable()([forget_gate, prev_c]),
            nn.CMulTable()([in_gate, in_transform])
        ])
        # gated cells form the output
        next_h = nn.CMulTable()([out_gate, nn.Tanh().reuseMem()(next_c)])
        outputs.append(next_c)
        outputs.append(next_h)
    if model == 'dec':
        top_h = outputs[-1]
        decoder_attn = make_decoder_attn(data, opt)
        decoder_attn.name = 'decoder_attn'
        attn_out = decoder_attn([top_h, inputs[1]])
        if dropout > 0:
            attn_out = nn.Dropout(dropout, None, False)(attn_out)
        outputs.append(attn_out)
    return nn.gModule(inputs, outputs)


# just changes order of inputs so don't have to move stuff around during training
def make_sd_lstm_dec(data, opt, model):
    assert model == 'dec'
    name = '_' + model
    dropout = opt.dropout or 0
    n = opt.num_layers
    rnn_size = opt.rnn_size
    input_size = opt.word_vec_size
    offset = 0
    # there will be 2*n+3 inputs
    inputs = []
    inputs.append(nn.Identity()())   # x (batch_size x max_word_l)
    if model == 'dec':
        offset = 1
        inputs.append(nn.Identity()())   # all context (batch_size x source_l x rnn_size)
    for L in range(1, n + 1):
        inputs.append(nn.Identity()())   # prev_c[L]
        inputs.append(nn.Identity()())   # prev_h[L]
    if model == 'dec':
        inputs.append(nn.Identity()())   # prev context attn (batch_size x rnn_size)
    outputs = []
    for L in range(1, n + 1):
        # c,h from previous timesteps
        prev_c = inputs[L * 2 + offset - 1]
        prev_h = inputs[L * 2 + 1 + offset - 1]
        # the input to this layer
        if L == 1:
            if model == 'enc':
                word_vecs = nn.LookupTable(data.source_size, input_size)
            else:
                word_vecs = nn.LookupTable(data.target_size, input_size)
            word_vecs.name = 'word_vecs' + name
            x = word_vecs(inputs[0])   # batch_size x word_vec_size
            input_size_L = input_size
            if model == 'dec':
                x = nn.JoinTable(1)([x, inputs[-1]])   # batch_size x (word_vec_size + rnn_size)
                input_size_L = input_size + rnn_size
        else:
            x = outputs[(L - 1) * 2 - 1]
            input_size_L = rnn_size
            if dropout > 0:
                sdo = SynchedDropout(dropout, None, None, False, False)
                sdo.name = 'synched-dropout-' + str(L - 1)
                x = sdo(x)
        # evaluate the input sums at once for efficiency
        i2h = nn.Linear(input_size_L, 4 * rnn_size).reuseMem()(x)
        h2h = LinearNoBias(rnn_size, 4 * rnn_size).reuseMem()(prev_h)
        all_input_sums = nn.CAddTable()([i2h, h2h])
        reshaped = nn.Reshape(4, rnn_size)(all_input_sums)
        n1, n2, n3, n4 = nn.SplitTable(1)(reshaped).split(4)
        # decode the gates
        in_gate = nn.Sigmoid().reuseMem()(n1)
        forget_gate = nn.Sigmoid().reuseMem()(n2)
        out_gate = nn.Sigmoid().reuseMem()(n3)
        # decode the write inputs
        in_transform = nn.Tanh().reuseMem()(n4)
        # perform the LSTM update
        next_c = nn.CAddTable()([
            nn.CMulTable()([forget_gate, prev_c]),
            nn.CMulTable()([in_gate, in_transform])
        ])
        # gated cells form the output
        next_h = nn.CMulTable()([out_gate, nn.Tanh().reuseMem()(next_c)])
        outputs.append(next_c)
        outputs.append(next_h)
    if model == 'dec':
        top_h = outputs[-1]
        decoder_attn = make_decoder_attn(data, opt)
        decoder_attn.name = 'decoder_attn'
        attn_out = decoder_attn([top_h, inputs[1]])
        if dropout > 0:
            sdo2 = SynchedDropout(dropout, None, None, False, False)
            sdo2.name = 'synched-dropout-' + str(opt.num_layers)
            attn_out = sdo2(attn_out)
        outputs.append(attn_out)
    return nn.gModule(inputs, outputs)


def make_decoder_attn(data, opt, simple=None):
    # 2D tensor target_t (batch_l x rnn_size) and
    # 3D tensor for context (batch_l x source_l x rnn_size)
    inputs = []
    inputs.append(nn.Identity()())
    inputs.append(nn.Identity()())
    target_t = LinearNoBias(opt.rnn_size, opt.rnn_size)(inputs[0])
    context = inputs[1]
    simple = simple or 0
    # get attention
    attn = nn.MM()([context, nn.Replicate(1, 2)(target_t)])   # batch_l x source_l x 1
    attn = nn.Sum(2)(attn)
    softmax_attn = nn.SoftMax()
    softmax_attn.name = 'softmax_attn'
    attn = softmax_attn(attn)
    attn = nn.Replicate(1, 1)(attn)   # batch_l x 1 x source_l
    # apply attention to context
    context_combined = nn.MM()([attn, context])   # batch_l x 1 x rnn_size
    context_combined = nn.Sum(1)(context_combined)   # batch_l x rnn_size
    if simple == 0:
        context_combined = nn.JoinTable(1)([context_combined, inputs[0]])   # batch_l x rnn_size*2
        context_output = nn.Tanh()(LinearNoBias(opt.rnn_size * 2, opt.rnn_size)(context_combined))
    else:
        context_output = nn.CAddTable()([context_combined, inputs[0]])
    return nn.gModule(inputs, [context_output])
