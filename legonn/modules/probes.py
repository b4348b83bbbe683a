"""nnx's tools that watch a network without changing what flows through it: Probe (nnx's Probe.lua), Tic and
Toc (nnx's Tic.lua and Toc.lua)."""
from ..tensor import Tensor
from ..tensor.timer import Timer
from ..tensor.introspection import tostring, typename as lua_typename
from .base.errors import input_error
from .base.module import Module

# the Lua files' globals: nn._ProbeTimer / nn._ProbeLast, and tic_modules (a Timer per Tic name)
_probe_clock = {'timer': None, 'last': 0.0}
tic_modules = {}


class _PassThrough(Module, abstract=True):
    """output = input, gradInput = gradOutput (the same objects)."""

    input_dtypes = 'any'

    def updateOutput(self, input):
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        if isinstance(input, Tensor):
            self.checkGradOutput(gradOutput, input)
        self.gradInput = gradOutput
        return self.gradInput


class Probe(_PassThrough):
    """``Probe(name='unnamed', display=False)``: passes the input (and gradOutput) on unchanged and prints its
    size, mean, std, min, max and the milliseconds since the last probe printed, as the Lua file. ``display``
    (the Lua file's image.display window) is refused: legonn has no window system."""

    def __init__(self, name='unnamed', display=False):
        super().__init__()
        if display:
            raise ValueError("Probe: display needs image.display's window, which legonn does not have; "
                             "expected display=False, got True")
        self.name, self.display = str(name), False
        if _probe_clock['timer'] is None:
            _probe_clock['timer'] = Timer()

    def _report(self, legend, tensor):
        if not isinstance(tensor, Tensor) or tensor.dtype.kind not in 'iuf' or tensor.nElement() == 0:
            raise input_error(self, "a non-empty numeric tensor", getattr(tensor, 'type', lambda: tensor)(),
                              TypeError)
        now = _probe_clock['timer'].time()['real']
        diff, _probe_clock['last'] = now - _probe_clock['last'], now
        print('')
        print(legend)
        print('  + size = ' + 'x'.join(str(s) for s in tensor.size()))
        for stat in ('mean', 'std', 'min', 'max'):
            print(f"  + {stat} = {tostring(float(getattr(tensor.double(), stat)()))}")
        print(f"  + time since last probe = {diff * 1000:0.1f}ms")

    def updateOutput(self, input):
        self._report(f"<{self.name}>.output", input)
        return super().updateOutput(input)

    def updateGradInput(self, input, gradOutput):
        self._report(f"layer<{self.name}>.gradInput", gradOutput)
        return super().updateGradInput(input, gradOutput)

    def __repr__(self):
        return f"{lua_typename(self)}({self.name})"


class Tic(_PassThrough):
    """``Tic(name='default')``: passes everything on; each forward restarts the timer ``name`` that a Toc of
    the same name reads (the Lua file's global ``tic_modules``: this module's ``tic_modules``)."""

    def __init__(self, name='default'):
        super().__init__()
        self.name = str(name)
        tic_modules[self.name] = Timer()

    def updateOutput(self, input):
        tic_modules[self.name].reset()
        return super().updateOutput(input)

    def __repr__(self):
        return f"{lua_typename(self)}({self.name})"


class Toc(_PassThrough):
    """``Toc(name='default', comment='')``: passes everything on; each forward prints ``Toc 'name' (comment) :
    seconds`` since the Tic of that name last ran forward."""

    def __init__(self, name='default', comment=''):
        super().__init__()
        self.name, self.comment = str(name), str(comment)

    def updateOutput(self, input):
        timer = tic_modules.get(self.name)
        if timer is None:
            raise input_error(self, f"a Tic named {self.name!r} made before", f"Tics named {sorted(tic_modules)}")
        print(f"Toc '{self.name}' ({self.comment}) : {tostring(timer.time()['real'])}")
        return super().updateOutput(input)

    def __repr__(self):
        return f"{lua_typename(self)}({self.name})"
