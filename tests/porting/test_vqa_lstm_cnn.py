"""VT-vision-lab/VQA_LSTM_CNN ported line by line: misc/LSTM.lua (lstm_conventional, all), misc/netdef.lua
(AxB, A_B: all), misc/RNNUtils.lua (all: reverse, inverse_mapping, join/split_vector, onehot, right_align,
dupe_rnn, sort_encoding_onehot_right_align, rnn_forward, rnn_backward), train.lua (lines 52-280: the h5/json
loading, image normalisation, the three nets, ``next_batch``, ``JdJ``, the rmsprop loop with its decay and
checkpoints) and eval.lua (lines 40-257: the checkpoint loaded into fresh nets, ``next_batch_test``,
``forward``, the OpenEnded and MultipleChoice answers written as json) and prepro_img.lua (all: a tiny Caffe net
written here stands for VGG-19, its 43rd module 4096 wide as VGG's fc7 ReLU). The data files (prepro.py's
data_prepro.h5/json, prepro_img.lua's data_img.h5 of 4096-wide fc7 features) are generated small, numbered from
0 (docs/porting.md's index rules for files written for the port: word ids, answers, image positions; the
multiple-choice lists end in -1 where prepro.py pads with 0).

The edits beyond the syntax: RNNUtils.lua reads the global ``opt`` when it is required, so it is
``load_rnn_utils(opt)`` returning its functions; eval.lua's ``next_batch_test`` returns ``fv_im:cuda()`` even
when ``-gpuid -1`` (the Lua needs cutorch either way), here only on the GPU; prepro_img.lua, which only runs on
the GPU, makes its ``torch.CudaTensor`` buffers FloatTensors on the CPU.
"""
import types

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, hdf5, image, loadcaffe, nn, optim, paths, xlua


# ---- misc/LSTM.lua -----------------------------------------------------------------------------------------
class LSTM:
    @staticmethod
    def lstm_conventional(input_size, rnn_size, noutput, n, dropout=None):
        dropout = dropout if dropout is not None else 0
        # my wrapper
        h_old = nn.Identity()()
        input = nn.Identity()()
        # there will be 2*n+1 inputs
        inputs = []
        inputs.append(input)   # x
        for L in range(1, n + 1):
            inputs.append(nn.Narrow(1, 2 * (L - 1) * rnn_size, rnn_size)(h_old))              # prev_c[L]
            inputs.append(nn.Narrow(1, 2 * (L - 1) * rnn_size + rnn_size, rnn_size)(h_old))   # prev_h[L]

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
                    x = nn.Dropout(dropout)(x)   # apply dropout, if any
                input_size_L = rnn_size
            # evaluate the input sums at once for efficiency
            i2h = nn.Linear(input_size_L, 4 * rnn_size)(x)
            h2h = nn.Linear(rnn_size, 4 * rnn_size)(prev_h)
            all_input_sums = nn.CAddTable()([i2h, h2h])
            # decode the gates
            sigmoid_chunk = nn.Narrow(1, 0, 3 * rnn_size)(all_input_sums)
            sigmoid_chunk = nn.Sigmoid()(sigmoid_chunk)
            in_gate = nn.Narrow(1, 0, rnn_size)(sigmoid_chunk)
            forget_gate = nn.Narrow(1, rnn_size, rnn_size)(sigmoid_chunk)
            out_gate = nn.Narrow(1, 2 * rnn_size, rnn_size)(sigmoid_chunk)
            # decode the write inputs
            in_transform = nn.Narrow(1, 3 * rnn_size, rnn_size)(all_input_sums)
            in_transform = nn.Tanh()(in_transform)
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
        top_h = outputs[len(outputs) - 1]
        if dropout > 0:
            top_h = nn.Dropout(dropout)(top_h)
        proj = nn.Linear(rnn_size, noutput)(top_h)

        h_new = nn.JoinTable(0, 1)(outputs)
        outs = proj
        return nn.gModule([h_old, input], [h_new, outs])


# ---- misc/netdef.lua ---------------------------------------------------------------------------------------
class netdef:
    @staticmethod
    def AxB(nhA, nhB, nhcommon, dropout=None):
        dropout = dropout if dropout is not None else 0
        q = nn.Identity()()
        i = nn.Identity()()
        qc = nn.Tanh()(nn.Linear(nhA, nhcommon)(nn.Dropout(dropout)(q)))
        ic = nn.Tanh()(nn.Linear(nhB, nhcommon)(nn.Dropout(dropout)(i)))
        output = nn.CMulTable()([qc, ic])
        return nn.gModule([q, i], [output])

    @staticmethod
    def A_B(nhA, nhB, nhcommon, dropout=None):
        dropout = dropout if dropout is not None else 0
        q = nn.Identity()()
        i = nn.Identity()()
        qc = nn.Tanh()(nn.Linear(nhA, nhcommon)(nn.Dropout(dropout)(q)))
        ic = nn.Tanh()(nn.Linear(nhB, nhcommon)(nn.Dropout(dropout)(i)))
        output = nn.JoinTable(1)([qc, ic])
        return nn.gModule([q, i], [output])


