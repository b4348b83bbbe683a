"""``tnt.Log`` (torchnet's log/init.lua): a table of values under keys fixed at construction, with closures
called when values are set, read, flushed out and when the log is closed."""
from time import strftime
from collections.abc import Mapping

from ...tensor.introspection import tostring
from ..arguments import named_table
from . import view

_EVENTS = ('onClose', 'onFlush', 'onGet', 'onSet')


class Log:
    """A log of the values of ``keys`` (strings; ``'__status__'`` too, which ``status`` sets). The closures of
    each event (lists of functions) are called in the order attached: ``onSet(log, key, value)`` by ``set``,
    ``onGet(log, key)`` by ``get``, ``onFlush(log)`` by ``flush``, ``onClose(log)`` by ``close``. The views
    ``Log.view.text``, ``Log.view.json`` and ``Log.view.status`` make such closures."""

    # lg.typename: 'tnt.' and the class name, as torchnet registers its classes (torch.class('tnt.Log')
    # in log/init.lua:14), here and in every class derived from this one
    lua_package = 'tnt'

    view = view

    @named_table
    def __init__(self, keys, onClose=None, onFlush=None, onGet=None, onSet=None):
        if not isinstance(keys, (list, tuple)) or not all(isinstance(key, str) for key in keys):
            raise TypeError(f"tnt.Log: expected keys as a list of strings, got {keys!r}")
        self._keys = {'__status__', *keys}
        self._clear()
        for event, closures in zip(_EVENTS, (onClose, onFlush, onGet, onSet)):
            if closures is not None:
                self.attach(event, closures)

    def _clear(self):
        self._events = {event: [] for event in _EVENTS}
        self._data = {}

    def _check_key(self, method, key):
        if not isinstance(key, str):
            raise TypeError(f"tnt.Log.{method}: string expected for key, got {type(key).__name__}")
        if key not in self._keys:
            raise KeyError(f"tnt.Log.{method}: unknown key <{key}>")

    @named_table
    def status(self, message=None, time=True):
        """Sets ``'__status__'`` to ``"| <date> | <message>"`` (``"| <message>"`` when ``time`` is False; the date
        as Lua's ``os.date()``), which the status view writes."""
        if message is not None and not isinstance(message, str):
            raise TypeError(f"tnt.Log.status: expected message as a string, got {type(message).__name__}")
        prefix = '|'
        if time:
            prefix += ' ' + strftime('%c') + ' |'
        self.set({'__status__': f"{prefix} {tostring(message)}"})

    def set(self, keys):
        """Sets the values of a dict of keys (among the log's), calling the onSet closures before each."""
        if not isinstance(keys, Mapping):
            raise TypeError(f"tnt.Log.set: expected a dict of keys and values, got {type(keys).__name__}")
        for key, value in keys.items():
            self._check_key('set', key)
            for closure in self._events['onSet']:
                closure(self, key, value)
            self._data[key] = value

    def get(self, key):
        """The value of ``key`` (None if not set since the last flush), after calling the onGet closures."""
        self._check_key('get', key)
        for closure in self._events['onGet']:
            closure(self, key)
        return self._data.get(key)

    def flush(self):
        """Calls the onFlush closures, then forgets every value."""
        for closure in self._events['onFlush']:
            closure(self)
        self._data = {}

    def close(self):
        """Calls the onClose closures, then forgets every value and every closure."""
        for closure in self._events['onClose']:
            closure(self)
        self._clear()

    def attach(self, event, closures):
        """Adds the functions of the list ``closures`` to ``event`` ('onClose', 'onFlush', 'onGet', 'onSet')."""
        if event not in self._events:
            raise ValueError(f"tnt.Log.attach: unknown event <{event}> (expected one of {', '.join(_EVENTS)})")
        if not isinstance(closures, (list, tuple)) or not all(callable(c) for c in closures):
            raise TypeError(f"tnt.Log.attach: {event}: list of functions expected, got {closures!r}")
        self._events[event].extend(closures)
