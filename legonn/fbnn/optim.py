"""fbnn's nn.Optim: an optim method run over each module's weight and bias apart, each with its own state
(Optim.lua)."""
from collections import namedtuple

from ..serialization.classes import register_builtin
from ..tensor import Tensor

# one module's (parameter, gradient) pair and whether it is the bias, which gets no weight decay
ParamPair = namedtuple('ParamPair', 'param grad is_bias')


def _state_copy(value):
    """Optim.lua's deepcopy: dicts and lists copied through, tensors cloned, anything else shared."""
    if isinstance(value, Tensor):
        return value.clone()
    if isinstance(value, dict):
        return {_state_copy(k): _state_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_state_copy(v) for v in value]
    return value


def _live_pairs(params):
    """The pairs Lua's ipairs visits: those before the first missing one (a module with a bias and no weight,
    nn.Add's, has none, so Optim.lua never steps that bias)."""
    pairs = []
    for pair in params:
        if pair is None:
            break
        pairs.append(pair)
    return pairs


class Optim:
    """nn.Optim(model, optState, checkpoint_data): ``optimize(optimMethod, inputs, targets, criterion)`` runs one
    forward/backward of ``model`` and then ``optimMethod`` (``optim.sgd``, ...) over every module's weight and
    bias separately, each with its own copy of ``optState`` (the bias's with ``weightDecay`` 0). Exactly one of
    ``optState`` (a dict of the method's settings) and ``checkpoint_data`` (what ``save()`` returned) is given.

    ``modulesToOptState`` maps each module of ``model`` (``model.apply`` order) to its list of states; as
    Optim.lua's ipairs, a module whose weight is missing (nn.Add: a bias only) gets none and is never stepped.
    ``setParameters(dict)`` changes settings in every state (the learning rate, say); ``type(t)`` converts the
    states' tensors. As Optim.lua's ``torch.class('nn.Optim')``, it is saved whole (``lg.save(path, optimizer)``:
    multipathnet's train.lua saves its engine's optimizer so) and ``legonn.typename`` names it 'nn.Optim'.
    """

    lua_package = 'nn'   # legonn.typename: 'nn.Optim', the name Optim.lua's torch.class gives it

    @staticmethod
    def weight_bias_parameters(module):
        """[weight pair or None, bias pair or None] of ``module``: ParamPair(param, grad, is_bias)."""
        weight = getattr(module, 'weight', None)
        bias = getattr(module, 'bias', None)
        return [None if weight is None else ParamPair(weight, getattr(module, 'gradWeight', None), False),
                None if bias is None else ParamPair(bias, getattr(module, 'gradBias', None), True)]

    def __init__(self, model, optState=None, checkpoint_data=None):
        if not hasattr(model, 'apply'):
            raise TypeError(f"Optim: expected a module to optimise, got {type(model).__name__}")
        if (optState is None) == (checkpoint_data is None):
            raise ValueError("Optim: expected exactly one of optState and checkpoint_data, got "
                             f"{'both' if optState is not None else 'neither'}")
        self.model = model
        self.originalOptState = optState
        modules = []
        model.apply(modules.append)
        if checkpoint_data is None:
            self.modulesToOptState = {}
            for module in modules:
                states = []
                for pair in _live_pairs(self.weight_bias_parameters(module)):
                    state = _state_copy(optState)
                    if pair.is_bias:
                        state['weightDecay'] = 0.0
                    states.append(state)
                self.modulesToOptState[module] = states
        else:
            state = checkpoint_data.get('optim_state') if isinstance(checkpoint_data, dict) else None
            if state is None or set(map(id, state)) != set(map(id, modules)):
                raise ValueError("Optim: expected checkpoint_data['optim_state'] with a state for every module of "
                                 "the model (Optim.save() of this model)")
            self.modulesToOptState = state

    def save(self):
        """{'optim_state': modulesToOptState}, to pass back as ``checkpoint_data``."""
        return {'optim_state': self.modulesToOptState}

    def type(self, t):
        """Convert every tensor of the states to type ``t`` (the model is converted apart)."""
        def convert(value):
            if isinstance(value, Tensor):
                return value.type(t)
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            if isinstance(value, list):
                return [convert(v) for v in value]
            return value
        for module, states in self.modulesToOptState.items():
            self.modulesToOptState[module] = convert(states)
        return self

    def optimize(self, optimMethod, inputs, targets, criterion):
        """zeroGradParameters, forward, the criterion's loss and gradient, backward, then ``updateParameters``;
        returns ``(err, output)``."""
        if not callable(optimMethod) or criterion is None or inputs is None or targets is None:
            raise ValueError("Optim.optimize: expected an optim method, inputs, targets and a criterion")
        self.model.zeroGradParameters()
        output = self.model.forward(inputs)
        err = criterion.forward(output, targets)
        df_do = criterion.backward(output, targets)
        self.model.backward(inputs, df_do)
        self.updateParameters(optimMethod, err)
        return err, output

    def updateParameters(self, optimMethod, err):
        """One ``optimMethod(feval, param, state)`` per module's weight and bias, feval returning ``err`` and
        the gradient the last backward left."""
        for module, states in self.modulesToOptState.items():
            for pair, state in zip(_live_pairs(self.weight_bias_parameters(module)), states):
                def feval(x, grad=pair.grad):
                    return err, grad
                optimMethod(feval, pair.param, state)

    def setParameters(self, newParams):
        """Write ``newParams`` (a dict of settings) into ``optState`` and every module's states."""
        if not isinstance(newParams, dict):
            raise TypeError(f"Optim.setParameters: expected a dict of settings, got {type(newParams).__name__}")
        if self.originalOptState is not None:
            self.originalOptState.update(newParams)
        for states in self.modulesToOptState.values():
            for state in states:
                state.update(newParams)


# Optim.lua:16 is a torch.class, so torch.save writes an optimizer with its model and per-module states
register_builtin('nn.Optim', Optim)
