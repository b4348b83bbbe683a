"""``require 'csvigo'``: clementfarabet's csvigo, CSV files read and written.

``csvigo.load{path=..., mode='tidy'}`` becomes ``csvigo.load({'path': ...})`` or ``csvigo.load(path=...,
mode='tidy')`` (or the path by position), ``csvigo.save`` likewise. Every value read is a string, as in
csvigo. Loading modes: 'raw' a list of records (each a list of strings), 'tidy' a dict of columns keyed by
the header (the header's order; ``column_order=True`` also returns the names), 'query' a function over the
tidy table, 'large' a read-only ``LargeCSV`` that parses a record when it is indexed. Records and rows are
0-based. ``csvigo.File`` reads and writes record by record.
"""
import os
from collections.abc import Mapping

from ..tensor.cmdline import _number
from ..tensor.tester import tostring
from ..xlua.arguments import unpack
from .file import File, LargeCSV

__all__ = ['load', 'save', 'File', 'LargeCSV']

_LOAD_HELP = ("Load a CSV file, according to the specified mode:\n"
              " - raw   : a list of records, one per line of the file\n"
              " - tidy  : a dict of columns keyed by the variable names\n"
              " - query : a function that queries the tidy table\n"
              " - large : a table that parses a record when it is indexed")
_LOAD_ARGS = (
    {'arg': 'path', 'type': 'string', 'help': 'path to file', 'req': True},
    {'arg': 'separator', 'type': 'string', 'help': 'separator (one character)', 'default': ','},
    {'arg': 'mode', 'type': 'string', 'help': 'load mode: raw | tidy | query | large', 'default': 'tidy'},
    {'arg': 'header', 'type': 'string', 'help': 'file has a header (variable names): true | false | auto',
     'default': 'auto'},
    {'arg': 'verbose', 'type': 'boolean', 'help': 'verbose load', 'default': True},
    {'arg': 'skip', 'type': 'number', 'help': 'skip this many lines at start of file', 'default': 0},
    {'arg': 'column_order', 'type': 'boolean', 'help': "return csv's column order in tidy mode", 'default': False})
_SAVE_ARGS = (
    {'arg': 'path', 'type': 'string', 'help': 'path to file', 'req': True},
    {'arg': 'data', 'type': 'table', 'help': 'table to save as a CSV file', 'req': True},
    {'arg': 'separator', 'type': 'string', 'help': 'separator (one character)', 'default': ','},
    {'arg': 'mode', 'type': 'string', 'help': 'table to save is represented as: raw | tidy | query',
     'default': 'autodetect'},
    {'arg': 'header', 'type': 'boolean', 'help': 'table has a header (variable names)', 'default': True},
    {'arg': 'verbose', 'type': 'boolean', 'help': 'verbose save', 'default': True},
    {'arg': 'column_order', 'type': 'table', 'help': 'write csv according to given column order'},
    {'arg': 'nan_as_missing', 'type': 'boolean', 'help': 'save NaN values as missing', 'default': False})
_QUERY_HELP = ("Query the data csvigo.load loaded: query('union', {'var1': [1], 'var2': [2, 3]}) (rows where var1 is 1 "
               "or var2 2 or 3), query('inter', ...) (and), query('vars') (the names), query('all') (everything)")
_QUERY_ARGS = (
    {'arg': 'query', 'type': 'string', 'help': 'query: all | help | vars | inter | union', 'default': 'all'},
    {'arg': 'vars', 'type': 'table', 'help': 'list of vars/vals'})


def _given(args, kwargs, defs):
    """What xlua.unpack takes for a call with positional and keyword arguments together (Lua has no such
    call): one dict, the positions named by ``defs``; otherwise the positional values or the keywords."""
    if not (args and kwargs):
        return args or kwargs
    named = dict(args[0]) if len(args) == 1 and isinstance(args[0], Mapping) else \
        {d['arg']: value for d, value in zip(defs, args)}
    return {**named, **kwargs}


def _expand(path):
    """csvigo's ``path:gsub('^~', HOME)``."""
    return os.environ.get('HOME', '~') + path[1:] if path.startswith('~') else path


def _printer(verbose):
    return (lambda *text: print('<csv>', *text, sep='\t')) if verbose else (lambda *text: None)


def _has_header(header, first):
    """csvigo's checkheader: a boolean as given; 'auto' when the first field is not a number."""
    if isinstance(header, bool):
        return header
    if header == 'auto':
        return _number(first[0].strip()) is None
    return bool(header)