# ---- misc/RNNUtils.lua -------------------------------------------------------------------------------------
def load_rnn_utils(opt):
    """``require 'misc.RNNUtils'`` with the global ``opt`` it reads: its functions, in a namespace."""
    # --------UTIL FUNCTIONS---------------
    # Takes a table and return a table which swaps key and value
    def reverse(tbl):
        rev = {}
        for k, v in enumerate(tbl):
            rev[v] = k
        return rev

    # Takes an index (y=x[index]) and return its inverse (x=y[index])
    def inverse_mapping(ind):
        a, b = lg.sort(ind, False)
        return b

    # Join and split CudaTensors
    jtnn = nn.JoinTable(0)
    if opt['gpuid'] >= 0:
        jtnn = jtnn.cuda()

    def join_vector(tensor_table):
        return jtnn.forward(tensor_table).clone()

    def split_vector(w, sizes):
        tensor_table = []
        offset = 0
        if isinstance(sizes, list):
            n = len(sizes)
        else:
            n = sizes.size(0)
        for i in range(n):
            tensor_table.append(w[offset:offset + int(sizes[i])])
            offset = offset + int(sizes[i])
        return tensor_table

    # -------SEQUENCE PROCESSING HELPER FUNCTIONS-----------
    def onehot(ind, vocabulary_size):
        n = ind.size(0)
        v = lg.FloatTensor(n, vocabulary_size).fill(0)
        v.scatter(1, ind.view(-1, 1), 1)
        return v

    def onehot_cuda(ind, vocabulary_size):
        n = ind.size(0)
        v = lg.CudaTensor(n, vocabulary_size).fill(0)
        v.scatter(1, ind.view(-1, 1), 1)
        return v

    def right_align(seq, lengths):
        v = seq.clone().fill(0)
        N = seq.size(1)
        for i in range(seq.size(0)):
            v[i][N - int(lengths[i]):N] = seq[i][0:int(lengths[i])]
        return v

    # -------RNN UTIL FUNCTIONS-----------
    # duping an RNN block into multiple ones
    def dupe_rnn(net, times):
        w, dw = net.getParameters()
        net_arr = []
        net_dwarr = []
        net_warr = []
        for i in range(times):
            tmp = net.clone()
            tmp1, tmp2 = tmp.getParameters()
            net_arr.append(tmp)
            net_warr.append(tmp1)
            net_dwarr.append(tmp2)
        return [net_arr, net_warr, net_dwarr]

    # sort encoding onehot left aligned
    if opt['gpuid'] >= 0:
        def sort_encoding_onehot_right_align(batch_word_right_align, batch_length, vocabulary_size):
            # batch_word_right_align: batch_size x MAX_LENGTH matrix, words are right aligned.
            # batch_length: batch_size x 1 matrix depicting actual length
            batch_length_sorted, sort_index = lg.sort(batch_length, True)
            sort_index_inverse = inverse_mapping(sort_index)
            D = batch_word_right_align.size(1)
            L = int(batch_length_sorted[0])
            batch_word_right_align_t = batch_word_right_align.index(0, sort_index).cuda().t()[D - L:D]
            words = lg.LongTensor(int(lg.sum(batch_length))).cuda()
            batch_sizes = lg.LongTensor(L)
            cnt = 0
            for i in range(1, L + 1):
                ind = batch_length_sorted.ge(L - i + 1)
                n = int(lg.sum(ind))
                words[cnt:cnt + n] = batch_word_right_align_t[i - 1][0:n]
                batch_sizes[i - 1] = n
                cnt = cnt + n
            return [onehot_cuda(words, vocabulary_size), batch_sizes, sort_index, sort_index_inverse]
    else:
        def sort_encoding_onehot_right_align(batch_word_right_align, batch_length, vocabulary_size):
            batch_length_sorted, sort_index = lg.sort(batch_length, True)
            sort_index_inverse = inverse_mapping(sort_index)
            D = batch_word_right_align.size(1)
            L = int(batch_length_sorted[0])
            batch_word_right_align_t = batch_word_right_align.index(0, sort_index).t()[D - L:D]
            words = lg.LongTensor(int(lg.sum(batch_length)))
            batch_sizes = lg.LongTensor(L)
            cnt = 0
            for i in range(1, L + 1):
                ind = batch_length_sorted.ge(L - i + 1)
                n = int(lg.sum(ind))
                words[cnt:cnt + n] = batch_word_right_align_t[i - 1][0:n]
                batch_sizes[i - 1] = n
                cnt = cnt + n
            return [onehot(words, vocabulary_size), batch_sizes, sort_index, sort_index_inverse]

    # rnn forward, tries to handle most cases
    def rnn_forward(net_buffer, init_state, inputs, sizes):
        N = sizes.size(0)
        states = [init_state[0:int(sizes[0]), :]]
        outputs = []
        for i in range(N):
            if i == 0 or sizes[i] == sizes[i - 1]:
                tmp = net_buffer[0][i].forward([states[i], inputs[i]])
            elif sizes[i] > sizes[i - 1]:
                # right align
                padding = init_state[0:int(sizes[i]), :]
                padding[0:int(sizes[i - 1]), :] = states[i]
                states[i] = padding
                tmp = net_buffer[0][i].forward([padding, inputs[i]])
            elif sizes[i] < sizes[i - 1]:
                # left align
                tmp = net_buffer[0][i].forward([states[i][0:int(sizes[i])], inputs[i]])
            states.append(tmp[0])
            outputs.append(tmp[1])
        return states, outputs

    # rnn backward
    def rnn_backward(net_buffer, dend_state, doutputs, states, inputs, sizes):
        N = sizes.size(0)
        dstate = {N: dend_state[0:int(sizes[N - 1]), :]}
        dinput_embedding = {}

        def dout(i):
            if isinstance(doutputs, list):
                return doutputs[i]
            return lg.repeatTensor(doutputs, int(sizes[i]), 1)
        for i in range(N - 1, -1, -1):
            if i == 0 or sizes[i] == sizes[i - 1]:
                tmp = net_buffer[0][i].backward([states[i], inputs[i]], [dstate[i + 1], dout(i)])
                dstate[i] = tmp[0]
            elif sizes[i] > sizes[i - 1]:
                # right align
                tmp = net_buffer[0][i].backward([states[i], inputs[i]], [dstate[i + 1], dout(i)])
                dstate[i] = tmp[0][0:int(sizes[i - 1]), :]
            elif sizes[i] < sizes[i - 1]:
                # left align
                # compute a larger dstate that matches i-1
                tmp = net_buffer[0][i].backward([states[i][0:int(sizes[i])], inputs[i]], [dstate[i + 1], dout(i)])
                padding = dend_state[0:int(sizes[i - 1]), :]
                padding[0:int(sizes[i]), :] = tmp[0]
                dstate[i] = padding
            dinput_embedding[i] = tmp[1]
        return dstate, [dinput_embedding[i] for i in range(N)]

    return types.SimpleNamespace(**{f.__name__: f for f in (
        reverse, inverse_mapping, join_vector, split_vector, onehot, onehot_cuda, right_align, dupe_rnn,
        sort_encoding_onehot_right_align, rnn_forward, rnn_backward)})


