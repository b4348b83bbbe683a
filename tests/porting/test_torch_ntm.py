"""kaishengtai/torch-ntm ported line by line: the user layers of layers/ (CircularConvolution.lua lines 11-96,
OuterProd.lua 9-69, PowTable.lua 9-37, ScalarMulTable.lua 9-30, ScalarDivTable.lua 10-32,
SmoothCosineSimilarity.lua 16-58), each with its own backward; NTM.lua's ``ntm.NTM`` (lines 25-455: the init
module, the LSTM controller, the read/write heads, one nngraph cell per time step sharing the master cell's
parameters through init.lua's ``share_params`` (lines 18-25)); rmsprop.lua's ``ntm.rmsprop`` (lines 9-58);
tasks/copy.lua's sequence generator, forward/backward over a sequence and training loop (lines 16-158) and
tasks/util.lua's ``argmax``/``print_read_max``/``print_write_max``; the repository's tests/ scripts
(test-circular.lua, test-cosine.lua, test-scalartables.lua) as assertions. tasks/recall.lua (the associative
recall task, the same NTM and loop on other sequences) is left out. The sizes are small (the copy task's
128x20 memory and 100-unit controller become 8x4 and 10) and the training runs a few iterations; Torch7's
default tensor type (Double) is set as in Lua. Memory rows and bit positions are 0-based."""
import math

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.pl import tablex
from tests.checks import assert_jacobian

pytestmark = pytest.mark.usefixtures('double_default')   # Torch7's default type, as the Lua runs


# ---------------------------------------------------------------- layers/

def rotate_left(input, step):
    output = input.new().resizeAs(input)
    size = input.size(0)
    output[0:size - step] = input[step:size]
    output[size - step:size] = input[0:step]
    return output


def rotate_right(input, step):
    output = input.new().resizeAs(input)
    size = input.size(0)
    output[step:size] = input[0:size - step]
    output[0:step] = input[size - step:size]
    return output


class CircularConvolution(nn.Module):
    """CircularConvolution.lua: input {v, k}, a vector and a kernel; output the circular convolution of v with
    k, centred on the kernel's middle element."""

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, input):
        v, k = input
        self.size = v.size(0)
        self.kernel_size = k.size(0)
        self.kernel_shift = math.floor(self.kernel_size / 2)
        self.output = v.new().resize(self.size).zero()
        for i in range(self.size):
            for j in range(self.kernel_size):
                # Lua's idx = i + shift - j + 1 over 1-based i, j: the same row, 0-based
                idx = i + self.kernel_shift - j
                if idx < 0:
                    idx = idx + self.size
                if idx > self.size - 1:
                    idx = idx - self.size
                self.output[i:i + 1].add(k[j] * v[idx])
        return self.output

    def updateGradInput(self, input, gradOutput):
        v, k = input
        self.gradInput = [self.gradInput[0] if len(self.gradInput) > 0 else v.new(),
                          self.gradInput[1] if len(self.gradInput) > 1 else k.new()]
        self.gradInput[0].resize(self.size)
        self.gradInput[1].resize(self.kernel_size)

        gradOutput2 = rotate_right(gradOutput.repeatTensor(1, 2).view(2 * self.size), self.kernel_shift)
        for i in range(self.size):
            self.gradInput[0][i] = k.dot(gradOutput2.narrow(0, i, self.kernel_size))

        v2 = rotate_left(v.repeatTensor(1, 2).view(2 * self.size), self.kernel_shift + 1)
        for i in range(self.kernel_size):
            # Lua's narrow(1, size - i + 1, size) over 1-based i
            self.gradInput[1][i] = gradOutput.dot(v2.narrow(0, self.size - i - 1, self.size))
        return self.gradInput


class OuterProd(nn.Module):
    """OuterProd.lua: the outer product of a table of 2 or 3 vectors (an n1 x n2 or n1 x n2 x n3 tensor)."""

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, input):
        order = len(input)
        self.order = order
        if order == 2:
            self.output.set(lg.ger(input[0], input[1]))
            self.size = self.output.size()
        elif order == 3:
            # allocate
            self.size = lg.LongStorage(order)
            for i in range(order):
                self.size[i] = input[i].size(0)
            self.output.resize(self.size).zero()

            u, v, w = input
            uv = lg.ger(u, v)
            for i in range(self.size[2]):
                self.output[:, :, i].add(w[i], uv)
        else:
            raise ValueError('outer products of order higher than 3 unsupported')
        return self.output

    def updateGradInput(self, input, gradOutput):
        order = len(input)
        for i in range(order):
            if len(self.gradInput) <= i:
                self.gradInput.append(input[0].new())
            self.gradInput[i].resizeAs(input[i])

        if order == 2:
            self.gradInput[0].copy(gradOutput @ input[1])
            self.gradInput[1].copy(gradOutput.t() @ input[0])
        else:
            u, v, w = input
            du, dv, dw = u.size(0), v.size(0), w.size(0)
            uv = input[0].new().resize(du, dv).zero()
            for i in range(dw):
                uv.add(w[i], gradOutput[:, :, i])
            self.gradInput[0].copy(uv @ input[1])
            self.gradInput[1].copy(uv.t() @ input[0])

            vw = input[0].new().resize(dv, dw).zero()
            for i in range(du):
                vw.add(u[i], gradOutput[i, :, :])
            self.gradInput[2].copy(vw.t() @ input[1])
        return self.gradInput


