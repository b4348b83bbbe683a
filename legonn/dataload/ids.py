"""utils.lua's names for experiments: ``hostname`` and ``uniqueid`` (rnn's examples name their runs
``'ptb:' .. dl.uniqueid()``)."""
import itertools
import socket
import time

_counter = itertools.count(1)


def hostname():
    """This machine's host name (``'localhost'`` when it has none)."""
    return socket.gethostname() or 'localhost'


def uniqueid(namespace=None, separator=':'):
    """``namespace:seconds:n``: ``namespace`` (default: the host name), the time in whole seconds since the
    epoch and a counter this process increments at each call (1 first), joined by ``separator``."""
    namespace = hostname() if namespace is None else namespace
    return f'{namespace}{separator}{int(time.time())}{separator}{next(_counter)}'
