"""AutoCriterion: an nn criterion whose loss is a function of its input and target, differentiated by autograd
(torch-autograd's auto/AutoCriterion.lua)."""
from ...criterions.criterion import Criterion
from .function_class import HoldsFunction, function_class


class AutoCriterionBase(HoldsFunction, Criterion, abstract=True):
    """``cls(fn)``: ``loss = fn(input, target)`` (a number), written with legonn functions; ``updateGradInput``
    is autograd's gradient of it, computed with the loss by ``updateOutput``. A second return value of ``fn``
    is kept as ``predictions``."""

    def __init__(self, fn=None):
        super().__init__()
        if fn is None:
            raise TypeError(f"{self.lua_package}.{type(self).__name__}: an autograd function must be specified "
                            "as input to AutoCriterion")
        type(self).bind(fn)

    @classmethod
    def call_function(cls, params, target):
        """The Lua's fnWrapper: the function on a table {input} and the target."""
        return cls.fn(params['input'], target)

    def validateState(self):
        self._function()   # a loaded object needs its class's function (it is not in the file)
        validate = getattr(super(), 'validateState', None)
        if validate is not None:
            validate()

    def updateOutput(self, input, target):
        self._function()
        grads, self.output, *rest = self._grad('both', withForward=True, withGradients=True)({'input': input},
                                                                                              target)
        self.gradInput, self.predictions = grads, rest[0] if rest else None
        return self.output

    def updateGradInput(self, input, target):
        # updateOutput computed it; the Lua reads it so too (a criterion's backward follows its forward)
        if isinstance(self.gradInput, dict):
            self.gradInput = self.gradInput['input']
        return self.gradInput


def AutoCriterion(criterionName=None):
    """The nn criterion class ``autograd.nn.criterion.<criterionName>`` (see AutoCriterionBase), made on first
    use."""
    if criterionName is None:
        raise TypeError('You must provide a name for your auto-differentiated criterion.')
    return function_class('criterion', criterionName, AutoCriterionBase)