def _scalar_table_grads(module, input):
    """The ``self.gradInput[i] = self.gradInput[i] or input[i].new()`` lines of the scalar tables."""
    if not module.gradInput:
        module.gradInput = [input[0].new(), input[1].new()]
    module.gradInput[1].resizeAs(input[1])


class PowTable(nn.Module):
    """PowTable.lua: input {x, y}, a tensor and a one-element tensor; output x^y element-wise."""

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, input):
        v, p = input
        return self.output.set(lg.pow(v, p[0]))

    def updateGradInput(self, input, gradOutput):
        v, p = input
        p = p[0]
        _scalar_table_grads(self, input)

        self.gradInput[0].set(lg.cmul(gradOutput, lg.pow(v, p - 1)) * p)
        pgrad = 0
        for i in range(v.size(0)):
            if v[i] > 0:
                pgrad = pgrad + math.log(v[i]) * self.output[i] * gradOutput[i]
        self.gradInput[1][0] = pgrad
        return self.gradInput


class ScalarMulTable(nn.Module):
    """ScalarMulTable.lua: input {x, y}, a tensor and a one-element tensor; output x * y."""

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, input):
        v, scale = input
        return self.output.set(v * scale[0])

    def updateGradInput(self, input, gradOutput):
        v, scale = input
        _scalar_table_grads(self, input)

        self.gradInput[0].set(gradOutput * scale[0])
        self.gradInput[1][0] = gradOutput.dot(v)
        return self.gradInput


class ScalarDivTable(nn.Module):
    """ScalarDivTable.lua: input {x, y}, a tensor and a one-element tensor; output x / y."""

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, input):
        v, scale = input
        return self.output.set(v / scale[0])

    def updateGradInput(self, input, gradOutput):
        v, scale = input
        _scalar_table_grads(self, input)

        c = scale[0]
        self.gradInput[0].set(gradOutput / c)
        self.gradInput[1][0] = -gradOutput.dot(v) / (c * c)
        return self.gradInput


class SmoothCosineSimilarity(nn.Module):
    """SmoothCosineSimilarity.lua: input {M, k}, an n x m matrix and an m-vector; output the n cosine
    similarities of k with M's rows, ``smooth`` added to each denominator."""

    def __init__(self, smoothen=None):
        super().__init__()
        self.gradInput = []
        self.smooth = smoothen if smoothen is not None else 1e-3

    def updateOutput(self, input):
        M, k = input
        self.rownorms = lg.cmul(M, M).sum(1).sqrt().view(M.size(0))
        self.knorm = math.sqrt(k.dot(k))
        self.dot = M @ k
        self.output.set(lg.cdiv(self.dot, self.rownorms * self.knorm + self.smooth))
        return self.output

    def updateGradInput(self, input, gradOutput):
        M, k = input
        if not self.gradInput:
            self.gradInput = [input[0].new(), input[1].new()]

        # M gradient
        rows = M.size(0)
        Mgrad = self.gradInput[0]
        Mgrad.set(k.repeatTensor(rows, 1))
        for i in range(rows):
            if self.rownorms[i] > 0:
                Mgrad[i].add(-self.output[i] * self.knorm / self.rownorms[i], M[i])
            Mgrad[i].mul(gradOutput[i] / (self.rownorms[i] * self.knorm + self.smooth))

        # k gradient
        self.gradInput[1].set(M.t() @ lg.cdiv(gradOutput, self.rownorms * self.knorm + self.smooth))
        if self.knorm > 0:
            scale = lg.cmul(self.output, self.rownorms) \
                .cdiv(self.rownorms * self.knorm + self.smooth) \
                .dot(gradOutput) / self.knorm
            self.gradInput[1].add(-scale, k)
        return self.gradInput


# ---------------------------------------------------------------- init.lua, NTM.lua

def share_params(cell, src, *args):
    for i in range(len(cell.forwardnodes)):
        node = cell.forwardnodes[i]
        if node.data.module is not None:
            node.data.module.share(src.forwardnodes[i].data.module, *args)


