"""lg.DiskFile: torch.DiskFile's writeObject/readObject over one file of several objects (torch7's File.lua,
THDiskFile's ascii default, binary() and quiet flag)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


def test_objects_written_one_after_another_read_back_in_order(tmp_path):
    """neuralconvo's dataset.lua: one writeObject per example on an ascii DiskFile, then readObject until the
    quiet file gives nil. The first object's bytes are torch.save's ascii encoding of it."""
    name = tmp_path / 'examples.t7'
    examples = [[lg.IntTensor([3, 2, 1]), lg.IntTensor([0, 4, 5, 1])], [lg.IntTensor([7]), lg.IntTensor([0, 6, 1])]]
    f = lg.DiskFile(name, 'w')
    for example in examples:
        f.writeObject(example)
    f.close()
    first = tmp_path / 'first.t7'
    lg.save_lua(first, examples[0], 'ascii')
    assert name.read_bytes().startswith(first.read_bytes())

    f = lg.DiskFile(name, 'r')
    f.quiet()
    read = []
    while (example := f.readObject()) is not None:
        read.append(example)
    f.close()
    assert len(read) == 2
    for got, want in zip(read, examples):
        assert [t.type() for t in got] == ['torch.IntTensor'] * 2
        assert [t.tolist() for t in got] == [t.tolist() for t in want]


def test_one_table_of_references_per_file(tmp_path):
    """File.lua keeps the objects written (read) in the file's environment across calls: a tensor written a
    second time is only its reference (type tag 4, its index), and reads back as the same object; a module
    shared by two objects stays one module."""
    name = tmp_path / 'shared.t7'
    x, lin = lg.DoubleTensor([1.5, 2.5]), nn.Linear(2, 3)
    with lg.DiskFile(name, 'w') as f:
        f.binary()
        f.writeObject(x)
        f.writeObject({'x': x, 'm': lin})
        f.writeObject(lin)
    raw = name.read_bytes()
    single = tmp_path / 'single.t7'
    lg.save_lua(single, x)
    assert raw.startswith(single.read_bytes())
    f = lg.DiskFile(name, 'r').binary().quiet()
    a, b, c = f.readObject(), f.readObject(), f.readObject()
    assert a is b['x'] and b['m'] is c and isinstance(c, nn.Linear)
    np.testing.assert_array_equal(c.weight.numpy(), lin.weight.numpy())
    assert f.readObject() is None


def test_a_repeated_object_is_a_reference_in_ascii(tmp_path):
    """The second write of a tensor on an ascii file is File.lua's reference: the torch-object tag 4, index 1."""
    name = tmp_path / 'ref.t7'
    x = lg.IntTensor([9])
    f = lg.DiskFile(name, 'w')
    f.writeObject(x)
    f.writeObject(x)
    f.close()
    once = lg.serialization.t7.writer.AsciiObjectWriter()
    once.object(x, 'x')
    assert name.read_bytes() == bytes(once.out) + b'4\n1\n'


def test_reading_past_the_end_raises_unless_quiet(tmp_path):
    """THDiskFile raises on a read past the end; a quiet one reads the nil tag (0), so readObject gives None."""
    name = tmp_path / 'one.t7'
    with lg.DiskFile(name, 'w') as f:
        f.writeObject(1.5)
    f = lg.DiskFile(name, 'r')
    assert f.readObject() == 1.5
    with pytest.raises(EOFError, match=r'one.t7: readObject past the last object'):
        f.readObject()
    assert f.quiet().readObject() is None
    f.close()
    with pytest.raises(ValueError, match='readObject on a closed file'):
        f.readObject()


def test_refusals_leave_the_file_as_it_was(tmp_path):
    """An object that cannot be written leaves nothing in the file; reads on a write file, a change of encoding
    after the first object and an unknown mode are refused."""
    name = tmp_path / 'bad.t7'
    f = lg.DiskFile(name, 'w')
    f.writeObject([1, 2])
    with pytest.raises(TypeError):
        f.writeObject([lg.IntTensor([5]), object()])
    with pytest.raises(ValueError, match="readObject on a file opened with mode 'w'"):
        f.readObject()
    with pytest.raises(ValueError, match='switching between binary and ascii'):
        f.binary()
    f.writeObject('after')
    f.close()
    f = lg.DiskFile(name, 'r', True)
    assert f.readObject() == [1, 2] and f.readObject() == 'after' and f.readObject() is None
    with pytest.raises(ValueError, match="mode must be 'r' or 'w', got 'a'"):
        lg.DiskFile(name, 'a')
