"""stanfordnlp/treelstm (commit 6ab39ea) ported line by line: init.lua's ``share_params`` (lines 32-46),
layers/CRowAddTable.lua, models/TreeLSTM.lua, models/ChildSumTreeLSTM.lua, models/BinaryTreeLSTM.lua,
models/LSTM.lua, util/Tree.lua, util/Vocab.lua, util/read_data.lua, sentiment/TreeLSTMSentiment.lua,
sentiment/LSTMSentiment.lua, relatedness/TreeLSTMSim.lua, relatedness/LSTMSim.lua, and the helpers of
sentiment/main.lua (``accuracy``, lines 10-12) and relatedness/main.lua (``pearson``, lines 10-14).

The index shifts: vocabulary ids (Vocab.lua) count from 0, so the LookupTable rows do; a tree's ``idx`` and
``leaf_idx`` (read_data.lua's ``read_tree``) are 0-based rows of the sentence's embeddings, the parents files
keeping their 1-based codes (0: the root, -1: no node) as the Java preprocessing writes them; sentiment labels
0 .. 4 (fine-grained) or 0 .. 2 (binary) where ``remap_labels`` gives 1 .. 5 or 1 .. 3; the relatedness target
bins ``floor``/``ceil`` 1 .. 5 index row positions 0 .. 4. The SST/SICK files and GloVe vectors, which
scripts/download.py fetches, are replaced by a small generated corpus written in the same formats.

The Lua's ``local lvecs, lloss = self:forward(...)`` (BinaryTreeLSTM.lua lines 104-105) declares, inside the
``else`` block, new locals shadowing the ``lloss, rloss = 0, 0`` of line 96: the loss it returns is the node's own,
never its children's. The port keeps that with the block's names renamed (docs/porting.md's row on a ``local``
declared in a block under an outer name), and a test shows the two numbers apart.
"""
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import nn, optim, xlua
from legonn.pl import stringx, tablex

pytestmark = pytest.mark.usefixtures('double_default')


# ---------------------------------------------------------------------------------------------- init.lua


def share_params(cell, src):
    """init.lua lines 32-46: share module parameters."""
    if lg.type(cell) == 'nn.gModule':
        for i in range(len(cell.forwardnodes)):
            node = cell.forwardnodes[i]
            if node.data.module is not None:
                node.data.module.share(src.forwardnodes[i].data.module,
                                       'weight', 'bias', 'gradWeight', 'gradBias')
    elif lg.isTypeOf(cell, 'nn.Module'):
        cell.share(src, 'weight', 'bias', 'gradWeight', 'gradBias')
    else:
        raise RuntimeError('parameters cannot be shared for this input')


# ------------------------------------------------------------------------------- layers/CRowAddTable.lua


class CRowAddTable(nn.Module):
    """Add a vector to every row of a matrix. Input: { [n x m], [m] }; output: [n x m]."""
    lua_package = 'treelstm'

    def __init__(self):
        super().__init__()
        self.gradInput = []

    def updateOutput(self, input):
        self.output.resizeAs(input[0]).copy(input[0])
        for i in range(self.output.size(0)):
            self.output[i].add(input[1])
        return self.output

    def updateGradInput(self, input, gradOutput):
        # self.gradInput[1] = self.gradInput[1] or input[1].new(): the table is filled in order
        if len(self.gradInput) == 0:
            self.gradInput = [input[0].new(), input[1].new()]
        self.gradInput[0].resizeAs(input[0])
        self.gradInput[1].resizeAs(input[1]).zero()

        self.gradInput[0].copy(gradOutput)
        for i in range(gradOutput.size(0)):
            self.gradInput[1].add(gradOutput[i])

        return self.gradInput


# -------------------------------------------------------------------------------------- models/TreeLSTM.lua


class TreeLSTM(nn.Module):
    """Tree-LSTM base class."""
    lua_package = 'treelstm'

    def __init__(self, config):
        super().__init__()
        self.in_dim = config.get('in_dim')
        if self.in_dim is None:
            raise ValueError('input dimension must be specified')
        self.mem_dim = config.get('mem_dim') or 150
        self.mem_zeros = lg.zeros(self.mem_dim)
        self.train = False

    def forward(self, tree, inputs):
        pass

    def backward(self, tree, inputs, grad):
        pass

    def training(self):
        self.train = True

    def evaluate(self):
        self.train = False

    def allocate_module(self, tree, module):
        modules = module + 's'
        num_free = len(getattr(self, modules))
        if num_free == 0:
            setattr(tree, module, getattr(self, 'new_' + module)())
        else:
            setattr(tree, module, getattr(self, modules).pop())   # self[modules][num_free], then set to nil

        # necessary for dropout to behave properly
        if self.train:
            getattr(tree, module).training()
        else:
            getattr(tree, module).evaluate()

    def free_module(self, tree, module):
        if getattr(tree, module, None) is None:
            return
        getattr(self, module + 's').append(getattr(tree, module))
        setattr(tree, module, None)


# ---------------------------------------------------------------------------- models/ChildSumTreeLSTM.lua


class ChildSumTreeLSTM(TreeLSTM):
    """A Child-Sum Tree-LSTM with input at each node."""
    lua_package = 'treelstm'

    def __init__(self, config):
        super().__init__(config)
        self.gate_output = config.get('gate_output')
        if self.gate_output is None:
            self.gate_output = True

        # a function that instantiates an output module that takes the hidden state h as input
        self.output_module_fn = config.get('output_module_fn')
        self.criterion = config.get('criterion')

        # composition module (self.composer is nil while the first is built)
        self.composer = None
        self.composer = self.new_composer()
        self.composers = []

        # output module
        self.output_module = None
        self.output_module = self.new_output_module()
        self.output_modules = []

    def new_composer(self):
        input = nn.Identity()()
        child_c = nn.Identity()()
        child_h = nn.Identity()()
        child_h_sum = nn.Sum(0)(child_h)

        i = nn.Sigmoid()(
            nn.CAddTable()([
                nn.Linear(self.in_dim, self.mem_dim)(input),
                nn.Linear(self.mem_dim, self.mem_dim)(child_h_sum)
            ]))
        f = nn.Sigmoid()(
            CRowAddTable()([
                nn.TemporalConvolution(self.mem_dim, self.mem_dim, 1)(child_h),
                nn.Linear(self.in_dim, self.mem_dim)(input),
            ]))
        update = nn.Tanh()(
            nn.CAddTable()([
                nn.Linear(self.in_dim, self.mem_dim)(input),
                nn.Linear(self.mem_dim, self.mem_dim)(child_h_sum)
            ]))
        c = nn.CAddTable()([
            nn.CMulTable()([i, update]),
            nn.Sum(0)(nn.CMulTable()([f, child_c]))
        ])

        if self.gate_output:
            o = nn.Sigmoid()(
                nn.CAddTable()([
                    nn.Linear(self.in_dim, self.mem_dim)(input),
                    nn.Linear(self.mem_dim, self.mem_dim)(child_h_sum)
                ]))
            h = nn.CMulTable()([o, nn.Tanh()(c)])
        else:
            h = nn.Tanh()(c)

        composer = nn.gModule([input, child_c, child_h], [c, h])
        if self.composer is not None:
            share_params(composer, self.composer)
        return composer

    def new_output_module(self):
        if self.output_module_fn is None:
            return None
        output_module = self.output_module_fn()
        if self.output_module is not None:
            share_params(output_module, self.output_module)
        return output_module

    def forward(self, tree, inputs):
        loss = 0
        for i in range(tree.num_children):
            _, child_loss = self.forward(tree.children[i], inputs)
            loss = loss + child_loss
        child_c, child_h = self.get_child_states(tree)
        self.allocate_module(tree, 'composer')
        tree.state = tree.composer.forward([inputs[tree.idx], child_c, child_h])

        if self.output_module is not None:
            self.allocate_module(tree, 'output_module')
            tree.output = tree.output_module.forward(tree.state[1])
            if self.train and tree.gold_label is not None:
                loss = loss + self.criterion.forward(tree.output, tree.gold_label)
        return tree.state, loss

    def backward(self, tree, inputs, grad):
        grad_inputs = lg.Tensor(inputs.size())
        self._backward(tree, inputs, grad, grad_inputs)
        return grad_inputs

    def _backward(self, tree, inputs, grad, grad_inputs):
        output_grad = self.mem_zeros
        if getattr(tree, 'output', None) is not None and tree.gold_label is not None:
            output_grad = tree.output_module.backward(
                tree.state[1], self.criterion.backward(tree.output, tree.gold_label))
        self.free_module(tree, 'output_module')
        tree.output = None

        child_c, child_h = self.get_child_states(tree)
        composer_grad = tree.composer.backward(
            [inputs[tree.idx], child_c, child_h],
            [grad[0], grad[1] + output_grad])
        self.free_module(tree, 'composer')
        tree.state = None

        grad_inputs[tree.idx] = composer_grad[0]
        child_c_grads, child_h_grads = composer_grad[1], composer_grad[2]
        for i in range(tree.num_children):
            self._backward(tree.children[i], inputs, [child_c_grads[i], child_h_grads[i]], grad_inputs)

    def clean(self, tree):
        self.free_module(tree, 'composer')
        self.free_module(tree, 'output_module')
        tree.state = None
        tree.output = None
        for i in range(tree.num_children):
            self.clean(tree.children[i])

    def parameters(self):
        params, grad_params = [], []
        cp, cg = self.composer.parameters()
        tablex.insertvalues(params, cp)
        tablex.insertvalues(grad_params, cg)
        if self.output_module is not None:
            op, og = self.output_module.parameters()
            tablex.insertvalues(params, op)
            tablex.insertvalues(grad_params, og)
        return params, grad_params

    def get_child_states(self, tree):
        if tree.num_children == 0:
            child_c = lg.zeros(1, self.mem_dim)
            child_h = lg.zeros(1, self.mem_dim)
        else:
            child_c = lg.Tensor(tree.num_children, self.mem_dim)
            child_h = lg.Tensor(tree.num_children, self.mem_dim)
            for i in range(tree.num_children):
                child_c[i], child_h[i] = tree.children[i].state
        return child_c, child_h


# ------------------------------------------------------------------------------ models/BinaryTreeLSTM.lua