class NTM(nn.Module):
    """NTM.lua's ntm.NTM: one nngraph cell per time step (all sharing the master cell's parameters), driven by
    its own ``forward``/``backward`` one step at a time; ``gradInput`` carries the gradients of the state
    (memory, read/write weights, read vectors, controller state) from step t to step t-1."""
    lua_package = 'ntm'

    def __init__(self, config):
        super().__init__()
        self.input_dim = config['input_dim']
        self.output_dim = config['output_dim']
        self.mem_rows = config.get('mem_rows', 128)
        self.mem_cols = config.get('mem_cols', 20)
        self.cont_dim = config.get('cont_dim', 100)
        self.cont_layers = config.get('cont_layers', 1)
        self.shift_range = config.get('shift_range', 1)
        self.write_heads = config.get('write_heads', 1)
        self.read_heads = config.get('read_heads', 1)

        self.depth = 0
        self.cells = {}
        self.master_cell = None
        self.master_cell = self.new_cell()
        self.init_module = self.new_init_module()

        self.init_grad_inputs()

    def init_grad_inputs(self):
        if self.write_heads == 1:
            ww_gradInput = lg.zeros(self.mem_rows)
        else:
            ww_gradInput = [lg.zeros(self.mem_rows) for i in range(self.write_heads)]

        if self.read_heads == 1:
            wr_gradInput = lg.zeros(self.mem_rows)
            r_gradInput = lg.zeros(self.mem_cols)
        else:
            wr_gradInput = [lg.zeros(self.mem_rows) for i in range(self.read_heads)]
            r_gradInput = [lg.zeros(self.mem_cols) for i in range(self.read_heads)]

        if self.cont_layers == 1:
            m_gradInput = lg.zeros(self.cont_dim)
            c_gradInput = lg.zeros(self.cont_dim)
        else:
            m_gradInput = [lg.zeros(self.cont_dim) for i in range(self.cont_layers)]
            c_gradInput = [lg.zeros(self.cont_dim) for i in range(self.cont_layers)]

        self.gradInput = [
            lg.zeros(self.input_dim),                   # input
            lg.zeros(self.mem_rows, self.mem_cols),     # M
            wr_gradInput,
            ww_gradInput,
            r_gradInput,
            m_gradInput,
            c_gradInput,
        ]

    def new_init_module(self):
        """The initial output, memory, read/write weights, read vectors and controller state, from a dummy
        input that is always zero (so from the biases alone)."""
        dummy = nn.Identity()()    # always zero
        output_init = nn.Tanh()(nn.Linear(1, self.output_dim)(dummy))

        # memory
        M_init_lin = nn.Linear(1, self.mem_rows * self.mem_cols)
        M_init = nn.View(self.mem_rows, self.mem_cols)(nn.Tanh()(M_init_lin(dummy)))

        # read weights
        wr_init, r_init = [], []
        for i in range(self.read_heads):
            wr_init_lin = nn.Linear(1, self.mem_rows)
            wr_init.append(nn.SoftMax()(wr_init_lin(dummy)))
            r_init.append(nn.Tanh()(nn.Linear(1, self.mem_cols)(dummy)))

            # weights that decay exponentially over the rows of memory
            wr_init_lin.bias.copy(lg.range(self.mem_rows, 1, -1))

        # write weights
        ww_init = []
        for i in range(self.write_heads):
            ww_init_lin = nn.Linear(1, self.mem_rows)
            ww_init.append(nn.SoftMax()(ww_init_lin(dummy)))
            ww_init_lin.bias.copy(lg.range(self.mem_rows, 1, -1))

        # controller state
        m_init, c_init = [], []
        for i in range(self.cont_layers):
            m_init.append(nn.Tanh()(nn.Linear(1, self.cont_dim)(dummy)))
            c_init.append(nn.Tanh()(nn.Linear(1, self.cont_dim)(dummy)))

        # wrap tables as nngraph nodes
        ww_init = nn.Identity()(ww_init)
        wr_init = nn.Identity()(wr_init)
        r_init = nn.Identity()(r_init)
        m_init = nn.Identity()(m_init)
        c_init = nn.Identity()(c_init)

        inits = [output_init, M_init, wr_init, ww_init, r_init, m_init, c_init]
        return nn.gModule([dummy], inits)

    def new_cell(self):
        # input to the network
        input = nn.Identity()()

        # previous memory state and read/write weights
        M_p = nn.Identity()()
        wr_p = nn.Identity()()
        ww_p = nn.Identity()()

        # vector read from memory
        r_p = nn.Identity()()

        # LSTM controller output
        mtable_p = nn.Identity()()
        ctable_p = nn.Identity()()

        # output and hidden states of the controller module
        mtable, ctable = self.new_controller_module(input, r_p, mtable_p, ctable_p)
        m = mtable if self.cont_layers == 1 else nn.SelectTable(self.cont_layers - 1)(mtable)
        M, wr, ww, r = self.new_mem_module(M_p, wr_p, ww_p, m)
        output = self.new_output_module(m)

        inputs = [input, M_p, wr_p, ww_p, r_p, mtable_p, ctable_p]
        outputs = [output, M, wr, ww, r, mtable, ctable]

        cell = nn.gModule(inputs, outputs)
        if self.master_cell is not None:
            share_params(cell, self.master_cell, 'weight', 'bias', 'gradWeight', 'gradBias')
        return cell

    def new_controller_module(self, input, r_p, mtable_p, ctable_p):
        # multilayer LSTM
        mtable, ctable = [], []
        for layer in range(self.cont_layers):
            if self.cont_layers == 1:
                m_p = mtable_p
                c_p = ctable_p
            else:
                m_p = nn.SelectTable(layer)(mtable_p)
                c_p = nn.SelectTable(layer)(ctable_p)

            if layer == 0:
                def new_gate():
                    in_modules = [
                        nn.Linear(self.input_dim, self.cont_dim)(input),
                        nn.Linear(self.cont_dim, self.cont_dim)(m_p),
                    ]
                    if self.read_heads == 1:
                        in_modules.append(nn.Linear(self.mem_cols, self.cont_dim)(r_p))
                    else:
                        for i in range(self.read_heads):
                            vec = nn.SelectTable(i)(r_p)
                            in_modules.append(nn.Linear(self.mem_cols, self.cont_dim)(vec))
                    return nn.CAddTable()(in_modules)
            else:
                def new_gate():
                    return nn.CAddTable()([
                        nn.Linear(self.cont_dim, self.cont_dim)(mtable[layer - 1]),
                        nn.Linear(self.cont_dim, self.cont_dim)(m_p),
                    ])

            # input, forget, and output gates
            i = nn.Sigmoid()(new_gate())
            f = nn.Sigmoid()(new_gate())
            o = nn.Sigmoid()(new_gate())
            update = nn.Tanh()(new_gate())

            # update the state of the LSTM cell
            ctable.append(nn.CAddTable()([
                nn.CMulTable()([f, c_p]),
                nn.CMulTable()([i, update]),
            ]))

            mtable.append(nn.CMulTable()([o, nn.Tanh()(ctable[layer])]))

        mtable = nn.Identity()(mtable)
        ctable = nn.Identity()(ctable)
        return mtable, ctable

    def new_mem_module(self, M_p, wr_p, ww_p, m):
        # read heads
        if self.read_heads == 1:
            wr, r = self.new_read_head(M_p, wr_p, m)
        else:
            wr, r = [], []
            for i in range(self.read_heads):
                prev_weights = nn.SelectTable(i)(wr_p)
                w_i, r_i = self.new_read_head(M_p, prev_weights, m)
                wr.append(w_i)
                r.append(r_i)
            wr = nn.Identity()(wr)
            r = nn.Identity()(r)

        # write heads
        if self.write_heads == 1:
            ww, a, e = self.new_write_head(M_p, ww_p, m)
            M_erase = nn.AddConstant(1)(nn.MulConstant(-1)(OuterProd()([ww, e])))
            M_write = OuterProd()([ww, a])
        else:
            ww, a, e, M_erase, M_write = [], [], [], [], []
            for i in range(self.write_heads):
                prev_weights = nn.SelectTable(i)(ww_p)
                w_i, a_i, e_i = self.new_write_head(M_p, prev_weights, m)
                ww.append(w_i)
                a.append(a_i)
                e.append(e_i)
                M_erase.append(nn.AddConstant(1)(nn.MulConstant(-1)(OuterProd()([ww[i], e[i]]))))
                M_write.append(OuterProd()([ww[i], a[i]]))
            M_erase = nn.CMulTable()(M_erase)
            M_write = nn.CAddTable()(M_write)
            ww = nn.Identity()(ww)

        # erase some history from memory
        Mtilde = nn.CMulTable()([M_p, M_erase])

        # write to memory
        M = nn.CAddTable()([Mtilde, M_write])

        return M, wr, ww, r

    def new_read_head(self, M_p, w_p, m):
        return self.new_head(M_p, w_p, m, True)

    def new_write_head(self, M_p, w_p, m):
        return self.new_head(M_p, w_p, m, False)

    def new_head(self, M_p, w_p, m, is_read):
        # key vector
        k = nn.Tanh()(nn.Linear(self.cont_dim, self.mem_cols)(m))
        # circular convolution kernel
        s = nn.SoftMax()(nn.Linear(self.cont_dim, 2 * self.shift_range + 1)(m))
        # weight sharpening parameter
        beta = nn.SoftPlus()(nn.Linear(self.cont_dim, 1)(m))
        # gating parameter
        g = nn.Sigmoid()(nn.Linear(self.cont_dim, 1)(m))
        # exponential focusing parameter
        gamma = nn.AddConstant(1)(nn.SoftPlus()(nn.Linear(self.cont_dim, 1)(m)))

        sim = SmoothCosineSimilarity()([M_p, k])
        wc = nn.SoftMax()(ScalarMulTable()([sim, beta]))
        wg = nn.CAddTable()([
            ScalarMulTable()([wc, g]),
            ScalarMulTable()([w_p, nn.AddConstant(1)(nn.MulConstant(-1)(g))]),
        ])

        wtilde = CircularConvolution()([wg, s])
        wpow = PowTable()([wtilde, gamma])
        w = nn.Normalize(1)(wpow)

        if is_read:
            r = nn.MixtureTable()([w, M_p])
            return w, r
        a = nn.Tanh()(nn.Linear(self.cont_dim, self.mem_cols)(m))
        e = nn.Sigmoid()(nn.Linear(self.cont_dim, self.mem_cols)(m))
        return w, a, e

    def new_output_module(self, m):
        return nn.Sigmoid()(nn.Linear(self.cont_dim, self.output_dim)(m))

    def forward(self, input):
        """One time step; the outputs of earlier steps are kept for backpropagation."""
        self.depth = self.depth + 1
        cell = self.cells.get(self.depth)
        if cell is None:
            cell = self.new_cell()
            self.cells[self.depth] = cell

        if self.depth == 1:
            prev_outputs = self.init_module.forward(lg.Tensor([0]))
        else:
            prev_outputs = self.cells[self.depth - 1].output

        # get inputs
        inputs = [input] + [prev_outputs[i] for i in range(1, len(prev_outputs))]
        outputs = cell.forward(inputs)
        self.output = outputs[0]
        return self.output

    def backward(self, input, grad_output):
        """One time step back; an error if called more times than forward."""
        if self.depth == 0:
            raise RuntimeError("No cells to backpropagate through")
        cell = self.cells[self.depth]
        grad_outputs = [grad_output] + [self.gradInput[i] for i in range(1, len(self.gradInput))]

        # get inputs
        if self.depth == 1:
            prev_outputs = self.init_module.forward(lg.Tensor([0]))
        else:
            prev_outputs = self.cells[self.depth - 1].output
        inputs = [input] + [prev_outputs[i] for i in range(1, len(prev_outputs))]

        self.gradInput = cell.backward(inputs, grad_outputs)
        self.depth = self.depth - 1
        if self.depth == 0:
            self.init_module.backward(lg.Tensor([0]), self.gradInput)
            for i in range(len(self.gradInput)):
                gradInput = self.gradInput[i]
                if isinstance(gradInput, list):
                    for t in gradInput:
                        t.zero()
                else:
                    self.gradInput[i].zero()
        return self.gradInput

    def get_read_weights(self, depth=None):
        depth = depth if depth is not None else self.depth
        return self.cells[depth].output[2]

    def get_write_weights(self, depth=None):
        depth = depth if depth is not None else self.depth
        return self.cells[depth].output[3]

    def parameters(self):
        p, g = self.master_cell.parameters()
        pi, gi = self.init_module.parameters()
        tablex.insertvalues(p, pi)
        tablex.insertvalues(g, gi)
        return p, g

    def forget(self):
        self.depth = 0
        self.zeroGradParameters()
        for i in range(len(self.gradInput)):
            self.gradInput[i].zero()

    def zeroGradParameters(self):
        self.master_cell.zeroGradParameters()
        self.init_module.zeroGradParameters()


