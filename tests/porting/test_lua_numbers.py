"""Lua has one number type: a size read from a tensor or computed with ``/`` is a float in Python
(16.0) and the same value as 16 in Torch7, so every constructor takes a whole-number float as the
integer (wide-residual-networks builds ``nn.SpatialConvolution(3, nStages[1], 3, 3, ...)`` from
``nStages = torch.Tensor{16, ...}``; torch/nn SpatialConvolution.lua passes it to THNN as an int)."""
import pytest

import legonn as lg
from legonn import nn
from tests.porting.test_nil_defaults import _recorded_call, _state
from tests.robustness import catalog


def _as_floats(value):
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


@pytest.mark.parametrize('name', catalog.concrete_names())
def test_whole_number_floats_build_the_same_object(monkeypatch, name):
    """The catalog's example with each integer argument given as a float builds the same object."""
    cls, (args, kwargs) = _recorded_call(monkeypatch, name)
    lg.manualSeed(5)
    with_ints = cls(*args, **kwargs)
    lg.manualSeed(5)
    with_floats = cls(*[_as_floats(a) for a in args], **{k: _as_floats(v) for k, v in kwargs.items()})
    ignored = ('id',)   # nn.NaN numbers its instances
    assert {k: v for k, v in _state(with_floats).items() if k not in ignored} == \
        {k: v for k, v in _state(with_ints).items() if k not in ignored}


def test_sizes_read_from_a_tensor():
    """The wide-resnet idiom: the stage widths live in a (floating) tensor and feed the constructors;
    the model runs forward and backward as if built from integers."""
    n_stages = lg.Tensor([16, 32])
    model = (nn.Sequential()
             .add(nn.SpatialConvolution(3, n_stages[0], 3, 3, 1, 1, 1, 1))
             .add(nn.SpatialBatchNormalization(n_stages[0]))
             .add(nn.SpatialAveragePooling(n_stages[0] / 2, n_stages[0] / 2, 1, 1))
             .add(nn.View(n_stages[0]).setNumInputDims(3))
             .add(nn.Linear(n_stages[0], n_stages[1])))
    conv = model.get(0)
    assert (conv.nOutputPlane, type(conv.nOutputPlane)) == (16, int)
    x = lg.randn(2, 3, 8, 8)
    assert model.forward(x).size() == (2, 32)
    assert model.backward(x, lg.randn(2, 32)).size() == (2, 3, 8, 8)


def test_non_integral_sizes_are_still_refused():
    """Torch7 would truncate 16.5 to 16 when THNN reads an int; legonn names the mistake instead."""
    with pytest.raises(ValueError, match='nOutputPlane must be a positive integer, got 16.5'):
        nn.SpatialConvolution(3, 16.5, 3, 3)
