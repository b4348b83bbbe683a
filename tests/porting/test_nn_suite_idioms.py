"""Idioms of torch/nn's own test suite (test.lua, Parallel .. FeatureLPPooling) that legonn lacked or ran
otherwise: each test cites the Torch7 source whose behaviour it checks."""
import pytest

import legonn as lg
from legonn import nn


def test_size_answers_longstorage_totable_and_size():
    """torch7 Tensor:size() returns a LongStorage (torch7/generic/Storage.c, Storage.lua ``totable``):
    ``x:size():totable()`` is a table of the sizes and ``x:size():size()`` the number of dimensions."""
    x = lg.zeros(2, 3, 4)
    assert x.size().totable() == [2, 3, 4] and type(x.size().totable()) is list
    assert x.size().size() == 3


def test_jacobian_test_io_compares_a_saved_and_loaded_copy():
    """torch/nn Jacobian.lua ``testIO(module, input)``: the module's output and gradInput against those of
    its copy written and read back (after ``clearState``), as (forward error, backward error)."""
    lg.manualSeed(1)
    lin = nn.Linear(4, 3).double()
    ferr, berr = nn.Jacobian.testIO(lin, lg.randn(2, 4).double())
    assert (ferr, berr) == (0.0, 0.0)
    table = nn.Sequential().add(nn.SplitTable(0)).add(nn.DotProduct()).double()
    assert nn.Jacobian.testIO(table, lg.rand(2, 5).double()) == (0.0, 0.0)
    # a fresh dropout mask in the loaded copy: the errors see it
    ferr, berr = nn.Jacobian.testIO(nn.Dropout(0.5).double(), lg.rand(50).double() + 1)
    assert ferr > 0 and berr > 0


@pytest.mark.gpu
def test_jacobian_test_io_of_a_cuda_module():
    """Jacobian.lua's testIO reads the module back as written (torch.DiskFile readObject keeps CUDA tensors on the
    GPU): the copy of a CUDA module runs on the CUDA input and agrees with it."""
    lin = nn.Linear(4, 3).cudaDouble()
    assert nn.Jacobian.testIO(lin, lg.randn(2, 4).cudaDouble()) == (0.0, 0.0)
    errors = nn.Jacobian.testAllUpdate(lin, lg.randn(2, 4).cudaDouble(), 'bias', 'gradBias')
    assert max(errors.values()) < 1e-12


def test_jacobian_test_all_update_agrees_on_the_four_steps():
    """torch/nn Jacobian.lua ``testAllUpdate(module, input, 'weight', 'gradWeight')``: a dict of the errors
    of accUpdateGradParameters and of shared clones against accGradParameters + updateParameters."""
    lin = nn.Linear(4, 3).double()
    errors = nn.Jacobian.testAllUpdate(lin, lg.randn(2, 4).double(), 'weight', 'gradWeight')
    assert sorted(errors) == ['accGradParameters', 'accGradParameters [shared]', 'accUpdateGradParameters',
                              'accUpdateGradParameters [shared]']
    assert max(errors.values()) < 1e-12

    class NoUpdate(nn.Linear):
        def accUpdateGradParameters(self, input, gradOutput, lr):
            pass

    errors = nn.Jacobian.testAllUpdate(NoUpdate(4, 3).double(), lg.randn(2, 4).double(), 'weight', 'gradWeight')
    assert errors['accGradParameters'] < 1e-12 and errors['accUpdateGradParameters'] > 1e-3


def test_padding_of_zero_entries_copies_the_input():
    """torch/nn Padding.lua accepts ``pad`` 0 (test.lua's Padding test draws it from -3 .. 3): the output and
    gradInput are copies of the input and gradOutput, whatever the index."""
    x = lg.rand(3, 5, 4).double()
    for index in (0, 1, 3):
        m = nn.Padding(0, 0, 3, -1.5, index).double()
        out = m.forward(x)
        assert out.size() == x.size() and out.equal(x) and out is not x
        g = lg.rand(3, 5, 4).double()
        assert m.backward(x, g).equal(g)


def test_dont_cast_returns_the_default_type_before_any_conversion():
    """torch/nn DontCast.lua casts outputs to the type of its own ``self.output`` (and gradInputs to that of
    ``self.gradInput``), tensors of the default type until ``type()`` changes them: a FloatTensor Linear in
    ``DontCast(linear, true)`` under the Double default answers DoubleTensors, and backward takes a Double
    gradOutput."""
    previous = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    try:
        linear = nn.Linear(4, 2).float()
        m = nn.DontCast(linear, True)
        x, g = lg.randn(3, 4), lg.randn(3, 2)
        out = m.forward(x)
        gi = m.backward(x, g)
        assert lg.type(out) == 'torch.DoubleTensor' and lg.type(gi) == 'torch.DoubleTensor'
        assert lg.type(linear.output) == 'torch.FloatTensor'
        assert (out.float() - linear.forward(x.float())).abs().max() < 1e-6
        m.float()
        assert lg.type(m.forward(x.float())) == 'torch.FloatTensor'
    finally:
        lg.setdefaulttensortype(previous)


def test_flatten_table_keeps_its_output_while_the_input_holds_the_same_tensors():
    """torch/nn FlattenTable.lua keeps ``self.output`` and ``self.input_map`` (the input's nesting with each
    tensor's output index) while a new input holds the same tensors in the same places, and rebuilds both
    when an entry is added or removed (test.lua FlattenTable's three cases); indices are 0-based here."""
    a, b, c, d = lg.rand(1), lg.rand(2), lg.rand(3), lg.rand(4)
    x = [a, [b, [c]], d]
    m = nn.FlattenTable()
    out = m.forward(x)
    assert m.input_map == [0, [1, [2]], 3] and [t is u for t, u in zip(out, [a, b, c, d])] == [True] * 4
    old_map, old_out = m.input_map, m.output
    m.forward([a, [b, [c]], d])
    assert m.input_map is old_map and m.output is old_out
    x[1].append(lg.rand(5))
    m.forward(x)
    assert m.input_map is not old_map and m.output is not old_out and len(m.output) == 5
    old_map, old_out = m.input_map, m.output
    x.pop()
    m.forward(x)
    assert m.input_map is not old_map and m.output is not old_out and len(m.output) == 4
    copy = lg.deserialize(lg.serialize(m))
    assert copy.input_map == m.input_map


def test_lua_identity_comparisons_port_to_is():
    """docs/porting.md's row on Lua's ``==`` of tensors and tables (identity in Lua: torch7 defines no __eq for
    them; test.lua's FlattenTable and Typecast compare outputs and biases so): in legonn ``==`` of tensors is
    element-wise and refuses a truth value, so the port writes ``is``."""
    a = lg.zeros(3)
    same = a == a
    assert lg.type(same) == 'torch.ByteTensor' and same.tolist() == [1, 1, 1]
    try:
        bool(a == a.clone())
    except ValueError:
        pass
    else:
        raise AssertionError('a truth value of a 3-element comparison')
    assert a is a and a is not a.clone()