# ---------------------------------------------------------------- rmsprop.lua

def rmsprop(opfunc, x, config=None, state=None):
    """Graves' RMSProp (arXiv 1308.0850, sec. 4.2), as ntm.rmsprop: running means of the gradient and of its
    square, the step divided by their root-mean-square deviation, with momentum."""
    if config is None and state is None:
        raise ValueError('no state provided')
    config = config if config is not None else {}
    state = state if state is not None else config
    decay = config.get('decay', 0.95)
    lr = config.get('learningRate', 1e-4)
    momentum = config.get('momentum', 0.9)
    epsilon = config.get('epsilon', 1e-4)
    state['evalCounter'] = state.get('evalCounter', 0)
    if 'gradAccum' not in state:
        state['gradAccum'] = lg.Tensor().typeAs(x).resizeAs(x).zero()
        state['gradSqAccum'] = lg.Tensor().typeAs(x).resizeAs(x).zero()
        state['update'] = lg.Tensor().typeAs(x).resizeAs(x).zero()
        state['gradRms'] = lg.Tensor().typeAs(x).resizeAs(x)

    # evaluate f(x) and df(x)/dx
    fx, dfdx = opfunc(x)

    # g_t = d * g_{t-1} + (1 - d) (df/dx); n_t = d * n_{t-1} + (1 - d) (df/dx)^2
    state['gradAccum'].mul(decay).add(1 - decay, dfdx)
    state['gradSqAccum'].mul(decay).add(1 - decay, lg.cmul(dfdx, dfdx))

    # r_t = sqrt(n_t - g_t^2 + eps)
    state['gradRms'].copy(state['gradSqAccum']) \
        .add(-1, lg.cmul(state['gradAccum'], state['gradAccum'])) \
        .add(epsilon) \
        .sqrt()

    # Delta_t = m * Delta_{t-1} - lr * (df/dx) / r_t
    state['update'].mul(momentum).add(-lr, lg.cdiv(dfdx, state['gradRms']))

    # apply update
    x.add(state['update'])

    state['evalCounter'] = state['evalCounter'] + 1
    return x, [fx]


