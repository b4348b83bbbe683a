"""Decorators: containers of one module that pass calls through, adding a
behaviour (type pinning, NaN checks, timing, weight normalisation)."""
import time

import numpy as np

from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..modules.base.zero_rows import first_tensor
from ..tensor import tensor_class
from ..tensor.types import full_name
from ..tensor.introspection import typename as lua_typename
from .container import Container
from ..tensor.reductions import reducer


class Decorator(Container):
    """Wraps ``module``: output, gradients and parameters are the module's."""

    def __init__(self, module):
        super().__init__()
        if not isinstance(module, Module):   # checked before add, whose error message would need the module's repr
            raise TypeError(f"{type(self).__name__}: expected an nn module to decorate, got {type(module).__name__}")
        self.add(module)

    def updateOutput(self, input):
        self.output = self.run_child(0, 'updateOutput', input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.gradInput = self.run_child(0, 'updateGradInput', input, gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.run_child(0, 'accGradParameters', input, gradOutput, scale)

    def __repr__(self):
        return f'{lua_typename(self)} @ ' + repr(self.modules[0])


def _tree_type(tree):
    """The type of the first tensor in a tree (None if it holds none)."""
    first = first_tensor(tree)
    return None if first is None else first.type()


def _cast_tree(old, source, typename):
    """``source`` copied into tensors of ``typename``, reusing ``old``'s where they fit."""
    if isinstance(source, list):
        old = old if isinstance(old, list) else []
        return [_cast_tree(old[i] if i < len(old) else None, s, typename) for i, s in enumerate(source)]
    cls = tensor_class(typename)
    buf = old if type(old) is cls else cls()
    return buf.resize(source.size()).copy(source)


class DontCast(Decorator):
    """Keeps ``module`` at its own type when the network is converted (``type()``, ``cuda()``, ``float()``).

    With ``castin`` inputs are copied to the module's type before the call; with ``castout`` (default:
    ``castin``) outputs are copied back to the network's type (the default tensor type until ``type()``
    sets another), and gradients likewise the other way. ``moduleType`` defaults to the module's current type.
    """
    input_dtypes = 'any'  # converts between types and devices
    any_device = True

    def __init__(self, module, castin=False, castout=None, moduleType=None):
        super().__init__(module)
        self.castin = castin
        self.castout = castin if castout is None else castout
        self.moduleType = full_name(moduleType) if moduleType is not None else module.type()
        # the network's side starts at the type this decorator's own output was built with (the default
        # type), as DontCast.lua casts to the type of its self.output and self.gradInput
        self._outerType = self.output.type()

    def type(self, typename=None, cache=None):
        if typename is None:
            return self._outerType
        self._outerType = full_name(typename)
        return self

    def _inward(self, name, x):
        if self.castin and _tree_type(x) not in (None, self.moduleType):
            setattr(self, name, _cast_tree(self.__dict__.get(name), x, self.moduleType))
            return self.__dict__[name]
        return x

    def _grad_inward(self, gradOutput):
        if self.castout and _tree_type(gradOutput) not in (None, self.moduleType):
            self._gradOutput = _cast_tree(self.__dict__.get('_gradOutput'), gradOutput, self.moduleType)
            return self._gradOutput
        return gradOutput

    def _outward(self, old, x):
        return _cast_tree(old, x, self._outerType) if _tree_type(x) not in (None, self._outerType) else x

    def updateOutput(self, input):
        out = self.run_child(0, 'updateOutput', self._inward('_input', input))
        self.output = self._outward(self.output, out) if self.castout else out
        return self.output

    def updateGradInput(self, input, gradOutput):
        grad = self.run_child(0, 'updateGradInput', self._inward('_input', input), self._grad_inward(gradOutput))
        self.gradInput = self._outward(self.gradInput, grad) if self.castin else grad
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self.run_child(0, 'accGradParameters', self._inward('_input', input), self._grad_inward(gradOutput),
                       scale)

    def clearState(self):
        return super().clearState('_input', '_gradOutput')


# NaN.lua's idseq: the ids NaN.newId hands out, one sequence for the process
_idseq = 0


def _is_nan(tree):
    """NaN.lua's recursiveIsNaN: whether the sum of some tensor of ``tree`` is NaN (a NaN in it, or both
    infinities)."""
    if isinstance(tree, list):
        return any(_is_nan(v) for v in tree)
    if tree.dtype.kind != 'f':
        return False
    with np.errstate(invalid='ignore'):   # inf + -inf: the NaN looked for, not a warning to print
        return bool(tree.xp.isnan(tree.array.sum()))


class NaN(Decorator):
    """Raises ValueError, naming the wrapped module, as soon as a NaN appears in its output, gradInput
    or parameter gradients; the message is NaN.lua's, saying whether the input, gradOutput or parameters
    already held one. ``NaN(module, id=None)``: without ``id`` the instance takes ``NaN.newId()``."""

    @staticmethod
    def newId():
        """The next id of the process's sequence (1, 2, ...), as NaN.lua's ``NaN.newId()``."""
        global _idseq
        _idseq += 1
        return _idseq

    def __init__(self, module, id=None):
        super().__init__(module)
        self.id = NaN.newId() if id is None else id

    def _found(self, checked, where):
        # NaN.lua's error text, as what came where a legonn error says what it expected
        return input_error(self, f"no NaN in the {checked}", f"NaN found in {where} of module :\n{self!r}")

    def updateOutput(self, input):
        out = super().updateOutput(input)
        if _is_nan(out):
            if _is_nan(input):
                raise self._found('output', 'input')
            if _is_nan(self.parameters()[0]):
                raise self._found('output', 'parameters')
            raise self._found('output', 'output')
        return out

    def updateGradInput(self, input, gradOutput):
        grad = super().updateGradInput(input, gradOutput)
        if _is_nan(grad):
            raise self._found('gradInput', 'gradOutput' if _is_nan(gradOutput) else 'gradInput')
        return grad

    def accGradParameters(self, input, gradOutput, scale=1):
        super().accGradParameters(input, gradOutput, scale)
        if _is_nan(self.parameters()[1]):
            raise self._found('parameter gradients', 'gradParameters')

    def __repr__(self):
        return f'{lua_typename(self)}({self.id}) @ ' + repr(self.modules[0])


class Profile(Decorator):
    """Times the wrapped module's forward and backward passes and prints the total every
    ``print_interval`` calls; ``summedFwdTime``/``summedBwdTime`` hold the running sums (seconds)."""

    def __init__(self, module, print_interval=100, name=None):
        super().__init__(module)
        self.print_interval = print_interval
        self.name = name or lua_typename(module)   # Profile.lua's torch.type(module): 'nn.Linear'
        self.numFwds = self.numBwds = 0
        self.summedFwdTime = self.summedBwdTime = 0.0

    def _report(self, kind, count, total):
        if count % self.print_interval == 0:
            print(f"{self.name} took {total:.3f} seconds for {self.print_interval} {kind} passes")
            return 0, 0.0
        return count, total

    def updateOutput(self, input):
        start = time.perf_counter()
        out = super().updateOutput(input)
        self.numFwds, self.summedFwdTime = self._report('forward', self.numFwds + 1,
                                                        self.summedFwdTime + time.perf_counter() - start)
        return out

    def updateGradInput(self, input, gradOutput):
        start = time.perf_counter()
        grad = super().updateGradInput(input, gradOutput)
        self.numBwds, self.summedBwdTime = self._report('backward', self.numBwds + 1,
                                                        self.summedBwdTime + time.perf_counter() - start)
        return grad


class WeightNorm(Decorator):
    """Weight normalisation (Salimans & Kingma): the wrapped module's weight is ``g * v / |v|``, the norm
    taken over every dimension but ``outputDim`` (0-based, default 0). Its parameters become ``v``, ``g``
    (and the module's bias); ``v`` starts as the module's weight and ``g`` as its norm, so wrapping does not
    change what the module computes. In evaluation mode the weight is frozen at its last value.
    """
    eps = 1e-4  # inside the square root, as Torch7

    def __init__(self, module, outputDim=0):
        super().__init__(module)
        weight = getattr(module, 'weight', None)
        if weight is None or not hasattr(weight, 'array'):
            raise ValueError(f"WeightNorm: the module must have a weight tensor, {module.shortName()} has none")
        self.outputDim = outputDim + weight.dim() if outputDim < 0 else outputDim
        rows = weight.size(self.outputDim)
        self.v = weight.new(rows, weight.nElement() // rows)
        self.v.array[...] = self._rows(weight.array, weight.xp)
        self.g = weight.new(rows)
        self.g.array[...] = self._norm()[:, 0]
        self.gradV = weight.new(rows, weight.nElement() // rows)
        self.gradG = weight.new(rows)

    def _rows(self, arr, xp):
        """A weight-shaped array as (rows, rest), rows along outputDim."""
        return xp.moveaxis(arr, self.outputDim, 0).reshape(arr.shape[self.outputDim], -1)

    def _norm(self):
        xp = self.v.xp
        return xp.sqrt((self.v.array ** 2).sum(axis=1, keepdims=True) + self.eps)

    def _gains(self):
        """g as a column. Torch7's resetInit (WeightNorm.lua:79) and fairseq's fconv_model.lua (makeLinear)
        write ``g:norm(v, 2, 2)``, which resizes g to (rows, 1); WeightNorm.lua reads g by its element count
        (``_scale:copy(g)``, line 97), so either shape holds the same gains."""
        return self.g.array.reshape(-1, 1)

    def updateWeight(self):
        """Write g * v / |v| into the wrapped module's weight."""
        weight = self.modules[0].weight
        xp = weight.xp
        rows = self._gains() * self.v.array / self._norm()
        shape = list(weight.size())
        shape.insert(0, shape.pop(self.outputDim))
        weight.array[...] = xp.moveaxis(rows.reshape(shape), 0, self.outputDim)

    def parameters(self):
        if self.gradG.size() != self.g.size():
            # g resized to (rows, 1) by ``g:norm(v, 2, 2)`` (see _gains): its gradient takes the same shape, in place
            self.gradG.resize(*self.g.size())
        bias, grad_bias = getattr(self.modules[0], 'bias', None), getattr(self.modules[0], 'gradBias', None)
        if bias is not None:
            return [self.v, self.g, bias], [self.gradV, self.gradG, grad_bias]
        return [self.v, self.g], [self.gradV, self.gradG]

    def updateOutput(self, input):
        if self.train:
            self.updateWeight()
        return super().updateOutput(input)

    def accGradParameters(self, input, gradOutput, scale=1):
        module = self.modules[0]
        # the module's gradWeight is scratch space: this call's weight gradient, mapped onto v and g
        module.gradWeight.zero()
        super().accGradParameters(input, gradOutput, scale)
        gw = self._rows(module.gradWeight.array, self.v.xp)
        norm = self._norm()
        dg = reducer(self.v.xp, 'sum')(gw * self.v.array, axis=1, keepdims=True) / norm
        dv = self._gains() / norm * (gw - dg * self.v.array / norm)
        # both computed before either is added: accUpdateGradParameters adds into g and v themselves
        self.gradG.array += dg.reshape(self.gradG.array.shape)
        self.gradV.array += dv

    # v, g and the module's bias step themselves (Module's swap), not the wrapped module (a container's pass-on):
    # the weight is computed from v and g, so the module's own update would not last
    accUpdateGradParameters = Module.accUpdateGradParameters

    def accUpdatePairs(self):
        return ((self, 'gradV', 'v'), (self, 'gradG', 'g'), (self.modules[0], 'gradBias', 'bias'))

    def zeroGradParameters(self):
        for g in self.parameters()[1]:
            g.zero()

    def updateParameters(self, learningRate):
        for p, g in zip(*self.parameters()):
            p.add(-learningRate, g)

    def evaluate(self):
        if self.train:
            self.updateWeight()
        return super().evaluate()

    def __repr__(self):
        return lua_typename(self) + ' @ ' + repr(self.modules[0])
