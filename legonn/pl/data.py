"""``require 'pl.data'``: Penlight's reading and writing of delimited text tables (pl/data.lua's ``read``,
``new``, ``write``), which gtsrb.torch's dataset.lua uses to read GTSRB's ``;``-separated annotation files.

``data.read(file, cnfg)`` returns a ``Data``: a list of rows, each a Penlight ``List`` of its fields (numbers
converted as Lua's ``tonumber`` reads them), with ``fieldnames`` (a List: the header's names with each
non-word character made ``_``), ``original_fieldnames`` and ``delim``. Positions are 0-based, as every legonn
index: ``d.fieldnames.index('Filename')`` is 0 for the first column, and ``for i, row in enumerate(d)`` is
Lua's ``ipairs``. Where Penlight takes a Lua pattern (``cnfg.delim``) give a Python regex; a failure (a file
that cannot be opened, an empty file, a field that should be a number) returns Lua's ``nil, message`` as a
false ``paths.Failure``. Not provided: the query language (``select``, ``copy_select``, ``query``,
``filter``), which compiles Lua expressions, and the ``pl.array2d`` fallbacks.
"""
import re
import sys

from ..paths.dirs import Failure
from ..tensor.cmdline import _number as _lua_tonumber
from ..tensor.introspection import LUA_SPACE, tostring
from . import utils
from .List import List

__all__ = ['Data', 'read', 'new', 'write']

_SPACES = f'[{LUA_SPACE}]+'                   # Lua's %s+: ASCII white space only
# guess_delim's candidates, in its order (data.lua's delims); a space stands for runs of white space
_DELIMS = (',', '\t', ' ', ';')


class Data(list):
    """The rows of a table read by ``read`` (or given to ``new``), with ``fieldnames``, ``original_fieldnames``
    and ``delim`` as fields, as Penlight's data object."""

    def column_names(self):
        """The (massaged) field names."""
        return self.fieldnames

    def column_by_name(self, name):
        """One column as a List: ``name`` a field name or a 0-based column number (Penlight: 1-based)."""
        col = name if isinstance(name, int) and not isinstance(name, bool) else self.fieldnames.index(name)
        if col is None:
            raise KeyError(f"pl.data: no field {name!r} among {list(self.fieldnames)}")
        return List(row[col] for row in self)

    def write_row(self, f, row):
        """Write ``row``'s values joined by ``delim`` and a newline to the file object ``f``."""
        _write_row(f, row, self.delim)

    def write(self, file):
        """``data.write(self, file, self.fieldnames, self.delim)``."""
        return write(self, file, self.fieldnames, self.delim)


def _guess_delim(line):
    """The first of ',', tab, space (as runs of white space), ';' that the line holds; a space when none."""
    if line == '':
        return _SPACES
    for delim in _DELIMS:
        if delim in line:
            return _SPACES if delim == ' ' else delim
    return _SPACES


def _split(line, delim, csv=False, n=None):
    """data.lua's split: ``utils.split`` by ``delim``; in CSV mode a double-quoted field keeps its commas (its
    quotes dropped, as Penlight's gsub leaves them) and a trailing comma makes a last empty field."""
    massage = False
    if csv and '"' in line:
        def protect(m):
            nonlocal massage
            massage = massage or ',' in m.group(1)
            return m.group(1).replace(',', '\001')
        line = re.sub(r'"([^"]+)"', protect, line)
    fields = utils.split(line, delim, False, n)
    if csv:
        if massage:
            fields = [s.replace('\001', ',') for s in fields]
        if line.endswith(','):
            fields.append('')
    return List(fields)


def _open(f, mode):
    """(file object, error, opened): a name is opened ('stdin'/'stdout' are the standard streams), a file
    object is used as it is."""
    if isinstance(f, str):
        if f == 'stdin':
            return sys.stdin, None, False
        if f == 'stdout':
            return sys.stdout, None, False
        try:
            # newline='': Lua's read('*l') splits at '\n' only and keeps a '\r'
            return open(f, mode, newline=''), None, True
        except OSError as err:
            return None, f"{f}: {err.strerror}", False
    if f is None or not hasattr(f, 'read' if mode == 'r' else 'write'):
        return None, 'not a file-like object', False
    return f, None, False


def _lines(f):
    """Lua's ``f:read()`` one line after another: each line without its '\\n', the last one even without."""
    text = f.read()
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    return iter(lines)


def read(file, cnfg=None):
    """Read a delimited table (pl/data.lua's ``read``). ``cnfg`` (a dict, as Penlight's table, which it also
    writes ``fieldnames`` and ``delim`` into) takes: ``delim`` (a Python regex; guessed from the first line
    otherwise), ``fieldnames`` (a list or a delimited string: the first line is data then), ``no_convert``,
    ``convert`` (column -> function, columns 0-based), ``numfields`` (0-based columns known to be numbers),
    ``last_field_collect``, ``thousands_dot``, ``csv`` (quoted fields, empty fields read as 0). A first line
    of numbers only is data, not names. A ``Data`` object, or ``Failure((None, message))``."""
    if cnfg is None:
        cnfg = {}
    f, err, opened = _open(file, 'r')
    if f is None:
        return Failure((None, err))
    try:
        return _read(f, cnfg)
    finally:
        if opened:
            f.close()