# ---------------------------------------------------------------- tasks/util.lua, tasks/copy.lua

def argmax(x):
    index = 0
    max = x[0]
    for i in range(1, x.size(0)):
        if x[i] > max:
            index = i
            max = x[i]
    return index, max


def print_read_max(model):
    read_weights = model.get_read_weights()
    print('%-4d %.4f' % argmax(read_weights))


def print_write_max(model):
    write_weights = model.get_write_weights()
    print('%-4d %.4f' % argmax(write_weights))


class CopyTask:
    """copy.lua's globals (input_dim, the start and end symbols) and its functions."""

    def __init__(self, config):
        self.input_dim = config['input_dim']
        self.start_symbol = lg.zeros(self.input_dim)
        self.start_symbol[0] = 1
        self.end_symbol = lg.zeros(self.input_dim)
        self.end_symbol[1] = 1

    def generate_sequence(self, len, bits):
        seq = lg.zeros(len, bits + 2)
        for i in range(len):
            seq[i, 2:bits + 2] = lg.rand(bits).round()
        return seq

    def forward(self, model, seq, print_flag=False):
        len = seq.size(0)
        loss = 0

        # present start symbol
        model.forward(self.start_symbol)

        # present inputs
        if print_flag:
            print('write head max')
        for j in range(len):
            model.forward(seq[j])
            if print_flag:
                print_write_max(model)

        # present end symbol
        model.forward(self.end_symbol)

        # present targets
        zeros = lg.zeros(self.input_dim)
        outputs = lg.Tensor(len, self.input_dim)
        criteria = []
        if print_flag:
            print('read head max')
        for j in range(len):
            criteria.append(nn.BCECriterion())
            outputs[j] = model.forward(zeros)
            loss = loss + criteria[j].forward(outputs[j], seq[j]) * self.input_dim
            if print_flag:
                print_read_max(model)
        return outputs, criteria, loss

    def backward(self, model, seq, outputs, criteria):
        len = seq.size(0)
        zeros = lg.zeros(self.input_dim)
        for j in range(len - 1, -1, -1):
            model.backward(zeros, criteria[j].backward(outputs[j], seq[j]).mul(self.input_dim))

        model.backward(self.end_symbol, zeros)
        for j in range(len - 1, -1, -1):
            model.backward(seq[j], zeros)
        model.backward(self.start_symbol, zeros)