# ---- train.lua and eval.lua --------------------------------------------------------------------------------
NHIMAGE = 4096


def load_dataset(opt, split):
    """train.lua lines 85-113 (eval.lua 73-103): the h5 datasets of one split, right-aligned questions,
    L2-normalised image features; the vocabulary size from the json."""
    U = load_rnn_utils(opt)
    with open(opt['input_json']) as file:
        text = file.read()
    json_file = cjson.decode(text)

    dataset = {}
    h5_file = hdf5.open(opt['input_ques_h5'], 'r')
    dataset['question'] = h5_file.read('/ques_' + split).all()
    dataset['lengths_q'] = h5_file.read('/ques_length_' + split).all()
    dataset['img_list'] = h5_file.read('/img_pos_' + split).all()
    if split == 'train':
        dataset['answers'] = h5_file.read('/answers').all()
    else:
        dataset['ques_id'] = h5_file.read('/question_id_test').all()
        dataset['MC_ans_test'] = h5_file.read('/MC_ans_test').all()
    h5_file.close()

    h5_file = hdf5.open(opt['input_img_h5'], 'r')
    dataset['fv_im'] = h5_file.read('/images_' + split).all()
    h5_file.close()

    dataset['question'] = U.right_align(dataset['question'], dataset['lengths_q'])

    # Normalize the image feature
    if opt['img_norm'] == 1:
        nm = lg.sqrt(lg.sum(lg.cmul(dataset['fv_im'], dataset['fv_im']), 1))
        dataset['fv_im'] = lg.cdiv(dataset['fv_im'], lg.repeatTensor(nm, 1, NHIMAGE)).float()

    count = 0
    for i, w in json_file['ix_to_word'].items():
        count = count + 1
    return U, json_file, dataset, count


def build_nets(opt, vocabulary_size_q):
    """train.lua lines 121-157: the word embedding, the LSTM encoder and the multimodal net, the criterion and
    the zero state; on the GPU with ``-gpuid >= 0``."""
    embedding_net_q = nn.Sequential() \
        .add(nn.Linear(vocabulary_size_q, opt['input_encoding_size'])) \
        .add(nn.Dropout(0.5)) \
        .add(nn.Tanh())
    encoder_net_q = LSTM.lstm_conventional(opt['input_encoding_size'], opt['rnn_size'], 1, opt['rnn_layer'], 0.5)
    multimodal_net = nn.Sequential() \
        .add(netdef.AxB(2 * opt['rnn_size'] * opt['rnn_layer'], NHIMAGE, opt['common_embedding_size'], 0.5)) \
        .add(nn.Dropout(0.5)) \
        .add(nn.Linear(opt['common_embedding_size'], opt['num_output']))
    criterion = nn.CrossEntropyCriterion()
    dummy_state_q = lg.Tensor(opt['rnn_size'] * opt['rnn_layer'] * 2).fill(0)
    dummy_output_q = lg.Tensor(1).fill(0)
    if opt['gpuid'] >= 0:
        embedding_net_q = embedding_net_q.cuda()
        encoder_net_q = encoder_net_q.cuda()
        multimodal_net = multimodal_net.cuda()
        criterion = criterion.cuda()
        dummy_state_q = dummy_state_q.cuda()
        dummy_output_q = dummy_output_q.cuda()
    return embedding_net_q, encoder_net_q, multimodal_net, criterion, dummy_state_q, dummy_output_q


