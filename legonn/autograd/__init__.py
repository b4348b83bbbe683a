"""legonn.autograd: twitter's torch-autograd on legonn. ``df = autograd(f)`` (or ``autograd.grad(f, opt)``) is the
gradient of ``f(params, *args)`` with respect to ``params`` (a tensor, a number, or nested dicts/lists of them):
``grads, loss, *others = df(params, *args)``, ``grads`` mirroring ``params``. Inside ``f`` the user calls legonn
as Torch7 users called torch (``lg.sum``, ``lg.cmul``, ``lg.mm``, ``x.view(...)``, ``+ - * / @``); while a trace
runs those names are the runtime's (``legonn.autograd.overload``). docs/autograd.md is the guide.
"""
import importlib
import sys
import types

from . import overload, util
from .runtime import direct as _direct
from . import gradfuns  # noqa: F401  (registers what each legonn function is to a trace)

__all__ = ['grad', 'optimize', 'optimizing', 'protected', 'profile', 'overload', 'util']

VERSION = '0.1'
LICENSE = 'Apache 2.0'

_defaults = {'optimize': False, 'protected': False}


def optimize(flag):
    """The default of grad()'s ``optimize`` option (the generated-code runtime) from now on."""
    _defaults['optimize'] = bool(flag)


def optimizing():
    return _defaults['optimize']


def protected(flag):
    """The default of grad()'s ``protected`` option from now on."""
    _defaults['protected'] = bool(flag)


profile = types.SimpleNamespace(SUMMARY='summary', DETAILED='detailed', OFF='off')

# main.lua's options and codegen's signatureFn; the Lua ignored any other key, here a misspelt one is an error
_OPTIONS = ('optimize', 'gradArg', 'withForward', 'withGradients', 'partialGrad', 'protected', 'profile',
            'profileReportFrequency', 'showCode', 'dotFile', 'stableGradients', 'reduceFootprint', 'debugHook',
            'signatureFn')


def grad(fn, opt=None, **options):
    """``df``, the gradient of ``fn`` with respect to its argument ``gradArg`` (0-based, default 0), with main.lua's
    options, given as a dict or as keywords: ``optimize`` (default: ``autograd.optimizing()``), ``protected``,
    ``withForward``, ``withGradients`` (both default True), ``partialGrad``, ``profile`` (``'off'``, ``'summary'``,
    ``'detailed'``), ``profileReportFrequency`` (10), ``showCode``, ``dotFile``, ``stableGradients``,
    ``reduceFootprint``, ``debugHook``, ``signatureFn`` (the optimized mode's cache key of the arguments)."""
    opt = dict(opt or {}, **options)
    unknown = sorted(set(opt) - set(_OPTIONS))
    if unknown:
        raise TypeError(f"autograd.grad: unknown option(s) {unknown}; the options are {list(_OPTIONS)}")
    opt['argnum'] = opt.get('gradArg') or 0
    opt['optimize'] = util.defaultBool(opt.get('optimize'), _defaults['optimize'])
    opt['protected'] = util.defaultBool(opt.get('protected'), _defaults['protected'])
    for key, default in (('reduceFootprint', False), ('withForward', True), ('withGradients', True),
                         ('showCode', False), ('partialGrad', False)):
        opt[key] = util.defaultBool(opt.get(key), default)
    opt['dotFile'] = opt.get('dotFile')
    opt['profile'] = opt.get('profile') or profile.OFF
    if opt['profile'] not in (profile.OFF, profile.SUMMARY, profile.DETAILED):
        raise ValueError(f"autograd.grad: profile must be 'off', 'summary' or 'detailed', got {opt['profile']!r}")
    opt['profileReportFrequency'] = opt.get('profileReportFrequency') or 10
    if opt['optimize']:
        if opt['profile'] == profile.DETAILED:
            raise ValueError("detailed profile not available in optimized mode")
        return importlib.import_module(f'{__name__}.runtime.codegen').create(fn, opt)
    if opt.get('stableGradients'):
        raise ValueError("stable gradient tensors only available in optimized mode")
    return _direct.create(fn, opt)


# the parts the nn side of the package provides (nnwrapper, autograd.nn, model, loss, optim, ...) load on first use
_LAZY = {'nnwrapper': 'nnwrapper', 'auto': 'auto', 'model': 'model', 'module': 'module', 'loss': 'loss',
         'optim': 'optim', 'gradcheck': 'gradcheck', 'support': 'support', 'runtime': 'runtime'}


class _Package(types.ModuleType):
    """The package is callable as the Lua table is: ``autograd(f, opt)`` is ``autograd.grad(f, opt)``."""

    def __call__(self, fn, opt=None, **options):
        return grad(fn, opt, **options)


def __getattr__(name):
    if name in _LAZY:
        return importlib.import_module(f'{__name__}.{_LAZY[name]}')
    if name == 'functionalize':
        return importlib.import_module(f'{__name__}.nnwrapper').functionalize
    if name == 'nn':     # nn's modules as functions, made once (init.lua: autograd.functionalize('nn'))
        globals()['nn'] = importlib.import_module(f'{__name__}.nnwrapper').functionalize('nn')
        return globals()['nn']
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


sys.modules[__name__].__class__ = _Package
