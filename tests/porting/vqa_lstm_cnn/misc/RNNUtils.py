"""misc/RNNUtils.lua: helpers for batches of questions of several lengths (right alignment, a sort by length with
one-hot words per step, the growing and shrinking batches of ``rnn_forward``/``rnn_backward``) and the flat vector
helpers. The Lua file defines globals and reads the global ``opt`` (``opt.gpuid``) when it is required, so
``require 'misc.RNNUtils'`` is ``load_rnn_utils(opt)``, which returns those functions in a namespace.

Edits beyond syntax and 0-based indices: the tables ``rnn_backward`` fills from its last step down
(``dstate={[N+1]=...}``, ``dinput_embedding[i]=...``) are lists made at their full length first, as Lua's
sequences are what the caller (``join_vector``) reads.
"""
import types

import legonn as lg
from legonn import nn


def load_rnn_utils(opt):
    # --------UTIL FUNCTIONS---------------
    # Takes a table and return a table which swaps key and value
    def reverse(tbl):
        rev = {}
        print(enumerate(tbl))
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
            tensor_table.append(w[offset:offset + sizes[i]])
            offset = offset + sizes[i]
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
            v[i][N - lengths[i]:N] = seq[i][0:lengths[i]]
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
            # tmp1:set(w); --new test
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
            L = batch_length_sorted[0]
            batch_word_right_align_t = batch_word_right_align.index(0, sort_index).cuda().t()[D - L:D]
            words = lg.LongTensor(lg.sum(batch_length)).cuda()
            batch_sizes = lg.LongTensor(L)
            cnt = 0
            for i in range(1, L + 1):
                ind = batch_length_sorted.ge(L - i + 1)
                n = lg.sum(ind)
                words[cnt:cnt + n] = batch_word_right_align_t[i - 1][0:n]
                batch_sizes[i - 1] = n
                cnt = cnt + n
            return [onehot_cuda(words, vocabulary_size), batch_sizes, sort_index, sort_index_inverse]
    else:
        def sort_encoding_onehot_right_align(batch_word_right_align, batch_length, vocabulary_size):
            # batch_word_right_align: batch_size x MAX_LENGTH matrix, words are right aligned.
            # batch_length: batch_size x 1 matrix depicting actual length
            batch_length_sorted, sort_index = lg.sort(batch_length, True)
            sort_index_inverse = inverse_mapping(sort_index)
            D = batch_word_right_align.size(1)
            L = batch_length_sorted[0]
            batch_word_right_align_t = batch_word_right_align.index(0, sort_index).t()[D - L:D]
            words = lg.LongTensor(lg.sum(batch_length))
            batch_sizes = lg.LongTensor(L)
            cnt = 0
            for i in range(1, L + 1):
                ind = batch_length_sorted.ge(L - i + 1)
                n = lg.sum(ind)
                words[cnt:cnt + n] = batch_word_right_align_t[i - 1][0:n]
                batch_sizes[i - 1] = n
                cnt = cnt + n
            return [onehot(words, vocabulary_size), batch_sizes, sort_index, sort_index_inverse]

    # rnn forward, tries to handle most cases
    def rnn_forward(net_buffer, init_state, inputs, sizes):
        N = sizes.size(0)
        states = [init_state[0:sizes[0], :]]
        outputs = []
        for i in range(N):
            if i == 0 or sizes[i] == sizes[i - 1]:
                tmp = net_buffer[0][i].forward([states[i], inputs[i]])
            elif sizes[i] > sizes[i - 1]:
                # right align
                padding = init_state[0:sizes[i], :]
                padding[0:sizes[i - 1], :] = states[i]
                states[i] = padding
                tmp = net_buffer[0][i].forward([padding, inputs[i]])
            elif sizes[i] < sizes[i - 1]:
                # left align
                tmp = net_buffer[0][i].forward([states[i][0:sizes[i]], inputs[i]])
            states.append(tmp[0])
            outputs.append(tmp[1])
        return states, outputs

    # rnn backward
    def rnn_backward(net_buffer, dend_state, doutputs, states, inputs, sizes):
        if isinstance(doutputs, list):
            N = sizes.size(0)
            dstate = [None] * N + [dend_state[0:sizes[N - 1], :]]
            dinput_embedding = [None] * N
            for i in range(N - 1, -1, -1):
                if i == 0 or sizes[i] == sizes[i - 1]:
                    tmp = net_buffer[0][i].backward([states[i], inputs[i]], [dstate[i + 1], doutputs[i]])
                    dstate[i] = tmp[0]
                elif sizes[i] > sizes[i - 1]:
                    # right align
                    tmp = net_buffer[0][i].backward([states[i], inputs[i]], [dstate[i + 1], doutputs[i]])
                    dstate[i] = tmp[0][0:sizes[i - 1], :]
                elif sizes[i] < sizes[i - 1]:
                    # left align
                    # compute a larger dstate that matches i-1
                    tmp = net_buffer[0][i].backward([states[i][0:sizes[i]], inputs[i]], [dstate[i + 1], doutputs[i]])
                    padding = dend_state[0:sizes[i - 1], :]
                    padding[0:sizes[i], :] = tmp[0]
                    dstate[i] = padding
                dinput_embedding[i] = tmp[1]
            return dstate, dinput_embedding
        else:
            N = sizes.size(0)
            dstate = [None] * N + [dend_state[0:sizes[N - 1], :]]
            dinput_embedding = [None] * N
            for i in range(N - 1, -1, -1):
                if i == 0 or sizes[i] == sizes[i - 1]:
                    tmp = net_buffer[0][i].backward([states[i], inputs[i]],
                                                    [dstate[i + 1], lg.repeatTensor(doutputs, sizes[i], 1)])
                    dstate[i] = tmp[0]
                elif sizes[i] > sizes[i - 1]:
                    # right align
                    tmp = net_buffer[0][i].backward([states[i], inputs[i]],
                                                    [dstate[i + 1], lg.repeatTensor(doutputs, sizes[i], 1)])
                    dstate[i] = tmp[0][0:sizes[i - 1], :]
                elif sizes[i] < sizes[i - 1]:
                    # left align
                    # compute a larger dstate that matches i-1
                    tmp = net_buffer[0][i].backward([states[i][0:sizes[i]], inputs[i]],
                                                    [dstate[i + 1], lg.repeatTensor(doutputs, sizes[i], 1)])
                    padding = dend_state[0:sizes[i - 1], :]
                    padding[0:sizes[i], :] = tmp[0]
                    dstate[i] = padding
                dinput_embedding[i] = tmp[1]
            return dstate, dinput_embedding

    return types.SimpleNamespace(
        reverse=reverse, inverse_mapping=inverse_mapping, join_vector=join_vector, split_vector=split_vector,
        onehot=onehot, onehot_cuda=onehot_cuda, right_align=right_align, dupe_rnn=dupe_rnn,
        sort_encoding_onehot_right_align=sort_encoding_onehot_right_align, rnn_forward=rnn_forward,
        rnn_backward=rnn_backward)
