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
    after the first write and an unknown mode are refused."""
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


def test_typed_number_reads_and_writes_binary(tmp_path):
    """File.c's readX/writeX on a binary file: raw little-endian values (a .flo header is the float 202021.25,
    then two ints); readX() one number, readX(n) a new storage, readX(storage) fills it and returns the count."""
    name = tmp_path / 'numbers.bin'
    f = lg.DiskFile(name, 'w')
    f.binary()
    f.writeFloat(202021.25)
    f.writeInt(3)
    assert f.writeShort(lg.ShortStorage([-2, 5])) == 2
    f.writeLong(2 ** 40)
    f.writeByte(lg.ByteStorage([7, 255]))
    f.writeDouble(lg.DoubleStorage([0.1, -3.5]))
    f.close()
    assert name.read_bytes() == (b'PIEH' + np.int32(3).tobytes() + np.array([-2, 5], '<i2').tobytes()
                                 + np.int64(2 ** 40).tobytes() + bytes([7, 255])
                                 + np.array([0.1, -3.5], '<f8').tobytes())

    f = lg.DiskFile(name, 'r')
    f.binary()
    assert f.readFloat() == 202021.25 and f.readInt() == 3
    shorts = f.readShort(2)
    assert isinstance(shorts, lg.ShortStorage) and list(shorts) == [-2, 5]
    assert f.readLong() == 2 ** 40 and list(f.readByte(2)) == [7, 255]
    into = lg.DoubleStorage(2)
    assert f.readDouble(into) == 2 and list(into) == [0.1, -3.5]
    with pytest.raises(EOFError, match='readInt: read 0 blocks instead of 1'):
        f.readInt()
    f.close()


def test_typed_reads_past_the_end_and_bad_arguments(tmp_path):
    """THDiskFile's read error past the end unless quiet: a quiet file's count read gets the values there are
    (the storage shrinks to them, File.c's resize), a number reads as 0. A storage of another type, or a
    non-number, is refused naming the method, and writes on a read file are refused."""
    name = tmp_path / 'floats.bin'
    f = lg.DiskFile(name, 'w').binary()
    f.writeFloat(lg.FloatStorage([1.5, 2.5, 3.5]))
    f.close()
    f = lg.DiskFile(name, 'r').binary()
    with pytest.raises(EOFError, match='read 3 blocks instead of 4'):
        f.readFloat(4)
    with pytest.raises(TypeError, match='readFloat: expected nothing, a number, or a FloatStorage'):
        f.readFloat(lg.DoubleStorage(2))
    with pytest.raises(TypeError, match='readFloat'):
        f.readFloat('3')
    with pytest.raises(ValueError, match="writeFloat on a file opened with mode 'r'"):
        f.writeFloat(1.0)
    f.quiet()
    got = f.readFloat(4)
    assert list(got) == [1.5, 2.5, 3.5] and f.readFloat() == 0
    f.close()


def test_typed_numbers_in_ascii_mode(tmp_path):
    """In ascii mode (the default) numbers go out as THDiskFile prints them (%.9g floats, %d ints), each write
    ended by a newline, and read back through the same stream readObject uses."""
    name = tmp_path / 'numbers.txt'
    f = lg.DiskFile(name, 'w')
    f.writeFloat(0.25)
    f.writeInt(lg.IntStorage([4, -1]))
    f.writeObject([1, 2])
    f.close()
    assert name.read_bytes().startswith(b'0.25\n4 -1\n')
    f = lg.DiskFile(name, 'r')
    assert f.readFloat() == 0.25 and list(f.readInt(2)) == [4, -1] and f.readObject() == [1, 2]
    f.close()


def test_typed_reads_and_writes_take_a_tensors_storage(tmp_path):
    """spynet's flowExtensions.lua writeFLO/loadFLO: ``ff:writeFloat(F:storage())`` and
    ``ff:readFloat(tf:storage())`` of FloatTensors. A tensor's storage is a FloatStorage to Torch7 (File.c checks
    the type name): it was refused for not being the FloatStorage subclass. Another element type still is."""
    name = tmp_path / 'flow.bin'
    flow = lg.FloatTensor([[0.5, -1.25, 2], [3, 4.5, -6]])
    f = lg.DiskFile(name, 'w').binary()
    assert f.writeFloat(flow.storage()) == 6
    f.close()
    back = lg.FloatTensor(2, 3)
    f = lg.DiskFile(name, 'r').binary()
    assert f.readFloat(back.storage()) == 6
    f.close()
    np.testing.assert_array_equal(back.numpy(), flow.numpy())
    f = lg.DiskFile(name, 'r').binary()
    with pytest.raises(TypeError, match='readFloat: expected nothing, a number, or a FloatStorage, got a '
                                        'legonn.DoubleStorage'):
        f.readFloat(lg.DoubleTensor(6).storage())
    f.close()
    f = lg.DiskFile(tmp_path / 'other.bin', 'w').binary()
    with pytest.raises(TypeError, match='writeInt: expected a number or a IntStorage, got a legonn.FloatStorage'):
        f.writeInt(flow.storage())
    f.close()


def test_seek_seek_end_and_position_are_file_c_s_from_zero(tmp_path):
    """File.c's seek/seekEnd/position (0-based here, File.c's are 1-based): recurrent.torch's textDataProvider.lua
    sizes a text file with ``seekEnd()`` and ``position() - 1``, seeks back to the start with ``seek(1)`` and reads
    every byte with ``readByte(storage)``; here ``position()`` after ``seekEnd()`` is the size and ``seek(0)`` the
    start. A seek before the first read and one between reads both move the stream; write mode seeks the file."""
    path = tmp_path / 'text.txt'
    path.write_bytes(b'hello world\n')
    f = lg.DiskFile(str(path), 'r')
    assert f.position() == 0
    f.seekEnd()
    length = f.position()
    assert length == 12
    f.seek(0)
    s = lg.ByteStorage(length)
    assert f.readByte(s) == 12 and bytes(s.tolist()) == b'hello world\n'
    f.seek(6)
    assert f.position() == 6 and bytes(f.readByte(5).tolist()) == b'world'
    with pytest.raises(ValueError, match=r'seek: position must be an integer >= 0 \(0-based\), got -1'):
        f.seek(-1)
    f.close()
    with pytest.raises(ValueError, match='seekEnd on a closed file'):
        f.seekEnd()
    w = lg.DiskFile(str(tmp_path / 'out.bin'), 'w').binary()
    w.writeInt(7)
    assert w.position() == 4
    w.seek(0)
    w.writeInt(9)
    w.seekEnd()
    assert w.position() == 4
    w.close()
    r = lg.DiskFile(str(tmp_path / 'out.bin'), 'r').binary()
    assert r.readInt() == 9


def test_a_read_file_switches_between_ascii_and_binary_where_it_stands(tmp_path):
    """THFile_binary/THFile_ascii (torch7's lib/TH/THFile.c) only set isBinary: word2vec.torch's bintot7.lua reads
    a word2vec .bin header's two counts in ascii, then each word's chars and 300 floats in binary. The switch
    reads on from where the last read stopped, and back to ascii as well."""
    name = tmp_path / 'vectors.bin'
    floats = np.array([0.5, -1.25, 3.0], np.float32)
    name.write_bytes(b'1 3\nab ' + floats.tobytes() + b'7\n')
    f = lg.DiskFile(name, 'r')
    f.ascii()
    assert (f.readInt(), f.readInt()) == (1, 3)
    f.binary()
    assert [f.readChar() for _ in range(3)] == [ord('a'), ord('b'), ord(' ')]
    np.testing.assert_array_equal(np.asarray(f.readFloat(3).data), floats)
    assert f.ascii().readInt() == 7 and not f.isBinary()
    f.close()
