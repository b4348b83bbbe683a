"""FireModule: SqueezeNet's squeeze-and-expand block (dpnn's FireModule.lua; Iandola et al. 2016)."""
import warnings

from ..modules.base.typed import registry
from ..modules.spatial_convolution import SpatialConvolution
from .concat import Concat
from .decorators import Decorator
from .sequential import Sequential
from ..tensor.introspection import typename as lua_typename


class FireModule(Decorator):
    """A 1x1 convolution to ``s1x1`` planes ("squeeze"), the activation, then 1x1 (``e1x1`` planes) and padded 3x3
    (``e3x3`` planes) convolutions side by side ("expand", joined along the plane axis), the activation again.

    ``FireModule(nInputPlane, s1x1, e1x1, e3x3, activation='ReLU')``, ``activation`` the name of an nn module
    built with no arguments. Input ``(batch, nInputPlane, H, W)`` (batches only, as dpnn's: the expand Concat joins
    dimension 1); output ``(batch, e1x1 + e3x3, H, W)``. ``squeeze`` and ``expand`` name the inner modules."""

    def __init__(self, nInputPlane, s1x1, e1x1, e3x3, activation='ReLU'):
        act = registry.get(activation)
        if act is None:
            raise ValueError(f"FireModule: activation must name an nn module, got {activation!r}")
        if s1x1 > e1x1 + e3x3:
            warnings.warn("FireModule: s1x1 is recommended to be smaller than e1x1 + e3x3", stacklevel=2)
        self.nInputPlane, self.s1x1, self.e1x1, self.e3x3, self.activation = nInputPlane, s1x1, e1x1, e3x3, activation
        self.squeeze = SpatialConvolution(nInputPlane, s1x1, 1, 1)
        self.expand = Concat(1)
        self.expand.add(SpatialConvolution(s1x1, e1x1, 1, 1))
        self.expand.add(SpatialConvolution(s1x1, e3x3, 3, 3, 1, 1, 1, 1))
        self.module = Sequential().add(self.squeeze).add(act()).add(self.expand).add(act())
        super().__init__(self.module)

    def __repr__(self):
        return (f"{lua_typename(self)} inputPlanes: {self.nInputPlane} -> Squeeze Planes: {self.s1x1} -> Expand: "
                f"{self.e1x1}(1x1) + {self.e3x3}(3x3), activation: {self.activation}")