class BinaryTreeLSTM(TreeLSTM):
    """A Binary Tree-LSTM with input at the leaf nodes."""
    lua_package = 'treelstm'

    def __init__(self, config):
        super().__init__(config)
        self.gate_output = config.get('gate_output')
        if self.gate_output is None:
            self.gate_output = True

        # a function that instantiates an output module that takes the hidden state h as input
        self.output_module_fn = config.get('output_module_fn')
        self.criterion = config.get('criterion')

        # leaf input module
        self.leaf_module = None
        self.leaf_module = self.new_leaf_module()
        self.leaf_modules = []

        # composition module
        self.composer = None
        self.composer = self.new_composer()
        self.composers = []

        # output module
        self.output_module = None
        self.output_module = self.new_output_module()
        self.output_modules = []

    def new_leaf_module(self):
        input = nn.Identity()()
        c = nn.Linear(self.in_dim, self.mem_dim)(input)
        if self.gate_output:
            o = nn.Sigmoid()(nn.Linear(self.in_dim, self.mem_dim)(input))
            h = nn.CMulTable()([o, nn.Tanh()(c)])
        else:
            h = nn.Tanh()(c)

        leaf_module = nn.gModule([input], [c, h])
        if self.leaf_module is not None:
            share_params(leaf_module, self.leaf_module)
        return leaf_module

    def new_composer(self):
        lc, lh = nn.Identity()(), nn.Identity()()
        rc, rh = nn.Identity()(), nn.Identity()()

        def new_gate():
            return nn.CAddTable()([
                nn.Linear(self.mem_dim, self.mem_dim)(lh),
                nn.Linear(self.mem_dim, self.mem_dim)(rh)
            ])

        i = nn.Sigmoid()(new_gate())    # input gate
        lf = nn.Sigmoid()(new_gate())   # left forget gate
        rf = nn.Sigmoid()(new_gate())   # right forget gate
        update = nn.Tanh()(new_gate())  # memory cell update vector
        c = nn.CAddTable()([            # memory cell
            nn.CMulTable()([i, update]),
            nn.CMulTable()([lf, lc]),
            nn.CMulTable()([rf, rc])
        ])

        if self.gate_output:
            o = nn.Sigmoid()(new_gate())  # output gate
            h = nn.CMulTable()([o, nn.Tanh()(c)])
        else:
            h = nn.Tanh()(c)
        composer = nn.gModule(
            [lc, lh, rc, rh],
            [c, h])

        if self.composer is not None:
            share_params(composer, self.composer)
        return composer

    def new_output_module(self):
        if self.output_module_fn is None:
            return None
        output_module = self.output_module_fn()
        if self.output_module is not None:
            share_params(output_module, self.output_module)
        return output_module

    def forward(self, tree, inputs):
        lloss, rloss = 0, 0
        if tree.num_children == 0:
            self.allocate_module(tree, 'leaf_module')
            tree.state = tree.leaf_module.forward(inputs[tree.leaf_idx])
        else:
            self.allocate_module(tree, 'composer')

            # get child hidden states (the Lua's block-local lloss, rloss: never added below)
            lvecs, lloss_ = self.forward(tree.children[0], inputs)
            rvecs, rloss_ = self.forward(tree.children[1], inputs)
            lc, lh = self.unpack_state(lvecs)
            rc, rh = self.unpack_state(rvecs)

            # compute state and output
            tree.state = tree.composer.forward([lc, lh, rc, rh])

        loss = None
        if self.output_module is not None:
            self.allocate_module(tree, 'output_module')
            tree.output = tree.output_module.forward(tree.state[1])
            if self.train:
                loss = self.criterion.forward(tree.output, tree.gold_label) + lloss + rloss

        return tree.state, loss

    def backward(self, tree, inputs, grad):
        grad_inputs = lg.Tensor(inputs.size())
        self._backward(tree, inputs, grad, grad_inputs)
        return grad_inputs

    def _backward(self, tree, inputs, grad, grad_inputs):
        output_grad = self.mem_zeros
        if getattr(tree, 'output', None) is not None and tree.gold_label is not None:
            output_grad = tree.output_module.backward(
                tree.state[1], self.criterion.backward(tree.output, tree.gold_label))
        self.free_module(tree, 'output_module')

        if tree.num_children == 0:
            grad_inputs[tree.leaf_idx] = tree.leaf_module.backward(
                inputs[tree.leaf_idx],
                [grad[0], grad[1] + output_grad])
            self.free_module(tree, 'leaf_module')
        else:
            lc, lh, rc, rh = self.get_child_states(tree)
            composer_grad = tree.composer.backward(
                [lc, lh, rc, rh],
                [grad[0], grad[1] + output_grad])
            self.free_module(tree, 'composer')

            # backward propagate to children
            self._backward(tree.children[0], inputs, [composer_grad[0], composer_grad[1]], grad_inputs)
            self._backward(tree.children[1], inputs, [composer_grad[2], composer_grad[3]], grad_inputs)
        tree.state = None
        tree.output = None

    def parameters(self):
        params, grad_params = [], []
        cp, cg = self.composer.parameters()
        tablex.insertvalues(params, cp)
        tablex.insertvalues(grad_params, cg)
        lp, lg_ = self.leaf_module.parameters()
        tablex.insertvalues(params, lp)
        tablex.insertvalues(grad_params, lg_)
        if self.output_module is not None:
            op, og = self.output_module.parameters()
            tablex.insertvalues(params, op)
            tablex.insertvalues(grad_params, og)
        return params, grad_params

    #
    # helper functions
    #

    def unpack_state(self, state):
        if state is None:
            c, h = self.mem_zeros, self.mem_zeros
        else:
            c, h = state
        return c, h

    def get_child_states(self, tree):
        lc = lh = rc = rh = None
        if tree.num_children > 0:
            lc, lh = self.unpack_state(tree.children[0].state)

        if tree.num_children > 1:
            rc, rh = self.unpack_state(tree.children[1].state)
        return lc, lh, rc, rh

    def clean(self, tree):
        tree.state = None
        tree.output = None
        self.free_module(tree, 'leaf_module')
        self.free_module(tree, 'composer')
        self.free_module(tree, 'output_module')
        for i in range(tree.num_children):
            self.clean(tree.children[i])


# ------------------------------------------------------------------------------------------ models/LSTM.lua


class LSTM(nn.Module):
    """Long Short-Term Memory."""
    lua_package = 'treelstm'

    def __init__(self, config):
        super().__init__()

        self.in_dim = config.get('in_dim')
        self.mem_dim = config.get('mem_dim') or 150
        self.num_layers = config.get('num_layers') or 1
        self.gate_output = config.get('gate_output')
        if self.gate_output is None:
            self.gate_output = True

        self.master_cell = None
        self.master_cell = self.new_cell()
        self.depth = 0
        self.cells = {}  # table of cells in a roll-out

        # initial (t = 0) states for forward propagation and initial error signals
        # for backpropagation
        if self.num_layers == 1:
            ctable_init = lg.zeros(self.mem_dim)
            htable_init = lg.zeros(self.mem_dim)
            ctable_grad = lg.zeros(self.mem_dim)
            htable_grad = lg.zeros(self.mem_dim)
        else:
            ctable_init, ctable_grad, htable_init, htable_grad = [], [], [], []
            for i in range(self.num_layers):
                ctable_init.append(lg.zeros(self.mem_dim))
                htable_init.append(lg.zeros(self.mem_dim))
                ctable_grad.append(lg.zeros(self.mem_dim))
                htable_grad.append(lg.zeros(self.mem_dim))
        self.initial_values = [ctable_init, htable_init]
        self.gradInput = [
            lg.zeros(self.in_dim),
            ctable_grad,
            htable_grad
        ]

    # Instantiate a new LSTM cell.
    # Each cell shares the same parameters, but the activations of their constituent
    # layers differ.
    def new_cell(self):
        input = nn.Identity()()
        ctable_p = nn.Identity()()
        htable_p = nn.Identity()()

        # multilayer LSTM
        htable, ctable = [], []
        for layer in range(self.num_layers):
            h_p = htable_p if self.num_layers == 1 else nn.SelectTable(layer)(htable_p)
            c_p = ctable_p if self.num_layers == 1 else nn.SelectTable(layer)(ctable_p)

            def new_gate():
                in_module = (nn.Linear(self.in_dim, self.mem_dim)(input) if layer == 0
                             else nn.Linear(self.mem_dim, self.mem_dim)(htable[layer - 1]))
                return nn.CAddTable()([
                    in_module,
                    nn.Linear(self.mem_dim, self.mem_dim)(h_p)
                ])

            # input, forget, and output gates
            i = nn.Sigmoid()(new_gate())
            f = nn.Sigmoid()(new_gate())
            update = nn.Tanh()(new_gate())

            # update the state of the LSTM cell
            ctable.append(nn.CAddTable()([
                nn.CMulTable()([f, c_p]),
                nn.CMulTable()([i, update])
            ]))

            if self.gate_output:
                o = nn.Sigmoid()(new_gate())
                htable.append(nn.CMulTable()([o, nn.Tanh()(ctable[layer])]))
            else:
                htable.append(nn.Tanh()(ctable[layer]))

        # if LSTM is single-layered, this makes htable/ctable Tensors (instead of tables).
        # this avoids some quirks with nngraph involving tables of size 1.
        htable, ctable = nn.Identity()(htable), nn.Identity()(ctable)
        cell = nn.gModule([input, ctable_p, htable_p], [ctable, htable])

        # share parameters
        if self.master_cell is not None:
            share_params(cell, self.master_cell)
        return cell

    # Forward propagate.
    # inputs: T x in_dim tensor, where T is the number of time steps.
    # reverse: if true, read the input from right to left (useful for bidirectional LSTMs).
    # Returns the final hidden state of the LSTM.
    def forward(self, inputs, reverse=None):
        size = inputs.size(0)
        for t in range(1, size + 1):
            input = inputs[size - t] if reverse else inputs[t - 1]
            self.depth = self.depth + 1
            cell = self.cells.get(self.depth)
            if cell is None:
                cell = self.new_cell()
                self.cells[self.depth] = cell
            if self.depth > 1:
                prev_output = self.cells[self.depth - 1].output
            else:
                prev_output = self.initial_values

            outputs = cell.forward([input, prev_output[0], prev_output[1]])
            ctable, htable = outputs
            if self.num_layers == 1:
                self.output = htable
            else:
                self.output = []
                for i in range(self.num_layers):
                    self.output.append(htable[i])
        return self.output

    # Backpropagate. forward() must have been called previously on the same input.
    # inputs: T x in_dim tensor, where T is the number of time steps.
    # grad_outputs: T x num_layers x mem_dim tensor.
    # reverse: if true, read the input from right to left.
    # Returns the gradients with respect to the inputs (in the same order as the inputs).
    def backward(self, inputs, grad_outputs, reverse=None):
        size = inputs.size(0)
        if self.depth == 0:
            raise RuntimeError('No cells to backpropagate through')

        input_grads = lg.Tensor(inputs.size())
        for t in range(size, 0, -1):
            input = inputs[size - t] if reverse else inputs[t - 1]
            grad_output = grad_outputs[size - t] if reverse else grad_outputs[t - 1]
            cell = self.cells[self.depth]
            grads = [self.gradInput[1], self.gradInput[2]]
            if self.num_layers == 1:
                grads[1].add(grad_output)
            else:
                for i in range(self.num_layers):
                    grads[1][i].add(grad_output[i])

            prev_output = (self.cells[self.depth - 1].output if self.depth > 1
                           else self.initial_values)
            self.gradInput = cell.backward([input, prev_output[0], prev_output[1]], grads)
            if reverse:
                input_grads[size - t] = self.gradInput[0]
            else:
                input_grads[t - 1] = self.gradInput[0]
            self.depth = self.depth - 1
        self.forget()  # important to clear out state
        return input_grads

    def share(self, lstm, *args):
        if self.in_dim != lstm.in_dim:
            raise RuntimeError('LSTM input dimension mismatch')
        if self.mem_dim != lstm.mem_dim:
            raise RuntimeError('LSTM memory dimension mismatch')
        if self.num_layers != lstm.num_layers:
            raise RuntimeError('LSTM layer count mismatch')
        if self.gate_output != lstm.gate_output:
            raise RuntimeError('LSTM output gating mismatch')
        share_params(self.master_cell, lstm.master_cell)   # share_params takes two: Lua drops the rest

    def zeroGradParameters(self):
        self.master_cell.zeroGradParameters()

    def parameters(self):
        return self.master_cell.parameters()

    # Clear saved gradients
    def forget(self):
        self.depth = 0
        for i in range(len(self.gradInput)):
            gradInput = self.gradInput[i]
            if isinstance(gradInput, list):
                for t in gradInput:
                    t.zero()
            else:
                self.gradInput[i].zero()


