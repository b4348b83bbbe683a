"""trepl's colorize.lua: a function per colour of ``colors`` (``blue``, ``Red``, ``_green``, ...) that returns
its text between the colour's code and the reset code: ``c.blue('==>') + ' configuring model'``."""
import numbers

from .colors import CODES, table_attributes


def _painter(name):
    def paint(txt):
        # Lua's `..` takes strings and numbers (a number as tostring writes it) and refuses anything else
        if isinstance(txt, numbers.Real) and not isinstance(txt, bool):
            txt = str(txt) if isinstance(txt, numbers.Integral) else '%.14g' % txt
        elif not isinstance(txt, str):
            raise TypeError(f"trepl.colorize.{name}: expected a string or a number, got {type(txt).__name__}")
        return CODES[name] + txt + CODES['none']
    paint.__name__ = paint.__qualname__ = name
    paint.__doc__ = f"``txt`` in trepl's colour {name!r}, then the reset code."
    return paint


_PAINTERS = {name: _painter(name) for name in CODES}


__getattr__, __dir__ = table_attributes('trepl.colorize', _PAINTERS, globals())
