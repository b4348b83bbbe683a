"""csvigo.File: one CSV file read or written a record at a time, with csvigo's field rules.

Reading: each line (split at '\\n', every '\\r' removed) is one record, parsed by Python's csv module: fields
between separators, a field in double quotes may hold the separator and doubled quotes; a space separator
means any run of spaces. Values stay strings (bytes that are not UTF-8 become U+FFFD). Writing: numbers as
Lua's tostring writes them (``%.14g``), a field holding the separator or a double quote put in quotes with its
quotes doubled, NaN as an empty field when ``nan_as_missing``.
"""
import csv
import numbers
import re

from ..tensor.tester import tostring

_LINE_END = re.compile(rb'\r.?|\n', re.DOTALL)


def parse_record(line, separator):
    """The fields of one line (a list of strings; an empty line is one empty field, as csvigo's)."""
    if '"' not in line and separator != ' ':
        return line.split(separator)   # nothing quoted: the pieces between separators (a 1M-line file: 1.7 s, not 3.4)
    return next(csv.reader([line], delimiter=separator, skipinitialspace=separator == ' ')) or ['']


def _field(value, separator, nan_as_missing):
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if nan_as_missing and value != value:
            return ''
        value = tostring(value)
    elif not isinstance(value, str):
        raise TypeError(f"csvigo: a field must be a string or a number, got {type(value).__name__} {value!r}")
    if '"' in value or separator in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def format_record(values, separator, nan_as_missing=False):
    """One line of CSV (no newline) for a list of strings and numbers."""
    return separator.join(_field(v, separator, nan_as_missing) for v in values)


class File:
    """``csvigo.File(path, mode, separator=',', nan_as_missing=False)``: ``mode`` is Lua's io.open mode ('r',
    'w', 'a'). ``read()`` gives the next record or None at the end, ``readall()`` every remaining one,
    ``lines()`` the raw lines, ``write(record)`` / ``writeall(records)`` append records; ``close()``."""

    def __init__(self, filepath, mode, separator=None, nan_as_missing=None):
        if not isinstance(separator or ',', str) or len(separator or ',') != 1:
            raise ValueError(f"csvigo.File: separator must be one character, got {separator!r}")
        self.filepath = filepath
        self.separator = separator or ','
        self.nan_as_missing = bool(nan_as_missing)
        # newline='': '\r' reaches read(), which drops it as csvigo does, wherever it is in the line; bytes that
        # are not UTF-8 read as U+FFFD, as in 'large' mode (csvigo's Lua keeps bytes, a str cannot)
        self.file = open(filepath, mode, newline='', errors='replace' if 'r' in mode else None)

    def close(self):
        self.file.close()

    def lines(self):
        """The remaining lines, without their line ends."""
        return (line.rstrip('\n') for line in self.file)

    def read(self):
        """The next record, a list of strings; None at the end of the file."""
        line = self.file.readline()
        if not line:
            return None
        return parse_record(line.rstrip('\n').replace('\r', ''), self.separator)

    def readall(self, mode=None):
        """Every remaining record; with ``mode='large'`` a ``LargeCSV`` of the whole file instead."""
        if mode == 'large':
            return LargeCSV(self.filepath, self.separator)
        return [parse_record(line.replace('\r', ''), self.separator) for line in self.lines()]

    def write(self, record):
        """Append one record (strings and numbers) and a newline."""
        self.file.write(format_record(record, self.separator, self.nan_as_missing) + '\n')

    def writeall(self, records):
        """Append every record of ``records``; returns True."""
        for record in records:
            self.write(record)
        return True


class LargeCSV:
    """csvigo's 'large' mode: the file's bytes and where each line starts, a record parsed only when indexed.

    ``m[i]`` is record ``i`` (0-based), ``len(m)`` the number of lines, ``for record in m`` every record;
    read-only. A line ends at '\\n' or '\\r' (a '\\r' and the character after it: '\\r\\n')."""

    def __init__(self, filepath, separator=','):
        with open(filepath, 'rb') as f:
            self._data = f.read()
        self._separator = separator
        self._spans, start = [], 0
        # csvigo's create_lookup: a line ends at '\n', or at '\r', which takes the next character with it
        for end in _LINE_END.finditer(self._data):
            self._spans.append((start, end.start()))
            start = end.end()
        if self._data and self._data[-1:] != b'\n':
            self._spans.append((start, len(self._data)))

    def __len__(self):
        return len(self._spans)

    def line(self, i):
        """Line ``i`` (0-based) as text."""
        if isinstance(i, bool) or not isinstance(i, int) or not -len(self) <= i < len(self):
            raise IndexError(f"csvigo large table: index out of bounds: {i!r} (0-based, {len(self)} rows)")
        start, end = self._spans[i]
        return self._data[start:end].decode(errors='replace')

    def __getitem__(self, i):
        return parse_record(self.line(i), self._separator)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __setitem__(self, i, value):
        raise TypeError("csvigo large table: attempt to update a read-only table")

    def __str__(self):
        n = len(self)
        if n < 30:
            shown = [self.line(i) for i in range(n)]
        else:   # csvigo's: the first 10 lines, 10 lines of dots, the last 11
            shown = [self.line(i) for i in range(10)] + ['.. .. .. .. .. .. .. .. .. '] * 10 + \
                [self.line(i) for i in range(n - 11, n)]
        return ''.join(s + '\n' for s in shown)
