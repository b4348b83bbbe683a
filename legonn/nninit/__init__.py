"""``require 'nninit'``: Kaixhin's nninit, parameter initialisation schemes for nn modules.

``nn.Linear(10, 20).init('weight', nninit.kaiming, {'dist': 'uniform', 'gain': ('lrelu', {'leakiness': 0.3})})``
chains as in Lua: ``Module.init`` (legonn.modules.base.training) finds the tensor and calls the initialiser,
which changes it in place and returns the module. Every initialiser takes ``(module, tensor, ...)``; the
option tables of ``xavier``, ``kaiming`` and ``orthogonal`` are a dict or keywords. Fan in and fan out
are nninit's: the module's weight sizes for Linear, LinearNoBias and LookupTable, its plane counts and
kernel sizes for the Temporal/Spatial/Volumetric (full) convolutions.

Not provided: ``convolutionAware``, which needs the torch-signal rock's Fourier transforms.
"""
from .fills import addConstant, addNormal, addUniform, constant, copy, mulConstant, normal, sparse, uniform
from .scales import calcFan, calcGain
from .schemes import eye, kaiming, orthogonal, xavier

__all__ = ['copy', 'constant', 'addConstant', 'mulConstant', 'normal', 'addNormal', 'uniform', 'addUniform',
           'eye', 'xavier', 'kaiming', 'orthogonal', 'sparse', 'calcFan', 'calcGain']
