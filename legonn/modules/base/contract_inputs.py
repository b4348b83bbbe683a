"""What the contract methods accept when Torch7 code calls them directly.

Torch7 programs call ``updateOutput``, ``updateGradInput``, ``accGradParameters``
and ``accUpdateGradParameters`` themselves (nngraph's README, threads'
``benchmark/threadedtrain.lua``), not only through ``forward``/``backward``. Every
class of the contract has those methods wrapped when it is defined, so they take
what ``forward`` takes: NumPy/CuPy arrays, nested lists and dicts of them are
wrapped without copying, and ``None`` (Lua's nil: a missing gradOutput, or a hole
in a table, as densecap's LocalizationLayer leaves ``grad_pos_data[2]`` unset) stays
``None``. A tensor passes through after one type check. A table of numbers becomes
a tensor, except for a module whose class sets ``keeps_numbers``: one that only
moves a table's entries about (dpnn's ReverseTable, ZipTable), which Torch7 code hands
tables of plain numbers or strings (table.md's ZipTable example), and the containers that hand their input on to their
children (Sequential, ConcatTable, ParallelTable, MapTable), so that each child
converts what it takes, as each Lua module receives the Lua table itself.
"""
import functools
import numbers

from ...tensor import Tensor, as_tensor, as_tensor_tree
from .errors import name_error

CONTRACT_METHODS = ('updateOutput', 'updateGradInput', 'accGradParameters', 'accUpdateGradParameters')


def _all_tensors(value):
    """True for a tensor, or a list (a Lua table) of tensors and such lists: nothing to convert."""
    if isinstance(value, Tensor):
        return True
    if type(value) is not list:
        return False
    # a loop, not all() over a generator: graphs and table modules ask this of a table at every call
    for v in value:
        if v is not None and not isinstance(v, Tensor) and not _all_tensors(v):
            return False
    return True


def as_input_tree(value):
    """``value`` as ``forward`` would see it; ``None`` is kept (Lua's nil), in a table too. A table already
    made of tensors (and nils) is passed on as the same list (graph and table modules hand tables on at every
    call)."""
    if value is None or _all_tensors(value):
        return value
    if _has_nil(value):
        return [as_input_tree(v) for v in value]
    return as_tensor_tree(value)


def as_forward_input(value):
    """forward's and backward's input: ``as_tensor_tree(value)`` (``None`` itself is an error there), the nil
    entries of a table kept."""
    return as_input_tree(value) if _has_nil(value) else as_tensor_tree(value)


def _has_nil(value):
    """True for a list holding ``None`` at any depth of its nested lists."""
    if type(value) is not list:
        return False
    # a loop, not any() over a generator: forward asks this of every table input
    for v in value:
        if v is None or type(v) is list and _has_nil(v):
            return True
    return False


def _numbers_kept(value):
    """``as_tensor_tree(value)`` with every table (list, tuple, dict) kept a table, and numbers and strings kept as
    they are (a Lua table's entries that are no tensors)."""
    if isinstance(value, dict):
        return {key: _numbers_kept(v) for key, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_numbers_kept(v) for v in value]
    if isinstance(value, (numbers.Number, str)):
        return value
    return as_tensor(value)


def as_module_input(module, value, convert=as_input_tree, forward=False):
    """``value`` (an input or gradOutput) as ``module`` takes it: ``convert(value)`` (``as_tensor_tree`` for
    forward's input), or, for a table given to a module that ``keeps_numbers``, the table with its numbers
    kept, as Lua hands ``{1, 2, 3, 4}`` to dpnn's ReverseTable (a table of tensors is passed on as it is).
    ``forward``: ``value`` is the input of an updateOutput (see below for what no tensor can be made of)."""
    try:
        if getattr(module, 'keeps_numbers', False) and isinstance(value, (list, tuple, dict)):
            return value if _all_tensors(value) else _numbers_kept(value)
        return convert(value)
    except (TypeError, ValueError) as err:
        # what no tensor can be made of (a string, an object): the error names the module it was handed to; a
        # container that hands its forward input on to its children passes it on as it came, so the child that
        # takes the bad entry names itself and each container its step ('Sequential[0] ParallelTable[1]
        # Linear(3 -> 4): expected ...'), as other errors read. Only a failed conversion comes here: the calls
        # that convert cost what they did.
        if forward and getattr(module, 'hands_input_on', False):
            return value
        raise name_error(module, err)


def as_grad_output(module, value):
    """A gradOutput as a container's ``backward`` hands it on: ``as_input_tree(value)`` (nil entries kept), what
    no tensor can be made of an error naming ``module``."""
    try:
        return as_input_tree(value)
    except (TypeError, ValueError) as err:
        raise name_error(module, err)


def _accepting_arrays(method, convert_second, convert_tensors):
    """``method(self, input, second, ...)`` with ``input`` and ``second`` converted first; ``second`` by
    ``convert_second(self, second)``, for a tensor too when ``convert_tensors`` (a criterion turns
    floating labels into a LongTensor). Only the outermost call converts: a ``super()`` call gets what
    its caller passed (ClassSimplexCriterion hands MSECriterion a float target, not labels)."""
    name = method.__name__

    @functools.wraps(method)
    def contract_method(self, input, *rest, **kwargs):
        if isinstance(input, Tensor) and not (rest and (convert_tensors or not isinstance(rest[0], Tensor))):
            # nothing to convert (tensors as a graph or container passes them on): the call as it came, without
            # first asking whether this is the outermost call
            return method(self, input, *rest, **kwargs)
        if getattr(type(self), name) is not contract_method:
            return method(self, input, *rest, **kwargs)
        if not isinstance(input, Tensor):
            # as_module_input's test inline: this runs on every call of every module with a table input
            if getattr(self, 'keeps_numbers', False):
                input = as_module_input(self, input)
            else:
                try:
                    input = as_input_tree(input)
                except (TypeError, ValueError) as err:
                    raise name_error(self, err)
        if rest and (convert_tensors or not isinstance(rest[0], Tensor)):
            rest = (convert_second(self, rest[0]),) + rest[1:]
        return method(self, input, *rest, **kwargs)
    contract_method.accepts_arrays = True
    return contract_method


def accept_arrays(cls, names, convert_second, convert_tensors=False):
    """Wrap the methods ``names`` that ``cls`` itself defines (inherited ones are wrapped already)."""
    for name in names:
        method = cls.__dict__.get(name)
        if callable(method) and not getattr(method, 'accepts_arrays', False):
            setattr(cls, name, _accepting_arrays(method, convert_second, convert_tensors))
