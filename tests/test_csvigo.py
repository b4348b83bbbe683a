"""csvigo (clementfarabet/lua---csv: init.lua, File.lua, init.c, test.lua): reading and writing records,
load's raw/tidy/query/large modes and save's, with csvigo's field rules and return shapes."""
import math

import pytest

from legonn import csvigo


def _records(csvf):
    rows = []
    while True:
        row = csvf.read()
        if row is None:
            return rows
        rows.append(row)


@pytest.mark.parametrize('separator', [None, '|'])
def test_file_round_trip_as_test_lua(tmp_path, separator):
    """test.lua: write {"a","b","c"}, {01, 02, 03}, {11, 12, 13} with csvigo.File, read them back record by record
    and all at once: every value a string; the same with '|' as the separator."""
    path = str(tmp_path / 'csv-test.csv')
    csvf = csvigo.File(path, 'w', separator)
    csvf.write(['a', 'b', 'c'])
    csvf.write([1, 2, 3])
    csvf.write([11, 12, 13])
    csvf.close()
    expected = [['a', 'b', 'c'], ['1', '2', '3'], ['11', '12', '13']]
    csvf = csvigo.File(path, 'r', separator)
    assert _records(csvf) == expected
    csvf.close()
    csvf = csvigo.File(path, 'r', separator)
    assert csvf.readall() == expected
    csvf.close()


def test_large_mode_reads_crlf_as_test_lua(tmp_path):
    """test.lua: 'one,two,three\\r\\n1,2,3\\r\\n11,12,13' in mode 'large' (init.c create_lookup: '\\r\\n' ends a
    line, the last line has no end); records 0-based here."""
    path = tmp_path / 'crlf.csv'
    path.write_bytes(b'one,two,three\r\n1,2,3\r\n11,12,13')
    data = csvigo.load({'path': str(path), 'mode': 'large', 'verbose': False})
    assert len(data) == 3
    assert data[0] == ['one', 'two', 'three'] and data[1] == ['1', '2', '3'] and data[2] == ['11', '12', '13']
    assert list(data) == [data[0], data[1], data[2]]
    with pytest.raises(IndexError, match=r'index out of bounds: 3 \(0-based, 3 rows\)'):
        data[3]
    with pytest.raises(TypeError, match='read-only'):
        data[0] = ['x']
    assert str(data) == 'one,two,three\n1,2,3\n11,12,13\n'


def test_large_mode_tostring_of_many_rows(tmp_path):
    """File.lua largereadall __tostring: under 30 rows all of them; else rows 1-10, ten lines of dots, then rows
    #m-10 .. #m (eleven)."""
    path = tmp_path / 'many.csv'
    path.write_text(''.join(f'{i},x\n' for i in range(1, 41)))
    text = str(csvigo.load(path=str(path), mode='large', verbose=False)).splitlines()
    assert text[:10] == [f'{i},x' for i in range(1, 11)]
    assert text[10:20] == ['.. .. .. .. .. .. .. .. .. '] * 10
    assert text[20:] == [f'{i},x' for i in range(30, 41)]


def test_field_rules(tmp_path):
    """File.lua fromcsv: quoted fields hold the separator and doubled quotes, ' ' as separator is any run of
    spaces, an empty line is one empty field, '\\r' removed; tocsv/escapeCsv: quotes only around a field with
    the separator or a quote, numbers as Lua writes them (%.14g), NaN empty with nan_as_missing."""
    path = str(tmp_path / 'f.csv')
    f = csvigo.File(path, 'w', ',', True)
    f.write(['a,b', 'say "hi"', 'plain', 0.1, 1 / 3, 1e20, -0.0, float('nan'), 7])
    f.close()
    with open(path) as g:
        assert g.read() == '"a,b","say ""hi""",plain,0.1,0.33333333333333,1e+20,-0,,7\n'
    f = csvigo.File(path, 'w')
    f.write([float('nan')])
    f.close()
    with open(path, newline='') as g:
        assert g.read() == 'nan\n'
    with open(path, 'w', newline='') as g:
        g.write('x  y z\n\n"p q" r\r\n')
    f = csvigo.File(path, 'r', ' ')
    assert f.readall() == [['x', 'y', 'z'], [''], ['p q', 'r']]
    f.close()
    with pytest.raises(TypeError, match='csvigo: a field must be a string or a number, got bool True'):
        csvigo.File(path, 'w').write([True])
    with pytest.raises(ValueError, match="separator must be one character, got ';;'"):
        csvigo.File(path, 'r', ';;')