def train(opt):
    """train.lua from line 52: returns the nets, the JdJ closure and the per-iteration losses."""
    lg.manualSeed(opt['seed'])
    model_path = opt['checkpoint_path']
    batch_size = opt['batch_size']
    decay_factor = 0.99997592083   # 50000
    paths.mkdir(model_path)

    U, json_file, dataset, vocabulary_size_q = load_dataset(opt, 'train')
    buffer_size_q = dataset['question'].size()[1]
    (embedding_net_q, encoder_net_q, multimodal_net, criterion, dummy_state_q,
     dummy_output_q) = build_nets(opt, vocabulary_size_q)

    embedding_w_q, embedding_dw_q = embedding_net_q.getParameters()
    embedding_w_q.uniform(-0.08, 0.08)
    encoder_w_q, encoder_dw_q = encoder_net_q.getParameters()
    encoder_w_q.uniform(-0.08, 0.08)
    multimodal_w, multimodal_dw = multimodal_net.getParameters()
    multimodal_w.uniform(-0.08, 0.08)
    sizes = [encoder_w_q.size(0), embedding_w_q.size(0), multimodal_w.size(0)]

    optimize = {}
    optimize['maxIter'] = opt['max_iters']
    optimize['learningRate'] = opt['learning_rate']
    optimize['update_grad_per_n_batches'] = 1
    optimize['winit'] = U.join_vector([encoder_w_q, embedding_w_q, multimodal_w])

    def next_batch():
        qinds = lg.LongTensor(batch_size).fill(0)
        iminds = lg.LongTensor(batch_size).fill(0)
        nqs = dataset['question'].size(0)
        for i in range(batch_size):
            qinds[i] = lg.random(nqs)
            iminds[i] = dataset['img_list'][qinds[i]]
        fv_sorted_q = U.sort_encoding_onehot_right_align(dataset['question'].index(0, qinds),
                                                         dataset['lengths_q'].index(0, qinds), vocabulary_size_q)
        fv_im = dataset['fv_im'].index(0, iminds)
        labels = dataset['answers'].index(0, qinds)
        if opt['gpuid'] >= 0:
            fv_sorted_q[0] = fv_sorted_q[0].cuda()
            fv_sorted_q[2] = fv_sorted_q[2].cuda()
            fv_sorted_q[3] = fv_sorted_q[3].cuda()
            fv_im = fv_im.cuda()
            labels = labels.cuda()
        return fv_sorted_q, fv_im, labels, batch_size
    batches = opt.get('batches', next_batch)   # a test may hand JdJ a fixed batch

    encoder_net_buffer_q = U.dupe_rnn(encoder_net_q, buffer_size_q)
    record = {'loss': [], 'running_avg': None}

    def JdJ(x):
        params = U.split_vector(x, sizes)
        # load x to net parameters
        if encoder_w_q is not params[0]:
            encoder_w_q.copy(params[0])
            for i in range(buffer_size_q):
                encoder_net_buffer_q[1][i].copy(params[0])
        if embedding_w_q is not params[1]:
            embedding_w_q.copy(params[1])
        if multimodal_w is not params[2]:
            multimodal_w.copy(params[2])

        # clear gradients
        for i in range(buffer_size_q):
            encoder_net_buffer_q[2][i].zero()
        embedding_dw_q.zero()
        multimodal_dw.zero()

        # grab a batch
        fv_sorted_q, fv_im, labels, batch_size = batches()
        question_max_length = fv_sorted_q[1].size(0)

        # embedding forward
        word_embedding_q = U.split_vector(embedding_net_q.forward(fv_sorted_q[0]), fv_sorted_q[1])

        # encoder forward
        states_q, junk2 = U.rnn_forward(encoder_net_buffer_q, lg.repeatTensor(dummy_state_q.fill(0), batch_size, 1),
                                        word_embedding_q, fv_sorted_q[1])

        # multimodal/criterion forward
        tv_q = states_q[question_max_length].index(0, fv_sorted_q[3])
        scores = multimodal_net.forward([tv_q, fv_im])
        f = criterion.forward(scores, labels)
        # multimodal/criterion backward
        dscores = criterion.backward(scores, labels)

        tmp = multimodal_net.backward([tv_q, fv_im], dscores)
        dtv_q = tmp[0].index(0, fv_sorted_q[2])

        # encoder backward
        junk4, dword_embedding_q = U.rnn_backward(encoder_net_buffer_q, dtv_q, dummy_output_q, states_q,
                                                  word_embedding_q, fv_sorted_q[1])

        # embedding backward
        dword_embedding_q = U.join_vector(dword_embedding_q)
        embedding_net_q.backward(fv_sorted_q[0], dword_embedding_q)

        # summarize f and gradient
        encoder_adw_q = encoder_dw_q.clone().zero()
        for i in range(question_max_length):
            encoder_adw_q = encoder_adw_q + encoder_net_buffer_q[2][i]

        gradients = U.join_vector([encoder_adw_q, embedding_dw_q, multimodal_dw])
        gradients.clamp(-10, 10)
        if record['running_avg'] is None:
            record['running_avg'] = f
        record['running_avg'] = record['running_avg'] * 0.95 + f * 0.05
        record['loss'].append(f)
        record['states_q'] = states_q
        return f, gradients

    state = {}
    for it in range(1, opt['max_iters'] + 1):
        if it % opt['save_checkpoint_every'] == 0:
            paths.mkdir(model_path + 'save')
            lg.save(model_path + 'save/lstm_save_iter%d.t7' % it,
                    {'encoder_w_q': encoder_w_q, 'embedding_w_q': embedding_w_q, 'multimodal_w': multimodal_w})
        optim.rmsprop(JdJ, optimize['winit'], optimize, state)
        optimize['learningRate'] = optimize['learningRate'] * decay_factor

    # Saving the final model
    lg.save(model_path + 'lstm.t7',
            {'encoder_w_q': encoder_w_q, 'embedding_w_q': embedding_w_q, 'multimodal_w': multimodal_w})
    nets = {'embedding': embedding_net_q, 'encoder': encoder_net_q, 'multimodal': multimodal_net,
            'buffer': encoder_net_buffer_q, 'criterion': criterion}
    return nets, JdJ, optimize, record


