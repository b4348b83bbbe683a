"""AutoModule: an nn module whose output is a function of its input, weight and bias, differentiated by
autograd (torch-autograd's auto/AutoModule.lua)."""
from ...modules.base.module import Module
from .function_class import HoldsFunction, function_class


class AutoModuleBase(HoldsFunction, Module, abstract=True):
    """``cls(fn, weight=None, bias=None)``: ``output = fn(input, weight, bias)``, written with legonn functions;
    ``updateGradInput`` and ``accGradParameters`` are autograd's gradients of it (the gradient of
    ``output`` given ``gradOutput``). ``weight``/``bias`` are the module's parameters, held as given
    (``gradWeight``/``gradBias`` start as their copies, as the Lua's)."""

    def __init__(self, fn=None, weight=None, bias=None):
        super().__init__()
        if fn is None:
            raise TypeError(f"{self.lua_package}.{type(self).__name__}: an autograd function must be specified "
                            "as input to AutoModule")
        type(self).bind(fn)
        self.weight, self.gradWeight = weight, None if weight is None else weight.clone()
        self.bias, self.gradBias = bias, None if bias is None else bias.clone()
        self.grads = None

    @classmethod
    def call_function(cls, params):
        """The Lua's fnWrapper: the function on a table {input, weight, bias}."""
        return cls.fn(params['input'], params.get('weight'), params.get('bias'))

    def _params(self, input):
        params = {'input': input}
        if self.weight is not None:
            params['weight'] = self.weight
        if self.bias is not None:
            params['bias'] = self.bias
        return params

    def validateState(self):
        self._function()   # a loaded object needs its class's function (it is not in the file)
        super().validateState()

    def updateOutput(self, input):
        self._function()
        self.grads = None
        self.output = self._grad('forward', withForward=True, withGradients=False)(self._params(input))
        return self.output

    def _gradients(self, input, gradOutput):
        df = self._grad('backward', withForward=False, withGradients=True, partialGrad=True)
        return df(self._params(input), gradOutput)[0]   # the gradients (the answers follow, as the Lua's)

    def updateGradInput(self, input, gradOutput):
        self.grads = self._gradients(input, gradOutput)
        self.gradInput = self.grads['input']
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        if self.weight is not None or self.bias is not None:
            if self.grads is None:
                self.grads = self._gradients(input, gradOutput)
            if self.weight is not None:
                self.gradWeight.add(scale, self.grads['weight'])
            if self.bias is not None:
                self.gradBias.add(scale, self.grads['bias'])

    def clearState(self, *names):
        self.grads = None
        return super().clearState(*names)


def AutoModule(moduleName=None):
    """The nn module class ``autograd.nn.module.<moduleName>`` (see AutoModuleBase), made on first use."""
    if moduleName is None:
        raise TypeError('You must provide a name for your auto-differentiated module.')
    return function_class('module', moduleName, AutoModuleBase)