def _write(tmp_path, text, name='d.csv'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_load_tidy_and_raw(tmp_path, capsys):
    """init.lua load: tidy = columns by header name; header 'auto' is a header when the first field is not a
    number (tonumber == nil), else names var_1, var_2, ...; skip lines first; column_order returns the names
    too; raw = every record; verbose prints '<csv>' lines."""
    path = _write(tmp_path, 'name,age\nann,31\nbob,42\n')
    assert csvigo.load(path) == {'name': ['ann', 'bob'], 'age': ['31', '42']}
    out = capsys.readouterr().out.splitlines()
    assert out == ['<csv>\tparsing file: ' + path, '<csv>\ttidying up entries', '<csv>\treturning tidy table']
    assert csvigo.load(path, mode='raw', verbose=False) == [['name', 'age'], ['ann', '31'], ['bob', '42']]
    assert csvigo.load(path, header=False, verbose=False) == {'var_1': ['name', 'ann', 'bob'],
                                                              'var_2': ['age', '31', '42']}
    names, tidy = csvigo.load({'path': path, 'column_order': True, 'verbose': False})
    assert names == ['name', 'age'] and tidy['age'] == ['31', '42']
    numbers = _write(tmp_path, ' 1.5,2\n3,4\n', 'n.csv')
    assert csvigo.load(numbers, verbose=False) == {'var_1': [' 1.5', '3'], 'var_2': ['2', '4']}
    assert csvigo.load(numbers, skip=1, header=True, verbose=False) == {'3': [], '4': []}
    assert capsys.readouterr().out == ''


def test_load_expands_home(tmp_path, monkeypatch):
    """init.lua: path:gsub('^~', os.getenv('HOME'))."""
    _write(tmp_path, 'a\n1\n')
    monkeypatch.setenv('HOME', str(tmp_path))
    assert csvigo.load('~/d.csv', verbose=False) == {'a': ['1']}


def test_query_mode(tmp_path, capsys):
    """init.lua query closure: 'all' the tidy table, 'vars' the names, 'union' rows where any variable has one of
    its values, 'inter' where every one does (rows in file order, each once; numbers as tostring gives them),
    'help' prints the usage."""
    path = _write(tmp_path, 'k,v\na,1\nb,2\na,3\nc,1\n')
    query = csvigo.load(path=path, mode='query', verbose=False)
    assert query() == query('all') == {'k': ['a', 'b', 'a', 'c'], 'v': ['1', '2', '3', '1']}
    assert query('vars') == ['k', 'v']
    assert query('union', {'k': 'b', 'v': [1]}) == {'k': ['a', 'b', 'c'], 'v': ['1', '2', '1']}
    assert query('inter', {'k': ['a'], 'v': 1}) == {'k': ['a'], 'v': ['1']}
    assert query('inter', {'k': ['a', 'c'], 'v': [1, 3]}) == {'k': ['a', 'a', 'c'], 'v': ['1', '3', '1']}
    assert query('union', {'k': 'z'}) == {'k': [], 'v': []}
    assert query('help') is None and 'query' in capsys.readouterr().out
    with pytest.raises(ValueError, match="query: no variable 'x'"):
        query('union', {'x': 1})


def test_save_modes(tmp_path):
    """init.lua save: autodetect (a function is 'query', a table with no array part 'tidy', else 'raw'); tidy
    writes the header then row i of every column in turn; column_order picks and orders the columns;
    header=false leaves the names out."""
    path = str(tmp_path / 'out.csv')
    read = lambda: open(path).read()   # noqa: E731
    csvigo.save(path=path, data=[['a', 'b'], [1, 2]], verbose=False)
    assert read() == 'a,b\n1,2\n'
    csvigo.save({'path': path, 'data': {'x': [1, 2], 'y': ['p', 'q']}, 'verbose': False})
    assert read() == 'x,y\n1,p\n2,q\n'
    csvigo.save(path, {'x': [1, 2], 'y': ['p', 'q']}, column_order=['y'], header=False, verbose=False)
    assert read() == 'p\nq\n'
    source = _write(tmp_path, 'k;v\na;1\n', 's.csv')
    csvigo.save(path=path, data=csvigo.load(source, ';', 'query', verbose=False), separator=';', verbose=False)
    assert read() == 'k;v\na;1\n'
    csvigo.save(path=path, data=[[1.5, math.nan]], nan_as_missing=True, verbose=False)
    assert read() == '1.5,\n'


def test_bad_arguments():
    """dok.unpack: a missing required argument is an error with the usage text; an unknown mode errors."""
    with pytest.raises(TypeError, match='csvigo.load: missing argument: path'):
        csvigo.load(mode='raw')
    with pytest.raises(TypeError, match='csvigo.save: missing argument: data'):
        csvigo.save(path='x.csv')
    with pytest.raises(ValueError, match="csvigo.load: unknown mode 'fast'"):
        csvigo.load(path='x.csv', mode='fast')


def test_record_longer_than_the_header(tmp_path):
    """init.lua tidy: a record with more fields than names fails (tidy[nil] in Lua), here naming the line."""
    path = _write(tmp_path, 'a,b\n1,2,3\n')
    with pytest.raises(ValueError, match=r'line 1 of .* \(0-based\) has 3 fields, the header 2'):
        csvigo.load(path, verbose=False)
