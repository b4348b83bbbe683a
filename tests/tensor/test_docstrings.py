"""help() is how Python users read an API: every public top-level function of legonn and every public
Tensor method and property has a docstring of its own (not one inherited from ``object``)."""
import inspect

import legonn as lg
from legonn.tensor.tensor import Tensor


def _own_doc(obj):
    if isinstance(obj, property):
        obj = obj.fget
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    return (getattr(obj, '__doc__', None) or '').strip()


def test_every_public_top_level_function_has_a_docstring():
    functions = [name for name in lg.__all__ if callable(getattr(lg, name)) and not inspect.isclass(getattr(lg, name))]
    assert len(functions) > 100          # the enumeration sees the tensor API
    missing = [name for name in functions if not _own_doc(getattr(lg, name))]
    assert not missing, f"legonn functions without a docstring: {missing}"


def test_every_public_tensor_method_has_a_docstring():
    members = {}
    for cls in reversed(Tensor.__mro__[:-1]):      # object's own members are not legonn's API
        members.update({k: v for k, v in vars(cls).items() if not k.startswith('_')})
    public = {name: value for name, value in members.items()
              if callable(value) or isinstance(value, (property, staticmethod, classmethod))}
    assert len(public) > 150
    missing = sorted(name for name, value in public.items() if not _own_doc(value))
    assert not missing, f"Tensor methods without a docstring: {missing}"
