"""jcjohnson/torch-rnn ported line by line (its sample.lua idioms on the GPU are in test_torch_rnn_idioms.py):
LSTM.lua (lines 1-304) and VanillaRNN.lua (1-223), user modules with their own ``updateOutput`` and
``backward``, which their ``updateGradInput``/``accGradParameters`` call once per forward; TemporalAdapter.lua
(1-44); TemporalCrossEntropyCriterion.lua (1-108); LanguageModel.lua (1-209: LookupTable, stacked LSTM/RNN
layers, BatchNormalization between two Views, Dropout, the Linear decoder, ``encode_string``,
``decode_string``, ``sample``); util/utils.lua (1-58); util/gradcheck.lua's ``relative_error`` and
``numeric_gradient`` (1-45); util/DataLoader.lua (1-64) over the HDF5 file scripts/preprocess.py (27-97)
writes; train.lua (11-248: adam, ``grad_clip``, the learning-rate decay, the validation loop, the JSON and .t7
checkpoints, ``-init_from``); sample.lua (7-42) and eval.lua (10-63) reading the checkpoint. The tests follow
test/LSTM_test.lua, VanillaRNN_test.lua, TemporalAdapter_test.lua and TemporalCrossEntropyCriterion_test.lua.

The mechanical edits: tables are lists and dicts, indices and dimensions 0-based. The character codes are
LookupTable inputs, so the port of preprocess.py numbers them from 0 (``len(token_to_idx)``, where the
script writes ``len(token_to_idx) + 1`` for Lua), and TemporalCrossEntropyCriterion's null token, Lua's 0
below the classes 1 .. C, is -1. ``cutorch.setDevice(opt.gpu + 1)`` is ``cutorch.setDevice(opt['gpu'])``;
``-gpu -1`` runs on the CPU as in Lua; the OpenCL branches raise (legonn has no cltorch)."""
import json
import math

import numpy as np
import pytest

import legonn as lg
from legonn import cjson, hdf5, nn, optim, paths
from tests.checks import central_difference


# --- util/utils.lua ------------------------------------------------------------------------------------------

class utils:
    """util/utils.lua's table of functions."""

    @staticmethod
    def check_dims(x, dims):
        assert x.dim() == len(dims)
        for i, d in enumerate(dims):
            msg = 'Expected %d, got %d'
            assert x.size(i) == d, msg % (d, x.size(i))

    @staticmethod
    def get_kwarg(kwargs, name, default=None):
        if kwargs is None:
            kwargs = {}
        if kwargs.get(name) is None and default is None:
            assert False, '"%s" expected and not given' % name
        elif kwargs.get(name) is None:
            return default
        else:
            return kwargs[name]

    @staticmethod
    def get_size(obj):
        size = 0
        for k in obj:
            size = size + 1
        return size

    @staticmethod
    def read_json(path):
        f = open(path, 'r')
        s = f.read()
        f.close()
        return cjson.decode(s)

    @staticmethod
    def write_json(path, obj):
        s = cjson.encode(obj)
        f = open(path, 'w')
        f.write(s)
        f.close()


# --- util/gradcheck.lua (lines 1-45) ---------------------------------------------------------------------------

class gradcheck:
    @staticmethod
    def relative_error(x, y, h=None):
        h = h or 1e-12
        if lg.isTensor(x) and lg.isTensor(y):
            top = lg.abs(x - y)
            bottom = lg.cmax(lg.abs(x) + lg.abs(y), h)
            return lg.max(lg.cdiv(top, bottom))
        else:
            return math.fabs(x - y) / max(math.fabs(x) + math.fabs(y), h)

    @staticmethod
    def numeric_gradient(f, x, df=None, eps=None):
        df = df if df is not None else 1.0
        eps = eps or 1e-8
        n = x.nElement()
        x_flat = x.view(n)
        dx_num = x.new(x.size()).zero()
        dx_num_flat = dx_num.view(n)
        for i in range(n):
            orig = x_flat[i]

            x_flat[i] = orig + eps
            pos = f(x)
            if lg.isTensor(df):
                pos = pos.clone()

            x_flat[i] = orig - eps
            neg = f(x)
            if lg.isTensor(df):
                neg = neg.clone()

            d = None
            if lg.isTensor(df):
                d = lg.dot(pos - neg, df) / (2 * eps)
            else:
                d = df * (pos - neg) / (2 * eps)

            dx_num_flat[i] = d
            x_flat[i] = orig
        return dx_num


# --- LSTM.lua ------------------------------------------------------------------------------------------------

def check_dims(x, dims):
    assert x.dim() == len(dims)
    for i, d in enumerate(dims):
        assert x.size(i) == d