# -------------------------------------------------------------------------------- util/Tree.lua, Vocab.lua


class Tree:
    """A basic tree structure."""
    typename = 'treelstm.Tree'

    def __init__(self):
        self.parent = None
        self.num_children = 0
        self.children = []

    def add_child(self, c):
        c.parent = self
        self.num_children = self.num_children + 1
        self.children.append(c)

    def size(self):
        if getattr(self, '_size', None) is not None:
            return self._size
        size = 1
        for i in range(self.num_children):
            size = size + self.children[i].size()
        self._size = size
        return size

    def depth(self):
        depth = 0
        if self.num_children > 0:
            for i in range(self.num_children):
                child_depth = self.children[i].depth()
                if child_depth > depth:
                    depth = child_depth
            depth = depth + 1
        return depth

    def depth_first_preorder(self):
        nodes = []
        _depth_first_preorder(self, nodes)
        return nodes


def _depth_first_preorder(tree, nodes):
    if tree is None:
        return
    nodes.append(tree)
    for i in range(tree.num_children):
        _depth_first_preorder(tree.children[i], nodes)


class Vocab:
    """A vocabulary object, read from a file with one token per line; ids count from 0."""
    typename = 'treelstm.Vocab'

    def __init__(self, path):
        self.size = 0
        self._index = {}
        self._tokens = {}

        with open(path) as file:
            for line in file:
                line = line.rstrip('\n')
                self._tokens[self.size] = line
                self._index[line] = self.size
                self.size = self.size + 1

        self.unk_index = self.unk_token = None
        for tok in ['<unk>', '<UNK>', 'UUUNKKK']:
            self.unk_index = self.unk_index if self.unk_index is not None else self._index.get(tok)
            if self.unk_index is not None:
                self.unk_token = tok
                break

        self.start_index = self.start_token = None
        for tok in ['<s>', '<S>']:
            self.start_index = self.start_index if self.start_index is not None else self._index.get(tok)
            if self.start_index is not None:
                self.start_token = tok
                break

        self.end_index = self.end_token = None
        for tok in ['</s>', '</S>']:
            self.end_index = self.end_index if self.end_index is not None else self._index.get(tok)
            if self.end_index is not None:
                self.end_token = tok
                break

    def contains(self, w):
        if w not in self._index:
            return False
        return True

    def add(self, w):
        if self._index.get(w) is not None:
            return self._index[w]
        self._tokens[self.size] = w
        self._index[w] = self.size
        self.size = self.size + 1
        return self.size - 1

    def index(self, w):
        index = self._index.get(w)
        if index is None:
            if self.unk_index is None:
                raise KeyError('Token not in vocabulary and no UNK token defined: ' + w)
            return self.unk_index
        return index

    def token(self, i):
        if i < 0 or i > self.size - 1:
            raise IndexError('Index ' + str(i) + ' out of bounds')
        return self._tokens[i]

    def map(self, tokens):
        len_ = len(tokens)
        output = lg.IntTensor(len_)
        for i in range(len_):
            output[i] = self.index(tokens[i])
        return output


# ------------------------------------------------------------------------------------- util/read_data.lua


def read_embedding(vocab_path, emb_path):
    vocab = Vocab(vocab_path)
    embedding = lg.load(emb_path)
    return vocab, embedding


def read_sentences(path, vocab):
    sentences = []
    with open(path) as file:
        for line in file:
            tokens = stringx.split(line.rstrip('\n'))
            len_ = len(tokens)
            sent = lg.IntTensor(len_)
            for i in range(len_):
                token = tokens[i]
                sent[i] = vocab.index(token)
            sentences.append(sent)
    return sentences


def read_trees(parent_path, label_path=None):
    parent_file = open(parent_path)
    label_file = open(label_path) if label_path is not None else None
    trees = []

    for parents in parent_file:
        parents = [int(p) for p in stringx.split(parents)]

        labels = None
        if label_file is not None:
            labels = stringx.split(label_file.readline())
            # ignore unlabeled nodes
            labels = [None if l == '#' else int(l) for l in labels]

        trees.append(read_tree(parents, labels))
    parent_file.close()
    if label_file is not None:
        label_file.close()
    return trees


def read_tree(parents, labels):
    """``parents[i - 1]`` is node i's parent in the file's 1-based numbering (0: the root, -1: no node); the
    Lua's table ``trees`` is keyed by those numbers, and each tree's ``idx`` is its 0-based row."""
    size = len(parents)
    trees = {}
    if labels is None:
        labels = [None] * size
    root = None
    for i in range(1, size + 1):
        if i not in trees and parents[i - 1] != -1:
            idx = i
            prev = None
            while True:
                parent = parents[idx - 1]
                if parent == -1:
                    break

                tree = Tree()
                if prev is not None:
                    tree.add_child(prev)
                trees[idx] = tree
                tree.idx = idx - 1
                tree.gold_label = labels[idx - 1]
                if trees.get(parent) is not None:
                    trees[parent].add_child(tree)
                    break
                elif parent == 0:
                    root = tree
                    break
                else:
                    prev = tree
                    idx = parent

    # index leaves (only meaningful for constituency trees)
    leaf_idx = 0
    for i in range(1, size + 1):
        tree = trees.get(i)
        if tree is not None and tree.num_children == 0:
            tree.leaf_idx = leaf_idx
            leaf_idx = leaf_idx + 1
    return root


def read_relatedness_dataset(dir, vocab, constituency):
    dataset = {}
    dataset['vocab'] = vocab
    if constituency:
        dataset['ltrees'] = read_trees(dir + 'a.cparents')
        dataset['rtrees'] = read_trees(dir + 'b.cparents')
    else:
        dataset['ltrees'] = read_trees(dir + 'a.parents')
        dataset['rtrees'] = read_trees(dir + 'b.parents')
    dataset['lsents'] = read_sentences(dir + 'a.toks', vocab)
    dataset['rsents'] = read_sentences(dir + 'b.toks', vocab)
    dataset['size'] = len(dataset['ltrees'])
    # torch.DiskFile's readInt/readDouble on text files: the numbers in order
    with open(dir + 'id.txt') as id_file, open(dir + 'sim.txt') as sim_file:
        ids, sims = id_file.read().split(), sim_file.read().split()
    dataset['ids'] = lg.IntTensor(dataset['size'])
    dataset['labels'] = lg.Tensor(dataset['size'])
    for i in range(dataset['size']):
        dataset['ids'][i] = int(ids[i])
        dataset['labels'][i] = 0.25 * (float(sims[i]) - 1)
    return dataset


def read_sentiment_dataset(dir, vocab, fine_grained, dependency):
    dataset = {}
    dataset['vocab'] = vocab
    dataset['fine_grained'] = fine_grained
    if dependency:
        trees = read_trees(dir + 'dparents.txt', dir + 'dlabels.txt')
    else:
        trees = read_trees(dir + 'parents.txt', dir + 'labels.txt')
        for tree in trees:
            set_spans(tree)

    sents = read_sentences(dir + 'sents.txt', vocab)
    if not fine_grained:
        dataset['trees'] = []
        dataset['sents'] = []
        for i in range(len(trees)):
            if trees[i].gold_label != 0:
                dataset['trees'].append(trees[i])
                dataset['sents'].append(sents[i])
    else:
        dataset['trees'] = trees
        dataset['sents'] = sents

    dataset['size'] = len(dataset['trees'])
    dataset['labels'] = lg.Tensor(dataset['size'])
    for i in range(dataset['size']):
        remap_labels(dataset['trees'][i], fine_grained)
        dataset['labels'][i] = dataset['trees'][i].gold_label
    return dataset


def set_spans(tree):
    if tree.num_children == 0:
        tree.lo, tree.hi = tree.leaf_idx, tree.leaf_idx
        return

    for i in range(tree.num_children):
        set_spans(tree.children[i])

    tree.lo, tree.hi = tree.children[0].lo, tree.children[0].hi
    for i in range(1, tree.num_children):
        tree.lo = min(tree.lo, tree.children[i].lo)
        tree.hi = max(tree.hi, tree.children[i].hi)


def remap_labels(tree, fine_grained):
    """The file's labels -2 .. 2 become classes 0 .. 4 (fine-grained), or 0, 1, 2 (negative, neutral,
    positive): ClassNLLCriterion's 0-based targets, one below the Lua's."""
    if tree.gold_label is not None:
        if fine_grained:
            tree.gold_label = tree.gold_label + 2
        else:
            if tree.gold_label < 0:
                tree.gold_label = 0
            elif tree.gold_label == 0:
                tree.gold_label = 1
            else:
                tree.gold_label = 2

    for i in range(tree.num_children):
        remap_labels(tree.children[i], fine_grained)


def argmax(v):
    idx = 0
    max_ = v[0]
    for i in range(1, v.size(0)):
        if v[i] > max_:
            max_ = v[i]
            idx = i
    return idx


