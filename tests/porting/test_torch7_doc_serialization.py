"""torch7/doc/serialization.md's examples, ported by docs/porting.md's save/load rows: ``lg.save`` /
``lg.load`` write and read legonn's archive (docs/format.md) whatever the ``format``, ``lg.save_lua`` writes
Torch7's binary or ascii file, ``lg.serialize`` / ``lg.deserialize`` give and take bytes. The doc's printed
tables are trepl's listing; the loaded values are compared instead."""
import pytest

import legonn as lg


@pytest.fixture
def obj():
    """The doc's arbitrary object, its ``mat`` a DoubleTensor as ``torch.randn(10,10)`` is in Torch7."""
    return {'mat': lg.randn(10, 10).double(), 'name': '10', 'test': {'entry': 1}}


def same_contents(got, expected):
    """The doc's listing: ``mat`` a DoubleTensor of size 10x10 (here also equal), ``name`` the string "10",
    ``test`` the table holding entry 1."""
    assert sorted(got) == ['mat', 'name', 'test']
    assert got['mat'].type() == 'torch.DoubleTensor' and got['mat'].size() == (10, 10)
    assert got['mat'].equal(expected['mat']) and got['mat'] is not expected['mat']
    assert got['name'] == '10' and dict(got['test']) == {'entry': 1}


@pytest.mark.parametrize('fmt', [None, 'binary', 'ascii'])
def test_save_then_load(tmp_path, obj, fmt):
    """"torch.save(filename, object [, format, referenced])" and "torch.load(filename [, format, referenced])"."""
    path = str(tmp_path / 'test.dat')
    lg.save(path, obj, *([fmt] if fmt else []))
    same_contents(lg.load(path, *([fmt] if fmt else [])), obj)


@pytest.mark.parametrize('fmt', ['binary', 'ascii'])
def test_torch7_files_in_either_format(tmp_path, obj, fmt):
    """The same object written as Torch7 writes it (``lg.save_lua``), binary or ascii, read back by ``lg.load``
    with the doc's format argument or none."""
    path = str(tmp_path / 'test.t7')
    lg.save_lua(path, obj, fmt)
    same_contents(lg.load(path, fmt), obj)
    same_contents(lg.load(path), obj)


@pytest.mark.parametrize('fmt', [None, 'binary', 'ascii'])
def test_serialize_then_deserialize(obj, fmt):
    """"torch.serialize(object [, format])" and "torch.deserialize(str [, format])": a Python ``bytes`` where
    Torch7 gives a Lua string; shared objects stay shared (``referenced`` is true by default)."""
    data = lg.serialize(obj, fmt)
    assert isinstance(data, bytes)
    same_contents(lg.deserialize(data, fmt), obj)
    shared = lg.deserialize(lg.serialize({'a': obj['mat'], 'b': obj['mat']}, fmt), fmt)
    assert shared['a'] is shared['b']


def test_unreferenced_saving_is_refused(tmp_path, obj):
    """``referenced`` false (Torch7 writes each occurrence of a shared object anew) is refused, naming the
    function: legonn keeps shared objects shared (docs/format.md, porting.md's row)."""
    with pytest.raises(ValueError, match='legonn.save: referenced=False'):
        lg.save(str(tmp_path / 'test.dat'), obj, 'binary', False)
    assert not (tmp_path / 'test.dat').exists()
