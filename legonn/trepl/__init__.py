"""``require 'trepl.colors'`` and ``require 'trepl.colorize'``: the two small modules of torch/trepl that
training scripts use outside the REPL (cifar.torch's and wide-residual-networks' ``c.blue '==>'``).

``from legonn.trepl import colorize as c``; ``c.blue('==>')`` is the text between the colour's ANSI code and
the reset code, as trepl's colorize.lua builds it; ``colors.red`` is the code itself. The REPL (``th``,
readline, its pretty printer) is not ported: Python has its own.
"""
from . import colorize, colors

__all__ = ['colors', 'colorize']
