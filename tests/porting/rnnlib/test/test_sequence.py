"""test/test_sequence.lua: a test for rnnlib's SequenceTable + RecurrentTable, forward and backward, over cells
computing variants of ``a x + a`` (``a`` the previous hidden state, ``x`` the layer's input), with
``mutils.outmodule``, ``inmodule`` and ``batchedinmodule``.

Edits beyond syntax and indices: the suite is built by ``makeSuite(tester)`` and run by the caller
(tests/porting/test_rnnlib.py), where the Lua's file ends with ``tester:add(rnnlibtest); tester:run()``.
``nn.SequenceTable{dim=1}``, ``nn.RecurrentTable{module=..., dim=2}`` are ``dim=0`` and ``dim=1``;
``nn.JoinTable(1)`` is ``nn.JoinTable(0)``, ``nn.SelectTable(2)`` is ``nn.SelectTable(1)`` (``-1`` stays).
``for k, v in pairs(input3[2])`` walks a list with ``enumerate``; ``torch.Tensor{4}`` is ``lg.Tensor([4])``.
"""
import legonn as lg
from legonn import nn

from .. import mutils
from ..env import rnnlib
from ..nn.RecurrentTable import RecurrentTable
from ..nn.SequenceTable import SequenceTable


# These three functions return variants of ax + a, where
# a is the previous hidden unit state, and x is the input of the layer.
def f2(hid, input):
    ax = nn.CMulTable()([hid, input])
    axpa = nn.CAddTable()([ax, hid])
    axpa2 = nn.AddConstant(-2)(axpa)
    return axpa2, axpa


def f1(hid, input):
    ax = nn.CMulTable()([hid, input])
    axpa = nn.CAddTable()([ax, hid])
    axpa1 = nn.AddConstant(-1)(axpa)
    return axpa1, axpa


def f0(hid, input):
    ax = nn.CMulTable()([hid, input])
    axpa = nn.CAddTable()([ax, hid])
    return axpa, nn.Identity()(axpa)


