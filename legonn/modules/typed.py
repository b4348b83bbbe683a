"""Typed: what modules and criterions share: a tensor type, conversion of every
tensor they hold (keeping views shared), deep copies, and the class registry."""
import copy

from ..tensor import default_class
from ..tensor.conversion import convert_tree
from ..tensor.naming import TorchNamed
from ..tensor.types import full_name

# every Module/Criterion class by name: the nn namespace and safe loading draw on it
registry = {}


class Typed(TorchNamed):
    converts_with_cache = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__name__.startswith('_'):
            registry[cls.__name__] = cls

    def __init__(self):
        self._type = default_class()._typename

    def type(self, typename=None, cache=None):
        """Without argument: the tensor type. With one: convert every tensor held (and sub-modules)."""
        if typename is None:
            return self._type
        cache = {} if cache is None else cache
        for key, value in list(self.__dict__.items()):
            self.__dict__[key] = convert_tree(value, typename, cache)
        self._type = full_name(typename)
        return self

    def float(self):
        return self.type('legonn.FloatTensor')

    def double(self):
        return self.type('legonn.DoubleTensor')

    def half(self):
        return self.type('legonn.HalfTensor')

    def cuda(self):
        """Move every tensor to the GPU (CuPy), keeping the element type."""
        current = self.type().replace('legonn.', '').replace('Cuda', '')
        return self.type('legonn.Cuda' + current.replace('FloatTensor', 'Tensor'))

    def cpu(self):
        return self.type(self.type().replace('legonn.Cuda', 'legonn.').replace('legonn.Tensor', 'legonn.FloatTensor'))

    def clone(self):
        return copy.deepcopy(self)
