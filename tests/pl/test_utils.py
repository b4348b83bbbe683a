"""legonn.pl.utils against Penlight's utils.lua and tests/test-utils.lua (a Python regex where Lua takes a
pattern)."""
import pytest

from legonn.pl import utils


def test_split_keeps_inner_empty_pieces_and_drops_the_last():
    """utils.lua's split: pieces between separators, a last empty piece dropped, a lone '' gives {}; the
    separator is a regex unless plain; n limits the pieces."""
    assert utils.split('a,b,c', ',') == ['a', 'b', 'c']
    assert utils.split('a,,b,', ',') == ['a', '', 'b']
    assert utils.split(',', ',') == []
    assert utils.split('', ',') == []
    assert utils.split('  a  b ') == ['', 'a', 'b']   # utils.split does not strip first: stringx.split does
    assert utils.split('a\xa0b\x1cc d') == ['a\xa0b\x1cc', 'd']   # '%s+' is ASCII white space only
    assert utils.split('ab1cd23ef', r'\d+') == ['ab', 'cd', 'ef']
    assert utils.split('a.b', '.', True) == ['a', 'b']
    assert utils.split('user=jane=doe', '=', False, 2) == ['user', 'jane=doe']
    assert utils.splitv('user=jane=doe', '=', False, 2) == ('user', 'jane=doe')


def test_files_and_assert_arg(tmp_path):
    """utils.lua's writefile/readfile/readlines (nil, message on failure) and assert_arg."""
    name = str(tmp_path / 'f.txt')
    assert utils.writefile(name, 'one\ntwo\n') is True
    assert utils.readfile(name) == 'one\ntwo\n' and utils.readlines(name) == ['one', 'two']
    # io.open(f, 'r') on POSIX keeps '\r\n', and f:lines() cuts at '\n' only: '\r', form feed and \x1c are text
    assert utils.writefile(name, 'a\r\nb\x0cc\x1cd\n\ne') is True
    assert utils.readfile(name) == 'a\r\nb\x0cc\x1cd\n\ne'
    assert utils.readlines(name) == ['a\r', 'b\x0cc\x1cd', '', 'e']
    missing = utils.readfile(str(tmp_path / 'none'))
    assert not missing and missing[0] is None and 'No such file' in missing[1]
    assert utils.assert_arg(0, 3, 'number') == 3
    with pytest.raises(TypeError, match="argument 1 expected a 'string', got a 'int'"):
        utils.assert_arg(1, 3, 'string')
    with pytest.raises(ValueError, match="argument 0: '-1' not positive"):
        utils.assert_arg(0, -1, 'number', lambda x: x > 0, 'not positive')


def test_printf(capsys):
    """utils.lua's printf: string.format, no newline."""
    utils.printf('%d-%s', 3, 'x')
    assert capsys.readouterr().out == '3-x'