# ---------------------------------------------------------------------- sentiment/TreeLSTMSentiment.lua


class TreeLSTMSentiment:
    """Sentiment classification using a Binary (or Child-Sum, for dependency trees) Tree-LSTM."""
    typename = 'treelstm.TreeLSTMSentiment'

    def __init__(self, config):
        self.mem_dim = config.get('mem_dim') or 150
        self.learning_rate = config.get('learning_rate') or 0.05
        self.emb_learning_rate = config.get('emb_learning_rate') or 0.1
        self.batch_size = config.get('batch_size') or 25
        self.reg = config.get('reg') or 1e-4
        self.structure = config.get('structure') or 'constituency'
        self.fine_grained = True if config.get('fine_grained') is None else config['fine_grained']
        self.dropout = True if config.get('dropout') is None else config['dropout']

        # word embedding
        self.emb_dim = config['emb_vecs'].size(1)
        self.emb = nn.LookupTable(config['emb_vecs'].size(0), self.emb_dim)
        self.emb.weight.copy(config['emb_vecs'])

        self.in_zeros = lg.zeros(self.emb_dim)
        self.num_classes = 5 if self.fine_grained else 3

        # optimizer configuration
        self.optim_state = {'learningRate': self.learning_rate}

        # negative log likelihood optimization objective
        self.criterion = nn.ClassNLLCriterion()

        treelstm_config = {
            'in_dim': self.emb_dim,
            'mem_dim': self.mem_dim,
            'output_module_fn': lambda: self.new_sentiment_module(),
            'criterion': self.criterion,
        }

        if self.structure == 'dependency':
            self.treelstm = ChildSumTreeLSTM(treelstm_config)
        elif self.structure == 'constituency':
            self.treelstm = BinaryTreeLSTM(treelstm_config)
        else:
            raise ValueError('invalid parse tree type: ' + self.structure)

        self.params, self.grad_params = self.treelstm.getParameters()

    def new_sentiment_module(self):
        sentiment_module = nn.Sequential()
        if self.dropout:
            sentiment_module.add(nn.Dropout())
        (sentiment_module
            .add(nn.Linear(self.mem_dim, self.num_classes))
            .add(nn.LogSoftMax()))
        return sentiment_module

    def train(self, dataset):
        self.treelstm.training()
        indices = lg.randperm(dataset['size'])
        zeros = lg.zeros(self.mem_dim)
        for i in range(0, dataset['size'], self.batch_size):
            xlua.progress(i, dataset['size'])
            batch_size = min(i + self.batch_size, dataset['size']) - i

            def feval(x):
                self.grad_params.zero()
                self.emb.zeroGradParameters()

                loss = 0
                for j in range(batch_size):
                    idx = indices[i + j]
                    sent = dataset['sents'][idx]
                    tree = dataset['trees'][idx]

                    inputs = self.emb.forward(sent)
                    _, tree_loss = self.treelstm.forward(tree, inputs)
                    loss = loss + tree_loss
                    input_grad = self.treelstm.backward(tree, inputs, [zeros, zeros])
                    self.emb.backward(sent, input_grad)

                loss = loss / batch_size
                self.grad_params.div(batch_size)
                self.emb.gradWeight.div(batch_size)

                # regularization
                loss = loss + 0.5 * self.reg * self.params.norm() ** 2
                self.grad_params.add(self.reg, self.params)
                return loss, self.grad_params

            optim.adagrad(feval, self.params, self.optim_state)
            self.emb.updateParameters(self.emb_learning_rate)
        xlua.progress(dataset['size'], dataset['size'])

    def predict(self, tree, sent):
        self.treelstm.evaluate()
        inputs = self.emb.forward(sent)
        self.treelstm.forward(tree, inputs)
        output = tree.output
        if self.fine_grained:
            prediction = argmax(output)
        else:
            prediction = 0 if output[0] > output[2] else 2
        self.treelstm.clean(tree)
        return prediction

    def predict_dataset(self, dataset):
        predictions = lg.Tensor(dataset['size'])
        for i in range(dataset['size']):
            xlua.progress(i, dataset['size'])
            predictions[i] = self.predict(dataset['trees'][i], dataset['sents'][i])
        return predictions

    def save(self, path):
        config = {
            'batch_size': self.batch_size,
            'dropout': self.dropout,
            'emb_learning_rate': self.emb_learning_rate,
            'emb_vecs': self.emb.weight.float(),
            'fine_grained': self.fine_grained,
            'learning_rate': self.learning_rate,
            'mem_dim': self.mem_dim,
            'reg': self.reg,
            'structure': self.structure,
        }

        lg.save(path, {
            'params': self.params,
            'config': config,
        })

    @staticmethod
    def load(path):
        state = lg.load(path)
        model = TreeLSTMSentiment(state['config'])
        model.params.copy(state['params'])
        return model


# -------------------------------------------------------------------------- sentiment/LSTMSentiment.lua


class LSTMSentiment:
    """Sentiment classification using LSTMs."""
    typename = 'treelstm.LSTMSentiment'

    def __init__(self, config):
        self.mem_dim = config.get('mem_dim') or 150
        self.learning_rate = config.get('learning_rate') or 0.05
        self.emb_learning_rate = config.get('emb_learning_rate') or 0.1
        self.num_layers = config.get('num_layers') or 1
        self.batch_size = config.get('batch_size') or 5
        self.reg = config.get('reg') or 1e-4
        self.structure = config.get('structure') or 'lstm'  # {lstm, bilstm}
        self.fine_grained = True if config.get('fine_grained') is None else config['fine_grained']
        self.dropout = True if config.get('dropout') is None else config['dropout']
        self.train_subtrees = 4  # number of subtrees to sample during training

        # word embedding
        self.emb_dim = config['emb_vecs'].size(1)
        self.emb = nn.LookupTable(config['emb_vecs'].size(0), self.emb_dim)
        self.emb.weight.copy(config['emb_vecs'])

        self.in_zeros = lg.zeros(self.emb_dim)
        self.num_classes = 5 if self.fine_grained else 3

        # optimizer configuration
        self.optim_state = {'learningRate': self.learning_rate}

        # negative log likelihood optimization objective
        self.criterion = nn.ClassNLLCriterion()

        # sentiment classification module
        self.sentiment_module = self.new_sentiment_module()

        # initialize LSTM model
        lstm_config = {
            'in_dim': self.emb_dim,
            'mem_dim': self.mem_dim,
            'num_layers': self.num_layers,
            'gate_output': True,
        }

        if self.structure == 'lstm':
            self.lstm = LSTM(lstm_config)
        elif self.structure == 'bilstm':
            self.lstm = LSTM(lstm_config)
            self.lstm_b = LSTM(lstm_config)
        else:
            raise ValueError('invalid LSTM type: ' + self.structure)

        modules = (nn.Parallel()
                   .add(self.lstm)
                   .add(self.sentiment_module))
        self.params, self.grad_params = modules.getParameters()

        # share must only be called after getParameters, since this changes the
        # location of the parameters
        if self.structure == 'bilstm':
            share_params(self.lstm_b, self.lstm)

    def new_sentiment_module(self):
        input_dim = self.num_layers * self.mem_dim
        if self.structure == 'lstm':
            rep = nn.Identity()()
            if self.num_layers == 1:
                vec = [rep]
            else:
                vec = nn.JoinTable(0)(rep)
            inputs = [rep]
        elif self.structure == 'bilstm':
            frep, brep = nn.Identity()(), nn.Identity()()
            input_dim = input_dim * 2
            if self.num_layers == 1:
                vec = nn.JoinTable(0)([frep, brep])
            else:
                vec = nn.JoinTable(0)([nn.JoinTable(0)(frep), nn.JoinTable(0)(brep)])
            inputs = [frep, brep]

        if self.dropout:
            logprobs = nn.LogSoftMax()(
                nn.Linear(input_dim, self.num_classes)(
                    nn.Dropout()(vec)))
        else:
            logprobs = nn.LogSoftMax()(
                nn.Linear(input_dim, self.num_classes)(vec))

        return nn.gModule(inputs, [logprobs])

    def train(self, dataset):
        self.lstm.training()
        self.sentiment_module.training()
        if self.structure == 'bilstm':
            self.lstm_b.training()

        indices = lg.randperm(dataset['size'])
        zeros = lg.zeros(self.mem_dim)
        for i in range(0, dataset['size'], self.batch_size):
            xlua.progress(i, dataset['size'])
            batch_size = min(i + self.batch_size, dataset['size']) - i

            def feval(x):
                self.grad_params.zero()
                self.emb.zeroGradParameters()

                loss = 0
                for j in range(batch_size):
                    idx = indices[i + j]
                    tree = dataset['trees'][idx]
                    sent = dataset['sents'][idx]
                    subtrees = tree.depth_first_preorder()
                    for k in range(1, self.train_subtrees + 2):
                        # math.ceil(torch.uniform(1, #subtrees)): a position 1 .. #subtrees, one less here
                        subtree = tree if k == 1 else subtrees[math.ceil(lg.uniform(1, len(subtrees))) - 1]
                        span = sent[subtree.lo:subtree.hi + 1]
                        inputs = self.emb.forward(span)

                        # get sentence representations
                        if self.structure == 'lstm':
                            rep = self.lstm.forward(inputs)
                        elif self.structure == 'bilstm':
                            rep = [
                                self.lstm.forward(inputs),
                                self.lstm_b.forward(inputs, True),  # true => reverse
                            ]

                        # compute class log probabilities
                        output = self.sentiment_module.forward(rep)

                        # compute loss and backpropagate
                        example_loss = self.criterion.forward(output, subtree.gold_label)
                        loss = loss + example_loss
                        obj_grad = self.criterion.backward(output, subtree.gold_label)
                        rep_grad = self.sentiment_module.backward(rep, obj_grad)
                        if self.structure == 'lstm':
                            input_grads = self.LSTM_backward(sent, inputs, rep_grad)
                        elif self.structure == 'bilstm':
                            input_grads = self.BiLSTM_backward(sent, inputs, rep_grad)
                        self.emb.backward(span, input_grads)

                batch_subtrees = batch_size * (self.train_subtrees + 1)
                loss = loss / batch_subtrees
                self.grad_params.div(batch_subtrees)
                self.emb.gradWeight.div(batch_subtrees)

                # regularization
                loss = loss + 0.5 * self.reg * self.params.norm() ** 2
                self.grad_params.add(self.reg, self.params)
                return loss, self.grad_params

            optim.adagrad(feval, self.params, self.optim_state)
            self.emb.updateParameters(self.emb_learning_rate)
        xlua.progress(dataset['size'], dataset['size'])

    # LSTM backward propagation
    def LSTM_backward(self, sent, inputs, rep_grad):
        if self.num_layers == 1:
            grad = lg.zeros(sent.nElement(), self.mem_dim)
            grad[sent.nElement() - 1] = rep_grad
        else:
            grad = lg.zeros(sent.nElement(), self.num_layers, self.mem_dim)
            for l in range(self.num_layers):
                grad[sent.nElement() - 1, l, :] = rep_grad[l]
        input_grads = self.lstm.backward(inputs, grad)
        return input_grads

    # Bidirectional LSTM backward propagation
    def BiLSTM_backward(self, sent, inputs, rep_grad):
        if self.num_layers == 1:
            grad = lg.zeros(sent.nElement(), self.mem_dim)
            grad_b = lg.zeros(sent.nElement(), self.mem_dim)
            grad[sent.nElement() - 1] = rep_grad[0]
            grad_b[0] = rep_grad[1]
        else:
            grad = lg.zeros(sent.nElement(), self.num_layers, self.mem_dim)
            grad_b = lg.zeros(sent.nElement(), self.num_layers, self.mem_dim)
            for l in range(self.num_layers):
                grad[sent.nElement() - 1, l, :] = rep_grad[0][l]
                grad_b[0, l, :] = rep_grad[1][l]
        input_grads = self.lstm.backward(inputs, grad)
        input_grads_b = self.lstm_b.backward(inputs, grad_b, True)
        return input_grads + input_grads_b

    # Predict the sentiment of a sentence.
    def predict(self, sent):
        self.lstm.evaluate()
        self.sentiment_module.evaluate()
        inputs = self.emb.forward(sent)

        if self.structure == 'lstm':
            rep = self.lstm.forward(inputs)
        elif self.structure == 'bilstm':
            self.lstm_b.evaluate()
            rep = [
                self.lstm.forward(inputs),
                self.lstm_b.forward(inputs, True),
            ]
        logprobs = self.sentiment_module.forward(rep)
        if self.fine_grained:
            prediction = argmax(logprobs)
        else:
            prediction = 0 if logprobs[0] > logprobs[2] else 2
        self.lstm.forget()
        if self.structure == 'bilstm':
            self.lstm_b.forget()
        return prediction

    # Produce sentiment predictions for each sentence in the dataset.
    def predict_dataset(self, dataset):
        predictions = lg.Tensor(dataset['size'])
        for i in range(dataset['size']):
            xlua.progress(i, dataset['size'])
            predictions[i] = self.predict(dataset['sents'][i])
        return predictions

    def save(self, path):
        config = {
            'batch_size': self.batch_size,
            'dropout': self.dropout,
            'emb_learning_rate': self.emb_learning_rate,
            'emb_vecs': self.emb.weight.float(),
            'fine_grained': self.fine_grained,
            'learning_rate': self.learning_rate,
            'num_layers': self.num_layers,
            'mem_dim': self.mem_dim,
            'reg': self.reg,
            'structure': self.structure,
        }

        lg.save(path, {
            'params': self.params,
            'config': config,
        })

    @staticmethod
    def load(path):
        state = lg.load(path)
        model = LSTMSentiment(state['config'])
        model.params.copy(state['params'])
        return model