class LSTM(nn.Module):
    """LSTM.lua: input ``x`` (N, T, D), or ``[h0, x]``, or ``[c0, h0, x]`` (each state (N, H)); output the
    hidden states (N, T, H). ``weight`` is (D + H, 4H), its columns the gates i, f, o, g."""

    def __init__(self, input_dim, hidden_dim):
        super().__init__()

        D, H = input_dim, hidden_dim
        self.input_dim, self.hidden_dim = D, H

        self.weight = lg.Tensor(D + H, 4 * H)
        self.gradWeight = lg.Tensor(D + H, 4 * H).zero()
        self.bias = lg.Tensor(4 * H)
        self.gradBias = lg.Tensor(4 * H).zero()
        self.reset()

        self.cell = lg.Tensor()    # This will be (N, T, H)
        self.gates = lg.Tensor()   # This will be (N, T, 4H)
        self.buffer1 = lg.Tensor()  # This will be (N, H)
        self.buffer2 = lg.Tensor()  # This will be (N, H)
        self.buffer3 = lg.Tensor()  # This will be (1, 4H)
        self.grad_a_buffer = lg.Tensor()  # This will be (N, 4H)

        self.h0 = lg.Tensor()
        self.c0 = lg.Tensor()
        self.remember_states = False

        self.grad_c0 = lg.Tensor()
        self.grad_h0 = lg.Tensor()
        self.grad_x = lg.Tensor()
        self.gradInput = [self.grad_c0, self.grad_h0, self.grad_x]

    def reset(self, std=None):
        if not std:
            std = 1.0 / math.sqrt(self.hidden_dim + self.input_dim)
        self.bias.zero()
        self.bias[self.hidden_dim:2 * self.hidden_dim].fill(1)
        self.weight.normal(0, std)
        return self

    def resetStates(self):
        self.h0 = self.h0.new()
        self.c0 = self.c0.new()

    def _unpack_input(self, input):
        c0, h0, x = None, None, None
        if lg.type(input) == 'table' and len(input) == 3:
            c0, h0, x = input
        elif lg.type(input) == 'table' and len(input) == 2:
            h0, x = input
        elif lg.isTensor(input):
            x = input
        else:
            assert False, 'invalid input'
        return c0, h0, x

    def _get_sizes(self, input, gradOutput=None):
        c0, h0, x = self._unpack_input(input)
        N, T = x.size(0), x.size(1)
        H, D = self.hidden_dim, self.input_dim
        check_dims(x, [N, T, D])
        if h0 is not None:
            check_dims(h0, [N, H])
        if c0 is not None:
            check_dims(c0, [N, H])
        if gradOutput is not None:
            check_dims(gradOutput, [N, T, H])
        return N, T, D, H

    def updateOutput(self, input):
        self.recompute_backward = True
        c0, h0, x = self._unpack_input(input)
        N, T, D, H = self._get_sizes(input)

        self._return_grad_c0 = (c0 is not None)
        self._return_grad_h0 = (h0 is not None)
        if c0 is None:
            c0 = self.c0
            if c0.nElement() == 0 or not self.remember_states:
                c0.resize(N, H).zero()
            elif self.remember_states:
                prev_N, prev_T = self.cell.size(0), self.cell.size(1)
                assert prev_N == N, 'batch sizes must be constant to remember states'
                c0.copy(self.cell[:, prev_T - 1])
        if h0 is None:
            h0 = self.h0
            if h0.nElement() == 0 or not self.remember_states:
                h0.resize(N, H).zero()
            elif self.remember_states:
                prev_N, prev_T = self.output.size(0), self.output.size(1)
                assert prev_N == N, 'batch sizes must be the same to remember states'
                h0.copy(self.output[:, prev_T - 1])

        bias_expand = self.bias.view(1, 4 * H).expand(N, 4 * H)
        Wx = self.weight[0:D]
        Wh = self.weight[D:D + H]

        h, c = self.output, self.cell
        h.resize(N, T, H).zero()
        c.resize(N, T, H).zero()
        prev_h, prev_c = h0, c0
        self.gates.resize(N, T, 4 * H).zero()
        for t in range(T):
            cur_x = x[:, t]
            next_h = h[:, t]
            next_c = c[:, t]
            cur_gates = self.gates[:, t]
            cur_gates.addmm(bias_expand, cur_x, Wx)
            cur_gates.addmm(prev_h, Wh)
            cur_gates[:, 0:3 * H].sigmoid()
            cur_gates[:, 3 * H:4 * H].tanh()
            i = cur_gates[:, 0:H]
            f = cur_gates[:, H:2 * H]
            o = cur_gates[:, 2 * H:3 * H]
            g = cur_gates[:, 3 * H:4 * H]
            next_h.cmul(i, g)
            next_c.cmul(f, prev_c).add(next_h)
            next_h.tanh(next_c).cmul(o)
            prev_h, prev_c = next_h, next_c

        return self.output

    def backward(self, input, gradOutput, scale=None):
        self.recompute_backward = False
        scale = scale or 1.0
        assert scale == 1.0, 'must have scale=1'
        c0, h0, x = self._unpack_input(input)
        if c0 is None:
            c0 = self.c0
        if h0 is None:
            h0 = self.h0

        grad_c0, grad_h0, grad_x = self.grad_c0, self.grad_h0, self.grad_x
        h, c = self.output, self.cell
        grad_h = gradOutput

        N, T, D, H = self._get_sizes(input, gradOutput)
        Wx = self.weight[0:D]
        Wh = self.weight[D:D + H]
        grad_Wx = self.gradWeight[0:D]
        grad_Wh = self.gradWeight[D:D + H]
        grad_b = self.gradBias

        grad_h0.resizeAs(h0).zero()
        grad_c0.resizeAs(c0).zero()
        grad_x.resizeAs(x).zero()
        grad_next_h = self.buffer1.resizeAs(h0).zero()
        grad_next_c = self.buffer2.resizeAs(c0).zero()
        for t in range(T - 1, -1, -1):
            next_h, next_c = h[:, t], c[:, t]
            prev_h, prev_c = None, None
            if t == 0:
                prev_h, prev_c = h0, c0
            else:
                prev_h, prev_c = h[:, t - 1], c[:, t - 1]
            grad_next_h.add(grad_h[:, t])

            i = self.gates[:, t, 0:H]
            f = self.gates[:, t, H:2 * H]
            o = self.gates[:, t, 2 * H:3 * H]
            g = self.gates[:, t, 3 * H:4 * H]

            grad_a = self.grad_a_buffer.resize(N, 4 * H).zero()
            grad_ai = grad_a[:, 0:H]
            grad_af = grad_a[:, H:2 * H]
            grad_ao = grad_a[:, 2 * H:3 * H]
            grad_ag = grad_a[:, 3 * H:4 * H]

            # We will use grad_ai, grad_af, and grad_ao as temporary buffers
            # to to compute grad_next_c. We will need tanh_next_c (stored in grad_ai)
            # to compute grad_ao; the other values can be overwritten after we compute
            # grad_next_c
            tanh_next_c = grad_ai.tanh(next_c)
            tanh_next_c2 = grad_af.cmul(tanh_next_c, tanh_next_c)
            my_grad_next_c = grad_ao
            my_grad_next_c.fill(1).add(-1, tanh_next_c2).cmul(o).cmul(grad_next_h)
            grad_next_c.add(my_grad_next_c)

            # We need tanh_next_c (currently in grad_ai) to compute grad_ao; after
            # that we can overwrite it.
            grad_ao.fill(1).add(-1, o).cmul(o).cmul(tanh_next_c).cmul(grad_next_h)

            # Use grad_ai as a temporary buffer for computing grad_ag
            g2 = grad_ai.cmul(g, g)
            grad_ag.fill(1).add(-1, g2).cmul(i).cmul(grad_next_c)

            # We don't need any temporary storage for these so do them last
            grad_ai.fill(1).add(-1, i).cmul(i).cmul(g).cmul(grad_next_c)
            grad_af.fill(1).add(-1, f).cmul(f).cmul(prev_c).cmul(grad_next_c)

            grad_x[:, t].mm(grad_a, Wx.t())
            grad_Wx.addmm(scale, x[:, t].t(), grad_a)
            grad_Wh.addmm(scale, prev_h.t(), grad_a)
            grad_a_sum = self.buffer3.resize(1, 4 * H).sum(grad_a, 0)
            grad_b.add(scale, grad_a_sum)

            grad_next_h.mm(grad_a, Wh.t())
            grad_next_c.cmul(f)
        grad_h0.copy(grad_next_h)
        grad_c0.copy(grad_next_c)

        if self._return_grad_c0 and self._return_grad_h0:
            self.gradInput = [self.grad_c0, self.grad_h0, self.grad_x]
        elif self._return_grad_h0:
            self.gradInput = [self.grad_h0, self.grad_x]
        else:
            self.gradInput = self.grad_x

        return self.gradInput

    def clearState(self):
        self.cell.set()
        self.gates.set()
        self.buffer1.set()
        self.buffer2.set()
        self.buffer3.set()
        self.grad_a_buffer.set()

        self.grad_c0.set()
        self.grad_h0.set()
        self.grad_x.set()
        self.output.set()

    def updateGradInput(self, input, gradOutput):
        if self.recompute_backward:
            self.backward(input, gradOutput, 1.0)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        if self.recompute_backward:
            self.backward(input, gradOutput, scale)

    def __tostring__(self):
        name = lg.type(self)
        din, dout = self.input_dim, self.hidden_dim
        return '%s(%d -> %d)' % (name, din, dout)


# --- VanillaRNN.lua ------------------------------------------------------------------------------------------

class VanillaRNN(nn.Module):
    """VanillaRNN.lua: h_t = tanh(x_t Wx + h_{t-1} Wh + b) over ``x`` (N, T, D) or ``[h0, x]``; output
    (N, T, H); ``weight`` (D + H, H)."""

    def __init__(self, input_dim, hidden_dim):
        super().__init__()

        D, H = input_dim, hidden_dim
        self.input_dim, self.hidden_dim = D, H

        self.weight = lg.Tensor(D + H, H)
        self.gradWeight = lg.Tensor(D + H, H)
        self.bias = lg.Tensor(H)
        self.gradBias = lg.Tensor(H)
        self.reset()

        self.h0 = lg.Tensor()
        self.remember_states = False

        self.buffer1 = lg.Tensor()
        self.buffer2 = lg.Tensor()
        self.grad_h0 = lg.Tensor()
        self.grad_x = lg.Tensor()
        self.gradInput = [self.grad_h0, self.grad_x]

    def reset(self, std=None):
        if not std:
            std = 1.0 / math.sqrt(self.hidden_dim + self.input_dim)
        self.bias.zero()
        self.weight.normal(0, std)
        return self

    def resetStates(self):
        self.h0 = self.h0.new()

    def _unpack_input(self, input):
        h0, x = None, None
        if lg.type(input) == 'table' and len(input) == 2:
            h0, x = input
        elif lg.isTensor(input):
            x = input
        else:
            assert False, 'invalid input'
        return h0, x

    def _get_sizes(self, input, gradOutput=None):
        h0, x = self._unpack_input(input)
        N, T = x.size(0), x.size(1)
        H, D = self.hidden_dim, self.input_dim
        check_dims(x, [N, T, D])
        if h0 is not None:
            check_dims(h0, [N, H])
        if gradOutput is not None:
            check_dims(gradOutput, [N, T, H])
        return N, T, D, H

    def updateOutput(self, input):
        self.recompute_backward = True
        h0, x = self._unpack_input(input)
        N, T, D, H = self._get_sizes(input)
        self._return_grad_h0 = (h0 is not None)
        if h0 is None:
            h0 = self.h0
            if h0.nElement() == 0 or not self.remember_states:
                h0.resize(N, H).zero()
            elif self.remember_states:
                prev_N, prev_T = self.output.size(0), self.output.size(1)
                assert prev_N == N, 'batch sizes must be constant to remember states'
                h0.copy(self.output[:, prev_T - 1])

        bias_expand = self.bias.view(1, H).expand(N, H)
        Wx = self.weight[0:D]
        Wh = self.weight[D:D + H]

        self.output.resize(N, T, H).zero()
        prev_h = h0
        for t in range(T):
            cur_x = x[:, t]
            next_h = self.output[:, t]
            next_h.addmm(bias_expand, cur_x, Wx)
            next_h.addmm(prev_h, Wh)
            next_h.tanh()
            prev_h = next_h

        return self.output

    # Normally we don't implement backward, and instead just implement
    # updateGradInput and accGradParameters. However for an RNN, separating these
    # two operations would result in quite a bit of repeated code and compute;
    # therefore we'll just implement backward and update gradInput and
    # gradients with respect to parameters at the same time.
    def backward(self, input, gradOutput, scale=None):
        self.recompute_backward = False
        scale = scale or 1.0
        assert scale == 1.0, 'scale must be 1'
        N, T, D, H = self._get_sizes(input, gradOutput)
        h0, x = self._unpack_input(input)
        if h0 is None:
            h0 = self.h0
        grad_h = gradOutput

        Wx = self.weight[0:D]
        Wh = self.weight[D:D + H]
        grad_Wx = self.gradWeight[0:D]
        grad_Wh = self.gradWeight[D:D + H]
        grad_b = self.gradBias

        grad_h0 = self.grad_h0.resizeAs(h0).zero()
        grad_x = self.grad_x.resizeAs(x).zero()
        grad_next_h = self.buffer1.resizeAs(h0).zero()
        for t in range(T - 1, -1, -1):
            next_h, prev_h = self.output[:, t], None
            if t == 0:
                prev_h = h0
            else:
                prev_h = self.output[:, t - 1]
            grad_next_h.add(grad_h[:, t])
            grad_a = grad_h0.resizeAs(h0)
            grad_a.fill(1).addcmul(-1.0, next_h, next_h).cmul(grad_next_h)
            grad_x[:, t].mm(grad_a, Wx.t())
            grad_Wx.addmm(scale, x[:, t].t(), grad_a)
            grad_Wh.addmm(scale, prev_h.t(), grad_a)
            grad_next_h.mm(grad_a, Wh.t())
            self.buffer2.resize(1, H).sum(grad_a, 0)
            grad_b.add(scale, self.buffer2)
        grad_h0.copy(grad_next_h)

        if self._return_grad_h0:
            self.gradInput = [self.grad_h0, self.grad_x]
        else:
            self.gradInput = self.grad_x

        return self.gradInput

    def updateGradInput(self, input, gradOutput):
        if self.recompute_backward:
            self.backward(input, gradOutput, 1.0)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        if self.recompute_backward:
            self.backward(input, gradOutput, scale)

    def clearState(self):
        self.buffer1.set()
        self.buffer2.set()
        self.grad_h0.set()
        self.grad_x.set()
        self.output.set()

    def __tostring__(self):
        name = lg.type(self)
        din, dout = self.input_dim, self.hidden_dim
        return '%s(%d -> %d)' % (name, din, dout)


