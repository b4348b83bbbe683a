"""torch7/doc/storage.md's examples, ported by docs/porting.md's rules (0-based positions and offsets) and checked
against what the doc shows Torch7 printing (type names spelt ``legonn.``)."""
import gc

import pytest

import legonn as lg


@pytest.fixture(autouse=True)
def double_default():
    """storage.md's ``torch.Storage`` is a DoubleStorage."""
    old = lg.getdefaulttensortype()
    lg.setdefaulttensortype('torch.DoubleTensor')
    yield
    lg.setdefaulttensortype(old)


def printed(values, typename):
    """A storage as Storage.lua prints it: one right-aligned value a line, then the type and size."""
    width = max(len(str(v)) for v in values) + 1
    return ''.join(str(v).rjust(width) + '\n' for v in values) + f'[legonn.{typename} of size {len(values)}]'


def test_copy_converts_between_types_and_the_alias_is_the_default_type():
    """"Storage": ``torch.DoubleStorage(10):copy(torch.IntStorage(10):fill(1))``; ``torch.Storage`` points to
    DoubleStorage with DoubleTensor the default type. "copy(storage)" and "fill(value)" return self."""
    x = lg.IntStorage(10).fill(1)
    y = lg.DoubleStorage(10)
    assert y.copy(x) is y and y.tolist() == [1.0] * 10 and y.type() == 'torch.DoubleStorage'
    assert lg.Storage(3).type() == 'torch.DoubleStorage'
    assert lg.IntStorage(10).fill(0).tolist() == [0] * 10


def test_constructors_of_a_size_and_of_a_table():
    """"torch.TYPEStorage([size [, ptr]])" and "torch.TYPEStorage(table)"."""
    assert lg.DoubleStorage(10).size() == 10
    assert str(lg.IntStorage([1, 2, 3, 4])) == printed([1, 2, 3, 4], 'IntStorage')


def test_a_storage_view_at_an_offset():
    """"torch.TYPEStorage(storage [, offset [, size]])": ``torch.DoubleStorage(x, 3, 5)`` (offset 2 here) views
    x's 3rd to 7th elements."""
    x = lg.DoubleStorage(10)
    y = lg.DoubleStorage(x, 2, 5)
    x.fill(0)
    y.fill(1)
    assert y.size() == 5
    assert str(x) == printed([0, 0, 1, 1, 1, 1, 1, 0, 0, 0], 'DoubleStorage')
    assert lg.DoubleStorage(x, 2).size() == 8                # size defaults to storage:size() - offset


HELLO = [72, 101, 108, 108, 111, 32, 87, 111, 114, 108, 100, 10]


def test_a_storage_mapping_a_file(tmp_path):
    """"torch.TYPEStorage(filename [, shared [, size [, sharedMem]]])": hello.txt mapped privately (a fill
    leaves the file) and shared (the fill reaches the file once the storage is gone)."""
    path = tmp_path / 'hello.txt'
    path.write_text('Hello World\n')
    x = lg.CharStorage(str(path))
    assert str(x) == printed(HELLO, 'CharStorage')
    assert x.string() == 'Hello World\n'
    assert x.fill(42).string() == '*' * 12
    del x
    gc.collect()
    assert path.read_text() == 'Hello World\n'
    x = lg.CharStorage(str(path), True)
    assert x.string() == 'Hello World\n'
    x.fill(42)
    del x
    gc.collect()
    assert path.read_text() == '*' * 12


def test_length_indexing_and_resize():
    """"#self", "self[index]" (``x[5]`` is ``x[4]`` here), "resize(size)" returning self."""
    x = lg.DoubleStorage(10)
    assert len(x) == x.size() == 10
    x[4] = 3.5
    assert x[4] == 3.5
    with pytest.raises(IndexError):
        x[10]
    x = lg.DoubleStorage(10).fill(1)
    y = lg.DoubleStorage().resize(x.size()).copy(x)
    assert y.tolist() == [1.0] * 10


def test_string_of_a_char_storage():
    """"string(str)" and "string()": ``torch.CharStorage():string("blah blah")``."""
    x = lg.CharStorage().string('blah blah')
    assert str(x) == printed([98, 108, 97, 104, 32, 98, 108, 97, 104], 'CharStorage')
    assert x.string() == 'blah blah'
