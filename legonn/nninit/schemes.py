"""nninit's structured initialisers: identity (``eye``), the fan-scaled draws (``xavier``, ``kaiming``) and
``orthogonal``. Each takes ``(module, tensor, ...)``, changes ``tensor`` in place and returns ``module``."""
import math

from ..modules.base.lua_arguments import options_table
from ..tensor import DoubleTensor, eye as eye_matrix, svd
from .scales import calcFan, calcGain, module_kind

_DISTS = ('uniform', 'normal')


def _options(name, options, named, allowed):
    """nninit's option table: a dict (Lua's table) and/or keywords, checked against ``allowed``."""
    return options_table(f"nninit.{name}", 'options', options, named, allowed, "{'gain': 'relu'}")


def _fill_scaled(name, tensor, stdv, dist):
    """Fill ``tensor`` with zero-mean draws of standard deviation ``stdv``: uniform on [-b, b], b = stdv sqrt(3),
    or normal."""
    if dist == 'uniform':
        bound = stdv * math.sqrt(3)
        tensor.uniform(-bound, bound)
    elif dist == 'normal':
        tensor.normal(0, stdv)
    else:
        raise ValueError(f"nninit.{name}: dist must be 'uniform' or 'normal', got {dist!r}")


def eye(module, tensor):
    """The module's ``weight`` as an identity: ``eye(rows, columns)`` for Linear, LinearNoBias and LookupTable;
    for a TemporalConvolution, 1/inputFrameSize in column ``i kW + ceil(kW / 2) - 1`` of every row, i over
    the input frame size; for the spatial (volumetric) convolutions, the weight viewed as
    ``(nInputPlane, nOutputPlane, kW, kH[, ...])`` gets 1/nInputPlane at the kernel centre
    ``ceil(k / 2) - 1`` of every plane pair and 0 elsewhere (nninit's view, whatever the weight's layout)."""
    if tensor is not module.weight:
        raise ValueError(f"nninit.eye: only the module's 'weight' tensor can be set to an identity, got another "
                         f"tensor of {module.shortName()}")
    name, kind = module_kind(module)
    if kind == 'matrix':
        tensor.copy(eye_matrix(tensor.size(0), tensor.size(1)))
    elif kind == 'temporal':
        tensor.zero()
        for i in range(module.inputFrameSize):
            tensor.select(1, i * module.kW + math.ceil(module.kW / 2) - 1).fill(1 / module.inputFrameSize)
    elif kind == 'spatial':
        view = tensor.zero().view(module.nInputPlane, module.nOutputPlane, module.kW, module.kH)
        view[:, :, math.ceil(module.kW / 2) - 1, math.ceil(module.kH / 2) - 1].fill(1 / module.nInputPlane)
    elif kind == 'volumetric':
        view = tensor.zero().view(module.nInputPlane, module.nOutputPlane, module.kT, module.kW, module.kH)
        centre = tuple(math.ceil(k / 2) - 1 for k in (module.kT, module.kW, module.kH))
        view[(slice(None), slice(None)) + centre].fill(1 / module.nInputPlane)
    else:
        raise ValueError(f"nninit.eye: identities are known for Linear, LinearNoBias, LookupTable and the "
                         f"Temporal, Spatial and Volumetric (full) convolutions, got {name}")
    return module


def xavier(module, tensor, options=None, **named):
    """Glorot's scheme: zero-mean draws of standard deviation ``gain * sqrt(2 / (fanIn + fanOut))``,
    uniform unless ``dist='normal'``. Options (a dict or keywords): ``dist``, ``gain`` (see ``calcGain``)."""
    options = _options('xavier', options, named, ('dist', 'gain'))
    fan_in, fan_out = calcFan(module)
    stdv = calcGain(options.get('gain')) * math.sqrt(2 / (fan_in + fan_out))
    _fill_scaled('xavier', tensor, stdv, options.get('dist') or 'uniform')
    return module


def kaiming(module, tensor, options=None, **named):
    """He's scheme: zero-mean draws of standard deviation ``gain * sqrt(1 / fanIn)``, normal unless
    ``dist='uniform'``. Options (a dict or keywords): ``dist``, ``gain`` (ReLU's sqrt(2) only when
    ``gain='relu'`` is given, as in nninit)."""
    options = _options('kaiming', options, named, ('dist', 'gain'))
    fan_in = calcFan(module)[0]
    stdv = calcGain(options.get('gain')) * math.sqrt(1 / fan_in)
    _fill_scaled('kaiming', tensor, stdv, options.get('dist') or 'normal')
    return module


def orthogonal(module, tensor, options=None, **named):
    """A random orthogonal matrix times ``gain``, for a tensor of 2 or more dimensions seen as fanOut (its size 0)
    x fanIn (the product of the others): the SVD ``U S V'`` of a standard-normal fanOut x fanIn matrix (in
    double precision) gives ``U`` when fanOut > fanIn; otherwise nninit takes the first fanOut rows of ``V``
    (fanIn x fanOut) and resizes them to the tensor's sizes, which keeps V's storage in row order: the
    result is V's elements row by row, orthogonal only when fanOut == fanIn. This port does the same."""
    options = _options('orthogonal', options, named, ('gain',))
    if tensor.dim() < 2:
        raise ValueError(f"nninit.orthogonal: the tensor must have 2 or more dimensions, got {tensor.dim()}")
    sizes = tensor.size()
    fan_out, fan_in = sizes[0], math.prod(sizes[1:])
    u, _, v = svd(DoubleTensor(fan_out, fan_in).normal(0, 1), 'S')
    w = u if fan_out > fan_in else v.narrow(0, 0, fan_out)
    w.resize(*sizes)
    tensor.copy(w.mul(calcGain(options.get('gain'))))
    return module
