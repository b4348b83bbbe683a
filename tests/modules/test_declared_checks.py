"""The one vocabulary of checks: input kind and ranks declared on the class and read by checkContract (run
before updateOutput by forward, containers and graphs), hyper-parameters declared once and read by both the
constructor and validateState, and the one in-place flag check."""
import re

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules.base.module import Module


class RowSums(Module):
    """A user's module declaring 1-D or 2-D floating inputs: it writes no check of its own."""

    input_ranks = (1, 2)
    input_dtypes = 'floating'

    def updateOutput(self, input):
        self.output = lg.from_numpy(np.atleast_2d(input.numpy()).sum(axis=1))
        return self.output


class FirstOfTable(Module):
    input_kind = 'table'

    def updateOutput(self, input):
        self.output = input[0]
        return self.output


def test_declared_ranks_are_checked_before_update_output():
    m = RowSums()
    np.testing.assert_allclose(m.forward(lg.ones(2, 3)).numpy(), [3, 3])
    with pytest.raises(ValueError, match=r"RowSums: expected a 1-D or 2-D input, got 3-D of size \(2, 3, 4\)"):
        m.forward(lg.ones(2, 3, 4))
    with pytest.raises(TypeError, match=r"RowSums: expected a tensor input, got a list of 2 entries"):
        m.forward([lg.ones(2), lg.ones(2)])
    with pytest.raises(TypeError, match=r"RowSums: expected a floating-point tensor input, got legonn.LongTensor"):
        m.forward(lg.LongTensor(2, 3).zero())


def test_declared_checks_run_inside_containers_and_graphs():
    seq = nn.Sequential().add(nn.Identity()).add(RowSums())
    with pytest.raises(ValueError, match=r"Sequential\[1\] RowSums: expected a 1-D or 2-D input, got 3-D"):
        seq.forward(lg.ones(2, 3, 4))
    x = nn.Identity()()
    g = nn.gModule([x], [RowSums()(x)])
    with pytest.raises(ValueError, match=r"RowSums: expected a 1-D or 2-D input, got 3-D"):
        g.forward(lg.ones(2, 3, 4))


def test_declared_table_kind():
    m = FirstOfTable()
    t = lg.ones(2)
    assert m.forward([t, lg.zeros(2)]) is t
    with pytest.raises(TypeError, match=r"FirstOfTable: expected a table \(list\) input, got a 1-D tensor of size"):
        m.forward(t)


def test_layers_declare_instead_of_checking_by_hand():
    # one declaration serves forward (through checkContract) and the backward paths (through checkInput)
    for make, bad in ((lambda: nn.Linear(3, 2), (2, 2, 3)), (lambda: nn.LogSoftMax(), (1, 1, 1, 1, 2)),
                      (lambda: nn.Normalize(2), (2, 2, 3)), (lambda: nn.SpatialDropout(), (2, 3)),
                      (lambda: nn.VolumetricDropout(), (2, 3, 2, 2, 2, 1))):
        m = make()
        ranks = ' or '.join(f'{r}-D' for r in type(m).input_ranks)
        with pytest.raises(ValueError, match=f"expected a {ranks} input, got {len(bad)}-D"):
            m.forward(lg.ones(*bad))
        with pytest.raises(ValueError, match=f"expected a {ranks} input, got {len(bad)}-D"):
            m.checkInput(lg.ones(*bad))
    with pytest.raises(ValueError, match=r"ClassNLLCriterion: expected a 1-D or 2-D input, got 3-D"):
        nn.ClassNLLCriterion().forward(lg.ones(2, 2, 3), lg.LongTensor([0, 1]))
    # a criterion's target is not held to the input's declaration
    assert nn.MSECriterion().forward(lg.ones(2, 3), np.ones((2, 3), np.float32)) == 0


def test_constructor_and_validate_state_read_one_declaration():
    with pytest.raises(ValueError, match=r"OneHot: outputSize must be a positive integer, got 0"):
        nn.OneHot(0)
    m = nn.OneHot(3)
    m.outputSize = -1
    with pytest.raises(ValueError, match=r"OneHot: outputSize must be a positive integer, got -1"):
        m.validateState()
    with pytest.raises(ValueError, match=r"SeqReverseSequence: dim must be a non-negative integer, got -1"):
        nn.SeqReverseSequence(-1)
    # a whole-number float is Lua's integer (tests/porting/test_lua_numbers.py); a fraction is refused
    with pytest.raises(ValueError, match=r"PReLU: nOutputPlane must be a non-negative integer, got 2.5"):
        nn.PReLU(2.5)
    with pytest.raises(TypeError, match=r"OneHot: padding is not a declared hyper-parameter"):
        nn.OneHot(3).checkHyper(padding=1)


@pytest.mark.parametrize('make', [lambda f: nn.ReLU(f), lambda f: nn.Threshold(0, 0, f),
                                  lambda f: nn.HardTanh(-1, 1, f),
                                  lambda f: nn.ELU(1, f), lambda f: nn.LeakyReLU(0.1, f), lambda f: nn.ReLU6(f),
                                  lambda f: nn.RReLU(0.1, 0.3, f), lambda f: nn.AddConstant(1, f),
                                  lambda f: nn.MulConstant(2, f), lambda f: nn.CReLU(1, f)])