def evaluate(opt):
    """eval.lua from line 40: the checkpoint at ``opt.model_path`` loaded into fresh nets in evaluate mode,
    every test question scored, the OpenEnded and MultipleChoice json files written; returns the scores."""
    batch_size = opt['batch_size']
    U, json_file, dataset, vocabulary_size_q = load_dataset(opt, 'test')
    buffer_size_q = dataset['question'].size()[1]
    (embedding_net_q, encoder_net_q, multimodal_net, criterion, dummy_state_q,
     dummy_output_q) = build_nets(opt, vocabulary_size_q)

    # setting to evaluation
    embedding_net_q.evaluate()
    encoder_net_q.evaluate()
    multimodal_net.evaluate()

    embedding_w_q, embedding_dw_q = embedding_net_q.getParameters()
    encoder_w_q, encoder_dw_q = encoder_net_q.getParameters()
    multimodal_w, multimodal_dw = multimodal_net.getParameters()

    # loading the model
    model_param = lg.load(opt['model_path'])
    embedding_w_q.copy(model_param['embedding_w_q'])
    encoder_w_q.copy(model_param['encoder_w_q'])
    multimodal_w.copy(model_param['multimodal_w'])

    def next_batch_test(s, e):
        batch_size = e - s + 1
        qinds = lg.LongTensor(batch_size).fill(0)
        iminds = lg.LongTensor(batch_size).fill(0)
        for i in range(batch_size):
            qinds[i] = s + i - 1
            iminds[i] = dataset['img_list'][qinds[i]]
        fv_sorted_q = U.sort_encoding_onehot_right_align(dataset['question'].index(0, qinds),
                                                         dataset['lengths_q'].index(0, qinds), vocabulary_size_q)
        fv_im = dataset['fv_im'].index(0, iminds)
        qids = dataset['ques_id'].index(0, qinds)
        if opt['gpuid'] >= 0:
            fv_sorted_q[0] = fv_sorted_q[0].cuda()
            fv_sorted_q[2] = fv_sorted_q[2].cuda()
            fv_sorted_q[3] = fv_sorted_q[3].cuda()
            fv_im = fv_im.cuda()
        return fv_sorted_q, fv_im, qids, batch_size

    encoder_net_buffer_q = U.dupe_rnn(encoder_net_q, buffer_size_q)

    def forward(s, e):
        fv_sorted_q, fv_im, qids, batch_size = next_batch_test(s, e)
        question_max_length = fv_sorted_q[1].size(0)
        word_embedding_q = U.split_vector(embedding_net_q.forward(fv_sorted_q[0]), fv_sorted_q[1])
        states_q, junk2 = U.rnn_forward(encoder_net_buffer_q, lg.repeatTensor(dummy_state_q.fill(0), batch_size, 1),
                                        word_embedding_q, fv_sorted_q[1])
        tv_q = states_q[question_max_length].index(0, fv_sorted_q[3])
        scores = multimodal_net.forward([tv_q, fv_im])
        return scores.double(), qids

    nqs = dataset['question'].size(0)
    scores = lg.DoubleTensor(nqs, opt['num_output'])
    qids = lg.LongTensor(nqs)
    for i in range(1, nqs + 1, batch_size):
        r = min(i + batch_size - 1, nqs)
        scores[i - 1:r, :], qids[i - 1:r] = forward(i, r)

    tmp, pred = lg.max(scores, 1)

    def writeAll(file, data):
        with open(file, 'w') as f:
            f.write(data)

    def saveJson(fname, t):
        return writeAll(fname, cjson.encode(t))

    response = []
    for i in range(nqs):
        response.append({'question_id': int(qids[i]), 'answer': json_file['ix_to_ans'][str(int(pred[i, 0]))]})
    paths.mkdir(opt['out_path'])
    saveJson(opt['out_path'] + 'OpenEnded_mscoco_lstm_results.json', response)

    mc_response = []
    for i in range(nqs):
        mc_prob = []
        mc_idx = dataset['MC_ans_test'][i]
        tmp_idx = []
        for j in range(mc_idx.size()[0]):
            if mc_idx[j] != -1:
                mc_prob.append(scores[i, int(mc_idx[j])])
                tmp_idx.append(int(mc_idx[j]))
        tmp, tmp2 = lg.max(lg.Tensor(mc_prob), 0)
        mc_response.append({'question_id': int(qids[i]), 'answer': json_file['ix_to_ans'][str(tmp_idx[int(tmp2[0])])]})
    saveJson(opt['out_path'] + 'MultipleChoice_mscoco_lstm_results.json', mc_response)
    return scores, qids


# ---- prepro_img.lua ----------------------------------------------------------------------------------------
def prepro_img(opt):
    """prepro_img.lua from line 32: the Caffe net loaded in evaluate mode, each image loaded as loadim does (scaled
    to 224, grey replicated to 3 planes, alpha dropped, x255, BGR minus VGG's means), module 43's output (VGG's
    fc7 ReLU) for every image of both splits, written to the h5 file as floats."""
    if opt['gpuid'] >= 0:
        from legonn import cutorch
        cutorch.setDevice(opt['gpuid'] - 1)   # the Lua passes opt.gpuid to setDevice as it is: 1-based
    net = loadcaffe.load(opt['cnn_proto'], opt['cnn_model'], opt['backend'])
    net.evaluate()
    net = net.cuda() if opt['gpuid'] >= 0 else net
    CudaTensor = lg.CudaTensor if opt['gpuid'] >= 0 else lg.FloatTensor   # the Lua's torch.CudaTensor

    def loadim(imname):
        im = image.load(imname)
        im = image.scale(im, 224, 224)
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
    with open(opt['input_json']) as file:
        text = file.read()
    json_file = cjson.decode(text)

    train_list = []
    for imname in json_file['unique_img_train']:
        train_list.append(image_root + imname)
    test_list = []
    for imname in json_file['unique_img_test']:
        test_list.append(image_root + imname)

    ndims = 4096
    batch_size = opt['batch_size']
    feats = {}
    for name, names in (('train', train_list), ('test', test_list)):
        sz = len(names)
        feat = CudaTensor(sz, ndims)
        print('processing %d images...' % sz)
        for i in range(1, sz + 1, batch_size):
            xlua.progress(i - 1, sz)
            r = min(sz, i + batch_size - 1)
            ims = CudaTensor(r - i + 1, 3, 224, 224)
            for j in range(1, r - i + 2):
                im = loadim(names[i + j - 2])
                ims[j - 1] = im.cuda() if opt['gpuid'] >= 0 else im
            net.forward(ims)
            feat[i - 1:r, :] = net.modules[42].output.clone()
        feats[name] = feat

    train_h5_file = hdf5.open(opt['out_name'], 'w')
    train_h5_file.write('/images_train', feats['train'].float())
    train_h5_file.write('/images_test', feats['test'].float())
    train_h5_file.close()
    return net


# ---- the tests ---------------------------------------------------------------------------------------------
VOCAB, NANS, MAXLEN, NQ, NIMG = 6, 5, 4, 8, 4


