"""legonn.pl.data against Penlight's pl/data.lua (read, new, write): gtsrb.torch's dataset.lua reads GTSRB's
``GT-xxxxx.csv`` annotation files with ``pl.data.read`` and looks its columns up by name."""
import io

from legonn.pl import data

GTSRB_CSV = ('Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n'
             '00000_00000.ppm;29;30;5;6;24;25;0\n'
             '00000_00001.ppm;30;30;5;5;25;25;0\n'
             '00001_00000.ppm;31;32;6;6;26;27;0\n')


def test_read_a_semicolon_file_with_a_header(tmp_path):
    """guess_delim finds ';' (after ',', tab and space, data.lua line 157); the header gives the field names with
    '.' made '_' (massage_fieldnames), the originals kept; the columns that hold numbers in the first data row
    are converted in every row, the file names stay text; ``fieldnames:index`` is 0-based."""
    name = tmp_path / 'GT-00000.csv'
    name.write_text(GTSRB_CSV)
    d = data.read(str(name))
    assert d.delim == ';'
    assert list(d.fieldnames) == ['Filename', 'Width', 'Height', 'Roi_X1', 'Roi_Y1', 'Roi_X2', 'Roi_Y2', 'ClassId']
    assert list(d.original_fieldnames)[3] == 'Roi.X1'
    assert d.fieldnames.index('Filename') == 0 and d.fieldnames.index('ClassId') == 7
    assert len(d) == 3
    assert list(d[2]) == ['00001_00000.ppm', 31, 32, 6, 6, 26, 27, 0]
    assert d[0][7] + 1 == 1 and isinstance(d[0][1], int)
    assert list(d.column_by_name('Width')) == [29, 30, 31] and list(d.column_by_name(0))[1] == '00000_00001.ppm'


def test_numbers_only_first_line_is_data_and_delimiters_guessed():
    """A first line of numbers is the first row (no field names); runs of spaces split, a leading space is no
    column (the stripper); blank lines are skipped; ',' wins over ';'."""
    d = data.read(io.StringIO(' 10  20\n\n2 5\n 40 50\n'))
    assert [list(r) for r in d] == [[10, 20], [2, 5], [40, 50]] and list(d.fieldnames) == [] and d.delim == ' '
    d = data.read(io.StringIO('x,y;z\n1,2;3\n'))
    assert d.delim == ',' and list(d.fieldnames) == ['x', 'y_z'] and list(d[0]) == [1, '2;3']
    d = data.read(io.StringIO('a\tb\n1.5\t0x10\n'))
    assert list(d[0]) == [1.5, 16]


def test_options_csv_fieldnames_and_failures(tmp_path):
    """csv: quoted fields keep their commas (quotes dropped, as Penlight's gsub leaves them), empty numeric fields
    read 0, a trailing comma is a field; ``fieldnames`` given means the first line is data; ``no_convert`` keeps
    text; a column that stops being a number is Lua's nil, message; a missing or empty file too."""
    d = data.read(io.StringIO('name,n\n"a, b",3\nc,\n'), {'csv': True})
    assert [list(r) for r in d] == [['a, b', 3], ['c', 0]]
    cnfg = {'fieldnames': 'p q'}
    d = data.read(io.StringIO('1 2\n3 4\n'), cnfg)
    assert list(d.fieldnames) == ['p', 'q'] and [list(r) for r in d] == [[1, 2], [3, 4]]
    assert list(cnfg['fieldnames']) == ['p', 'q']                    # Penlight writes it back into cnfg
    assert list(data.read(io.StringIO('a,b\n1,2\n'), {'no_convert': True})[0]) == ['1', '2']
    bad = data.read(io.StringIO('a,b\n1,2\nx,3\n'))
    assert not bad and bad[0] is None and bad[1] == 'not a number: x at line 3'
    assert not data.read(str(tmp_path / 'missing.csv'))
    assert tuple(data.read(io.StringIO(''))) == (None, 'empty file')


def test_write_and_read_back(tmp_path):
    """data.write: a header when there are field names, rows joined by the delimiter (tab by default), whole
    floats written as Lua writes them; a Data's own write keeps its delimiter; ``new`` guesses a delimiter
    from a field-name string."""
    name = str(tmp_path / 'out.txt')
    assert data.write([[1, 2.0], [3.5, 'x']], name, ['a', 'b']) is True
    assert open(name).read() == 'a\tb\n1\t2\n3.5\tx\n'
    d = data.new([[1, 2], [3, 4]], 'u,v')
    assert d.delim == ',' and list(d.fieldnames) == ['u', 'v']
    d.write(name)
    back = data.read(name)
    assert back.delim == ',' and [list(r) for r in back] == [[1, 2], [3, 4]]