# --------------------------------------------------------------------------- relatedness/TreeLSTMSim.lua


class TreeLSTMSim:
    """Semantic relatedness prediction using Tree-LSTMs."""
    typename = 'treelstm.TreeLSTMSim'

    def __init__(self, config):
        self.mem_dim = config.get('mem_dim') or 150
        self.learning_rate = config.get('learning_rate') or 0.05
        self.emb_learning_rate = config.get('emb_learning_rate') or 0.0
        self.batch_size = config.get('batch_size') or 25
        self.reg = config.get('reg') or 1e-4
        self.structure = config.get('structure') or 'dependency'  # {dependency, constituency}
        self.sim_nhidden = config.get('sim_nhidden') or 50

        # word embedding
        self.emb_dim = config['emb_vecs'].size(1)
        self.emb = nn.LookupTable(config['emb_vecs'].size(0), self.emb_dim)
        self.emb.weight.copy(config['emb_vecs'])

        # number of similarity rating classes
        self.num_classes = 5

        # optimizer configuration
        self.optim_state = {'learningRate': self.learning_rate}

        # KL divergence optimization objective
        self.criterion = nn.DistKLDivCriterion()

        # initialize tree-lstm model
        treelstm_config = {
            'in_dim': self.emb_dim,
            'mem_dim': self.mem_dim,
            'gate_output': False,
        }

        if self.structure == 'dependency':
            self.treelstm = ChildSumTreeLSTM(treelstm_config)
        elif self.structure == 'constituency':
            self.treelstm = BinaryTreeLSTM(treelstm_config)
        else:
            raise ValueError('invalid parse tree type: ' + self.structure)

        # similarity model
        self.sim_module = self.new_sim_module()
        modules = (nn.Parallel()
                   .add(self.treelstm)
                   .add(self.sim_module))
        self.params, self.grad_params = modules.getParameters()

    def new_sim_module(self):
        lvec = nn.Identity()()
        rvec = nn.Identity()()
        mult_dist = nn.CMulTable()([lvec, rvec])
        add_dist = nn.Abs()(nn.CSubTable()([lvec, rvec]))
        vec_dist_feats = nn.JoinTable(0)([mult_dist, add_dist])
        vecs_to_input = nn.gModule([lvec, rvec], [vec_dist_feats])

        # define similarity model architecture
        sim_module = (nn.Sequential()
                      .add(vecs_to_input)
                      .add(nn.Linear(2 * self.mem_dim, self.sim_nhidden))
                      .add(nn.Sigmoid())    # does better than tanh
                      .add(nn.Linear(self.sim_nhidden, self.num_classes))
                      .add(nn.LogSoftMax()))
        return sim_module

    def train(self, dataset):
        self.treelstm.training()
        indices = lg.randperm(dataset['size'])
        zeros = lg.zeros(self.mem_dim)
        for i in range(0, dataset['size'], self.batch_size):
            xlua.progress(i, dataset['size'])
            batch_size = min(i + self.batch_size, dataset['size']) - i

            # get target distributions for batch
            targets = lg.zeros(batch_size, self.num_classes)
            for j in range(batch_size):
                sim = dataset['labels'][indices[i + j]] * (self.num_classes - 1) + 1
                ceil, floor = math.ceil(sim), math.floor(sim)
                if ceil == floor:
                    targets[j, floor - 1] = 1
                else:
                    targets[j, floor - 1] = ceil - sim
                    targets[j, ceil - 1] = sim - floor

            def feval(x):
                self.grad_params.zero()
                self.emb.zeroGradParameters()
                loss = 0
                for j in range(batch_size):
                    idx = indices[i + j]
                    ltree, rtree = dataset['ltrees'][idx], dataset['rtrees'][idx]
                    lsent, rsent = dataset['lsents'][idx], dataset['rsents'][idx]
                    self.emb.forward(lsent)
                    linputs = lg.Tensor(self.emb.output.size()).copy(self.emb.output)
                    rinputs = self.emb.forward(rsent)

                    # get sentence representations
                    lrep = self.treelstm.forward(ltree, linputs)[0][1]
                    rrep = self.treelstm.forward(rtree, rinputs)[0][1]

                    # compute relatedness
                    output = self.sim_module.forward([lrep, rrep])

                    # compute loss and backpropagate
                    example_loss = self.criterion.forward(output, targets[j])
                    loss = loss + example_loss
                    sim_grad = self.criterion.backward(output, targets[j])
                    rep_grad = self.sim_module.backward([lrep, rrep], sim_grad)
                    linput_grads = self.treelstm.backward(dataset['ltrees'][idx], linputs, [zeros, rep_grad[0]])
                    rinput_grads = self.treelstm.backward(dataset['rtrees'][idx], rinputs, [zeros, rep_grad[1]])
                    self.emb.backward(lsent, linput_grads)
                    self.emb.backward(rsent, rinput_grads)

                loss = loss / batch_size
                self.grad_params.div(batch_size)
                self.emb.gradWeight.div(batch_size)
                self.emb.updateParameters(self.emb_learning_rate)

                # regularization
                loss = loss + 0.5 * self.reg * self.params.norm() ** 2
                self.grad_params.add(self.reg, self.params)
                return loss, self.grad_params

            optim.adagrad(feval, self.params, self.optim_state)
        xlua.progress(dataset['size'], dataset['size'])

    # Predict the similarity of a sentence pair.
    def predict(self, ltree, rtree, lsent, rsent):
        linputs = self.emb.forward(lsent)
        lrep = self.treelstm.forward(ltree, linputs)[0][1]
        rinputs = self.emb.forward(rsent)
        rrep = self.treelstm.forward(rtree, rinputs)[0][1]
        output = self.sim_module.forward([lrep, rrep])
        self.treelstm.clean(ltree)
        self.treelstm.clean(rtree)
        return lg.range(1, 5).dot(output.exp())

    # Produce similarity predictions for each sentence pair in the dataset.
    def predict_dataset(self, dataset):
        self.treelstm.evaluate()
        predictions = lg.Tensor(dataset['size'])
        for i in range(dataset['size']):
            xlua.progress(i, dataset['size'])
            ltree, rtree = dataset['ltrees'][i], dataset['rtrees'][i]
            lsent, rsent = dataset['lsents'][i], dataset['rsents'][i]
            predictions[i] = self.predict(ltree, rtree, lsent, rsent)
        return predictions

    def save(self, path):
        config = {
            'batch_size': self.batch_size,
            'emb_vecs': self.emb.weight.float(),
            'learning_rate': self.learning_rate,
            'emb_learning_rate': self.emb_learning_rate,
            'mem_dim': self.mem_dim,
            'sim_nhidden': self.sim_nhidden,
            'reg': self.reg,
            'structure': self.structure,
        }

        lg.save(path, {
            'params': self.params,
            'config': config,
        })

    @staticmethod
    def load(path):
        state = lg.load(path)
        model = TreeLSTMSim(state['config'])
        model.params.copy(state['params'])
        return model


# ------------------------------------------------------------------------------- relatedness/LSTMSim.lua


