"""``require 'dok'``: torch/dok's argument helpers, which packages of the Torch7 distribution's era call in
their constructors (eladhoffer/eladtools' Optimizer, eladhoffer/DataProvider.torch's Container:
``local args = dok.unpack({...}, 'Optimizer', 'help', {arg='Model', type='table', req=true}, ...)``).

``dok.unpack`` and ``dok.usage`` are xlua's ``unpack`` and ``usage``: dok/inline.lua's functions of the
same name (lines 578-731) are the ones xlua.lua copied, with the same definitions, defaults (``default``,
``defaulta``), 0-based positions in ``dargs`` here, the usage text and the error for a missing ``req``
argument. ``dok.error(message, domain)`` raises ``<domain> message`` in dok's error colour (inline.lua
line 733). Not provided: dok's documentation browser (``dok.help``, ``dok.browse``, ``dok.refresh``, the
markdown/html renderers), which read the installed packages' Lua doc files."""
from .xlua import unpack, usage
from .xlua import error as _xlua_error

__all__ = ['error', 'unpack', 'usage']


def error(message, domain=None):
    """Raise a RuntimeError of ``message`` (after ``<domain> `` when given) in bold red, as dok.error."""
    _xlua_error(message, domain)
