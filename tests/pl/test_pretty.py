"""legonn.pl.pretty.write and read against Penlight's tests/test-pretty.lua and pretty.lua's layout."""
from legonn.pl import pretty


def test_write_on_one_line():
    """tests/test-pretty.lua: no spaces with space '', cycles, shared tables, key order, number formats
    (Lua 5.3's: a float keeps '.0')."""
    assert pretty.write(['a', 2, 'c', False, 23, 453, 'poot', 34], '') == '{"a",2,"c",false,23,453,"poot",34}'
    t1 = []
    t1.append(t1)
    assert pretty.write(t1, '') == '{<cycle>}'
    t1, t2 = [42], [None]
    t1.append(t2)
    t2[0] = t1
    assert pretty.write(t1, '') == '{42,{<cycle>}}'
    shared = []
    assert pretty.write([shared, shared], '') == '{{},{}}'
    assert pretty.write({'true': 'boolean', 'false': 'untrue', 'a': 'a', 'b': 'b', 0: 0}, '') == \
        '{a="a",b="b",["false"]="untrue",["true"]="boolean",[0]=0}'
    assert pretty.write({'b': 1, True: 'yes'}, '') == '{["true"]="yes",b=1}'   # by Lua type name, then text
    assert pretty.write([float('inf'), float('-inf'), float('nan'), 1, 0.5], '') == '{Inf,-Inf,NaN,1,0.5}'
    assert pretty.write([1.0], '') == '{1.0}'
    assert pretty.write(1e100) == ('1.0e+100', 'not a table')
    assert pretty.write(-9007199254740994) == ('-9007199254740994', 'not a table')
    assert pretty.write('a b') == '"a b"'


def test_write_indented():
    """pretty.lua's writeit: one entry a line, indented per level, no comma after the last; keys that are
    not identifiers (or are keywords) bracketed and quoted; an empty table is '{\\n}'."""
    text = pretty.write({'alpha': [1, 2], 'the key': {'x': 'a b'}, 'end': 'x\ny'})
    assert text == ('{\n  alpha = {\n    1,\n    2\n  },\n  ["end"] = [[x\ny]],\n'
                    '  ["the key"] = {\n    x = "a b"\n  }\n}')
    assert pretty.write([]) == '{\n}'
    assert pretty.write([1, [2]], ' ') == '{\n 1,\n {\n  2\n }\n}'


def test_write_not_clever_and_dump(tmp_path, capsys):
    """pretty.write's not_clever: every value with its key in brackets (a list's keys Lua's, 1-based);
    dump prints or writes the text."""
    assert pretty.write([1, {'a': 2}], '', True) == '{[1]=1,[2]={["a"]=2}}'
    assert pretty.dump({'k': 1}) is True and capsys.readouterr().out == '{\n  k = 1\n}\n'
    name = str(tmp_path / 't.lua')
    assert pretty.dump([1], name) is True and open(name).read() == '{\n  1\n}'


def test_read_parses_literal_tables_only():
    """tests/test-pretty.lua's round trip (read of write gives the table back, indented or not), comments
    before the table, Lua's string escapes and long brackets, hex numbers; a table with keyed fields is a
    dict (positional ones under 0-based keys); code (a call, a name) and non-tables give nil, message."""
    t = {'alpha': [1, 2.5, 'x'], 'the key': {'x': 'a b\n"q"'}, 'end': 'x\ny', 'n': -3, 'f': False,
         'nested': [[1], {'a': 1}], 'cr': 'a\rb\n', 'long': 'x]]y\n'}
    assert pretty.read(pretty.write(t)) == t and pretty.read(pretty.write(t, '')) == t
    assert pretty.read('-- settings\n{1,2,x=3}') == {0: 1, 1: 2, 'x': 3}
    assert pretty.read("{['a b']=1; 0x10, 'it\\'s', \"\\65\\x42\", [==[\nraw]==], nil}") == \
        {'a b': 1, 0: 16, 1: "it's", 2: 'AB', 3: 'raw', 4: None}
    for bad in ('{a = os.exit()}', '{a = print}', '{1} 2', '{1', 'x'):
        failed = pretty.read(bad)
        assert not failed and failed[0] is None, bad
    assert pretty.read('x')[1] == 'not a Lua table'


def test_read_takes_lua_digits_and_blanks_only():
    """Lua's lexer reads ASCII digits and C's isspace blanks: Arabic-Indic digits and a no-break space are
    not a number or a separator, and a decimal escape is ASCII digits."""
    for bad in ('{\u0661\u0662}', '{1,\u00a02}', '{\uff11}'):
        failed = pretty.read(bad)
        assert not failed and failed[0] is None, bad
    assert pretty.read('{1,\v2}') == [1, 2]
    assert pretty.read('{"\\\u0661"}') == ['\u0661']   # not a decimal escape: the character, as '\\q' gives 'q'