class LSTMSim:
    """Semantic relatedness prediction using LSTMs."""
    typename = 'treelstm.LSTMSim'

    def __init__(self, config):
        self.mem_dim = config.get('mem_dim') or 150
        self.learning_rate = config.get('learning_rate') or 0.05
        self.batch_size = config.get('batch_size') or 25
        self.num_layers = config.get('num_layers') or 1
        self.reg = config.get('reg') or 1e-4
        self.structure = config.get('structure') or 'lstm'  # {lstm, bilstm}
        self.sim_nhidden = config.get('sim_nhidden') or 50

        # word embedding
        self.emb_vecs = config['emb_vecs']
        self.emb_dim = config['emb_vecs'].size(1)

        # number of similarity rating classes
        self.num_classes = 5

        # optimizer configuration
        self.optim_state = {'learningRate': self.learning_rate}

        # KL divergence optimization objective
        self.criterion = nn.DistKLDivCriterion()

        # initialize LSTM model
        lstm_config = {
            'in_dim': self.emb_dim,
            'mem_dim': self.mem_dim,
            'num_layers': self.num_layers,
            'gate_output': False,
        }

        if self.structure == 'lstm':
            self.llstm = LSTM(lstm_config)  # "left" LSTM
            self.rlstm = LSTM(lstm_config)  # "right" LSTM
        elif self.structure == 'bilstm':
            self.llstm = LSTM(lstm_config)
            self.llstm_b = LSTM(lstm_config)  # backward "left" LSTM
            self.rlstm = LSTM(lstm_config)
            self.rlstm_b = LSTM(lstm_config)  # backward "right" LSTM
        else:
            raise ValueError('invalid LSTM type: ' + self.structure)

        # similarity model
        self.sim_module = self.new_sim_module()
        modules = (nn.Parallel()
                   .add(self.llstm)
                   .add(self.sim_module))
        self.params, self.grad_params = modules.getParameters()

        # share must only be called after getParameters, since this changes the
        # location of the parameters
        share_params(self.rlstm, self.llstm)
        if self.structure == 'bilstm':
            # tying the forward and backward weights improves performance
            share_params(self.llstm_b, self.llstm)
            share_params(self.rlstm_b, self.llstm)

    def new_sim_module(self):
        if self.structure == 'lstm':
            # standard (left-to-right) LSTM
            input_dim = 2 * self.num_layers * self.mem_dim
            linput, rinput = nn.Identity()(), nn.Identity()()
            if self.num_layers == 1:
                lvec, rvec = linput, rinput
            else:
                lvec, rvec = nn.JoinTable(0)(linput), nn.JoinTable(0)(rinput)
            inputs = [linput, rinput]
        elif self.structure == 'bilstm':
            # bidirectional LSTM
            input_dim = 4 * self.num_layers * self.mem_dim
            lf, lb, rf, rb = nn.Identity()(), nn.Identity()(), nn.Identity()(), nn.Identity()()
            if self.num_layers == 1:
                lvec = nn.JoinTable(0)([lf, lb])
                rvec = nn.JoinTable(0)([rf, rb])
            else:
                # in the multilayer case, each input is a table of hidden vectors (one for each layer)
                lvec = nn.JoinTable(0)([nn.JoinTable(0)(lf), nn.JoinTable(0)(lb)])
                rvec = nn.JoinTable(0)([nn.JoinTable(0)(rf), nn.JoinTable(0)(rb)])
            inputs = [lf, lb, rf, rb]
        mult_dist = nn.CMulTable()([lvec, rvec])
        add_dist = nn.Abs()(nn.CSubTable()([lvec, rvec]))
        vec_dist_feats = nn.JoinTable(0)([mult_dist, add_dist])
        vecs_to_input = nn.gModule(inputs, [vec_dist_feats])

        # define similarity model architecture
        sim_module = (nn.Sequential()
                      .add(vecs_to_input)
                      .add(nn.Linear(input_dim, self.sim_nhidden))
                      .add(nn.Sigmoid())    # does better than tanh
                      .add(nn.Linear(self.sim_nhidden, self.num_classes))
                      .add(nn.LogSoftMax()))
        return sim_module

    def train(self, dataset):
        self.llstm.training()
        self.rlstm.training()
        if self.structure == 'bilstm':
            self.llstm_b.training()
            self.rlstm_b.training()

        indices = lg.randperm(dataset['size'])
        zeros = lg.zeros(self.mem_dim)
        for i in range(0, dataset['size'], self.batch_size):
            xlua.progress(i, dataset['size'])
            batch_size = min(i + self.batch_size, dataset['size']) - i

            # get target distributions for batch
            targets = lg.zeros(batch_size, self.num_classes)
            for j in range(batch_size):
                sim = dataset['labels'][indices[i + j]] * (self.num_classes - 1) + 1
                ceil, floor = math.ceil(sim), math.floor(sim)
                if ceil == floor:
                    targets[j, floor - 1] = 1
                else:
                    targets[j, floor - 1] = ceil - sim
                    targets[j, ceil - 1] = sim - floor

            def feval(x):
                self.grad_params.zero()
                loss = 0
                for j in range(batch_size):
                    idx = indices[i + j]
                    lsent, rsent = dataset['lsents'][idx], dataset['rsents'][idx]
                    linputs = self.emb_vecs.index(0, lsent.long()).double()
                    rinputs = self.emb_vecs.index(0, rsent.long()).double()

                    # get sentence representations
                    if self.structure == 'lstm':
                        inputs = [self.llstm.forward(linputs), self.rlstm.forward(rinputs)]
                    elif self.structure == 'bilstm':
                        inputs = [
                            self.llstm.forward(linputs),
                            self.llstm_b.forward(linputs, True),  # true => reverse
                            self.rlstm.forward(rinputs),
                            self.rlstm_b.forward(rinputs, True)
                        ]

                    # compute relatedness
                    output = self.sim_module.forward(inputs)

                    # compute loss and backpropagate
                    example_loss = self.criterion.forward(output, targets[j])
                    loss = loss + example_loss
                    sim_grad = self.criterion.backward(output, targets[j])
                    rep_grad = self.sim_module.backward(inputs, sim_grad)
                    if self.structure == 'lstm':
                        self.LSTM_backward(lsent, rsent, linputs, rinputs, rep_grad)
                    elif self.structure == 'bilstm':
                        self.BiLSTM_backward(lsent, rsent, linputs, rinputs, rep_grad)

                loss = loss / batch_size
                self.grad_params.div(batch_size)

                # regularization
                loss = loss + 0.5 * self.reg * self.params.norm() ** 2
                self.grad_params.add(self.reg, self.params)
                return loss, self.grad_params

            optim.adagrad(feval, self.params, self.optim_state)
        xlua.progress(dataset['size'], dataset['size'])

    # LSTM backward propagation
    def LSTM_backward(self, lsent, rsent, linputs, rinputs, rep_grad):
        if self.num_layers == 1:
            lgrad = lg.zeros(lsent.nElement(), self.mem_dim)
            rgrad = lg.zeros(rsent.nElement(), self.mem_dim)
            lgrad[lsent.nElement() - 1] = rep_grad[0]
            rgrad[rsent.nElement() - 1] = rep_grad[1]
        else:
            lgrad = lg.zeros(lsent.nElement(), self.num_layers, self.mem_dim)
            rgrad = lg.zeros(rsent.nElement(), self.num_layers, self.mem_dim)
            for l in range(self.num_layers):
                lgrad[lsent.nElement() - 1, l, :] = rep_grad[0][l]
                rgrad[rsent.nElement() - 1, l, :] = rep_grad[1][l]
        self.llstm.backward(linputs, lgrad)
        self.rlstm.backward(rinputs, rgrad)

    # Bidirectional LSTM backward propagation
    def BiLSTM_backward(self, lsent, rsent, linputs, rinputs, rep_grad):
        if self.num_layers == 1:
            lgrad = lg.zeros(lsent.nElement(), self.mem_dim)
            lgrad_b = lg.zeros(lsent.nElement(), self.mem_dim)
            rgrad = lg.zeros(rsent.nElement(), self.mem_dim)
            rgrad_b = lg.zeros(rsent.nElement(), self.mem_dim)
            lgrad[lsent.nElement() - 1] = rep_grad[0]
            rgrad[rsent.nElement() - 1] = rep_grad[2]
            lgrad_b[0] = rep_grad[1]
            rgrad_b[0] = rep_grad[3]
        else:
            lgrad = lg.zeros(lsent.nElement(), self.num_layers, self.mem_dim)
            lgrad_b = lg.zeros(lsent.nElement(), self.num_layers, self.mem_dim)
            rgrad = lg.zeros(rsent.nElement(), self.num_layers, self.mem_dim)
            rgrad_b = lg.zeros(rsent.nElement(), self.num_layers, self.mem_dim)
            for l in range(self.num_layers):
                lgrad[lsent.nElement() - 1, l, :] = rep_grad[0][l]
                rgrad[rsent.nElement() - 1, l, :] = rep_grad[2][l]
                lgrad_b[0, l, :] = rep_grad[1][l]
                rgrad_b[0, l, :] = rep_grad[3][l]
        self.llstm.backward(linputs, lgrad)
        self.llstm_b.backward(linputs, lgrad_b, True)
        self.rlstm.backward(rinputs, rgrad)
        self.rlstm_b.backward(rinputs, rgrad_b, True)

    # Predict the similarity of a sentence pair.
    def predict(self, lsent, rsent):
        self.llstm.evaluate()
        self.rlstm.evaluate()
        linputs = self.emb_vecs.index(0, lsent.long()).double()
        rinputs = self.emb_vecs.index(0, rsent.long()).double()
        if self.structure == 'lstm':
            inputs = [self.llstm.forward(linputs), self.rlstm.forward(rinputs)]
        elif self.structure == 'bilstm':
            self.llstm_b.evaluate()
            self.rlstm_b.evaluate()
            inputs = [
                self.llstm.forward(linputs),
                self.llstm_b.forward(linputs, True),
                self.rlstm.forward(rinputs),
                self.rlstm_b.forward(rinputs, True)
            ]
        output = self.sim_module.forward(inputs)
        self.llstm.forget()
        self.rlstm.forget()
        if self.structure == 'bilstm':
            self.llstm_b.forget()
            self.rlstm_b.forget()
        return lg.range(1, 5).dot(output.exp())

    # Produce similarity predictions for each sentence pair in the dataset.
    def predict_dataset(self, dataset):
        predictions = lg.Tensor(dataset['size'])
        for i in range(dataset['size']):
            xlua.progress(i, dataset['size'])
            lsent, rsent = dataset['lsents'][i], dataset['rsents'][i]
            predictions[i] = self.predict(lsent, rsent)
        return predictions

    def save(self, path):
        config = {
            'batch_size': self.batch_size,
            'emb_vecs': self.emb_vecs.float(),
            'learning_rate': self.learning_rate,
            'num_layers': self.num_layers,
            'mem_dim': self.mem_dim,
            'sim_nhidden': self.sim_nhidden,
            'reg': self.reg,
            'structure': self.structure,
        }

        lg.save(path, {
            'params': self.params,
            'config': config,
        })

    @staticmethod
    def load(path):
        state = lg.load(path)
        model = LSTMSim(state['config'])
        model.params.copy(state['params'])
        return model