CONFIG = {'input_dim': 4, 'output_dim': 4, 'mem_rows': 8, 'mem_cols': 4, 'cont_dim': 10}


def ntm_parameter_count(input_dim, output_dim, mem_rows, mem_cols, cont_dim):
    """Counted by hand from NTM.lua, one controller layer, one read and one write head, shift range 1."""
    R, C, H = mem_rows, mem_cols, cont_dim
    gate = (input_dim * H + H) + (H * H + H) + (C * H + H)          # lines 198-206
    head = (H * C + C) + (H * 3 + 3) + 3 * (H + 1)                  # k, s, beta, g, gamma: lines 295-304
    write_extra = 2 * (H * C + C)                                    # a, e: lines 321-322
    output = H * output_dim + output_dim                             # line 329
    init = 2 * output_dim + 2 * R * C + 2 * R + 2 * C + 2 * R + 2 * H + 2 * H   # lines 96-131
    return 4 * gate + 2 * head + write_extra + output + init


# ---------------------------------------------------------------- tests: layers

def _np(t):
    return np.asarray(t.array, dtype=np.float64)


def test_circular_convolution_matches_numpy_and_finite_differences():
    v, k = lg.rand(7), lg.rand(3)
    out = _np(CircularConvolution().forward([v, k]))
    vn, kn = _np(v), _np(k)
    # out[i] = sum_j k[j] v[i + 1 - j]: the kernel's middle element weights v[i] itself
    expected = np.array([sum(kn[j] * vn[(i + 1 - j) % 7] for j in range(3)) for i in range(7)])
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert_jacobian(CircularConvolution(), [lg.rand(7), lg.rand(3)])
    assert_jacobian(CircularConvolution(), [lg.rand(6), lg.rand(5)])


def test_outer_prod_matches_numpy_and_finite_differences():
    u, v, w = lg.randn(3), lg.randn(4), lg.randn(2)
    np.testing.assert_allclose(_np(OuterProd().forward([u, v])), np.outer(_np(u), _np(v)), rtol=1e-12)
    np.testing.assert_allclose(_np(OuterProd().forward([u, v, w])),
                               np.einsum('i,j,k->ijk', _np(u), _np(v), _np(w)), rtol=1e-12)
    assert OuterProd().forward([u, v, w]).size() == (3, 4, 2)
    assert_jacobian(OuterProd(), [u, v])
    assert_jacobian(OuterProd(), [u, v, w])
    with pytest.raises(ValueError, match='order higher than 3'):
        OuterProd().forward([u, v, w, u])


def test_pow_table_matches_numpy_and_finite_differences():
    v, p = lg.rand(5).add(0.1), lg.Tensor([2.5])
    np.testing.assert_allclose(_np(PowTable().forward([v, p])), _np(v) ** 2.5, rtol=1e-12)
    # the exponent's gradient sums log(v) v^p g over v > 0: positive bases only
    assert_jacobian(PowTable(), [v, p], minval=0.1, maxval=2)


@pytest.mark.parametrize('cls, op', [(ScalarMulTable, np.multiply), (ScalarDivTable, np.divide)])
def test_scalar_tables_match_numpy_and_finite_differences(cls, op):
    v, s = lg.randn(6), lg.Tensor([1.7])
    np.testing.assert_allclose(_np(cls().forward([v, s])), op(_np(v), 1.7), rtol=1e-12)
    assert_jacobian(cls(), [v, s], minval=0.5, maxval=2)


def test_smooth_cosine_similarity_matches_numpy_and_finite_differences():
    M, k = lg.randn(5, 3), lg.randn(3)
    Mn, kn = _np(M), _np(k)
    expected = Mn @ kn / (np.linalg.norm(Mn, axis=1) * np.linalg.norm(kn) + 1e-3)
    np.testing.assert_allclose(_np(SmoothCosineSimilarity().forward([M, k])), expected, rtol=1e-12)
    assert_jacobian(SmoothCosineSimilarity(), [M, k])
    assert_jacobian(SmoothCosineSimilarity(0.5), [M, k])


def test_user_layers_are_typed_as_torch_class_names_them():
    assert lg.typename(CircularConvolution()) == 'nn.CircularConvolution'
    assert lg.typename(NTM(CONFIG)) == 'ntm.NTM'


# ---------------------------------------------------------------- tests/: the repository's own checks

