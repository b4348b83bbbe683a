"""torchnet's Log (log/init.lua) and its views (log/view/text.lua, json.lua, status.lua): the lines they write, to
files and to stdout, as the Lua writes them."""
import os
import re
import time

import pytest

from legonn import torchnet as tnt
from legonn.torchnet.log.view import json, status, text


def test_set_get_flush_and_events():
    """log/init.lua: onSet(log, key, value) before each value is stored, onGet(log, key) on get, onFlush(log)
    before the data is emptied, onClose(log) then everything (closures too) cleared."""
    calls = []
    log = tnt.Log(keys=['loss', 'accuracy'],
                  onSet=[lambda lg, key, value: calls.append(('set', key, value, lg.get('loss') if key == 'accuracy'
                                                                else None))],
                  onGet=[lambda lg, key: calls.append(('get', key))],
                  onFlush=[lambda lg: calls.append(('flush', lg.get('loss')))],
                  onClose=[lambda lg: calls.append(('close',))])
    log.set({'loss': 0.1, 'accuracy': 97})
    assert calls == [('set', 'loss', 0.1, None), ('get', 'loss'), ('set', 'accuracy', 97, 0.1)]
    calls.clear()
    log.flush()
    assert calls == [('get', 'loss'), ('flush', 0.1)]     # the flush closure read loss (onGet) first
    assert log.get('loss') is None
    calls.clear()
    log.close()
    assert calls == [('close',)]
    log.set({'loss': 1})
    assert calls == [('close',)]     # close forgot the closures


def test_named_table_keys_and_attach():
    """tnt.Log{keys=..., onFlush={...}} as one dict; attach adds closures to an event in order."""
    seen = []
    log = tnt.Log({'keys': ['a'], 'onFlush': [lambda lg: seen.append(1)]})
    log.attach('onFlush', [lambda lg: seen.append(2), lambda lg: seen.append(3)])
    log.flush()
    assert seen == [1, 2, 3]


@pytest.mark.parametrize('call,error,message', [
    (lambda log: log.set({'nope': 1}), KeyError, 'tnt.Log.set: unknown key <nope>'),
    (lambda log: log.get('nope'), KeyError, 'tnt.Log.get: unknown key <nope>'),
    (lambda log: log.set({1: 1}), TypeError, 'tnt.Log.set: string expected for key'),
    (lambda log: log.set(['a']), TypeError, 'tnt.Log.set: expected a dict'),
    (lambda log: log.attach('onWhatever', []), ValueError, 'tnt.Log.attach: unknown event <onWhatever>'),
    (lambda log: log.attach('onSet', [1]), TypeError, 'tnt.Log.attach: onSet: list of functions expected'),
    (lambda log: tnt.Log(keys='a'), TypeError, 'tnt.Log: expected keys as a list of strings'),
])
def test_bad_input(call, error, message):
    """log/init.lua's errors: unknown key <k>, string expected for key, unknown event <e>, table of functions
    expected."""
    with pytest.raises(error, match=message):
        call(tnt.Log(keys=['a']))


def test_status_records_a_dated_message(capsys):
    """Log:status(message, time): '| <os.date()> | <message>' under __status__ (without the date when time is
    false); the status view (an onSet closure) prints status records only."""
    log = tnt.Log(keys=['loss'], onSet=[tnt.Log.view.status()])
    log.status('hello world')
    log.set({'loss': 3})
    log.status('bare', False)
    log.status({'message': 'named', 'time': False})
    lines = capsys.readouterr().out.splitlines()
    date = re.fullmatch(r'\| (.+) \| hello world', lines[0]).group(1)
    assert abs(time.mktime(time.strptime(date, '%c')) - time.time()) < 5     # os.date()'s format, %c
    assert lines[1:] == ['| bare', '| named']
    assert log.get('__status__') == '| named'


def test_text_view_writes_lines(tmp_path, capsys):
    """text.lua: the set keys (nil or false skipped, 0 written) in the given order joined by ' | ', each by its
    string.format or function, or 'key value' with Lua's tostring (%.14g numbers); one line per flush; printed
    without a file."""
    path = tmp_path / 'log.txt'
    log = tnt.Log(keys=['loss', 'accuracy', 'note'], onFlush=[
        text(filename=str(path), keys=['loss', 'accuracy'], format=['%10.5f', '%3.2f']),
        text({'keys': ['loss', 'note', 'accuracy']}),
        tnt.Log.view.text(keys=['accuracy'], format=[lambda v: f'acc={v}'], separator=', ')])
    log.set({'loss': 1 / 3, 'accuracy': 97})
    log.flush()
    log.set({'loss': 0.25, 'note': False})
    log.flush()
    log.set({'loss': 0})     # 0 is true in Lua: written
    log.flush()
    assert path.read_text() == '   0.33333 | 97.00\n   0.25000\n   0.00000\n'
    assert capsys.readouterr().out.splitlines() == ['loss 0.33333333333333 | accuracy 97', 'acc=97',
                                                    'loss 0.25', '', 'loss 0', '']


