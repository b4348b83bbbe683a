"""Floating-point exceptions are silent in legonn's arithmetic, as in Torch7 and on the GPU.

TH computes in C, where ``log(0)`` is -inf and ``0/0`` NaN without a word, and CuPy never warns either. NumPy
prints a RuntimeWarning ("divide by zero encountered in log") for the same IEEE results, so a ported Torch7
program printed warnings its Lua never did, and only on the CPU. The filter below covers only the four
floating-point messages NumPy raises from legonn's own modules: a user's NumPy code keeps its warnings, and
a user who chose warning filters (``-W``, ``PYTHONWARNINGS``) keeps that choice. Modules still check what
they can (DESIGN.md's errors-say-where), and ``lg.debug.watch`` finds the first non-finite value.
"""
import sys
import warnings

IEEE_MESSAGES = r'(divide by zero|invalid value|overflow|underflow) encountered'


def silence_float_warnings():
    """Ignore NumPy's floating-point RuntimeWarnings raised from legonn's modules, unless warning filters
    were given on the command line or in the environment."""
    if not sys.warnoptions:
        warnings.filterwarnings('ignore', message=IEEE_MESSAGES, category=RuntimeWarning, module=r'legonn\.')
