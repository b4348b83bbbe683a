"""models/models-nmt.lua: the NMT model: a stack of LSTM cells (make_lstm, encoder and decoder alike, no input
feeding), the attention layer (make_decoder_attn: softmax, sigmoid, or the structured 'crf' attention, where
each source word is a two-state chain node and its attention weight the marginal of state 0, normalised and
scaled by ``opt.lambda``) and the generator (make_generator).

``opt`` is the dict CmdLine's parse gives (``opt.x`` is ``opt['x']``).

Edits beyond syntax and 0-based indexing:
- ``require 'models/memory.lua'`` is the im2markup port's reuseMem/usePrealloc, installed on nn.Module by the
  test's fixture (the package's docstring)."""
from legonn import nn

from .CRF import CRF


def make_lstm(data, opt, model):
    assert model == 'enc' or model == 'dec'
    name = '_' + model
    dropout = opt['dropout'] if opt['dropout'] is not None else 0
    n = opt['num_layers']
    rnn_size = opt['rnn_size']
    RnnD = [opt['rnn_size'], opt['rnn_size']]
    input_size = opt['word_vec_size']
    # there will be 2*n+3 inputs
    inputs = []
    inputs.append(nn.Identity()())   # x (batch_size x max_word_l)
    for L in range(1, n + 1):
        inputs.append(nn.Identity()())   # prev_c[L]
        inputs.append(nn.Identity()())   # prev_h[L]

    x, input_size_L = None, None
    outputs = []
    for L in range(1, n + 1):
        nameL = model + '_L' + str(L) + '_'
        # c,h from previous timesteps
        prev_c = inputs[L*2 - 1]
        prev_h = inputs[L*2 + 1 - 1]
        # the input to this layer
        if L == 1:
            if model == 'enc':
                word_vecs = nn.LookupTable(data.source_size, input_size)
            else:
                word_vecs = nn.LookupTable(data.target_size, input_size)
            word_vecs.name = 'word_vecs' + name
            x = word_vecs(inputs[0])   # batch_size x word_vec_size
            input_size_L = input_size
        else:
            x = outputs[(L-1)*2 - 1]
            input_size_L = rnn_size
            if dropout > 0:
                x = nn.Dropout(dropout, None, False).usePrealloc(
                    nameL + "dropout", [[opt['max_batch_l'], input_size_L]])(x)
        # evaluate the input sums at once for efficiency
        i2h = nn.Linear(input_size_L, 4 * rnn_size).usePrealloc(nameL + "i2h-reuse",
                                                                [[opt['max_batch_l'], input_size_L]],
                                                                [[opt['max_batch_l'], 4 * rnn_size]])(x)
        h2h = nn.Linear(rnn_size, 4 * rnn_size, False).usePrealloc(nameL + "h2h-reuse",
                                                                   [[opt['max_batch_l'], rnn_size]],
                                                                   [[opt['max_batch_l'], 4 * rnn_size]])(prev_h)
        all_input_sums = nn.CAddTable().usePrealloc(nameL + "allinput",
                                                    [[opt['max_batch_l'], 4*rnn_size],
                                                     [opt['max_batch_l'], 4*rnn_size]],
                                                    [[opt['max_batch_l'], 4 * rnn_size]])([i2h, h2h])

        reshaped = nn.Reshape(4, rnn_size)(all_input_sums)
        n1, n2, n3, n4 = nn.SplitTable(1).usePrealloc(nameL + "reshapesplit",
                                                      [[opt['max_batch_l'], 4, rnn_size]])(reshaped).split(4)
        in_gate = nn.Sigmoid().usePrealloc(nameL + "G1-reuse", [RnnD])(n1)
        forget_gate = nn.Sigmoid().usePrealloc(nameL + "G2-reuse", [RnnD])(n2)
        out_gate = nn.Sigmoid().usePrealloc(nameL + "G3-reuse", [RnnD])(n3)
        in_transform = nn.Tanh().usePrealloc(nameL + "G4-reuse", [RnnD])(n4)
        next_c = nn.CAddTable().usePrealloc(nameL + "G5a", [RnnD, RnnD])([
            nn.CMulTable().usePrealloc(nameL + "G5b", [RnnD, RnnD])([forget_gate, prev_c]),
            nn.CMulTable().usePrealloc(nameL + "G5c", [RnnD, RnnD])([in_gate, in_transform])])
        next_h = nn.CMulTable().usePrealloc(nameL + "G5d", [RnnD, RnnD]) \
            ([out_gate, nn.Tanh().usePrealloc(nameL + "G6-reuse", [RnnD])(next_c)])
        outputs.append(next_c)
        outputs.append(next_h)
    return nn.gModule(inputs, outputs)