def test_one_in_place_flag_check(make):
    with pytest.raises(ValueError, match=r": the in-place flag must be a boolean, got 1"):
        make(1)
    assert make(True).inplace is True


def test_one_index_check_for_lookup_table_nce_and_softmax_tree():
    """LookupTable.lua, dpnn's NCEModule.lua and nnx's SoftMaxTree.lua index ``weight`` with their integer input
    or targets (Lua numbers: a DoubleTensor of whole numbers is as good as a LongTensor); one checkIndices
    refuses fractions (TypeError) and indices outside the weight's rows (IndexError), naming the module and the
    range, LookupTableMaskZero's padding index -1 included in its range."""
    x = lg.DoubleTensor(2, 3).uniform()
    tree = nn.SoftMaxTree(3, {0: [1, 2], 1: [3, 4]}).double()
    calls = [
        ('LookupTable(5, 2)', 'indices in [0, 5)', lambda t: nn.LookupTable(5, 2).forward(t)),
        ('LookupTableMaskZero(5, 2)', 'indices in [-1, 5)', lambda t: nn.LookupTableMaskZero(5, 2).forward(t)),
        ('NCEModule', 'targets in [0, 5)', lambda t: nn.NCEModule(3, 5, 2, lg.ones(5)).double().forward([x, t])),
        ('SoftMaxTree', 'ids in [0, 5)', lambda t: tree.forward([x, t])),
    ]
    for name, expected, call in calls:
        call(lg.LongTensor([2, 4]) if name == 'SoftMaxTree' else lg.DoubleTensor([2, 4]))
        with pytest.raises(IndexError,
                           match=fr'{re.escape(name)}.*expected {re.escape(expected)}, got \w+ in \[\S+, \S+\]'):
            call(lg.LongTensor([2, 5]))
        if name != 'SoftMaxTree':   # nnx's C reads its targets as an IntTensor: a float tensor is refused outright
            with pytest.raises(TypeError,
                               match=fr'{re.escape(name)}.*whole-number \w+ in a floating tensor, got non-integral'):
                call(lg.DoubleTensor([2, 2.5]))


def test_same_type_messages_say_whose_type_is_expected():
    """checkSameType names what the expected type belongs to: the module for its own tensors (Linear's
    weight), the output for a gradOutput (backward checks it before any module hands it on), the input for a
    criterion's target, input[0] for the second of two operands
    (MM, as MemNN's MemN2N meets it with a CudaTensor state and CudaDoubleTensor memories); never both."""
    x, d = lg.Tensor(1, 4, 4).normal(0, 1), lg.DoubleTensor(1, 2, 2)
    pool = nn.SpatialMaxPooling(2, 2)
    pool.forward(x)
    cases = [
        (lambda: nn.Linear(2, 2).forward(lg.DoubleTensor(2)), r"Linear\(2 -> 2\): expected a legonn\.FloatTensor "
         r"input \(the module's type\), got legonn\.DoubleTensor$"),
        (lambda: pool.backward(x, d), r"expected a legonn\.FloatTensor gradOutput \(the output's type\), "
         r"got legonn\.DoubleTensor$"),
        (lambda: nn.MM().forward([lg.Tensor(2, 2), lg.DoubleTensor(2, 2)]),
         r"MM: expected a legonn\.FloatTensor input\[1\] \(input\[0\]'s type\), got legonn\.DoubleTensor$"),
        (lambda: nn.MSECriterion().forward(lg.Tensor(2), lg.DoubleTensor(2)),
         r"MSECriterion: expected a legonn\.FloatTensor target \(the input's type\), got legonn\.DoubleTensor$"),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=message):
            call()


class StepLinear(nn.Linear):
    """A user's nn.Linear with its own updateOutput, as fairseq's LinearizedConvolution.lua: it takes
    ``bsz x 1 x nin`` and hands Linear's code a 2-D view."""

    def updateOutput(self, input):
        super().updateOutput(input.view(input.size(0), -1))
        self.output = self.output.view(input.size(0), 1, -1)
        return self.output


class StrictStepLinear(StepLinear):
    input_ranks = (3,)


def test_a_users_update_output_is_not_held_to_the_parents_declared_ranks():
    m = StepLinear(4, 2)
    assert tuple(m.forward(lg.ones(3, 1, 4)).size()) == (3, 1, 2)
    # what the parent's code itself checks still holds
    with pytest.raises(ValueError, match=r"StepLinear\(4 -> 2\): expected 4 input features, got 5"):
        m.forward(lg.ones(3, 1, 5))
    # a declaration of its own is checked
    with pytest.raises(ValueError, match=r"StrictStepLinear\(4 -> 2\): expected a 3-D input, got 2-D"):
        StrictStepLinear(4, 2).forward(lg.ones(3, 4))
    # legonn's own classes keep theirs
    with pytest.raises(ValueError, match=r"Linear\(4 -> 2\): expected a 1-D or 2-D input, got 3-D"):
        nn.Linear(4, 2).forward(lg.ones(3, 1, 4))