def _read(f, cnfg):
    thousands_dot = cnfg.get('thousands_dot')
    csv = cnfg.get('csv')
    if csv:
        cnfg['delim'] = ','

    def try_number(x):
        if thousands_dot:
            x = re.sub(r'\.(...)', r'\1', x)
        if csv and x == '':
            x = '0'
        v = _lua_tonumber(x)
        return (None, 'not a number') if v is None else (v, None)

    lines = _lines(f)
    line = next(lines, None)
    count = 1                                              # the line number the messages give
    if line is None:
        return Failure((None, 'empty file'))
    rows = Data()
    delim = cnfg['delim'] if cnfg.get('delim') else _guess_delim(line)
    numfields, conversion = [], []

    def append_conversion(idx, conv):
        numfields.append(idx)
        conversion.append(conv)
    for n in cnfg.get('numfields') or []:
        append_conversion(n, try_number)

    # space-delimited data may start with spaces, which are no column (data.lua's stripper)
    stripper = None
    if delim == _SPACES and re.match(delim, line):
        def stripper(s):
            return re.sub(f'^{_SPACES}', '', s)
        line = stripper(line)
    if not cnfg.get('fieldnames'):
        fields = _split(line, delim, csv)
        nums = None
        if not cnfg.get('convert'):
            nums = [_lua_tonumber(x) for x in fields]
            if all(v is not None for v in nums):           # all numbers: the first row is data
                rows.append(List(nums))
                for i in range(len(nums)):
                    append_conversion(i, try_number)
            else:
                nums = None
        else:
            for idx, conv in cnfg['convert'].items():
                append_conversion(idx, conv)
        if nums is None:
            cnfg['fieldnames'] = fields
        line = next(lines, None)
        count += 1
        if stripper is not None and line is not None:
            line = stripper(line)
    elif isinstance(cnfg['fieldnames'], str):
        cnfg['fieldnames'] = _split(cnfg['fieldnames'], delim, csv)
    nfields = None
    if cnfg.get('fieldnames'):
        rows.fieldnames = cnfg['fieldnames']
        if cnfg.get('last_field_collect'):
            nfields = len(rows.fieldnames)
        # the columns the first data row holds numbers in are converted in every row
        if not cnfg.get('no_convert') and line is not None:
            for i, field in enumerate(_split(line, delim, csv, nfields)):
                if i not in numfields and try_number(field)[0] is not None:
                    append_conversion(i, try_number)
    while line is not None:
        if not re.fullmatch(f'[{LUA_SPACE}]*', line):        # blank lines are skipped
            if stripper is not None:
                line = stripper(line)
            fields = _split(line, delim, csv, nfields)
            for i, conv in zip(numfields, conversion):
                field = fields[i] if i < len(fields) else None
                val, err = conv(field) if field is not None else (None, 'not a number')
                if val is None:
                    return Failure((None, f"{err}: {field} at line {count}"))
                fields[i] = val
            rows.append(fields)
        line = next(lines, None)
        count += 1
    rows.delim = ' ' if delim == _SPACES else delim
    return new(rows, getattr(rows, 'fieldnames', None) or [])


def new(d, fieldnames=None):
    """A ``Data`` of the rows ``d`` (pl/data.lua's ``new``): its field names from ``d.fieldnames``, else
    ``fieldnames`` (a list, or a string whose delimiter is guessed); each name stripped, with every non-word
    character made ``_``, the stripped originals kept in ``original_fieldnames``."""
    if not isinstance(d, Data):
        rows, d = d, Data(d)
        for key in ('fieldnames', 'delim'):
            if hasattr(rows, key):
                setattr(d, key, getattr(rows, key))
    names = getattr(d, 'fieldnames', None) or fieldnames or ''
    if getattr(d, 'delim', None) is None and isinstance(names, str):
        delim = _guess_delim(names)
        names = _split(names, delim)
        d.delim = ' ' if delim == _SPACES else delim
    d.fieldnames = List(names)
    d.original_fieldnames = List()
    for i, name in enumerate(d.fieldnames):
        stripped = name.strip(LUA_SPACE)
        d.original_fieldnames.append(stripped)
        d.fieldnames[i] = re.sub(r'[^0-9A-Za-z]', '_', stripped)     # Lua's %W: not an ASCII letter or digit
    if not hasattr(d, 'delim'):
        d.delim = None
    return d


def _write_row(f, row, delim):
    # Lua's table.concat with a nil separator joins with nothing
    f.write((delim or '').join(tostring(v) for v in row) + '\n')


def write(data, file, fieldnames=None, delim=None):
    """Write the rows ``data`` to ``file`` (a name or a file object) joined by ``delim`` (default tab), with a
    header line of ``fieldnames`` (default ``data.fieldnames``) when there are any. True, or a Failure."""
    f, err, opened = _open(file, 'w')
    if f is None:
        return Failure((None, err))
    if fieldnames is None:
        fieldnames = getattr(data, 'fieldnames', None)
    delim = '\t' if delim is None else delim
    try:
        if fieldnames:
            f.write(delim.join(fieldnames) + '\n')
        for row in data:
            _write_row(f, row, delim)
    finally:
        if opened:
            f.close()
    return True
