"""New nn classes made from a function autograd differentiates (torch-autograd's auto/): ``AutoModule(name)``
and ``AutoCriterion(name)`` give the class ``autograd.nn.module.<name>`` / ``autograd.nn.criterion.<name>``
(made on first use, the same class after), registered with ``legonn.register`` so that ``lg.save`` and
``lg.load`` keep their objects.

The class holds the function, as the Lua's class holds the differentiated function it made from its first
object's (Torch7 also wrote the function into the file; legonn never runs code from a file, so the loading
process names the function: ``AutoModule('AutoLinear').bind(linear)``, or constructing one object, before
``lg.load``).
"""
from .auto_criterion import AutoCriterion
from .auto_module import AutoModule

__all__ = ['AutoCriterion', 'AutoModule']