def make_data(tmp_path, lengths=None):
    """prepro.py's and prepro_img.lua's files, tiny: questions left-aligned (0 after their length), the
    answer a function of the first word so the task is learnable, 4096-wide image features."""
    rng = np.random.RandomState(0)
    lengths = np.array(lengths if lengths is not None else [4, 2, 3, 4, 1, 2, 4, 3], np.int64)
    ques = np.zeros((len(lengths), MAXLEN), np.int64)
    for i, n in enumerate(lengths):
        ques[i, :n] = rng.randint(0, VOCAB, size=n)
    answers = ques[:, 0] % NANS
    mc = np.full((len(lengths), 3), -1, np.int64)
    mc[:, 0] = answers
    mc[:, 1] = (answers + 1) % NANS
    ques_h5 = str(tmp_path / 'data_prepro.h5')
    with hdf5.open(ques_h5, 'w') as f:
        for split in ('train', 'test'):
            f.write('/ques_' + split, lg.from_numpy(ques))
            f.write('/ques_length_' + split, lg.from_numpy(lengths))
            f.write('/img_pos_' + split, lg.from_numpy(np.arange(len(lengths)) % NIMG))
        f.write('/answers', lg.from_numpy(answers))
        f.write('/question_id_test', lg.from_numpy(np.arange(len(lengths)) + 500))
        f.write('/MC_ans_test', lg.from_numpy(mc))
    img_h5 = str(tmp_path / 'data_img.h5')
    with hdf5.open(img_h5, 'w') as f:
        for split in ('train', 'test'):
            f.write('/images_' + split, lg.from_numpy(rng.uniform(0, 1, (NIMG, NHIMAGE)).astype(np.float32)))
    json_file = str(tmp_path / 'data_prepro.json')
    with open(json_file, 'w') as f:
        f.write(cjson.encode({'ix_to_word': {str(i): 'w%d' % i for i in range(VOCAB)},
                              'ix_to_ans': {str(i): 'a%d' % i for i in range(NANS)}}))
    return {'input_img_h5': img_h5, 'input_ques_h5': ques_h5, 'input_json': json_file}


def _opt(tmp_path, **kw):
    opt = make_data(tmp_path)
    opt.update({'learning_rate': 3e-3, 'batch_size': 8, 'max_iters': 30, 'input_encoding_size': 8, 'rnn_size': 6,
                'rnn_layer': 2, 'common_embedding_size': 10, 'num_output': NANS, 'img_norm': 1,
                'save_checkpoint_every': 25, 'checkpoint_path': str(tmp_path / 'model') + '/', 'gpuid': -1,
                'seed': 123, 'model_path': str(tmp_path / 'model' / 'lstm.t7'), 'out_path': str(tmp_path / 'result') + '/'})
    opt.update(kw)
    return opt


def test_sort_encoding_and_alignment():
    """right_align and sort_encoding_onehot_right_align: questions sorted by length, longest first, the words of
    step i for the questions long enough, one-hot; batch_sizes count them; sort_index_inverse undoes the sort;
    reverse and split_vector."""
    U = load_rnn_utils({'gpuid': -1})
    q = lg.LongTensor([[1, 2, 0, 0], [3, 4, 5, 0], [2, 0, 0, 0]])
    lens = lg.LongTensor([2, 3, 1])
    ra = U.right_align(q, lens)
    np.testing.assert_array_equal(ra.numpy(), [[0, 0, 1, 2], [0, 3, 4, 5], [0, 0, 0, 2]])
    onehot, sizes, sort_index, inverse = U.sort_encoding_onehot_right_align(ra, lens, 6)
    np.testing.assert_array_equal(sizes.numpy(), [1, 2, 3])
    np.testing.assert_array_equal(sort_index.numpy(), [1, 0, 2])
    np.testing.assert_array_equal(sort_index.index(0, inverse).numpy(), [0, 1, 2])
    np.testing.assert_array_equal(onehot.numpy().argmax(1), [3, 4, 1, 5, 2, 2])
    assert onehot.sum() == 6
    assert U.reverse(['a', 'b']) == {'a': 0, 'b': 1}   # positions 0-based, as ipairs' become
    parts = U.split_vector(lg.range(0, 5), [2, 4])
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3, 4, 5]] and parts[1].storageOffset() == 2   # views


def test_lstm_conventional_matches_numpy():
    """lstm_conventional: the state is the flat (c1, h1, c2, h2) vector; one step against the LSTM equations in
    NumPy (gates in, forget, out, then the tanh transform), evaluate mode."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    net = LSTM.lstm_conventional(3, 2, 1, 2, 0.5)
    net.evaluate()
    h_old, x = lg.Tensor(4, 8).normal(0, 1), lg.Tensor(4, 3).normal(0, 1)
    h_new, proj = net.forward([h_old, x])
    lin = net.findModules('nn.Linear')[0]
    sig = lambda z: 1 / (1 + np.exp(-z))
    state, inp, ref = h_old.numpy(), x.numpy(), []
    for L in range(2):
        i2h, h2h = lin[2 * L], lin[2 * L + 1]
        c, h = state[:, 4 * L:4 * L + 2], state[:, 4 * L + 2:4 * L + 4]
        z = inp @ i2h.weight.numpy().T + i2h.bias.numpy() + h @ h2h.weight.numpy().T + h2h.bias.numpy()
        c2 = sig(z[:, 2:4]) * c + sig(z[:, 0:2]) * np.tanh(z[:, 6:8])
        h2 = sig(z[:, 4:6]) * np.tanh(c2)
        ref += [c2, h2]
        inp = h2
    np.testing.assert_allclose(h_new.numpy(), np.concatenate(ref, 1), rtol=1e-10)
    np.testing.assert_allclose(proj.numpy(), inp @ lin[4].weight.numpy().T + lin[4].bias.numpy(), rtol=1e-10)
    assert nn.Jacobian.testJacobian(net, [h_old, x]) < 1e-6


def test_netdef_fusions():
    """netdef.AxB multiplies the tanh projections of both inputs, A_B joins them; Jacobians in float64."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    axb, a_b = netdef.AxB(3, 4, 2), netdef.A_B(3, 4, 2)
    q, i = lg.Tensor(5, 3).normal(0, 1), lg.Tensor(5, 4).normal(0, 1)
    lq, li = axb.findModules('nn.Linear')[0]
    qc = np.tanh(q.numpy() @ lq.weight.numpy().T + lq.bias.numpy())
    ic = np.tanh(i.numpy() @ li.weight.numpy().T + li.bias.numpy())
    np.testing.assert_allclose(axb.forward([q, i]).numpy(), qc * ic, rtol=1e-10)
    assert tuple(a_b.forward([q, i]).size()) == (5, 4)
    assert nn.Jacobian.testJacobian(axb, [q, i]) < 1e-6 and nn.Jacobian.testJacobian(a_b, [q, i]) < 1e-6