def test_circular_shifts_as_test_circular_lua():
    """tests/test-circular.lua: a one-hot kernel rotates the vector; {0, 0, 1} moves each element one place on,
    {1, 0, 0} one place back."""
    c = CircularConvolution()
    a = lg.randn(15)
    kernel = lg.Tensor([0, 0, 1])
    np.testing.assert_array_equal(_np(c.forward([a, kernel])), np.roll(_np(a), 1))
    kernel = lg.Tensor([1, 0, 0])
    np.testing.assert_array_equal(_np(c.forward([a, kernel])), np.roll(_np(a), -1))


@pytest.mark.parametrize('smoothen, tol', [(None, 1e-2), (1e-12, 1e-9)])
def test_cosine_against_nn_cosine_distance_as_test_cosine_lua(smoothen, tol):
    """tests/test-cosine.lua: each row of SmoothCosineSimilarity's output and gradients against
    nn.CosineDistance of that row and k (which adds no smoothing: the default 1e-3 leaves a small gap, a
    smoothing of 1e-12 next to none)."""
    c = SmoothCosineSimilarity(smoothen)
    M = lg.randn(10, 4)
    k = lg.randn(4)
    output = c.forward([M, k])
    out_grad = lg.randn(10)
    Mgrad, kgrad = c.backward([M, k], out_grad)

    d = nn.CosineDistance()
    sum_dkgrad = lg.Tensor(4).zero()
    for i in range(M.size(0)):
        doutput = d.forward([M[i], k])
        dMgrad, dkgrad = d.backward([M[i], k], out_grad.narrow(0, i, 1))
        assert (output.narrow(0, i, 1) - doutput).abs().max() < tol
        assert (Mgrad[i] - dMgrad).abs().max() < tol
        sum_dkgrad.add(dkgrad)
    assert (kgrad - sum_dkgrad).abs().max() < tol


def test_scalar_tables_as_test_scalartables_lua():
    """tests/test-scalartables.lua's numbers, worked by hand: v = {1, 2, 3}, c = {1.5}, gradOutput {1, 2, 2}
    (so gradOutput . v = 11)."""
    v = lg.Tensor([1, 2, 3])
    c = lg.Tensor([1.5])
    g = lg.Tensor([1, 2, 2])

    mul = ScalarMulTable()
    assert _np(mul.forward([v, c])).tolist() == [1.5, 3, 4.5]
    gv, gc = mul.backward([v, c], g)
    assert _np(gv).tolist() == [1.5, 3, 3] and _np(gc).tolist() == [11]

    div = ScalarDivTable()
    np.testing.assert_allclose(_np(div.forward([v, c])), [2 / 3, 4 / 3, 2], rtol=1e-15)
    gv, gc = div.backward([v, c], g)
    np.testing.assert_allclose(_np(gv), [2 / 3, 4 / 3, 4 / 3], rtol=1e-15)
    np.testing.assert_allclose(_np(gc), [-11 / 2.25], rtol=1e-15)

    pow = PowTable()
    np.testing.assert_allclose(_np(pow.forward([v, c])), [1, 2 ** 1.5, 3 ** 1.5], rtol=1e-15)
    gv, gc = pow.backward([v, c], g)
    np.testing.assert_allclose(_np(gv), [1.5, 2 * 1.5 * 2 ** 0.5, 2 * 1.5 * 3 ** 0.5], rtol=1e-15)
    np.testing.assert_allclose(_np(gc), [2 * math.log(2) * 2 ** 1.5 + 2 * math.log(3) * 3 ** 1.5], rtol=1e-15)


# ---------------------------------------------------------------- tests: the NTM

def test_ntm_parameter_count_and_shapes():
    model = NTM(CONFIG)
    params, grads = model.getParameters()
    assert params.size(0) == ntm_parameter_count(**CONFIG) == 1344
    assert grads.size(0) == params.size(0)
    # the init module's read/write weights decay over the rows, as the biases mem_rows .. 1 make them
    init = model.init_module.forward(lg.Tensor([0]))
    assert [lg.typename(t) for t in init] == ['torch.DoubleTensor'] * 7
    assert init[1].size() == (8, 4) and init[2].size() == (8,) and init[5].size() == (10,)
    w = _np(init[2])
    np.testing.assert_allclose(w, np.exp(np.arange(8, 0, -1)) / np.exp(np.arange(8, 0, -1)).sum(), rtol=1e-12)
    out = model.forward(lg.zeros(4))
    assert out.size() == (4,)
    cell = model.cells[1].output
    assert cell[1].size() == (8, 4) and cell[4].size() == (4,)
    # the read and write weights are distributions over the memory rows (Normalize(1) of positive powers;
    # Normalize.lua adds its eps, 1e-10, to the norm)
    assert abs(cell[2].sum() - 1) < 1e-8 and abs(cell[3].sum() - 1) < 1e-8
    # every cell's Linear shares the master cell's weight
    assert model.cells[1].forwardnodes[3].data.module is not None
    for node, master in zip(model.cells[1].forwardnodes, model.master_cell.forwardnodes):
        if node.data.module is not None and node.data.module.weight is not None:
            assert node.data.module.weight.storage() is master.data.module.weight.storage()


