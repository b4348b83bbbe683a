"""fbnn's Probe (fbnn/Probe.lua): a decorator that prints the moments of what its module computes."""
from ..containers.decorators import Decorator
from ..tensor import Tensor
from .base import FbnnClass


def _moments(label, value):
    """Print ``label`` and min, max, mean, std (n - 1), sum of each tensor of ``value`` (a tensor or a list)."""
    for t in value if isinstance(value, list) else [value]:
        if isinstance(t, Tensor) and t.nElement() > 0:   # Torch7: an empty tensor has no dimension
            a = t.array.astype('float64')
            std = float(a.std(ddof=1)) if a.size > 1 else 0.0
            print(label, *(f"{float(v):.14g}" for v in (a.min(), a.max(), a.mean(), std, a.sum())), sep='\t')


class Probe(FbnnClass, Decorator):
    """``Probe(module, name='unnamed')``: runs ``module`` unchanged (output, gradients and parameters are its
    own) and prints, before and after each of updateOutput, updateGradInput and accGradParameters, a header
    naming the step and ``name``, the moments (min, max, mean, std, sum) of the input (gradOutput for the
    backward steps) and of the module's weight, gradWeight, bias, gradBias, output and gradInput.

    The Lua refuses to build unless ``nn.legacy`` is set; legonn has no such switch and always builds it.
    """

    lua_name = 'fbnn'

    def __init__(self, module, name='unnamed'):
        super().__init__(module)
        self.name = name

    def _dump(self, step, input):
        print('\n-----------------------------')
        print(f"{step} {self.name}")
        _moments('module computation input', input)
        m = self.modules[0]
        for label, field in (('module weight    ', 'weight'), ('module gradWeight', 'gradWeight'),
                             ('module bias      ', 'bias'), ('module gradBias  ', 'gradBias'),
                             ('module output    ', 'output'), ('module gradInput ', 'gradInput')):
            _moments(label, getattr(m, field, None))

    def updateOutput(self, input):
        self.modules[0].checkContract(input)   # before printing: a wrong input is refused, not read
        self._dump('Start UpdateOutput', input)
        super().updateOutput(input)
        self._dump('End UpdateOutput', input)
        return self.output

    def updateGradInput(self, input, gradOutput):
        self._dump('Start UpdateGradInput', gradOutput)
        super().updateGradInput(input, gradOutput)
        self._dump('End UpdateGradInput', gradOutput)
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        self._dump('Start AccGradParameters', gradOutput)
        super().accGradParameters(input, gradOutput, scale)
        self._dump('End AccGradParameters', gradOutput)

    def __repr__(self):
        return f"{self.lua_name}.Probe({self.name}) @ {self.modules[0]!r}"
