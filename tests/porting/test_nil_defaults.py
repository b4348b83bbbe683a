"""``None`` (Lua's nil) for a defaulted constructor argument means the default, for every class in
legonn.nn: Torch7's constructors read optional arguments as ``x or default`` (e.g. torch/nn
BatchNormalization.lua ``self.eps = eps or 1e-5``), so ported code passes nil to reach a later one."""
import inspect

import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.robustness import catalog


def _state(obj):
    """What a constructor decided: every attribute, tensors by type, size and values, modules by repr."""
    out = {}
    for key, value in sorted(vars(obj).items()):
        if isinstance(value, lg.Tensor):
            out[key] = (value.type(), tuple(value.size()), np.asarray(value.array).tobytes())
        elif isinstance(value, (nn.Module, nn.Criterion)):
            out[key] = (type(value).__name__, _state(value))
        elif isinstance(value, list):
            out[key] = [(_state(v) if isinstance(v, (nn.Module, nn.Criterion)) else
                         (v.type(), tuple(v.size())) if isinstance(v, lg.Tensor) else repr(v)) for v in value]
        else:
            out[key] = repr(value)
    return out


def _recorded_call(monkeypatch, name):
    """The (args, kwargs) the catalog's example passes to ``name``'s constructor."""
    cls = nn.registry[name]
    build = catalog.CRITERIONS[name][0] if name in catalog.CRITERIONS else catalog.MODULES[name][0]
    calls = []
    original = cls.__init__

    def recorder(self, *args, **kwargs):
        if type(self) is cls and not calls:
            calls.append((args, kwargs))
        original(self, *args, **kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(cls, '__init__', recorder)
        build()
    return cls, calls[0]


def _defaulted(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return [(i, p) for i, p in enumerate(params)
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty and p.default is not None]


@pytest.mark.parametrize('name', catalog.concrete_names())
def test_none_means_the_default(monkeypatch, name):
    """Every defaulted argument the catalog's example leaves out, passed as None, builds the same object."""
    cls, (args, kwargs) = _recorded_call(monkeypatch, name)
    for position, param in _defaulted(cls):
        if position < len(args) or param.name in kwargs:
            continue
        lg.manualSeed(11)
        by_default = cls(*args, **kwargs)
        lg.manualSeed(11)
        by_nil = cls(*args, **kwargs, **{param.name: None})
        assert _state(by_nil) == _state(by_default), f"{name}({param.name}=None) differs from the default"


def test_batch_normalization_with_nils():
    """The issue's example: ``nn.BatchNormalization(m, nil, nil, false)`` (torch/nn BatchNormalization.lua)."""
    bn = nn.BatchNormalization(4, None, None, False)
    assert (bn.eps, bn.momentum, bn.affine) == (1e-5, 0.1, False)
    sbn = nn.SpatialBatchNormalization(4, None, None, False)
    assert (sbn.eps, sbn.momentum, sbn.affine) == (1e-5, 0.1, False)
    drop = nn.Dropout(None)
    assert drop.p == 0.5


def test_positional_nil_before_a_given_argument():
    """A nil in the middle of the positional arguments: torch/nn SpatialConvolution.lua ``dW or 1``."""
    conv = nn.SpatialConvolution(1, 2, 3, 3, None, None, 1, 1)
    assert (conv.dW, conv.dH, conv.padW, conv.padH) == (1, 1, 1, 1)
