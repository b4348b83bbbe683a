"""``require 'xlua'``: torch/xlua's helpers Torch7 scripts call.

``xlua.progress(t, n)`` (the batch loop's bar; ``t`` 0-based), ``xlua.print``, ``xlua.require('cunn')``
(the module, or False with a warning), ``xlua.unpack``/``unpack_class`` (named or ordered arguments
checked against their definitions), ``xlua.usage``, ``xlua.OptionParser``, ``xlua.Profiler``,
``xlua.error``, ``xlua.formatTime``, ``xlua.table2string``, ``xlua.envparams``, ``xlua.trycatch``,
``xlua.installed``, ``xlua.log``, ``xlua.clear``, ``xlua.who``.

Not provided: ``xlua.clearall`` (it deletes every global name the script made, which in Python are its
imports and functions too: ``del`` the names), ``xlua.usage_module`` (it registers a ``__tostring`` on a Lua
table; Python modules print their own way), ``Profiler.displayAll`` (draws on a Qt painter); the globals
``xprint``, ``xerror``, ``xrequire`` (use ``xlua.print`` ...); and what xlua adds to Lua's own tables, for
which Python has its own: ``table.splice`` (``del t[i:j]``), ``table.prune`` (``set``/``dict``),
``string.split`` (legonn.sys's ``split``, the same function over a Python regex: ``str.split`` keeps the
empty pieces xlua drops, docs/porting.md), ``string.tosymbol`` (attribute look-up).
"""
from .arguments import envparams, unpack, unpack_class, usage
from .options import OptionParser
from .printing import error, formatTime, print, table2string
from .profiler import Profiler
from .progress_bar import progress
from .session import clear, installed, log, require, trycatch, who

__all__ = ['OptionParser', 'Profiler', 'clear', 'envparams', 'error', 'formatTime', 'installed', 'log', 'print',
           'progress', 'require', 'table2string', 'trycatch', 'unpack', 'unpack_class', 'usage', 'who']