def make_generator(data, opt):
    inputs = []
    inputs.append(nn.Identity()())
    inputs.append(nn.Identity()())
    attn_layer = make_decoder_attn(data, opt)
    attn_layer.name = 'attn_layer'
    attn_out = attn_layer([inputs[1], inputs[0]])
    if opt['dropout'] > 0:
        attn_out = nn.Dropout(opt['dropout'], None, False)(attn_out)
    output = nn.LogSoftMax()(nn.Linear(opt['rnn_size'], data.target_size)(attn_out))
    return nn.gModule(inputs, [output])


def make_decoder_attn(data, opt):
    inputs = []
    context_size = opt['rnn_size']
    inputs.append(nn.Identity()())
    inputs.append(nn.Identity()())
    context = inputs[1]
    combined_score = nn.MM()([context, nn.Replicate(1, 2)(
        nn.Linear(opt['rnn_size'], opt['rnn_size'], False)(inputs[0]))])
    if opt['attn'] == 'crf':
        combined_score2 = nn.MulConstant(0)(combined_score)
        crf = CRF(2)
        crf.name = 'crf'
        crf_score = crf(nn.JoinTable(2)([combined_score, combined_score2]))
        attn_dist = nn.Sequential()
        attn_dist.name = 'attn_dist'
        attn_dist.add(nn.Exp()).add(nn.Narrow(1, 1, -1)).add(nn.Sum(3))
        attn_dist.add(nn.Select(2, 0))
        attn = attn_dist(crf_score)
        attn = nn.MulConstant(opt['lambda'])(nn.Normalize(1)(attn))
    else:
        combined_score = nn.Sum(2)(combined_score)
        if opt['attn'] == 'softmax':
            attn_dist = nn.SoftMax()
        elif opt['attn'] == 'sigmoid':
            attn_dist = nn.Sigmoid()
        attn_dist.name = 'attn_dist'
        attn = attn_dist(combined_score)
    attn = nn.Replicate(1, 1)(attn)   # batch_l x 1 x source_l
    # apply attention to context
    context_combined = nn.MM().usePrealloc(
        "dec_attn_mm2", [[opt['max_batch_l'], 1, opt['max_sent_l_src']],
                         [opt['max_batch_l'], opt['max_sent_l_src'], context_size]],
        [[opt['max_batch_l'], 1, context_size]])([attn, context])   # batch_l x 1 x rnn_size
    context_combined = nn.Sum(1).usePrealloc(
        "dec_attn_sum", [[opt['max_batch_l'], 1, context_size]],
        [[opt['max_batch_l'], context_size]])(context_combined)   # batch_l x rnn_size
    context_combined = nn.JoinTable(1).usePrealloc(
        "dec_attn_jointable", [[opt['max_batch_l'], context_size],
                               [opt['max_batch_l'], opt['rnn_size']]])([context_combined, inputs[0]])   # batch_l x rnn_size*2
    context_output = nn.Tanh().usePrealloc("dec_attn_tanh", [[opt['max_batch_l'], opt['rnn_size']]]) \
        (nn.Linear(opt['rnn_size'] + context_size, opt['rnn_size'], False).usePrealloc(
            "dec_attn_linear", [[opt['max_batch_l'], 2*opt['rnn_size']]])(context_combined))
    return nn.gModule(inputs, [context_output])