def makeSuite(tester):
    rnnlibtest = lg.TestSuite()

    # This is the input, where each index `i` represents the `ith` dimension's
    # initial values.
    input = [
        [
            # state
            lg.Tensor([4]),
            lg.Tensor([3]),
            lg.Tensor([2]),
        ],
        [
            # input
            lg.Tensor([1]),
            lg.Tensor([2]),
        ]
    ]

    # The partial computation is accumulated over all dimensions and returned
    # in the output.
    output = [
        [  # hidden
            # timesteps
            [
                # hidden states along depth
                lg.Tensor([6]),   # 4 * 1  + 4 - 2
                lg.Tensor([26]),  # 3 * 8  + 3 - 1
                lg.Tensor([56]),  # 3 * 27 + 2 - 0
            ],
            [
                lg.Tensor([16]),     # 6  * 2   + 6  - 2
                lg.Tensor([493]),    # 26 * 18  + 26 - 1
                lg.Tensor([27720]),  # 56 * 494 + 56 - 0
            ],
        ],
        [  # output
            # timesteps
            [
                # outputs along depth
                lg.Tensor([8]),   # 4 * 1  + 4
                lg.Tensor([27]),  # 3 * 8  + 3
                lg.Tensor([56]),  # 2 * 27 + 2
            ],
            [
                lg.Tensor([18]),     # 6  * 2   + 6
                lg.Tensor([494]),    # 26 * 18  + 26
                lg.Tensor([27720]),  # 56 * 494 + 56
            ],
        ],
    ]

    @rnnlibtest
    def axpa():
        modeloutput = lg.Tensor([56, 27720])

        # Unfinished example.
        gradOutput = [
            [  # hidden
                # timesteps
                [lg.Tensor([1]), lg.Tensor([1]), lg.Tensor([1])],
                [lg.Tensor([1]), lg.Tensor([1]), lg.Tensor([1])],
            ],
            [  # output
                # timesteps
                [lg.Tensor([1]), lg.Tensor([1]), lg.Tensor([1])],
                [lg.Tensor([1]), lg.Tensor([1]), lg.Tensor([1])],
            ],
        ]

        # For the first example, we construct a model such that its outer loop is
        # time. This means we must first build the network over depth.

        depth = SequenceTable(dim=0)

        depth.add(rnnlib.cell.gModule(f2))
        depth.add(rnnlib.cell.gModule(f1))
        depth.add(rnnlib.cell.gModule(f0))

        m1 = RecurrentTable(module=depth, dim=1)

        # Indexing into the output of the model must be done carefully.
        # `mutils.outmodule` will map the module given in the argument
        # across the outermost dimension.
        #
        # For this example, we are only interested in the output of the topmost
        # layer of the network at each timestep.
        model1 = (nn.Sequential()
                  .add(mutils.outmodule(m1, nn.SelectTable(-1)))
                  .add(nn.SelectTable(1))
                  .add(nn.JoinTable(0)))
        model1.forward(input)

        tester.eq(m1.output, output)
        tester.eq(model1.output, modeloutput)

        m1.backward(input, gradOutput)

        # Next we have the outer loop be over depth. We build the network layer-wise.

        layers = [
            RecurrentTable(module=rnnlib.cell.gModule(f2), dim=1),
            RecurrentTable(module=rnnlib.cell.gModule(f1), dim=1),
            RecurrentTable(module=rnnlib.cell.gModule(f0), dim=1),
        ]

        m2 = SequenceTable(modules=layers, dim=0)

        model2 = (nn.Sequential()
                  .add(m2)
                  .add(nn.SelectTable(1))
                  .add(nn.SelectTable(-1))
                  .add(nn.JoinTable(0)))

        model2.forward(input)

        tester.eq(model2.output, model1.output)

    @rnnlibtest
    def inmodule():
        input1 = mutils.deepcopy(input)

        # Scale all tensors in a table by 2.
        def t2(x):
            if lg.isTensor(x):
                x.mul(2)
            else:
                for v in x:
                    t2(v)
        t2(input1[1])

        # Create a normal model without an inmodule.
        layers1 = [
            RecurrentTable(module=rnnlib.cell.gModule(f2), dim=1),
            RecurrentTable(module=rnnlib.cell.gModule(f1), dim=1),
            RecurrentTable(module=rnnlib.cell.gModule(f0), dim=1),
        ]

        m1 = SequenceTable(modules=layers1, dim=0)

        model1 = (nn.Sequential()
                  .add(m1)
                  .add(nn.SelectTable(1))
                  .add(nn.SelectTable(-1))
                  .add(nn.JoinTable(0)))

        input2 = mutils.deepcopy(input)

        # Rather than scaling the input manually, use `mutils.inmodule`.
        layers2 = [
            RecurrentTable(module=rnnlib.cell.gModule(f2), dim=1),
            RecurrentTable(module=rnnlib.cell.gModule(f1), dim=1),
            RecurrentTable(module=rnnlib.cell.gModule(f0), dim=1),
        ]

        m2 = SequenceTable(modules=layers2, dim=0)
        model2 = (nn.Sequential()
                  .add(mutils.inmodule(m2, nn.MulConstant(2)))
                  .add(nn.SelectTable(1))
                  .add(nn.SelectTable(-1))
                  .add(nn.JoinTable(0)))

        input3 = mutils.deepcopy(input)

        # Concatenate the inputs so that the input is of dimension seqlen x inputsize.
        for k, v in enumerate(input3[1]):
            input3[1][k] = v.view(1, 1, 1)
        input3[1] = lg.cat(input3[1], 0)

        # Rather than scaling the input manually, use `mutils.batchedinmodule`.
        layers3 = [
            RecurrentTable(module=rnnlib.cell.gModule(f2), dim=1),
            RecurrentTable(module=rnnlib.cell.gModule(f1), dim=1),
            RecurrentTable(module=rnnlib.cell.gModule(f0), dim=1),
        ]

        m3 = SequenceTable(modules=layers3, dim=0)
        model3 = (nn.Sequential()
                  .add(mutils.batchedinmodule(m3, nn.MulConstant(2)))
                  .add(nn.SelectTable(1))
                  .add(nn.SelectTable(-1))
                  .add(nn.JoinTable(0)))

        model1.forward(input1)
        model2.forward(input2)
        model3.forward(input3)

        tester.eq(model1.output, model2.output)
        tester.eq(model1.output, model3.output)

    return rnnlibtest
