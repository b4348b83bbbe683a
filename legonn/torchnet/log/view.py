"""The closures torchnet's logs write with (log/view/text.lua, json.lua, status.lua): ``text`` and ``json`` are
onFlush closures that write chosen keys on one line, ``status`` an onSet closure that writes status messages.

Each writes to ``file`` (an open text file, as Lua's torch.File), to ``filename`` (created, or appended to when
``append``), or prints to stdout. A line is written at the end of the file and flushed at once.
A ``file`` is an object with ``write``, ``flush`` and ``seekable`` (an ``io`` text stream)."""
import re

from ...tensor.introspection import tostring
from ..arguments import named_table

# one conversion of a string.format format (``%%`` is matched too, and is not one)
_CONVERSION = re.compile(r'%[-+ #0]*\d*(?:\.\d+)?([a-zA-Z%])')


def _writer(view, file, filename, append):
    """A function writing one line where the view writes."""
    if file is not None and filename is not None:
        raise ValueError(f"tnt.Log.view.{view}: file or filename expected (not both)")
    if filename is not None:
        file = open(filename, 'a' if append else 'w')
    if file is None:
        return print

    def write(line):
        if file.seekable():     # torch.File's seekEnd; a pipe or terminal writes at its end anyway
            file.seek(0, 2)
        file.write(line + '\n')
        file.flush()
    return write


def _formatters(view, keys, formats, default):
    """(key, function from value to text) per key: ``formats[i]`` is a ``%`` format string, a function or None
    (``default(key)``'s function)."""
    if not isinstance(keys, (list, tuple)) or not all(isinstance(key, str) for key in keys):
        raise TypeError(f"tnt.Log.view.{view}: expected keys as a list of strings, got {keys!r}")
    result = []
    for position, key in enumerate(keys):
        form = formats[position] if formats is not None and position < len(formats) else None
        if form is None:
            result.append((key, default(key)))
        elif callable(form):
            result.append((key, form))
        elif isinstance(form, str):
            result.append((key, _string_format(form)))
        else:
            raise TypeError(f"tnt.Log.view.{view}: format must be a string or a function, got {form!r}")
    return result


def _string_format(form):
    """``value -> string.format(form, value)``: Python's ``%`` but for ``%s``, which Lua fills with its tostring
    (``2`` for 2.0, numbers to 14 significant digits, ``nil``, ``true``) where Python writes ``2.0``,
    ``0.3333333333333333``, ``None``, ``True``."""
    lua_string = any(conversion.group(1) == 's' for conversion in _CONVERSION.finditer(form))
    return lambda value: form % (tostring(value) if lua_string else value)


def _text_of(view, key, formatter, value):
    text = formatter(value)
    if not isinstance(text, str):
        raise TypeError(f"tnt.Log.view.{view}: value for key {key} cannot be converted to string")
    return text


@named_table
def text(file=None, filename=None, keys=None, format=None, separator=' | ', append=False):
    """An onFlush closure writing the values of ``keys`` that are set (not None or False) on one line, joined by
    ``separator``: each with its ``format`` (a ``%`` format string such as ``'%10.5f'``, or a function returning
    a string), or as ``"<key> <value>"`` with Lua's tostring."""
    write = _writer('text', file, filename, append)
    formatters = _formatters('text', keys, format, lambda key: lambda value: f"{key} {tostring(value)}")

    def closure(log):
        texts = []
        for key, formatter in formatters:
            value = log.get(key)
            if value is not None and value is not False:
                texts.append(_text_of('text', key, formatter, log.get(key)))
        write(separator.join(texts))
    return closure


@named_table
def json(file=None, filename=None, keys=None, format=None, append=False):
    """An onFlush closure writing ``{"<key>": "<text>", ...}`` on one line for every key of ``keys`` (an unset one
    as ``nil``): the text of each value by its ``format`` (a ``%`` format string or a function), else Lua's
    tostring. Every value is written as a JSON string, as torchnet writes it."""
    write = _writer('json', file, filename, append)
    formatters = _formatters('json', keys, format, lambda key: tostring)

    def closure(log):
        fields = [f'"{key}": "{_text_of("json", key, formatter, log.get(key))}"' for key, formatter in formatters]
        write('{' + ', '.join(fields) + '}')
    return closure


@named_table
def status(file=None, filename=None, append=False):
    """An onSet closure writing each status message (the value set under ``'__status__'``) on its own line."""
    write = _writer('status', file, filename, append)

    def closure(log, key, value):
        if key == '__status__':
            write(tostring(value))
    return closure
