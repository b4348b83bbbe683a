"""nninit's fan in / fan out of a module and the gain a following non-linearity calls for."""
import math

from ..tensor.introspection import typename

_MATRIX_MODULES = ('nn.Linear', 'nn.LinearNoBias', 'nn.LookupTable')


def module_kind(module):
    """``(name, kind)``: the module's typename and which of nninit's families it is in, 'matrix' (Linear,
    LinearNoBias, LookupTable), 'temporal', 'spatial' or 'volumetric' (convolutions, full ones and cudnn's
    included), or None."""
    name = typename(module) or type(module).__name__
    if name in _MATRIX_MODULES:
        return name, 'matrix'
    if 'TemporalConvolution' in name:
        return name, 'temporal'
    if 'SpatialConvolution' in name or 'SpatialFullConvolution' in name:
        return name, 'spatial'
    if 'VolumetricConvolution' in name or 'VolumetricFullConvolution' in name:
        return name, 'volumetric'
    return name, None


def calcFan(module):
    """(fanIn, fanOut) of ``module`` as nninit computes them: the weight's (columns, rows) for Linear,
    LinearNoBias and LookupTable (LookupTable's fan in is its embedding size) and TemporalConvolution;
    ``nInputPlane * kW * kH`` and ``nOutputPlane * kW * kH`` for the spatial convolutions (times ``kT``
    for the volumetric ones), full convolutions and cudnn's included."""
    name, kind = module_kind(module)
    if kind in ('matrix', 'temporal'):
        return module.weight.size(1), module.weight.size(0)
    if kind == 'spatial':
        area = module.kW * module.kH
        return module.nInputPlane * area, module.nOutputPlane * area
    if kind == 'volumetric':
        volume = module.kT * module.kW * module.kH
        return module.nInputPlane * volume, module.nOutputPlane * volume
    raise ValueError(f"nninit: fan in and fan out are known for Linear, LinearNoBias, LookupTable and the "
                     f"Temporal, Spatial and Volumetric (full) convolutions, got {name}")


def calcGain(gain=None):
    """The gain for ``gain``: a number as it is; None 1; a name: 'linear' and 'sigmoid' 1, 'tanh' 5/3,
    'relu' sqrt(2), 'lrelu' sqrt(2 / (1 + leakiness^2)); a name with its parameters as a pair
    ``('lrelu', {'leakiness': 0.3})`` (Lua's ``{'lrelu', leakiness = 0.3}``)."""
    if gain is None:
        return 1
    if isinstance(gain, (int, float)) and not isinstance(gain, bool):
        return gain
    params = {}
    if isinstance(gain, (list, tuple)) and len(gain) in (1, 2) and (len(gain) == 1 or isinstance(gain[1], dict)):
        gain, params = gain[0], (gain[1] if len(gain) == 2 else {})
    if gain in ('linear', 'sigmoid'):
        return 1
    if gain == 'tanh':
        return 5 / 3
    if gain == 'relu':
        return math.sqrt(2)
    if gain == 'lrelu':
        if not isinstance(params.get('leakiness'), (int, float)):
            raise ValueError(f"nninit: gain 'lrelu' needs its leakiness, as ('lrelu', {{'leakiness': 0.3}}), "
                             f"got {params!r}")
        return math.sqrt(2 / (1 + params['leakiness'] ** 2))
    raise ValueError(f"nninit: gain must be a number, None, 'linear', 'sigmoid', 'tanh', 'relu' or "
                     f"('lrelu', {{'leakiness': x}}), got {gain!r}")