def _sequence_loss_and_grads(model, task, seq):
    grads = model.getParameters()[1]
    grads.zero()
    outputs, criteria, loss = task.forward(model, seq)
    task.backward(model, seq, outputs, criteria)
    return loss, grads.clone()


MULTI = dict(CONFIG, cont_layers=2, read_heads=2, write_heads=2, shift_range=2)


@pytest.mark.parametrize('config', [CONFIG, MULTI], ids=['one-head', 'two-layers-two-heads'])
def test_ntm_backprop_through_time_matches_finite_differences(config):
    """The gradient of copy.lua's sequence loss, assembled by NTM:backward step by step, against central
    differences of the loss in each of 24 parameters drawn from every part of the flat vector. With two
    controller layers and two heads of each kind the state is tables of tensors (SelectTable, the CMulTable
    of the erase matrices, the CAddTable of the writes)."""
    model = NTM(config)
    task = CopyTask(config)
    params, _ = model.getParameters()
    seq = task.generate_sequence(2, config['input_dim'] - 2)
    loss, grads = _sequence_loss_and_grads(model, task, seq)
    assert model.depth == 0
    picks = np.random.RandomState(0).choice(params.size(0), 24, replace=False)
    eps = 1e-6
    for i in picks:
        i = int(i)
        old = params[i]
        params[i] = old + eps
        up = task.forward(model, seq)[2]
        model.depth = 0
        params[i] = old - eps
        down = task.forward(model, seq)[2]
        model.depth = 0
        params[i] = old
        assert abs((up - down) / (2 * eps) - grads[i]) < 1e-6 * max(1, abs(grads[i])), i


def test_copy_task_training_loss_falls(capsys):
    """copy.lua's loop (lines 91-158) with ntm.rmsprop on one fixed sequence of 3 vectors of 2 bits, a larger
    learning rate and 25 iterations: the loss falls."""
    lg.manualSeed(0)
    model = NTM(CONFIG)
    task = CopyTask(CONFIG)
    params, grads = model.getParameters()
    input_dim = CONFIG['input_dim']
    seq = task.generate_sequence(3, input_dim - 2)

    rmsprop_state = {'learningRate': 1e-2, 'momentum': 0.9, 'decay': 0.95}
    losses = []
    num_iters, print_interval = 25, 25
    for iter in range(1, num_iters + 1):
        print_flag = iter % print_interval == 0

        def feval(x):
            loss = 0
            grads.zero()
            outputs, criteria, sample_loss = task.forward(model, seq, print_flag)
            loss = loss + sample_loss
            task.backward(model, seq, outputs, criteria)
            # clip gradients
            grads.clamp(-10, 10)
            return loss, grads

        _, fx = rmsprop(feval, params, rmsprop_state)
        losses.append(fx[0])
    assert rmsprop_state['evalCounter'] == 25
    assert losses[-1] < 0.5 * losses[0], losses
    printed = capsys.readouterr().out.split('\n')
    # print_write_max after each of the 3 inputs, print_read_max after each of the 3 outputs: a 0-based row
    assert printed[0] == 'write head max' and printed[4] == 'read head max'
    rows = [int(line.split()[0]) for line in printed[1:4] + printed[5:8]]
    assert all(0 <= r < CONFIG['mem_rows'] for r in rows)


def test_rmsprop_step_matches_numpy():
    """rmsprop.lua's update, two steps on f(x) = sum(x^2) / 2, against the formulas in its comments."""
    x = lg.Tensor([1.0, -2.0, 0.5])
    state = {'learningRate': 0.1}
    g = n = d = np.zeros(3)
    xn = _np(x).copy()
    for _ in range(2):
        rmsprop(lambda x: (0.5 * x.dot(x), x.clone()), x, state)
        g = 0.95 * g + 0.05 * xn
        n = 0.95 * n + 0.05 * xn ** 2
        d = 0.9 * d - 0.1 * xn / np.sqrt(n - g ** 2 + 1e-4)
        xn = xn + d
    np.testing.assert_allclose(_np(x), xn, rtol=1e-12)
    with pytest.raises(ValueError, match='no state'):
        rmsprop(lambda x: (0, x), x)


@pytest.mark.gpu
def test_user_layers_on_cuda():
    """The user layers' ``cuda()`` twins (their ``v.new()`` buffers follow the input to the GPU) give the CPU's
    outputs and gradients. The NTM itself is not moved: NTM.lua feeds its init module ``torch.Tensor{0}`` and
    builds each step's cell in the default type, so Torch7's would not run under ``model:cuda()`` either."""
    from tests.checks import assert_gpu_matches_cpu
    assert_gpu_matches_cpu(CircularConvolution(), [lg.rand(7), lg.rand(3)])
    assert_gpu_matches_cpu(OuterProd(), [lg.randn(3), lg.randn(4), lg.randn(2)])
    assert_gpu_matches_cpu(PowTable(), [lg.rand(5).add(0.1), lg.Tensor([1.5])])
    assert_gpu_matches_cpu(ScalarMulTable(), [lg.randn(6), lg.Tensor([0.7])])
    assert_gpu_matches_cpu(ScalarDivTable(), [lg.randn(6), lg.Tensor([0.7])])
    assert_gpu_matches_cpu(SmoothCosineSimilarity(), [lg.randn(5, 3), lg.randn(3)])