def _fixed_batch(opt, lengths):
    """One batch of train.lua's next_batch, fixed: every question once, in order, in float64."""
    U, json_file, dataset, V = load_dataset(opt, 'train')
    n = len(lengths)
    qinds = lg.range(0, n - 1).long()
    fv = U.sort_encoding_onehot_right_align(dataset['question'].index(0, qinds), dataset['lengths_q'].index(0, qinds), V)
    fv_im = dataset['fv_im'].index(0, dataset['img_list'].index(0, qinds))
    labels = dataset['answers'].index(0, qinds)
    fv[0], fv_im = fv[0].double(), fv_im.double()   # onehot and the normalisation make FloatTensors (train.lua's type)
    return lambda: (fv, fv_im, labels, n)


def _jdj_gradient_error(tmp_path, lengths):
    """JdJ's gradient (evaluate mode, float64, unclamped at these sizes) against central differences along a
    random direction; returns (numeric, analytic)."""
    lg.setdefaulttensortype('torch.DoubleTensor')
    opt = _opt(tmp_path, max_iters=0, batch_size=len(lengths))
    opt.update(make_data(tmp_path, lengths))
    opt['batches'] = _fixed_batch(opt, lengths)
    nets, JdJ, optimize, record = train(opt)
    for key in ('embedding', 'encoder', 'multimodal'):
        nets[key].evaluate()
    for clone in nets['buffer'][0]:
        clone.evaluate()
    w = optimize['winit'].clone()
    f, g = JdJ(w)
    g = g.clone()
    rng = np.random.RandomState(1)
    d = lg.from_numpy(rng.normal(size=w.size(0)))
    eps = 1e-6
    fp = JdJ(lg.add(w, eps, d))[0]
    fm = JdJ(lg.add(w, -eps, d))[0]
    return (fp - fm) / (2 * eps), float(lg.dot(g, d)), record


def test_jdj_gradient_with_equal_lengths(tmp_path):
    """JdJ (the clones' summed gradients, the embedding's, the multimodal net's) is the loss's gradient where
    every question has the same length: central differences agree."""
    numeric, analytic, _ = _jdj_gradient_error(tmp_path, [3, 3, 3, 3])
    assert abs(numeric - analytic) < 1e-6 * max(1, abs(analytic)), (numeric, analytic)


def test_jdj_gradient_with_growing_batches(tmp_path):
    """With questions of three lengths the batch grows twice along the sequence: RNNUtils.lua's rnn_forward writes
    each grown state into a view of ``init_state`` (``padding``), so growth overwrites the states kept for earlier
    steps, the zero initial state included (the port keeps the Lua's views: the first kept state is no longer
    zero). The gradient is still the loss's, as in Torch7: only the Narrows read those states, and Narrow.lua
    copies what it selects at forward."""
    numeric, analytic, record = _jdj_gradient_error(tmp_path, [4, 2, 3, 4])
    assert float(record['states_q'][0].abs().sum()) > 0
    assert abs(numeric - analytic) < 1e-6 * max(1, abs(analytic)), (numeric, analytic)


def test_train_eval_and_checkpoints(tmp_path):
    """train.lua's loop (rmsprop on the concatenated parameters, the decaying rate, the checkpoints at
    save_checkpoint_every and the final lstm.t7): the loss falls; eval.lua loads lstm.t7 into fresh nets, scores
    every question, writes both json files (answers from ix_to_ans, multiple choice among the listed answers)."""
    opt = _opt(tmp_path)
    nets, JdJ, optimize, record = train(opt)
    first, last = np.mean(record['loss'][:5]), np.mean(record['loss'][-5:])
    assert last < first * 0.8, record['loss']
    assert paths.filep(opt['checkpoint_path'] + 'save/lstm_save_iter25.t7')
    assert optimize['learningRate'] == pytest.approx(3e-3 * 0.99997592083 ** 30)
    ck = lg.load(opt['model_path'])
    np.testing.assert_array_equal(ck['encoder_w_q'].numpy(), nets['encoder'].getParameters()[0].numpy())

    scores, qids = evaluate(dict(opt, batch_size=3))
    assert tuple(scores.size()) == (NQ, NANS)
    oe = cjson.decode(open(opt['out_path'] + 'OpenEnded_mscoco_lstm_results.json').read())
    mc = cjson.decode(open(opt['out_path'] + 'MultipleChoice_mscoco_lstm_results.json').read())
    s = scores.numpy()
    assert [r['question_id'] for r in oe] == list(range(500, 500 + NQ))
    assert [r['answer'] for r in oe] == ['a%d' % k for k in s.argmax(1)]
    with hdf5.open(opt['input_ques_h5'], 'r') as f:
        choices = f.read('/MC_ans_test').all().numpy()
    expected = [max((c for c in row if c != -1), key=lambda c: s[i, c]) for i, row in enumerate(choices)]
    assert [r['answer'] for r in mc] == ['a%d' % k for k in expected]