# ------------------------------------------------------------------------------------ main.lua helpers


def accuracy(pred, gold):
    """sentiment/main.lua lines 10-12."""
    return lg.eq(pred, gold).sum() / pred.size(0)


def pearson(x, y):
    """relatedness/main.lua lines 10-14 (Pearson correlation)."""
    x = x - x.mean()
    y = y - y.mean()
    return x.dot(y) / (x.norm() * y.norm())


# ------------------------------------------------------------------------------------ generated corpus


WORDS = ['good', 'great', 'fine', 'bad', 'awful', 'poor', 'the', 'a', 'movie', 'plot', 'is', 'was', 'not']
POSITIVE, NEGATIVE = {'good', 'great', 'fine'}, {'bad', 'awful', 'poor'}


def _constituency_parents(n, rng):
    """A random binary tree over n leaves, as the preprocessing writes it: leaves are nodes 1 .. n, the
    internal nodes n+1 .. 2n-1 in order of creation, each line the parent of nodes 1 .. 2n-1 (0: root)."""
    parents = [0] * (2 * n - 1)
    frontier = list(range(1, n + 1))
    nxt = n + 1
    while len(frontier) > 1:
        k = int(rng.integers(len(frontier) - 1))
        parents[frontier[k] - 1] = parents[frontier[k + 1] - 1] = nxt
        frontier[k:k + 2] = [nxt]
        nxt += 1
    return parents


def _dependency_parents(n, rng):
    """A random dependency tree over tokens 1 .. n: one token's parent is 0, the others' an earlier one."""
    order = rng.permutation(n) + 1
    parents = [0] * n
    for k in range(1, n):
        parents[order[k] - 1] = int(order[rng.integers(k)])
    return parents


def _sentiment_of(words):
    score = sum(w in POSITIVE for w in words) - sum(w in NEGATIVE for w in words)
    return int(np.clip(score, -2, 2))


def write_sst(dir, n_sents, rng):
    """data/sst/<split>/ as scripts/preprocess-sst.py leaves it: sents.txt, parents.txt and labels.txt
    (constituency: one label per node), dparents.txt and dlabels.txt (dependency: one per token)."""
    os.makedirs(dir, exist_ok=True)
    files = {name: open(os.path.join(dir, name), 'w')
             for name in ['sents.txt', 'parents.txt', 'labels.txt', 'dparents.txt', 'dlabels.txt']}
    for _ in range(n_sents):
        n = int(rng.integers(2, 6))
        words = list(rng.choice(WORDS, n))
        cparents = _constituency_parents(n, rng)
        # each node's label is the sentiment of the words under it
        spans = {i: [words[i - 1]] for i in range(1, n + 1)}
        for node in range(n + 1, 2 * n):
            spans[node] = [w for c in range(1, 2 * n) if cparents[c - 1] == node for w in spans[c]]
        files['sents.txt'].write(' '.join(words) + '\n')
        files['parents.txt'].write(' '.join(map(str, cparents)) + '\n')
        files['labels.txt'].write(' '.join(str(_sentiment_of(spans[i])) for i in range(1, 2 * n)) + '\n')
        dparents = _dependency_parents(n, rng)
        files['dparents.txt'].write(' '.join(map(str, dparents)) + '\n')
        root = dparents.index(0)
        files['dlabels.txt'].write(' '.join(str(_sentiment_of(words)) if i == root else '#'
                                            for i in range(n)) + '\n')
    for f in files.values():
        f.close()


def write_sick(dir, n_pairs, rng):
    """data/sick/<split>/ as scripts/preprocess-sick.py leaves it: a.toks, b.toks, a.parents, b.parents,
    a.cparents, b.cparents, id.txt, sim.txt (similarity 1 .. 5: here 5 minus the count of differing words)."""
    os.makedirs(dir, exist_ok=True)
    names = ['a.toks', 'b.toks', 'a.parents', 'b.parents', 'a.cparents', 'b.cparents', 'id.txt', 'sim.txt']
    files = {name: open(os.path.join(dir, name), 'w') for name in names}
    for k in range(n_pairs):
        n = int(rng.integers(2, 6))
        a = list(rng.choice(WORDS, n))
        b = list(a)
        ndiff = int(rng.integers(0, min(n, 4) + 1))
        for pos in rng.choice(n, ndiff, replace=False):
            b[pos] = str(rng.choice([w for w in WORDS if w != a[pos]]))
        for side, words in (('a', a), ('b', b)):
            files[side + '.toks'].write(' '.join(words) + '\n')
            files[side + '.parents'].write(' '.join(map(str, _dependency_parents(n, rng))) + '\n')
            files[side + '.cparents'].write(' '.join(map(str, _constituency_parents(n, rng))) + '\n')
        files['id.txt'].write('%d\n' % (k + 1))
        files['sim.txt'].write('%.1f\n' % (5 - ndiff))
    for f in files.values():
        f.close()


def write_vocab(path):
    with open(path, 'w') as f:
        f.write('\n'.join(WORDS) + '\n')


@pytest.fixture
def sst(tmp_path):
    rng = np.random.default_rng(0)
    write_vocab(str(tmp_path / 'vocab-cased.txt'))
    write_sst(str(tmp_path / 'train'), 24, rng)
    return str(tmp_path) + '/'


@pytest.fixture
def sick(tmp_path):
    rng = np.random.default_rng(1)
    write_vocab(str(tmp_path / 'vocab-cased.txt'))
    write_sick(str(tmp_path / 'train'), 12, rng)
    return str(tmp_path) + '/'


def emb_vecs(vocab, dim):
    """main.lua's ``vecs`` (lines 57-68) when no GloVe vector is found: uniform(-0.05, 0.05) rows."""
    vecs = lg.Tensor(vocab.size, dim)
    for i in range(vocab.size):
        vecs[i].uniform(-0.05, 0.05)
    return vecs


# ------------------------------------------------------------------------------------------------ tests


def _check_grad(f, x, analytic, picks=24, eps=1e-6):
    """Central differences of the number ``f()`` in ``picks`` elements of the tensor ``x`` (drawn at random,
    all of them when ``x`` has fewer), against the same elements of ``analytic``."""
    flat, want = x.view(-1), analytic.contiguous().view(-1)
    n = flat.nElement()
    for k in (range(n) if n <= picks else np.random.default_rng(n).choice(n, picks, replace=False)):
        k = int(k)
        v = float(flat[k])
        flat[k] = v + eps
        hi = f()
        flat[k] = v - eps
        lo = f()
        flat[k] = v
        assert (hi - lo) / (2 * eps) == pytest.approx(float(want[k]), abs=1e-7), k


def test_crowaddtable_adds_the_vector_to_each_row_and_its_jacobian_checks():
    m = CRowAddTable()
    a, b = lg.randn(3, 4), lg.randn(4)
    out = m.forward([a, b])
    np.testing.assert_allclose(out.numpy(), a.numpy() + b.numpy()[None, :])
    g = lg.randn(3, 4)
    ga, gb = m.backward([a, b], g)
    np.testing.assert_allclose(ga.numpy(), g.numpy())
    np.testing.assert_allclose(gb.numpy(), g.numpy().sum(0))
    assert nn.Jacobian.testJacobian(m, [a, b]) < 1e-6


def test_read_tree_builds_the_lua_structure_from_the_parents_codes():
    # "((w1 w2) w3)" as the constituency parents line "4 4 5 5 0", with labels for nodes 1, 3, 5 only
    root = read_tree([4, 4, 5, 5, 0], [1, None, -1, None, 2])
    assert root.idx == 4 and root.num_children == 2 and root.gold_label == 2
    left, right = root.children
    assert (left.idx, right.idx) == (3, 2)         # node 4 was reached first, from leaf 1
    assert [c.leaf_idx for c in left.children] == [0, 1] and right.leaf_idx == 2
    assert left.children[0].gold_label == 1 and left.children[1].gold_label is None
    set_spans(root)
    assert (root.lo, root.hi, left.lo, left.hi) == (0, 2, 0, 1)
    assert root.size() == 5 and root.depth() == 2
    assert [t.idx for t in root.depth_first_preorder()] == [4, 3, 0, 1, 2]
    # a dependency line: token 2 is the root, tokens 1 and 3 its children; -1 marks a node the parse dropped
    dep = read_tree([2, 0, 2, -1], None)
    assert dep.idx == 1 and sorted(c.idx for c in dep.children) == [0, 2]


def test_vocab_ids_count_from_zero(tmp_path):
    path = str(tmp_path / 'v.txt')
    with open(path, 'w') as f:
        f.write('a\nb\n<unk>\n')
    v = Vocab(path)
    assert v.size == 3 and v.index('a') == 0 and v.index('zzz') == 2 and v.unk_token == '<unk>'
    assert v.token(1) == 'b' and v.map(['b', 'a', 'q']).tolist() == [1, 0, 2]
    assert v.add('c') == 3 and v.size == 4
    with pytest.raises(IndexError):
        v.token(4)


def _tree_model(model_cls, parents, leaf_inputs, labels=None):
    """A Tree-LSTM (in_dim 3, mem_dim 4) in training mode on the tree of ``parents``; with ``labels`` it has
    TreeLSTMSentiment's kind of output module (Linear, LogSoftMax) and a ClassNLLCriterion."""
    config = {'in_dim': 3, 'mem_dim': 4}
    if labels is not None:
        config.update(output_module_fn=lambda: nn.Sequential().add(nn.Linear(4, 3)).add(nn.LogSoftMax()),
                      criterion=nn.ClassNLLCriterion())
    model = model_cls(config)
    model.training()
    model.getParameters()[0].uniform(-0.5, 0.5)
    return model, read_tree(parents, labels), lg.randn(leaf_inputs, 3)


def _node_losses(model, tree):
    """The criterion's loss summed over every labelled node of a tree just forwarded."""
    total = 0.0
    if tree.gold_label is not None:
        total += float(model.criterion.forward(model.output_module.forward(tree.state[1]), tree.gold_label))
    return total + sum(_node_losses(model, c) for c in tree.children)