def load(*args, **kwargs):
    """Read the CSV file ``path`` (see the module's docstring for the modes). Arguments, by name or position:
    path, separator=',', mode='tidy', header='auto' (True, False, or 'auto': a header when the first field
    is not a number), verbose=True, skip=0 (lines to skip first), column_order=False."""
    dargs, path, separator, mode, header, verbose, skip, column_order = unpack(
        _given(args, kwargs, _LOAD_ARGS), 'csvigo.load', _LOAD_HELP, *_LOAD_ARGS)
    if mode not in ('raw', 'tidy', 'query', 'large'):
        raise ValueError(f"csvigo.load: unknown mode {mode!r} (raw, tidy, query or large)\n{dargs['usage']}")
    path, say = _expand(path), _printer(verbose)
    say('parsing file: ' + path)
    f = File(path, 'r', separator)
    try:
        loaded = f.readall(mode)
    finally:
        f.close()
    if mode in ('raw', 'large'):
        say('parsing done')
        return loaded
    say('tidying up entries')
    if skip >= len(loaded):
        raise ValueError(f"csvigo.load: {path} has {len(loaded)} lines, none left after skipping {skip}")
    start = skip
    if _has_header(header, loaded[start]):
        names, start = loaded[start], start + 1
    else:
        names = [f'var_{i + 1}' for i in range(len(loaded[start]))]   # csvigo's names, numbered from 1
    tidy = {name: [] for name in names}
    for line, record in enumerate(loaded[start:], start):
        if len(record) > len(names):
            raise ValueError(f"csvigo.load: line {line} of {path} (0-based) has {len(record)} fields, the header "
                             f"{len(names)}")
        for name, value in zip(names, record):
            tidy[name].append(value)
    if mode == 'tidy':
        say('returning tidy table')
        return (names, tidy) if column_order else tidy
    say('generating reversed index for fast queries')
    query = _query_function(tidy)
    say("returning query closure, type query('help') to get help")
    return query


def _query_function(tidy):
    """csvigo's query closure over a tidy table: ``query('all')``, ``query('vars')``, ``query('help')``, and
    ``query('union', {var: values})`` / ``query('inter', {var: values})``, the rows where any (every) variable
    has one of its values (a value or a list; numbers match as Lua's tostring writes them)."""
    rows_of = {}
    for name, values in tidy.items():
        index = rows_of[name] = {}
        for row, value in enumerate(values):
            index.setdefault(value, []).append(row)

    def query(*args, **kwargs):
        dargs, kind, wanted = unpack(_given(args, kwargs, _QUERY_ARGS) or ('all',), 'query', _QUERY_HELP,
                                     *_QUERY_ARGS)
        if kind == 'help':
            print(dargs['usage'])
            return None
        if kind == 'vars':
            return list(tidy)
        if kind == 'all':
            return tidy
        if kind not in ('union', 'inter') or not isinstance(wanted, Mapping):
            raise ValueError(f"query: expected 'all', 'help', 'vars', or 'union'/'inter' with a dict of variables "
                             f"and values, got {kind!r}, {wanted!r}")
        wanted = {name: vals if isinstance(vals, (list, tuple)) else [vals] for name, vals in wanted.items()}
        unknown = [name for name in wanted if name not in rows_of]
        if unknown:
            raise ValueError(f"query: no variable {unknown[0]!r} (variables: {', '.join(tidy)})")
        found = [rows_of[name].get(tostring(v), []) for name, vals in wanted.items() for v in vals]
        if kind == 'union':
            rows = {row for hits in found for row in hits}
        else:   # csvigo counts a row once per (variable, value) it matches: every variable must count
            counts = {}
            for hits in found:
                for row in hits:
                    counts[row] = counts.get(row, 0) + 1
            rows = {row for row, n in counts.items() if n == len(wanted)}
        return {name: [values[row] for row in sorted(rows)] for name, values in tidy.items()}
    return query


def save(*args, **kwargs):
    """Write ``data`` to the CSV file ``path``. Arguments, by name or position: path, data, separator=',',
    mode='autodetect' ('raw': a list of records; 'tidy': a dict of columns; 'query': a query function; by
    default a function is 'query', a dict or an empty list 'tidy', another list 'raw'), header=True (a tidy
    table's names as the first line, in the dict's order or ``column_order``'s), verbose=True,
    column_order=None, nan_as_missing=False."""
    dargs, path, data, separator, mode, header, verbose, column_order, nan_as_missing = unpack(
        _given(args, kwargs, _SAVE_ARGS), 'csvigo.save', 'Save a table as a CSV file (raw | tidy | query)',
        *_SAVE_ARGS)
    if mode == 'autodetect':
        mode = 'query' if callable(data) else 'tidy' if isinstance(data, Mapping) or not data else 'raw'
    if mode not in ('raw', 'tidy', 'query'):
        raise ValueError(f"csvigo.save: unknown mode {mode!r} (raw, tidy or query)\n{dargs['usage']}")
    path, say = _expand(path), _printer(verbose)
    say('writing to file: ' + path)
    f = File(path, 'w', separator, nan_as_missing)
    try:
        if mode == 'raw':
            f.writeall(data)
        else:
            if mode == 'query':
                say('generating tidy table')
                data = data('all')
            say('exporting tidy table to raw CSV')
            names = list(column_order) if column_order is not None else list(data)
            rows = []
            for name in names:   # csvigo's transposition: row i gathers the i-th value of every column in turn
                for i, value in enumerate(data[name]):
                    if i == len(rows):
                        rows.append([])
                    rows[i].append(value)
            if header:
                f.write(names)
            f.writeall(rows)
        say('writing done')
    finally:
        f.close()