# --- TemporalAdapter.lua -------------------------------------------------------------------------------------

class TemporalAdapter(nn.Module):
    """TemporalAdapter.lua: a module of (N, A) -> (N, B) applied at every step of (N, T, A)."""

    def __init__(self, module):
        self.view_in = nn.View(1, -1).setNumInputDims(3)
        self.view_out = nn.View(1, -1).setNumInputDims(2)
        self.net = nn.Sequential()
        self.net.add(self.view_in)
        self.net.add(module)
        self.net.add(self.view_out)

    def updateOutput(self, input):
        N, T = input.size(0), input.size(1)
        self.view_in.resetSize(N * T, -1)
        self.view_out.resetSize(N, T, -1)
        self.output = self.net.forward(input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.net.updateGradInput(input, gradOutput)
        return self.gradInput


# --- LanguageModel.lua ---------------------------------------------------------------------------------------

class LanguageModel(nn.Module):
    """LanguageModel.lua: codes (N, T) -> scores (N, T, V)."""

    def __init__(self, kwargs):
        self.idx_to_token = utils.get_kwarg(kwargs, 'idx_to_token')
        self.token_to_idx = {}
        self.vocab_size = 0
        for idx, token in self.idx_to_token.items():
            self.token_to_idx[token] = idx
            self.vocab_size = self.vocab_size + 1

        self.model_type = utils.get_kwarg(kwargs, 'model_type')
        self.wordvec_dim = utils.get_kwarg(kwargs, 'wordvec_size')
        self.rnn_size = utils.get_kwarg(kwargs, 'rnn_size')
        self.num_layers = utils.get_kwarg(kwargs, 'num_layers')
        self.dropout = utils.get_kwarg(kwargs, 'dropout')
        self.batchnorm = utils.get_kwarg(kwargs, 'batchnorm')

        V, D, H = self.vocab_size, self.wordvec_dim, self.rnn_size

        self.net = nn.Sequential()
        self.rnns = []
        self.bn_view_in = []
        self.bn_view_out = []

        self.net.add(nn.LookupTable(V, D))
        for i in range(self.num_layers):
            prev_dim = H
            if i == 0:
                prev_dim = D
            rnn = None
            if self.model_type == 'rnn':
                rnn = VanillaRNN(prev_dim, H)
            elif self.model_type == 'lstm':
                rnn = LSTM(prev_dim, H)
            rnn.remember_states = True
            self.rnns.append(rnn)
            self.net.add(rnn)
            if self.batchnorm == 1:
                view_in = nn.View(1, 1, -1).setNumInputDims(3)
                self.bn_view_in.append(view_in)
                self.net.add(view_in)
                self.net.add(nn.BatchNormalization(H))
                view_out = nn.View(1, -1).setNumInputDims(2)
                self.bn_view_out.append(view_out)
                self.net.add(view_out)
            if self.dropout > 0:
                self.net.add(nn.Dropout(self.dropout))

        # After all the RNNs run, we will have a tensor of shape (N, T, H);
        # we want to apply a 1D temporal convolution to predict scores for each
        # vocab element, giving a tensor of shape (N, T, V). Unfortunately
        # nn.TemporalConvolution is SUPER slow, so instead we will use a pair of
        # views (N, T, H) -> (NT, H) and (NT, V) -> (N, T, V) with a nn.Linear in
        # between. Unfortunately N and T can change on every minibatch, so we need
        # to set them in the forward pass.
        self.view1 = nn.View(1, 1, -1).setNumInputDims(3)
        self.view2 = nn.View(1, -1).setNumInputDims(2)

        self.net.add(self.view1)
        self.net.add(nn.Linear(H, V))
        self.net.add(self.view2)

    def updateOutput(self, input):
        N, T = input.size(0), input.size(1)
        self.view1.resetSize(N * T, -1)
        self.view2.resetSize(N, T, -1)

        for view_in in self.bn_view_in:
            view_in.resetSize(N * T, -1)
        for view_out in self.bn_view_out:
            view_out.resetSize(N, T, -1)

        return self.net.forward(input)

    def backward(self, input, gradOutput, scale=None):
        return self.net.backward(input, gradOutput, scale)

    def parameters(self):
        return self.net.parameters()

    def training(self):
        self.net.training()
        nn.Module.training(self)

    def evaluate(self):
        self.net.evaluate()
        nn.Module.evaluate(self)

    def resetStates(self):
        for i, rnn in enumerate(self.rnns):
            rnn.resetStates()

    def encode_string(self, s):
        encoded = lg.LongTensor(len(s))
        for i in range(len(s)):
            token = s[i]
            idx = self.token_to_idx.get(token)
            assert idx is not None, 'Got invalid idx'
            encoded[i] = idx
        return encoded

    def decode_string(self, encoded):
        assert lg.isTensor(encoded) and encoded.dim() == 1
        s = ''
        for i in range(encoded.size(0)):
            idx = encoded[i]
            token = self.idx_to_token[idx]
            s = s + token
        return s

    def sample(self, kwargs):
        """Sample from the language model. Note that this will reset the states of the underlying RNNs.

        kwargs: ``length`` (codes to sample, 100), ``start_text`` (''), ``verbose`` (0), ``sample`` (1: draw
        from the softmax at ``temperature``; 0: take the argmax). Returns the string of ``length`` characters,
        ``start_text`` first."""
        T = utils.get_kwarg(kwargs, 'length', 100)
        start_text = utils.get_kwarg(kwargs, 'start_text', '')
        verbose = utils.get_kwarg(kwargs, 'verbose', 0)
        sample = utils.get_kwarg(kwargs, 'sample', 1)
        temperature = utils.get_kwarg(kwargs, 'temperature', 1)

        sampled = lg.LongTensor(1, T)
        self.resetStates()

        scores, first_t = None, None
        if len(start_text) > 0:
            if verbose > 0:
                print('Seeding with: "' + start_text + '"')
            x = self.encode_string(start_text).view(1, -1)
            T0 = x.size(1)
            sampled[:, 0:T0].copy(x)
            scores = self.forward(x)[:, T0 - 1:T0]
            first_t = T0 + 1
        else:
            if verbose > 0:
                print('Seeding with uniform probabilities')
            w = self.net.get(0).weight
            scores = w.new(1, 1, self.vocab_size).fill(1)
            first_t = 1

        _, next_char = None, None
        for t in range(first_t, T + 1):
            if sample == 0:
                _, next_char = scores.max(2)
                next_char = next_char[:, :, 0]
            else:
                probs = lg.div(scores, temperature).double().exp().squeeze()
                probs.div(lg.sum(probs))
                next_char = lg.multinomial(probs, 1).view(1, 1)
            sampled[:, t - 1:t].copy(next_char)
            scores = self.forward(next_char)

        self.resetStates()
        return self.decode_string(sampled[0])

    def clearState(self):
        self.net.clearState()


# --- TemporalCrossEntropyCriterion.lua -----------------------------------------------------------------------

class TemporalCrossEntropyCriterion(nn.Criterion):
    """TemporalCrossEntropyCriterion.lua: cross-entropy of scores (N, T, C) against classes (N, T), a target
    of -1 (Lua's 0, the null token below the classes 1 .. C) giving no loss and no gradient. Losses are
    divided by N (``batch_average``, default true) and by T (``time_average``, default false)."""

    def __init__(self):
        super().__init__()

        # Set up a little net to compute LogSoftMax
        self.lsm = nn.Sequential()
        self.lsm.add(nn.View(1, 1, -1).setNumInputDims(3))
        self.lsm.add(nn.LogSoftMax())
        self.lsm.add(nn.View(1, -1).setNumInputDims(2))

        # Whether to average over space and batch
        self.batch_average = True
        self.time_average = False

        # Intermediates
        self.grad_logprobs = lg.Tensor()
        self.losses = lg.Tensor()

    def clearState(self):
        self.lsm.clearState()
        self.grad_logprobs.set()
        self.losses.set()

    # Implementation note: We compute both loss and gradient in updateOutput, and
    # just return the gradient from updateGradInput.
    def updateOutput(self, input, target):
        N, T, C = input.size(0), input.size(1), input.size(2)
        assert target.dim() == 2 and target.size(0) == N and target.size(1) == T
        self.lsm.get(0).resetSize(N * T, -1)
        self.lsm.get(2).resetSize(N, T, -1)

        # For CPU tensors, target should be a LongTensor but for GPU tensors
        # it should be the same type as input ... gross.
        if input.type() == 'torch.FloatTensor' or input.type() == 'torch.DoubleTensor':
            target = target.long()

        # Figure out which elements are null. We want to use target as an index
        # tensor for gather and scatter, so temporarily replace -1s with 0s.
        null_mask = lg.eq(target, -1)
        target[null_mask] = 0

        # Forward pass: compute losses and mask out null tokens
        logprobs = self.lsm.forward(input)
        self.losses.resize(N, T, 1).gather(logprobs, 2, target.view(N, T, 1)).mul(-1)
        self.losses = self.losses.view(N, T)
        self.losses[null_mask] = 0

        # Backward pass: Compute grad_logprobs
        self.grad_logprobs.resizeAs(logprobs).zero()
        self.grad_logprobs.scatter(2, target.view(N, T, 1), -1)
        self.grad_logprobs[null_mask.view(N, T, 1).expand(N, T, C)] = 0

        if self.batch_average:
            self.losses.div(N)
            self.grad_logprobs.div(N)
        if self.time_average:
            self.losses.div(T)
            self.grad_logprobs.div(T)
        self.output = self.losses.sum()
        self.gradInput = self.lsm.backward(input, self.grad_logprobs)

        target[null_mask] = -1
        return self.output

    def updateGradInput(self, input, target):
        return self.gradInput


for _cls in (LSTM, VanillaRNN, TemporalAdapter, LanguageModel):
    lg.register(_cls, 'torch_rnn.' + _cls.__name__)


# --- util/DataLoader.lua -------------------------------------------------------------------------------------

class DataLoader:
    """util/DataLoader.lua: the three splits of the HDF5 file, each cut into (num_batches, N, T) inputs and
    the targets one code later."""

    def __init__(self, kwargs):
        h5_file = utils.get_kwarg(kwargs, 'input_h5')
        self.batch_size = utils.get_kwarg(kwargs, 'batch_size')
        self.seq_length = utils.get_kwarg(kwargs, 'seq_length')
        N, T = self.batch_size, self.seq_length

        # Just slurp all the data into memory
        splits = {}
        f = hdf5.open(h5_file, 'r')
        splits['train'] = f.read('/train').all()
        splits['val'] = f.read('/val').all()
        splits['test'] = f.read('/test').all()

        self.x_splits = {}
        self.y_splits = {}
        self.split_sizes = {}
        for split, v in splits.items():
            num = v.nElement()
            N_cur = N
            if N * T > num - 1:
                N_cur = math.floor((num - 1) / T)
                print("Not enough %s data, reducing batch size to %d" % (split, N_cur))
            extra = num % (N_cur * T)

            # Ensure that `vy` is non-empty
            if extra == 0:
                extra = N_cur * T

            # Chop out the extra bits at the end to make it evenly divide
            vx = v[0:num - extra].view(N_cur, -1, T).transpose(0, 1).clone()
            vy = v[1:num - extra + 1].view(N_cur, -1, T).transpose(0, 1).clone()

            self.x_splits[split] = vx
            self.y_splits[split] = vy
            self.split_sizes[split] = vx.size(0)

        self.split_idxs = {'train': 0, 'val': 0, 'test': 0}

    def nextBatch(self, split):
        idx = self.split_idxs.get(split)
        assert idx is not None, 'invalid split ' + split
        x = self.x_splits[split][idx]
        y = self.y_splits[split][idx]
        if idx == self.split_sizes[split] - 1:
            self.split_idxs[split] = 0
        else:
            self.split_idxs[split] = idx + 1
        return x, y


# --- scripts/preprocess.py (lines 27-97), its codes from 0 ----------------------------------------------------

def preprocess(text, output_h5, output_json, val_frac=0.1, test_frac=0.1):
    h5py = pytest.importorskip('h5py')
    token_to_idx = {}
    total_size = 0
    for line in text.splitlines(keepends=True):
        total_size += len(line)
        for char in line:
            if char not in token_to_idx:
                token_to_idx[char] = len(token_to_idx)   # preprocess.py: len(token_to_idx) + 1, for Lua

    val_size = int(val_frac * total_size)
    test_size = int(test_frac * total_size)
    train_size = total_size - val_size - test_size

    dtype = np.uint8
    if len(token_to_idx) > 255:
        dtype = np.uint32

    train = np.zeros(train_size, dtype=dtype)
    val = np.zeros(val_size, dtype=dtype)
    test = np.zeros(test_size, dtype=dtype)
    splits = [train, val, test]

    split_idx, cur_idx = 0, 0
    for line in text.splitlines(keepends=True):
        for char in line:
            splits[split_idx][cur_idx] = token_to_idx[char]
            cur_idx += 1
            if cur_idx == splits[split_idx].size:
                split_idx += 1
                cur_idx = 0

    with h5py.File(output_h5, 'w') as f:
        f.create_dataset('train', data=train)
        f.create_dataset('val', data=val)
        f.create_dataset('test', data=test)

    json_data = {
        'token_to_idx': token_to_idx,
        'idx_to_token': {v: k for k, v in token_to_idx.items()},
    }
    with open(output_json, 'w') as f:
        json.dump(json_data, f)
    return train, val, test


# --- train.lua -----------------------------------------------------------------------------------------------

def train_options():
    """train.lua lines 11-49's options."""
    cmd = lg.CmdLine()

    # Dataset options
    cmd.option('-input_h5', 'data/tiny-shakespeare.h5')
    cmd.option('-input_json', 'data/tiny-shakespeare.json')
    cmd.option('-batch_size', 50)
    cmd.option('-seq_length', 50)

    # Model options
    cmd.option('-init_from', '')
    cmd.option('-reset_iterations', 1)
    cmd.option('-model_type', 'lstm')
    cmd.option('-wordvec_size', 64)
    cmd.option('-rnn_size', 128)
    cmd.option('-num_layers', 2)
    cmd.option('-dropout', 0)
    cmd.option('-batchnorm', 0)

    # Optimization options
    cmd.option('-max_epochs', 50)
    cmd.option('-learning_rate', 2e-3)
    cmd.option('-grad_clip', 5)
    cmd.option('-lr_decay_every', 5)
    cmd.option('-lr_decay_factor', 0.5)

    # Output options
    cmd.option('-print_every', 1)
    cmd.option('-checkpoint_every', 1000)
    cmd.option('-checkpoint_name', 'cv/checkpoint')

    # Benchmark options
    cmd.option('-speed_benchmark', 0)
    cmd.option('-memory_benchmark', 0)

    # Backend options
    cmd.option('-gpu', 0)
    cmd.option('-gpu_backend', 'cuda')
    return cmd


def train(arg):
    """train.lua lines 49-248; returns what the test reads of its locals."""
    cmd = train_options()
    opt = cmd.parse(arg)

    # Set up GPU stuff
    dtype = 'torch.FloatTensor'
    cutorch = None
    if opt['gpu'] >= 0 and opt['gpu_backend'] == 'cuda':
        from legonn import cutorch
        cutorch.setDevice(opt['gpu'])
        dtype = 'torch.CudaTensor'
        print('Running with CUDA on GPU %d' % opt['gpu'])
    elif opt['gpu'] >= 0 and opt['gpu_backend'] == 'opencl':
        raise ValueError('train: legonn has no OpenCL backend (cltorch, clnn)')
    else:
        # Memory benchmarking is only supported in CUDA mode
        opt['memory_benchmark'] = 0
        print('Running in CPU mode')

    # Initialize the DataLoader and vocabulary
    loader = DataLoader(opt)
    vocab = utils.read_json(opt['input_json'])
    idx_to_token = {}
    for k, v in vocab['idx_to_token'].items():
        idx_to_token[int(k)] = v

    # Initialize the model and criterion
    opt_clone = lg.deserialize(lg.serialize(opt))
    opt_clone['idx_to_token'] = idx_to_token
    model = None
    start_i = 0
    if opt['init_from'] != '':
        print('Initializing from ', opt['init_from'])
        checkpoint = lg.load(opt['init_from'])
        model = checkpoint['model'].type(dtype)
        if opt['reset_iterations'] == 0:
            start_i = checkpoint['i']
    else:
        model = LanguageModel(opt_clone).type(dtype)
    params, grad_params = model.getParameters()
    crit = nn.CrossEntropyCriterion().type(dtype)

    # Set up some variables we will use below
    N, T = opt['batch_size'], opt['seq_length']
    train_loss_history = []
    val_loss_history = []
    val_loss_history_it = []
    forward_backward_times = []
    init_memory_usage, memory_usage = None, []

    if opt['memory_benchmark'] == 1:
        # This should only be enabled in GPU mode
        assert cutorch
        cutorch.synchronize()
        free, total = cutorch.getMemoryUsage(cutorch.getDevice())
        init_memory_usage = total - free

    # Loss function that we pass to an optim method
    def f(w):
        assert w is params
        grad_params.zero()

        # Get a minibatch and run the model forward, maybe timing it
        timer = None
        x, y = loader.nextBatch('train')
        x, y = x.type(dtype), y.type(dtype)
        if opt['speed_benchmark'] == 1:
            if cutorch:
                cutorch.synchronize()
            timer = lg.Timer()
        scores = model.forward(x)

        # Use the Criterion to compute loss; we need to reshape the scores to be
        # two-dimensional before doing so. Annoying.
        scores_view = scores.view(N * T, -1)
        y_view = y.view(N * T)
        loss = crit.forward(scores_view, y_view)

        # Run the Criterion and model backward to compute gradients, maybe timing it
        grad_scores = crit.backward(scores_view, y_view).view(N, T, -1)
        model.backward(x, grad_scores)
        if timer:
            if cutorch:
                cutorch.synchronize()
            time = timer.time()['real']
            print('Forward / Backward pass took ', time)
            forward_backward_times.append(time)

        # Maybe record memory usage
        if opt['memory_benchmark'] == 1:
            assert cutorch
            if cutorch:
                cutorch.synchronize()
            free, total = cutorch.getMemoryUsage(cutorch.getDevice())
            memory_used = total - free - init_memory_usage
            memory_used_mb = memory_used / 1024 / 1024
            print('Using %dMB of memory' % memory_used_mb)
            memory_usage.append(memory_used)

        if opt['grad_clip'] > 0:
            grad_params.clamp(-opt['grad_clip'], opt['grad_clip'])

        return loss, grad_params

    # Train the model!
    optim_config = {'learningRate': opt['learning_rate']}
    num_train = loader.split_sizes['train']
    num_iterations = opt['max_epochs'] * num_train
    model.training()
    for i in range(start_i + 1, num_iterations + 1):
        epoch = math.floor(i / num_train) + 1

        # Check if we are at the end of an epoch
        if i % num_train == 0:
            model.resetStates()  # Reset hidden states

            # Maybe decay learning rate
            if epoch % opt['lr_decay_every'] == 0:
                old_lr = optim_config['learningRate']
                optim_config = {'learningRate': old_lr * opt['lr_decay_factor']}

        # Take a gradient step and maybe print
        # Note that adam returns a singleton array of losses
        _, loss = optim.adam(f, params, optim_config)
        train_loss_history.append(loss[0])
        if opt['print_every'] > 0 and i % opt['print_every'] == 0:
            float_epoch = i / num_train + 1
            msg = 'Epoch %.2f / %d, i = %d / %d, loss = %f'
            args = [msg, float_epoch, opt['max_epochs'], i, num_iterations, loss[0]]
            print(args[0] % tuple(args[1:]))

        # Maybe save a checkpoint
        check_every = opt['checkpoint_every']
        if (check_every > 0 and i % check_every == 0) or i == num_iterations:
            # Evaluate loss on the validation set. Note that we reset the state of
            # the model; this might happen in the middle of an epoch, but that
            # shouldn't cause too much trouble.
            model.evaluate()
            model.resetStates()
            num_val = loader.split_sizes['val']
            val_loss = 0
            for j in range(num_val):
                xv, yv = loader.nextBatch('val')
                N_v = xv.size(0)
                xv = xv.type(dtype)
                yv = yv.type(dtype).view(N_v * T)
                scores = model.forward(xv).view(N_v * T, -1)
                val_loss = val_loss + crit.forward(scores, yv)
            val_loss = val_loss / num_val
            print('val_loss = ', val_loss)
            val_loss_history.append(val_loss)
            val_loss_history_it.append(i)
            model.resetStates()
            model.training()

            # First save a JSON checkpoint, excluding the model
            checkpoint = {
                'opt': opt,
                'train_loss_history': train_loss_history,
                'val_loss_history': val_loss_history,
                'val_loss_history_it': val_loss_history_it,
                'forward_backward_times': forward_backward_times,
                'memory_usage': memory_usage,
                'i': i,
            }
            filename = '%s_%d.json' % (opt['checkpoint_name'], i)
            # Make sure the output directory exists before we try to write it
            paths.mkdir(paths.dirname(filename))
            utils.write_json(filename, checkpoint)

            # Now save a torch checkpoint with the model
            # Cast the model to float before saving so it can be used on CPU
            model.clearState()
            model.float()
            checkpoint['model'] = model
            filename = '%s_%d.t7' % (opt['checkpoint_name'], i)
            paths.mkdir(paths.dirname(filename))
            lg.save(filename, checkpoint)
            model.type(dtype)
            params, grad_params = model.getParameters()
    return {'model': model, 'opt': opt, 'optim_config': optim_config, 'train_loss_history': train_loss_history,
            'val_loss_history': val_loss_history, 'val_loss_history_it': val_loss_history_it,
            'num_train': num_train}


# --- sample.lua (lines 7-42) ---------------------------------------------------------------------------------

def sample_main(arg):
    cmd = lg.CmdLine()
    cmd.option('-checkpoint', 'cv/checkpoint_4000.t7')
    cmd.option('-length', 2000)
    cmd.option('-start_text', '')
    cmd.option('-sample', 1)
    cmd.option('-temperature', 1)
    cmd.option('-gpu', 0)
    cmd.option('-gpu_backend', 'cuda')
    cmd.option('-verbose', 0)
    opt = cmd.parse(arg)

    checkpoint = lg.load(opt['checkpoint'])
    model = checkpoint['model']

    msg = None
    if opt['gpu'] >= 0 and opt['gpu_backend'] == 'cuda':
        from legonn import cutorch
        cutorch.setDevice(opt['gpu'])
        model.cuda()
        msg = 'Running with CUDA on GPU %d' % opt['gpu']
    elif opt['gpu'] >= 0 and opt['gpu_backend'] == 'opencl':
        raise ValueError('sample: legonn has no OpenCL backend (cltorch, clnn)')
    else:
        msg = 'Running in CPU mode'
    if opt['verbose'] == 1:
        print(msg)

    model.evaluate()

    sample = model.sample(opt)
    print(sample)
    return sample


# --- eval.lua ------------------------------------------------------------------------------------------------

def eval_main(arg):
    """eval.lua: the checkpoint's mean loss over one split (returned as well as printed)."""
    cmd = lg.CmdLine()
    cmd.option('-checkpoint', '')
    cmd.option('-split', 'val')
    cmd.option('-gpu', 0)
    cmd.option('-gpu_backend', 'cuda')
    opt = cmd.parse(arg)

    # Set up GPU stuff
    dtype = 'torch.FloatTensor'
    if opt['gpu'] >= 0 and opt['gpu_backend'] == 'cuda':
        from legonn import cutorch
        cutorch.setDevice(opt['gpu'])
        dtype = 'torch.CudaTensor'
        print('Running with CUDA on GPU %d' % opt['gpu'])
    elif opt['gpu'] >= 0 and opt['gpu_backend'] == 'opencl':
        raise ValueError('eval: legonn has no OpenCL backend (cltorch, clnn)')
    else:
        # Memory benchmarking is only supported in CUDA mode
        print('Running in CPU mode')

    # Load the checkpoint and model
    checkpoint = lg.load(opt['checkpoint'])
    model = checkpoint['model']
    model.type(dtype)
    crit = nn.CrossEntropyCriterion().type(dtype)

    # Load the vocab and data
    loader = DataLoader(checkpoint['opt'])
    N, T = checkpoint['opt']['batch_size'], checkpoint['opt']['seq_length']

    # Evaluate the model on the specified split
    model.evaluate()
    model.resetStates()
    num = loader.split_sizes[opt['split']]
    loss = 0
    for i in range(num):
        print('%s batch %d / %d' % (opt['split'], i + 1, num))
        x, y = loader.nextBatch(opt['split'])
        N = x.size(0)
        x = x.type(dtype)
        y = y.type(dtype).view(N * T)
        scores = model.forward(x).view(N * T, -1)
        loss = loss + crit.forward(scores, y)
    loss = loss / num
    print('%s loss = %f' % (opt['split'], loss))
    return loss


# --- the tests -----------------------------------------------------------------------------------------------

def _double():
    lg.setdefaulttensortype('legonn.DoubleTensor')     # Torch7's default; tests/conftest.py restores Float


def test_lstm_forward_matches_the_naive_loop():
    """test/LSTM_test.lua's testForward: the gates from the weight's column blocks i, f, o, g."""
    _double()
    N, T, D, H = 3, 4, 5, 6
    h0, c0, x = lg.randn(N, H), lg.randn(N, H), lg.randn(N, T, D)
    lstm = LSTM(D, H)
    h = lstm.forward([c0, h0, x])
    W, b = lstm.weight.numpy(), lstm.bias.numpy()
    sig = lambda a: 1 / (1 + np.exp(-a))
    prev_h, prev_c = h0.numpy(), c0.numpy()
    for t in range(T):
        a = x.numpy()[:, t] @ W[:D] + prev_h @ W[D:] + b
        i, f, o, g = sig(a[:, :H]), sig(a[:, H:2 * H]), sig(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
        prev_c = f * prev_c + i * g
        prev_h = o * np.tanh(prev_c)
        np.testing.assert_allclose(h.numpy()[:, t], prev_h, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(lstm.cell.numpy()[:, t], prev_c, rtol=1e-12, atol=1e-12)
    # reset: forget gate biases 1, the others 0
    assert b.tolist() == [0.0] * H + [1.0] * H + [0.0] * 2 * H


def _gradcheck(module, states, x, names):
    """test/LSTM_test.lua's gradcheck: each analytic gradient against util/gradcheck.lua's numeric one."""
    h = module.forward(states + [x])
    dh = lg.randn(h.size())
    module.zeroGradParameters()
    grads = module.backward(states + [x], dh)
    dw = module.gradWeight.clone()
    db = module.gradBias.clone()
    errors = {}
    for k, name in enumerate(names):
        def fk(v, k=k):
            args = states + [x]
            args[k] = v
            return module.forward(args)
        errors[name] = gradcheck.relative_error(gradcheck.numeric_gradient(fk, (states + [x])[k], dh), grads[k])

    def fw(w):
        old_w = module.weight
        module.weight = w
        out = module.forward(states + [x])
        module.weight = old_w
        return out

    def fb(b):
        old_b = module.bias
        module.bias = b
        out = module.forward(states + [x])
        module.bias = old_b
        return out
    errors['w'] = gradcheck.relative_error(gradcheck.numeric_gradient(fw, module.weight, dh), dw)
    errors['b'] = gradcheck.relative_error(gradcheck.numeric_gradient(fb, module.bias, dh), db)
    return errors


def test_lstm_gradients_against_finite_differences():
    _double()
    N, T, D, H = 2, 3, 4, 5
    lstm = LSTM(D, H)
    errors = _gradcheck(lstm, [lg.randn(N, H), lg.randn(N, H)], lg.randn(N, T, D), ['c0', 'h0', 'x'])
    assert sorted(errors) == ['b', 'c0', 'h0', 'w', 'x']
    for name, err in errors.items():
        assert err < 1e-5, (name, err)


def test_vanilla_rnn_gradients_against_finite_differences():
    """test/VanillaRNN_test.lua's gradient check, plus the forward against the tanh recurrence in NumPy."""
    _double()
    N, T, D, H = 2, 3, 4, 5
    rnn = VanillaRNN(D, H)
    h0, x = lg.randn(N, H), lg.randn(N, T, D)
    h = rnn.forward([h0, x]).numpy().copy()
    W, b, prev = rnn.weight.numpy(), rnn.bias.numpy(), h0.numpy()
    for t in range(T):
        prev = np.tanh(x.numpy()[:, t] @ W[:D] + prev @ W[D:] + b)
        np.testing.assert_allclose(h[:, t], prev, rtol=1e-12, atol=1e-12)
    errors = _gradcheck(rnn, [h0], x, ['h0', 'x'])
    for name, err in errors.items():
        assert err < 1e-5, (name, err)


def test_lstm_equals_seqlstm_given_the_same_weights():
    """torch-rnn's LSTM and legonn's nn.SeqLSTM (batchfirst) share the weight layout (D + H, 4H) and the gate
    order i, f, o, g: copying weight and bias gives the same outputs, input gradients and parameter
    gradients."""
    _double()
    N, T, D, H = 3, 5, 4, 6
    lstm = LSTM(D, H)
    lstm.bias.uniform(-1, 1)    # not only reset's 0/1 blocks: a swapped gate would show
    seq = nn.SeqLSTM(D, H)
    seq.batchfirst = True
    seq.weight.copy(lstm.weight)
    seq.bias.copy(lstm.bias)
    c0, h0, x = lg.randn(N, H), lg.randn(N, H), lg.randn(N, T, D)
    np.testing.assert_allclose(lstm.forward([c0, h0, x]).numpy(), seq.forward([c0, h0, x]).numpy(),
                               rtol=1e-10, atol=1e-12)
    dh = lg.randn(N, T, H)
    lstm.zeroGradParameters()
    seq.zeroGradParameters()
    mine, theirs = lstm.backward([c0, h0, x], dh), seq.backward([c0, h0, x], dh)
    for a, b in zip(mine, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lstm.gradWeight.numpy(), seq.gradWeight.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lstm.gradBias.numpy(), seq.gradBias.numpy(), rtol=1e-10, atol=1e-12)


def test_lstm_states_parameters_and_contract_methods():
    """test/LSTM_test.lua's noCellTest and the remember_states path; ``updateGradInput`` then
    ``accGradParameters`` (what a container's backward may call) run the module's backward once;
    ``getParameters`` flattens weight and bias; ``clearState`` empties the buffers."""
    _double()
    N, T, D, H = 4, 5, 6, 7
    lstm = LSTM(D, H)
    params, grads = lstm.getParameters()
    assert params.nElement() == (D + H) * 4 * H + 4 * H
    for _ in range(2):
        x, h0, dout = lg.randn(N, T, D), lg.randn(N, H), lg.randn(N, T, H)
        lstm.forward([h0, x])
        din = lstm.backward([h0, x], dout)
        assert lg.type(din) == 'table' and len(din) == 2
        check_dims(din[0], [N, H])
        check_dims(din[1], [N, T, D])
        assert lg.equal(lstm.c0, lg.zeros(N, H))

    # updateGradInput runs backward; accGradParameters then adds nothing more
    x = lg.randn(N, T, D)
    lstm.forward(x)
    grads.zero()
    gx = lstm.updateGradInput(x, dout)
    assert lg.isTensor(gx) and gx.size() == (N, T, D)
    once = grads.clone()
    lstm.accGradParameters(x, dout, 1)
    assert lg.equal(grads, once) and grads.abs().sum() > 0

    # remember_states: the next forward starts from the last step's h and c
    lstm.remember_states = True
    x1, x2 = lg.randn(N, T, D), lg.randn(N, T, D)
    lstm.resetStates()
    lstm.forward(x1)
    last_h, last_c = lstm.output[:, T - 1].clone(), lstm.cell[:, T - 1].clone()
    out2 = lstm.forward(x2).clone()
    fresh = LSTM(D, H)
    fresh.weight.copy(lstm.weight)
    fresh.bias.copy(lstm.bias)
    np.testing.assert_allclose(fresh.forward([last_c, last_h, x2]).numpy(), out2.numpy(), rtol=1e-12)
    lstm.resetStates()
    assert lstm.h0.nElement() == 0 and lstm.c0.nElement() == 0

    lstm.clearState()
    assert all(t.nElement() == 0 for t in (lstm.cell, lstm.gates, lstm.output, lstm.grad_x, lstm.buffer3))
    assert str(lstm) == 'nn.LSTM(6 -> 7)'


def test_temporal_adapter_applies_its_module_at_every_step():
    """test/TemporalAdapter_test.lua: a Linear at each of T steps, and its gradInput."""
    _double()
    D, H, N, T = 10, 20, 5, 6
    lin = nn.Linear(D, H)
    mod = TemporalAdapter(lin)
    x = lg.randn(N, T, D)
    y = mod.forward(x)
    check_dims(y, [N, T, H])
    np.testing.assert_allclose(y.numpy(), x.numpy() @ lin.weight.numpy().T + lin.bias.numpy(), rtol=1e-12)
    dy = lg.randn(y.size())
    dx = mod.backward(x, dy)
    check_dims(dx, [N, T, D])
    np.testing.assert_allclose(dx.numpy(), dy.numpy() @ lin.weight.numpy(), rtol=1e-12)
    # a BatchNormalization through it normalises each feature over all N * T positions
    bn = TemporalAdapter(nn.BatchNormalization(D))
    flat = x.numpy().reshape(N * T, D)
    gamma = bn.net.get(1).weight.numpy()     # BatchNormalization.lua's reset: weight uniform, bias zero
    expected = (flat - flat.mean(0)) / np.sqrt(flat.var(0) + 1e-5) * gamma
    np.testing.assert_allclose(bn.forward(x).numpy(), expected.reshape(N, T, D), rtol=1e-10, atol=1e-12)


def _lm_kwargs(V=5, **changes):
    kwargs = {'idx_to_token': {i: 'abcdefgh'[i] for i in range(V)}, 'model_type': 'lstm', 'wordvec_size': 4,
              'rnn_size': 6, 'num_layers': 2, 'dropout': 0, 'batchnorm': 0}
    kwargs.update(changes)
    return kwargs


def test_language_model_structure_and_parameter_count():
    """LanguageModel.lua's net: LookupTable, then per layer the RNN, (View, BatchNormalization, View),
    (Dropout), then View, Linear, View; parameters counted from that structure."""
    V, D, H = 5, 4, 6
    lm = LanguageModel(_lm_kwargs(batchnorm=1, dropout=0.25))
    names = [lg.typename(m) for m in lm.net.modules]
    layer = ['nn.LSTM', 'nn.View', 'nn.BatchNormalization', 'nn.View', 'nn.Dropout']
    assert names == ['nn.LookupTable'] + layer * 2 + ['nn.View', 'nn.Linear', 'nn.View']
    lstm = lambda d: (d + H) * 4 * H + 4 * H
    expected = V * D + lstm(D) + lstm(H) + 2 * (2 * H) + H * V + V
    assert lm.getParameters()[0].nElement() == expected
    x = lg.LongTensor([[0, 1, 2], [3, 4, 0]])
    lm.training()
    assert lm.forward(x).size() == (2, 3, V) and lm.net.get(4).train
    lm.evaluate()
    assert not lm.net.get(4).train and not lm.train
    # remember_states: a sequence fed in two halves scores as it does whole, until resetStates
    codes = lg.LongTensor([[0, 1, 2, 3, 4, 0], [4, 3, 2, 1, 0, 1]])
    lm.resetStates()
    whole = lm.forward(codes).clone()
    lm.resetStates()
    lm.forward(codes[:, 0:2])
    np.testing.assert_allclose(lm.forward(codes[:, 2:6]).numpy(), whole[:, 2:6].numpy(), rtol=1e-5, atol=1e-6)
    lm.resetStates()
    assert np.abs(lm.forward(codes[:, 2:6]).numpy() - whole[:, 2:6].numpy()).max() > 1e-4
    rnn_lm = LanguageModel(_lm_kwargs(model_type='rnn', num_layers=1))
    assert rnn_lm.getParameters()[0].nElement() == V * D + (D + H) * H + H + H * V + V
    assert lg.typename(rnn_lm.net.get(1)) == 'nn.VanillaRNN'


def test_language_model_backward_matches_finite_differences():
    """The whole LanguageModel (two LSTMs, BatchNormalization through Views) back-propagates through the
    user modules: d(sum(scores * w))/d(params) against central differences in float64."""
    _double()
    lm = LanguageModel(_lm_kwargs(batchnorm=1))
    for rnn in lm.rnns:
        rnn.remember_states = False     # each forward from zero states, so the function is fixed
    lm.training()
    x = lg.LongTensor([[0, 1, 2, 3], [4, 3, 2, 1]])
    params, grads = lm.getParameters()
    dout = lg.randn(2, 4, 5)
    grads.zero()
    lm.forward(x)
    lm.backward(x, dout)
    rng = np.random.default_rng(0)
    for k in rng.choice(params.nElement(), 25, replace=False):
        numeric = central_difference(lambda: lg.dot(lm.forward(x), dout), params.numpy(), k)
        assert abs(numeric - grads[k]) < 1e-6 * max(1, abs(grads[k])), k


def test_encode_decode_and_sampling():
    """encode_string/decode_string are inverse; sample is deterministic under a seed, starts with start_text,
    has ``length`` characters, and with ``sample=0`` follows the argmax of the scores; a low temperature
    samples the argmax too (a temperature so low that ``exp`` overflows gives NaN weights, which
    torch.multinomial refuses in Lua as here); sampling resets the states."""
    lg.manualSeed(2)
    lm = LanguageModel(_lm_kwargs(V=5))
    lm.evaluate()
    codes = lm.encode_string('abcdeab')
    assert codes.tolist() == [0, 1, 2, 3, 4, 0, 1]
    assert lm.decode_string(codes) == 'abcdeab'
    spaced = LanguageModel(_lm_kwargs(idx_to_token=dict(enumerate('abcdefg '))))   # LanguageModel_test.lua
    assert spaced.encode_string('a bad feed').tolist() == [0, 7, 1, 0, 3, 7, 5, 4, 4, 3]
    assert spaced.decode_string(spaced.encode_string('a bad feed')) == 'a bad feed'
    with pytest.raises(AssertionError, match='Got invalid idx'):
        lm.encode_string('az')
    lg.manualSeed(7)
    first = lm.sample({'length': 30, 'start_text': 'ab', 'temperature': 0.9})
    lg.manualSeed(7)
    assert lm.sample({'length': 30, 'start_text': 'ab', 'temperature': 0.9}) == first
    assert len(first) == 30 and first.startswith('ab')
    assert lm.rnns[0].h0.nElement() == 0
    greedy = lm.sample({'length': 12, 'start_text': 'c', 'sample': 0})
    # the argmax path step by step, states carried by remember_states
    lm.resetStates()
    expect, x = 'c', lm.encode_string('c').view(1, -1)
    for _ in range(11):
        nxt = int(np.argmax(lm.forward(x).numpy()[0, -1]))
        expect += lm.idx_to_token[nxt]
        x = lg.LongTensor([[nxt]])
    assert greedy == expect
    assert lm.sample({'length': 12, 'start_text': 'c', 'temperature': 0.02}) == greedy
    uniform = lm.sample({'length': 6})        # no start text: the first draw is uniform
    assert len(uniform) == 6 and set(uniform) <= set('abcde')


def test_data_loader_batches_are_the_numpy_reshape(tmp_path):
    """DataLoader.lua over preprocess.py's file: x batch b of a split is rows b*T .. of
    codes[:num - extra].reshape(N, -1, T)[:, b], y the same one code later; nextBatch wraps; a split too
    small for N * T gets a smaller batch."""
    text = ''.join('the cat sat on the mat.\n' for _ in range(8))
    h5, js = str(tmp_path / 'tiny.h5'), str(tmp_path / 'tiny.json')
    train_codes, val_codes, _ = preprocess(text, h5, js)
    vocab = utils.read_json(js)
    assert sorted(int(k) for k in vocab['idx_to_token']) == list(range(len(set(text))))
    N, T = 3, 5
    loader = DataLoader({'input_h5': h5, 'batch_size': N, 'seq_length': T})
    num = train_codes.size
    extra = num % (N * T) or N * T
    xs = train_codes[:num - extra].reshape(N, -1, T).transpose(1, 0, 2)
    ys = train_codes[1:num - extra + 1].reshape(N, -1, T).transpose(1, 0, 2)
    assert loader.split_sizes['train'] == xs.shape[0]
    for b in range(xs.shape[0] + 2):
        x, y = loader.nextBatch('train')
        assert x.type() == 'torch.ByteTensor' and x.size() == (N, T)
        np.testing.assert_array_equal(x.numpy(), xs[b % xs.shape[0]])
        np.testing.assert_array_equal(y.numpy(), ys[b % xs.shape[0]])
    # val has 19 codes: N * T = 15 <= 18, so N stays; extra = 19 % 15 = 4
    assert val_codes.size == 19 and loader.split_sizes['val'] == 1
    small = DataLoader({'input_h5': h5, 'batch_size': 5, 'seq_length': 5})
    assert small.x_splits['val'].size() == (1, 3, 5)    # floor(18 / 5) = 3 rows
    with pytest.raises(AssertionError, match='invalid split'):
        loader.nextBatch('dev')


def test_train_lua_loop_checkpoint_and_sample_lua(tmp_path):
    """train.lua on a tiny corpus: the loss falls, the learning rate halves every ``lr_decay_every`` epochs
    (a new config table, so adam's moments restart), a checkpoint is written at the end (JSON of the
    histories, .t7 of the model and opt), and sample.lua's ``torch.load(checkpoint).model`` samples the
    same text as the trained model under the same seed."""
    text = 'abcab' * 60
    h5, js = str(tmp_path / 'abc.h5'), str(tmp_path / 'abc.json')
    preprocess(text, h5, js)
    name = str(tmp_path / 'cv' / 'checkpoint')
    lg.manualSeed(0)
    out = train(['-input_h5', h5, '-input_json', js, '-batch_size', '2', '-seq_length', '8',
                 '-wordvec_size', '6', '-rnn_size', '12', '-num_layers', '1', '-max_epochs', '4',
                 '-learning_rate', '0.02', '-lr_decay_every', '2', '-print_every', '0', '-checkpoint_name',
                 name, '-gpu', '-1', '-dropout', '0.1'])
    num_train = out['num_train']
    assert num_train == 240 // 16 - 1     # 15 full batches; extra = 0 leaves one more out
    hist = out['train_loss_history']
    assert len(hist) == 4 * num_train
    assert np.mean(hist[-5:]) < 0.3 * np.mean(hist[:5])
    # decays at i = 14 (epoch 1 -> epoch 2: no), 28 (epoch 2), 42 (epoch 3: no), 56 (epoch 5: no)
    decays = [i for i in range(1, 4 * num_train + 1)
              if i % num_train == 0 and (i // num_train + 1) % 2 == 0]
    assert out['optim_config']['learningRate'] == pytest.approx(0.02 * 0.5 ** len(decays))
    assert out['optim_config']['t'] == 4 * num_train - decays[-1] + 1
    i = 4 * num_train
    saved = utils.read_json('%s_%d.json' % (name, i))
    assert saved['i'] == i and saved['val_loss_history_it'] == [i]
    assert saved['train_loss_history'] == pytest.approx(hist)
    assert saved['val_loss_history'][0] < math.log(3) / 2
    assert saved['opt']['rnn_size'] == 12
    checkpoint = lg.load('%s_%d.t7' % (name, i))
    assert checkpoint['opt']['learning_rate'] == 0.02
    assert checkpoint['model'].rnns[0].cell.nElement() == 0      # clearState before the save
    model = out['model']
    model.evaluate()
    lg.manualSeed(5)
    expected = model.sample({'length': 40, 'start_text': 'ab'})
    lg.manualSeed(5)
    got = sample_main(['-checkpoint', '%s_%d.t7' % (name, i), '-length', '40', '-start_text', 'ab',
                       '-gpu', '-1'])
    assert got == expected
    assert 'abcababcab' in got      # the model learned the corpus
    # eval.lua on the checkpoint: the validation loss train.lua recorded
    assert eval_main(['-checkpoint', '%s_%d.t7' % (name, i), '-gpu', '-1']) == pytest.approx(
        saved['val_loss_history'][0], rel=1e-5)
    # -init_from with -reset_iterations 0: one more epoch from the checkpoint's i, the model already trained
    more = train(['-input_h5', h5, '-input_json', js, '-batch_size', '2', '-seq_length', '8',
                  '-max_epochs', '5', '-print_every', '0', '-checkpoint_name', name, '-gpu', '-1',
                  '-init_from', '%s_%d.t7' % (name, i), '-reset_iterations', '0', '-speed_benchmark', '1'])
    assert len(more['train_loss_history']) == num_train
    assert more['train_loss_history'][0] < 0.5 * hist[0]
    assert len(utils.read_json('%s_%d.json' % (name, 5 * num_train))['forward_backward_times']) == num_train


def _naive_temporal_losses(scores, target, crit):
    """test/TemporalCrossEntropyCriterion_test.lua's naiveTest: nn.CrossEntropyCriterion step by step."""
    N, T, C = scores.size(0), scores.size(1), scores.size(2)
    naive_crit = nn.CrossEntropyCriterion()
    naive_losses = lg.zeros(N, T)
    naive_grad = lg.zeros(N, T, C)
    for n in range(N):
        for t in range(T):
            if target[n, t] != -1:
                score_slice = scores[n, t].view(1, C)
                target_slice = lg.LongTensor([target[n, t]])
                naive_losses[n, t] = naive_crit.forward(score_slice, target_slice)
                naive_grad[n, t].copy(naive_crit.backward(score_slice, target_slice))
    if crit.batch_average:
        naive_losses.div(N)
        naive_grad.div(N)
    if crit.time_average:
        naive_losses.div(T)
        naive_grad.div(T)
    return naive_losses, naive_grad


@pytest.mark.parametrize('time_average', [False, True])
def test_temporal_cross_entropy_against_the_naive_loop(time_average):
    """naiveTest: losses, their sum and the gradient equal CrossEntropyCriterion's per (n, t); the null
    targets give zeros and are left as they were."""
    _double()
    N, T, C = 3, 4, 5
    crit = TemporalCrossEntropyCriterion()
    crit.time_average = time_average
    scores = lg.randn(N, T, C)
    target = lg.Tensor(N, T).random(C + 1).add(-1).long()     # Lua: random(C + 1):add(-1), 0 .. C
    target[0, 1] = -1
    before = target.clone()
    loss = crit.forward(scores, target)
    grad_scores = crit.backward(scores, target)
    assert lg.equal(target, before)
    naive_losses, naive_grad = _naive_temporal_losses(scores, target, crit)
    np.testing.assert_allclose(crit.losses.numpy(), naive_losses.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad_scores.numpy(), naive_grad.numpy(), rtol=1e-12, atol=1e-14)
    assert loss == pytest.approx(naive_losses.sum(), rel=1e-12)
    assert crit.losses[0, 1] == 0 and grad_scores[0, 1].abs().sum() == 0


@pytest.mark.gpu
def test_temporal_cross_entropy_on_cuda_with_float_targets():
    """simpleTest('torch.CudaTensor'): on the GPU the target stays a CudaTensor of the input's type (the Lua
    takes ``target:long()`` only for CPU inputs); the numbers are the CPU's."""
    N, T, C = 4, 5, 3
    crit = TemporalCrossEntropyCriterion()
    scores = lg.randn(N, T, C)
    target = lg.Tensor(N, T).random(C + 1).add(-1)
    loss = crit.forward(scores, target.long())
    grad = crit.backward(scores, target.long()).clone()
    gcrit = TemporalCrossEntropyCriterion().type('torch.CudaTensor')
    gtarget = target.type('torch.CudaTensor')
    gloss = gcrit.forward(scores.cuda(), gtarget)
    ggrad = gcrit.backward(scores.cuda(), gtarget)
    assert ggrad.is_cuda and gloss == pytest.approx(loss, rel=1e-5)
    np.testing.assert_allclose(ggrad.float().numpy(), grad.numpy(), rtol=1e-5, atol=1e-6)
    assert lg.equal(gtarget.float(), target)


@pytest.mark.gpu
def test_train_and_sample_with_gpu_0(tmp_path):
    """train.lua and sample.lua with ``-gpu 0``: the DataLoader's ByteTensors become CudaTensors by
    ``x:type(dtype)``, the user LSTMs run their tensor methods on the device, and the checkpoint (saved after
    ``model:float()``) samples the same text on the GPU as on the CPU under one seed."""
    text = 'abcab' * 30
    h5, js = str(tmp_path / 'abc.h5'), str(tmp_path / 'abc.json')
    preprocess(text, h5, js)
    name = str(tmp_path / 'cv' / 'checkpoint')
    lg.manualSeed(0)
    out = train(['-input_h5', h5, '-input_json', js, '-batch_size', '2', '-seq_length', '8',
                 '-wordvec_size', '6', '-rnn_size', '12', '-num_layers', '2', '-max_epochs', '2',
                 '-learning_rate', '0.02', '-print_every', '0', '-checkpoint_name', name, '-gpu', '0',
                 '-batchnorm', '1', '-memory_benchmark', '1'])
    hist = out['train_loss_history']
    assert len(utils.read_json('%s_%d.json' % (name, len(hist)))['memory_usage']) == len(hist)
    assert len(hist) == 2 * out['num_train'] and all(math.isfinite(v) for v in hist)
    assert np.mean(hist[-3:]) < np.mean(hist[:3])
    assert out['model'].rnns[1].weight.is_cuda
    path = '%s_%d.t7' % (name, len(hist))
    assert lg.load(path)['model'].rnns[0].weight.type() == 'torch.FloatTensor'
    texts = []
    for gpu in ('-1', '0'):
        lg.manualSeed(11)
        texts.append(sample_main(['-checkpoint', path, '-length', '30', '-start_text', 'ab', '-gpu', gpu]))
    assert texts[0] == texts[1] and len(texts[0]) == 30