def _check_tree_model(model, tree, inputs):
    """Backward of a whole tree against central differences of ``root_h . w`` plus every labelled node's loss
    (what backward differentiates), in the inputs and in the parameters."""
    params, grad_params = model.getParameters()
    w = lg.randn(4)

    def loss():
        state, _ = model.forward(tree, inputs)
        value = float(lg.dot(state[1], w)) + (_node_losses(model, tree) if model.criterion is not None else 0)
        model.clean(tree)
        return value

    model.forward(tree, inputs)
    grad_params.zero()
    grad_inputs = model.backward(tree, inputs, [lg.zeros(4), w])
    analytic_params = grad_params.clone()
    _check_grad(loss, inputs, grad_inputs)
    _check_grad(loss, params, analytic_params)


# token 3 is the root with children 1, 4 and 2; token 2 has child 5: several children, leaves' zero states
DEPENDENCY = [3, 3, 0, 3, 2]
# ((w1 w2) w3) and ((w1 w2) (w3 (w4 w5)))
CONSTITUENCY_3 = [4, 4, 5, 5, 0]
CONSTITUENCY_5 = [6, 6, 8, 7, 7, 9, 8, 9, 0]


def test_child_sum_tree_lstm_gradients_match_finite_differences():
    _check_tree_model(*_tree_model(ChildSumTreeLSTM, DEPENDENCY, 5))


def test_binary_tree_lstm_gradients_match_finite_differences():
    _check_tree_model(*_tree_model(BinaryTreeLSTM, CONSTITUENCY_5, 5))


def test_tree_lstms_with_an_output_module_backpropagate_every_node_label():
    _check_tree_model(*_tree_model(ChildSumTreeLSTM, DEPENDENCY, 5, [0, 2, 1, None, 2]))
    _check_tree_model(*_tree_model(BinaryTreeLSTM, CONSTITUENCY_3, 3, [0, 1, 2, 1, 2]))


def test_binary_tree_lstm_loss_is_the_roots_own_as_the_luas_shadowed_locals_leave_it():
    """BinaryTreeLSTM.lua lines 96-118: the children's losses go to block-local ``lloss, rloss``, so the
    loss returned is the root's criterion value alone; ChildSumTreeLSTM sums every labelled node's."""
    model, tree, inputs = _tree_model(BinaryTreeLSTM, CONSTITUENCY_3, 3, [0, 1, 2, 1, 2])
    _, loss = model.forward(tree, inputs)
    root_loss = float(model.criterion.forward(tree.output, tree.gold_label))
    assert loss == pytest.approx(root_loss)
    assert _node_losses(model, tree) > root_loss + 0.1        # the sum the Lua meant, and does not return
    model.clean(tree)
    model, tree, inputs = _tree_model(ChildSumTreeLSTM, DEPENDENCY, 5, [0, 2, 1, None, 2])
    _, loss = model.forward(tree, inputs)
    assert loss == pytest.approx(_node_losses(model, tree))
    model.clean(tree)


def test_share_params_makes_each_new_composer_a_view_of_the_flat_parameters():
    model = ChildSumTreeLSTM({'in_dim': 3, 'mem_dim': 4})
    params, grad_params = model.getParameters()
    extra = model.new_composer()
    p, g = extra.parameters()
    assert all(t.storage() is params.storage() for t in p)
    assert all(t.storage() is grad_params.storage() for t in g)
    params.fill(0.25)
    assert all(float(t.min()) == float(t.max()) == 0.25 for t in p)


@pytest.mark.parametrize('num_layers', [1, 2])
@pytest.mark.parametrize('reverse', [False, True])
def test_lstm_gradients_match_finite_differences_on_repeated_calls(num_layers, reverse):
    lstm = LSTM({'in_dim': 3, 'mem_dim': 4, 'num_layers': num_layers})
    params, grad_params = lstm.getParameters()
    params.uniform(-0.5, 0.5)
    for T in (3, 1, 2):                                # after the first, gradInput holds a cell's buffers
        inputs = lg.randn(T, 3)
        w = [lg.randn(4) for _ in range(num_layers)]

        def loss():
            out = lstm.forward(inputs, reverse)
            out = [out] if num_layers == 1 else out
            value = sum(float(lg.dot(o, wl)) for o, wl in zip(out, w))
            lstm.forget()
            return value

        lstm.forward(inputs, reverse)
        grads = lg.zeros(T, 4) if num_layers == 1 else lg.zeros(T, num_layers, 4)
        last = 0 if reverse else T - 1
        for l in range(num_layers):
            (grads[last] if num_layers == 1 else grads[last, l]).copy(w[l])
        grad_params.zero()
        grad_inputs = lstm.backward(inputs, grads, reverse)
        assert lstm.depth == 0
        _check_grad(loss, inputs, grad_inputs)
        _check_grad(loss, params, grad_params)


@pytest.mark.parametrize('structure', ['constituency', 'dependency'])
def test_tree_lstm_sentiment_trains_predicts_and_reloads(sst, tmp_path, structure):
    lg.manualSeed(1)
    vocab = Vocab(sst + 'vocab-cased.txt')
    vecs = emb_vecs(vocab, 6)
    train_dataset = read_sentiment_dataset(sst + 'train/', vocab, True, structure == 'dependency')
    assert train_dataset['labels'].min() >= 0 and train_dataset['labels'].max() <= 4
    model = TreeLSTMSentiment({'emb_vecs': vecs, 'structure': structure, 'fine_grained': True,
                               'mem_dim': 8, 'batch_size': 6, 'dropout': False, 'learning_rate': 0.1})

    def mean_loss():
        model.treelstm.training()
        total = 0.0
        for tree, sent in zip(train_dataset['trees'], train_dataset['sents']):
            _, loss = model.treelstm.forward(tree, model.emb.forward(sent))
            model.treelstm.clean(tree)
            total += loss
        return total / train_dataset['size']

    # the dependency trees label their root only; the constituency loss is the root's (see the module's note)
    before = mean_loss()
    for epoch in range(8):
        model.train(train_dataset)
    after = mean_loss()
    assert after < (0.6 if structure == 'constituency' else 0.85) * before
    predictions = model.predict_dataset(train_dataset)
    score = accuracy(predictions, train_dataset['labels'])
    assert (0.6 if structure == 'constituency' else 0.3) < score <= 1

    path = str(tmp_path / 'sent.th')
    model.save(path)
    loaded = TreeLSTMSentiment.load(path)
    assert lg.equal(loaded.params, model.params)
    assert lg.equal(loaded.predict_dataset(train_dataset), predictions)


def sentence_nll(model, dataset):
    """LSTMSentiment's objective on whole sentences: the mean of -log p(label), the rnns forgotten after each."""
    total = 0.0
    for sent, label in zip(dataset['sents'], dataset['labels'].tolist()):
        inputs = model.emb.forward(sent)
        if model.structure == 'lstm':
            rep = model.lstm.forward(inputs)
        else:
            rep = [model.lstm.forward(inputs), model.lstm_b.forward(inputs, True)]
        total -= float(model.sentiment_module.forward(rep)[int(label)])
        model.lstm.forget()
        if model.structure == 'bilstm':
            model.lstm_b.forget()
    return total / dataset['size']


@pytest.mark.parametrize('structure,num_layers,epochs,ratio', [('lstm', 1, 10, 0.9), ('bilstm', 2, 3, 0.9)])
def test_lstm_sentiment_trains_on_sampled_subtrees(sst, structure, num_layers, epochs, ratio):
    lg.manualSeed(2)
    vocab = Vocab(sst + 'vocab-cased.txt')
    train_dataset = read_sentiment_dataset(sst + 'train/', vocab, False, False)
    assert set(train_dataset['labels'].tolist()) <= {0.0, 2.0}     # binary: neutral sentences dropped
    model = LSTMSentiment({'emb_vecs': emb_vecs(vocab, 6), 'structure': structure, 'fine_grained': False,
                           'num_layers': num_layers, 'mem_dim': 6, 'dropout': False, 'learning_rate': 0.3})
    before = sentence_nll(model, train_dataset)
    for epoch in range(epochs):
        model.train(train_dataset)
    assert sentence_nll(model, train_dataset) < ratio * before
    predictions = model.predict_dataset(train_dataset)
    assert set(predictions.tolist()) <= {0.0, 2.0}


@pytest.mark.parametrize('structure,ratio', [('dependency', 0.5), ('constituency', 0.9)])
def test_tree_lstm_sim_fits_the_relatedness_scores(sick, tmp_path, structure, ratio):
    lg.manualSeed(3)
    vocab = Vocab(sick + 'vocab-cased.txt')
    train_dataset = read_relatedness_dataset(sick + 'train/', vocab, structure == 'constituency')
    assert train_dataset['ids'].tolist() == list(range(1, 13))
    model = TreeLSTMSim({'emb_vecs': emb_vecs(vocab, 6), 'structure': structure, 'mem_dim': 6,
                         'sim_nhidden': 8, 'batch_size': 5, 'emb_learning_rate': 0.1, 'learning_rate': 0.5})
    sims = train_dataset['labels'] * 4 + 1
    err_before = float(((model.predict_dataset(train_dataset) - sims) ** 2).mean())
    for epoch in range(10):
        model.train(train_dataset)
    predictions = model.predict_dataset(train_dataset)
    assert float(((predictions - sims) ** 2).mean()) < ratio * err_before
    assert pearson(predictions, train_dataset['labels']) > 0.5

    path = str(tmp_path / 'rel.th')
    model.save(path)
    loaded = TreeLSTMSim.load(path)
    # the config keeps the embeddings as floats (emb.weight:float()), as the Lua saves them
    np.testing.assert_allclose(loaded.predict_dataset(train_dataset).numpy(), predictions.numpy(), atol=1e-5)


@pytest.mark.parametrize('structure,num_layers', [('lstm', 2), ('bilstm', 1)])
def test_lstm_sim_shares_its_lstms_and_fits_the_relatedness_scores(sick, structure, num_layers):
    lg.manualSeed(3)
    vocab = Vocab(sick + 'vocab-cased.txt')
    train_dataset = read_relatedness_dataset(sick + 'train/', vocab, False)
    model = LSTMSim({'emb_vecs': emb_vecs(vocab, 6), 'structure': structure, 'num_layers': num_layers,
                     'mem_dim': 6, 'sim_nhidden': 8, 'batch_size': 5, 'learning_rate': 0.5})
    # share_params after getParameters: the right LSTM's weights are the flat vector's
    assert all(p.storage() is model.params.storage() for p in model.rlstm.parameters()[0])
    sims = train_dataset['labels'] * 4 + 1
    err_before = float(((model.predict_dataset(train_dataset) - sims) ** 2).mean())
    for epoch in range(5):
        model.train(train_dataset)
    predictions = model.predict_dataset(train_dataset)
    assert float(((predictions - sims) ** 2).mean()) < 0.95 * err_before