def test_string_formats_write_s_as_lua_tostring(capsys):
    """text.lua/json.lua format with string.format, whose %s takes Lua's tostring of the value: 2.0 is '2', 1/3
    '0.33333333333333' (%.14g), true 'true' (Python's '%s' wrote '2.0', '0.3333333333333333', 'True'); the
    other conversions are Python's, as before."""
    log = tnt.Log(keys=['a', 'b', 'c', 'd'], onFlush=[
        text(keys=['a', 'b', 'c', 'd'], format=['%s', '[%6s]', 'c=%s%%', '%.2f']),
        tnt.Log.view.json(keys=['a', 'b'], format=['%s', '%d'])])
    log.set({'a': 2.0, 'b': 1 / 3, 'c': True, 'd': 2.0})
    log.flush()
    assert capsys.readouterr().out.splitlines() == ['2 | [0.33333333333333] | c=true% | 2.00', '{"a": "2", "b": "0"}']


def test_text_view_appends_or_truncates(tmp_path):
    """text.lua opens its file with 'w' (emptied) or 'rw' with append (kept), and writes at its end; a given file
    is written as it is (a pipe, too)."""
    path = tmp_path / 'loss.txt'
    path.write_text('old\n')
    log = tnt.Log(keys=['loss'], onFlush=[text(filename=str(path), keys=['loss'], append=True)])
    log.set({'loss': 2})
    log.flush()
    assert path.read_text() == 'old\nloss 2\n'
    tnt.Log(keys=['loss'], onFlush=[text(filename=str(path), keys=['loss'])])
    assert path.read_text() == ''
    with open(tmp_path / 'own.txt', 'w') as handle:
        log = tnt.Log(keys=['loss'], onFlush=[text(file=handle, keys=['loss'])])
        log.set({'loss': -1.5})
        log.flush()
    assert (tmp_path / 'own.txt').read_text() == 'loss -1.5\n'
    read, write = os.pipe()
    with os.fdopen(write, 'w') as pipe, os.fdopen(read) as out:     # not seekable: written as it comes
        log = tnt.Log(keys=['loss'], onFlush=[text(file=pipe, keys=['loss'])])
        log.set({'loss': 7})
        log.flush()
        assert out.readline() == 'loss 7\n'


def test_json_view(tmp_path, capsys):
    """json.lua: {"key": "text", ...} for every key (nil as "nil"), every value quoted, tostring by default."""
    path = tmp_path / 'log.json'
    log = tnt.Log(keys=['epoch', 'loss', 'missing'], onFlush=[
        json(filename=str(path), keys=['epoch', 'loss', 'missing'], format=['%d', None]),
        json(keys=['loss'], format=[lambda v: 'L%.1f' % v])])
    log.set({'epoch': 3, 'loss': 0.1 + 0.2})
    log.flush()
    assert path.read_text() == '{"epoch": "3", "loss": "0.3", "missing": "nil"}\n'
    assert capsys.readouterr().out == '{"loss": "L0.3"}\n'


def test_status_view_to_file(tmp_path):
    """status.lua: only __status__ records, one per line, appended at the end of the file."""
    path = tmp_path / 'status.txt'
    log = tnt.Log(keys=['loss'], onSet=[status(filename=str(path))])
    log.set({'loss': 1})
    log.status('one', False)
    log.status('two', False)
    assert path.read_text() == '| one\n| two\n'


@pytest.mark.parametrize('make,message', [
    (lambda: text(keys=['a'], format=[3]), 'tnt.Log.view.text: format must be a string or a function'),
    (lambda: json(keys='a'), 'tnt.Log.view.json: expected keys as a list of strings'),
])
def test_view_bad_formats(make, message):
    """text.lua/json.lua: 'format must be a string or a function'."""
    with pytest.raises(TypeError, match=message):
        make()


def test_view_file_and_filename(tmp_path):
    """text.lua/json.lua/status.lua: 'file or filename expected (not both)'; a format giving no string fails."""
    with open(tmp_path / 'x', 'w') as handle, pytest.raises(ValueError, match='file or filename expected'):
        status(file=handle, filename=str(tmp_path / 'y'))
    log = tnt.Log(keys=['a'], onFlush=[text(keys=['a'], format=[lambda v: v])])
    log.set({'a': 1})
    with pytest.raises(TypeError, match='value for key a cannot be converted to string'):
        log.flush()