def _caffe_vgg_standin(tmp_path):
    """A Caffe net of VGG's shape where prepro_img.lua reads it: conv (3 -> 2, 4x4 stride 4), max pool 4, fc6 to
    4096, then ReLUs, so that loadcaffe's 43rd module (after its View) is a ReLU of 4096 outputs."""
    from tests.test_loadcaffe import conv_param, msg, pool_param, rng_weights, v, v2_layer, write
    w1, b1, w2, b2 = rng_weights(2, (2, 3, 4, 4), 2, (4096, 392), 4096)
    w2 *= 0.01
    layers = [v2_layer('data', 'Data'),
              v2_layer('conv1', 'Convolution', conv_param(106, 2, 4, stride=4), blobs=(w1, b1)),
              v2_layer('pool1', 'Pooling', pool_param(121, 0, 4, 4)),
              v2_layer('fc6', 'InnerProduct', msg(117, v(1, 4096)), blobs=(w2, b2))]
    layers += [v2_layer('relu%d' % k, 'ReLU') for k in range(42)]
    return write(tmp_path, b''.join(layers))


def test_prepro_img_features(tmp_path):
    """prepro_img.lua on three images (RGB, grey, RGBA) through a Caffe stand-in: the h5 holds module 43's output
    for each, computed from the image scaled to 224, x255, its planes reversed (BGR) minus VGG's means, the grey
    one's plane replicated and the alpha plane dropped."""
    lg.setdefaulttensortype('torch.FloatTensor')
    proto, model = _caffe_vgg_standin(tmp_path)
    rng = np.random.RandomState(5)
    planes = {'rgb.png': 3, 'grey.png': 1, 'rgba.png': 4}
    for name, c in planes.items():
        image.save(str(tmp_path / name), lg.from_numpy(rng.uniform(0, 1, (c, 30, 40)).astype(np.float32)))
    json_path = str(tmp_path / 'data_prepro.json')
    with open(json_path, 'w') as f:
        f.write(cjson.encode({'unique_img_train': ['rgb.png', 'grey.png'], 'unique_img_test': ['rgba.png']}))
    opt = {'input_json': json_path, 'image_root': str(tmp_path) + '/', 'cnn_proto': proto, 'cnn_model': model,
           'batch_size': 1, 'out_name': str(tmp_path / 'data_img.h5'), 'gpuid': -1, 'backend': 'nn'}
    net = prepro_img(opt)
    assert len(net.modules) == 46 and lg.typename(net.modules[42]) == 'nn.ReLU'
    with hdf5.open(opt['out_name'], 'r') as f:
        train, test = f.read('/images_train').all(), f.read('/images_test').all()
    assert tuple(train.size()) == (2, 4096) and tuple(test.size()) == (1, 4096)
    for name, row in (('rgb.png', train[0]), ('grey.png', train[1]), ('rgba.png', test[0])):
        im = image.scale(image.load(str(tmp_path / name)), 224, 224).numpy()
        im = np.repeat(im, 3, 0) if im.shape[0] == 1 else im[:3]
        bgr = im[::-1] * 255 - np.array([103.939, 116.779, 123.68], np.float32)[:, None, None]
        net.forward(lg.from_numpy(np.ascontiguousarray(bgr[None], dtype=np.float32)))
        np.testing.assert_allclose(row.numpy(), net.modules[42].output[0].numpy(), rtol=1e-5, atol=1e-5)
        assert float(row.abs().sum()) > 0


@pytest.mark.gpu
def test_train_and_eval_gpu(tmp_path):
    """train.lua and eval.lua with ``-gpuid 0``: the nets, the one-hot words (onehot_cuda), the sort indices
    and the labels on the GPU; a few rmsprop steps and the evaluation."""
    opt = _opt(tmp_path, gpuid=0, max_iters=3)
    nets, JdJ, optimize, record = train(opt)
    assert optimize['winit'].type() == 'torch.CudaTensor'
    assert all(np.isfinite(record['loss']))
    scores, _ = evaluate(dict(opt, batch_size=4))
    assert scores.type() == 'torch.DoubleTensor' and tuple(scores.size()) == (NQ, NANS)


@pytest.mark.gpu
def test_prepro_img_gpu(tmp_path):
    """prepro_img.lua as the Lua runs it, ``-gpuid 1`` (device 0): the net and its image batches on the GPU, the
    features written to the h5 file as FloatTensors."""
    proto, model = _caffe_vgg_standin(tmp_path)
    image.save(str(tmp_path / 'a.png'), lg.Tensor(3, 20, 20).uniform(0, 1))
    json_path = str(tmp_path / 'data_prepro.json')
    with open(json_path, 'w') as f:
        f.write(cjson.encode({'unique_img_train': ['a.png'], 'unique_img_test': ['a.png']}))
    opt = {'input_json': json_path, 'image_root': str(tmp_path) + '/', 'cnn_proto': proto, 'cnn_model': model,
           'batch_size': 10, 'out_name': str(tmp_path / 'data_img.h5'), 'gpuid': 1, 'backend': 'cudnn'}
    net = prepro_img(opt)
    assert net.modules[42].output.type() == 'torch.CudaTensor'
    with hdf5.open(opt['out_name'], 'r') as f:
        train, test = f.read('/images_train').all(), f.read('/images_test').all()
    assert train.type() == 'torch.FloatTensor' and tuple(train.size()) == (1, 4096)
    np.testing.assert_array_equal(train.numpy(), test.numpy())
