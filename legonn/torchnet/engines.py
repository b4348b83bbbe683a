"""torchnet's engines (engine/init.lua, engine/sgdengine.lua, engine/optimengine.lua): the training loop of a
network over an iterator's samples, calling the user's hooks at each event with the ``state`` of the loop.

A hook is set as in torchnet, ``engine.hooks.onForwardCriterion = f`` (or ``engine.hooks['onForward'] = f``);
it is called with the state, a dict whose entries also read as attributes (``state.network`` or
``state['network']``). A sample is a dict with ``'input'`` and ``'target'`` (``state.sample['input']``)."""
from .. import optim
from ..criterions.criterion import Criterion
from ..modules.base.module import Module
from ..tensor.naming import TorchNamed
from .arguments import lua_call, named_table
from .iterators import DatasetIterator


class State(dict):
    """The engine's state: a dict whose entries are also attributes (Lua's ``state.t``)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"engine state has no field {name!r} (fields: {sorted(self)})") from None

    def __setattr__(self, name, value):
        self[name] = value


class Hooks:
    """The hooks of an engine: one function per event name, doing nothing until set. Setting or reading an
    unknown name is a ValueError, as torchnet's hooks table raises 'unknown hook'. ``hooks(name, state)`` calls
    one (a hook that takes no argument is called without the state, as Lua drops it)."""

    def __init__(self, names):
        object.__setattr__(self, '_hooks', {name: None for name in names})

    def _check(self, name):
        if not isinstance(name, str):
            raise TypeError(f"tnt.Engine hooks: hook name must be a string, got {name!r}")
        if name not in self._hooks:
            raise ValueError(f"tnt.Engine hooks: unknown hook <{name}> (hooks: {', '.join(self._hooks)})")

    def __getattr__(self, name):
        if name.startswith('__'):       # Python's own probes (copy, pickle) are not hooks
            raise AttributeError(name)
        self._check(name)
        return self._hooks[name] or (lambda *state: None)

    def __setattr__(self, name, function):
        self._check(name)
        if function is not None and not callable(function):
            raise TypeError(f"tnt.Engine hooks: expected hook {name} to be a function, got {type(function).__name__}")
        self._hooks[name] = function

    __getitem__ = __getattr__
    __setitem__ = __setattr__

    def __call__(self, name, *args):
        self._check(name)
        if self._hooks[name] is not None:
            return lua_call(self._hooks[name], *args)


class Engine(TorchNamed):
    """The base engine: ``hooks`` holds the hook names an engine calls; ``train`` and ``test`` are the
    subclass's."""

    # lg.typename: 'tnt.' and the class name, as torchnet registers its classes (torch.class('tnt.Engine')
    # in engine/init.lua:38), here and in every class derived from this one
    lua_package = 'tnt'

    def __init__(self, hooks):
        if not isinstance(hooks, (list, tuple)) or not all(isinstance(name, str) for name in hooks):
            raise TypeError(f"tnt.Engine: hooks must be a list of hook names (strings), got {hooks!r}")
        self.hooks = Hooks(hooks)

    def train(self, *args, **kwargs):
        raise NotImplementedError(f"A tnt.Engine should implement the train() function ({type(self).__name__})")

    def test(self, *args, **kwargs):
        raise NotImplementedError(f"A tnt.Engine should implement the test() function ({type(self).__name__})")


def _check_args(owner, network, criterion, iterator, criterion_optional=False):
    if not isinstance(network, Module):
        raise TypeError(f"{owner}: expected network to be an nn.Module, got {type(network).__name__}")
    if not (criterion is None and criterion_optional) and not isinstance(criterion, Criterion):
        raise TypeError(f"{owner}: expected criterion to be an nn.Criterion, got {type(criterion).__name__}")
    if not isinstance(iterator, DatasetIterator):
        raise TypeError(f"{owner}: expected iterator to be a tnt.DatasetIterator, got {type(iterator).__name__}")


def _field(owner, sample, key):
    """``sample[key]``, or a TypeError naming the engine's method when the sample is not a dict holding it."""
    if not isinstance(sample, dict) or key not in sample:
        keys = f" with keys {sorted(sample, key=str)}" if isinstance(sample, dict) else ''
        raise TypeError(f"{owner}: expected each sample to be a dict with 'input' and 'target', got "
                        f"{type(sample).__name__}{keys}")
    return sample[key]


def _learning_rate(owner, what, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{owner}: expected {what} to be a number, got {value!r}")
    if value < 0:
        raise ValueError(f"{owner}: {what} should be positive or zero, got {value}")
    return value


class SGDEngine(Engine):
    """Plain SGD: for each sample, forward, criterion, zero the gradients, backward, then
    ``network.updateParameters(lr)`` (and ``criterion.updateParameters(lrcriterion)`` for a criterion that has
    parameters), calling the hooks onStart, onStartEpoch, onSample, onForward, onForwardCriterion,
    onBackwardCriterion, onBackward, onUpdate, onEndEpoch and onEnd as torchnet does."""

    HOOKS = ('onStart', 'onStartEpoch', 'onSample', 'onForward', 'onForwardCriterion', 'onBackward',
             'onBackwardCriterion', 'onEndEpoch', 'onUpdate', 'onEnd')

    def __init__(self):
        super().__init__(list(self.HOOKS))

    def _epochs(self, owner, state, update):
        """The training loop shared by the engines; ``update(state)`` changes the parameters after backward."""
        self.hooks('onStart', state)
        while state.epoch < state.maxepoch:
            state.network.training()
            self.hooks('onStartEpoch', state)
            for sample in state.iterator():
                state.sample = sample
                self.hooks('onSample', state)
                state.network.forward(_field(owner, sample, 'input'))
                self.hooks('onForward', state)
                state.criterion.forward(state.network.output, _field(owner, sample, 'target'))
                self.hooks('onForwardCriterion', state)
                state.network.zeroGradParameters()
                if callable(getattr(state.criterion, 'zeroGradParameters', None)):
                    state.criterion.zeroGradParameters()
                state.criterion.backward(state.network.output, _field(owner, sample, 'target'))
                self.hooks('onBackwardCriterion', state)
                state.network.backward(_field(owner, sample, 'input'), state.criterion.gradInput)
                self.hooks('onBackward', state)
                update(state)
                state.t += 1
                self.hooks('onUpdate', state)
            state.epoch += 1
            self.hooks('onEndEpoch', state)
        self.hooks('onEnd', state)
        return state

    @named_table
    def train(self, network=None, criterion=None, iterator=None, lr=None, lrcriterion=None, maxepoch=1000):
        """Train ``network`` on ``iterator``'s samples for ``maxepoch`` epochs with learning rate ``lr``
        (``lrcriterion``, default ``lr``, for a criterion's own parameters). Returns the final state."""
        owner = 'tnt.SGDEngine.train'
        _check_args(owner, network, criterion, iterator)
        _learning_rate(owner, 'lr', lr)
        state = State(network=network, criterion=criterion, iterator=iterator, lr=lr,
                      lrcriterion=lr if lrcriterion is None else lrcriterion, maxepoch=maxepoch, sample={},
                      epoch=0, t=0, training=True)

        def update(state):
            if _learning_rate(owner, 'lrcriterion', state.lrcriterion) > 0 and \
                    callable(getattr(state.criterion, 'updateParameters', None)):
                state.criterion.updateParameters(state.lrcriterion)
            if _learning_rate(owner, 'lr', state.lr) > 0:
                state.network.updateParameters(state.lr)
        return self._epochs(owner, state, update)

    @named_table
    def test(self, network=None, iterator=None, criterion=None):
        """Run ``network`` (in evaluate mode) over ``iterator``'s samples, and ``criterion`` when given, calling
        onStart, onSample, onForward, onForwardCriterion and onEnd. Returns the final state."""
        owner = 'tnt.SGDEngine.test'
        _check_args(owner, network, criterion, iterator, criterion_optional=True)
        state = State(network=network, iterator=iterator, criterion=criterion, sample={}, t=0, training=False)
        self.hooks('onStart', state)
        state.network.evaluate()
        for sample in state.iterator():
            state.sample = sample
            self.hooks('onSample', state)
            state.network.forward(_field(owner, sample, 'input'))
            state.t += 1
            self.hooks('onForward', state)
            if state.criterion is not None:
                state.criterion.forward(state.network.output, _field(owner, sample, 'target'))
                self.hooks('onForwardCriterion', state)
        self.hooks('onEnd', state)
        return state


def _optim_method(owner, method):
    """An optimiser function: ``method`` itself, or legonn.optim's function of that name ('sgd', 'adam', ...)."""
    if isinstance(method, str):
        found = getattr(optim, method, None)
        if method not in optim.__all__ or not callable(found) or isinstance(found, type):
            raise ValueError(f"{owner}: unknown optimMethod {method!r}; expected a function or the name of one of "
                             "legonn.optim's (sgd, adam, adagrad, rmsprop, ...)")
        return found
    if not callable(method):
        raise TypeError(f"{owner}: expected optimMethod to be a function or a name, got {type(method).__name__}")
    return method


class OptimEngine(SGDEngine):
    """Training with an optimiser of legonn.optim: the network's ``getParameters()`` (or ``paramFun()``'s pair)
    are updated after each backward by ``optimMethod(feval, params, config, optimState)``, where ``feval`` returns
    the criterion's loss and the gradients just computed. ``optimMethod`` is a function (``optim.sgd``) or its
    name (``'sgd'``). The state also holds optimMethod, config, optim (the optimiser's state), params and
    gradParams. ``test`` is SGDEngine's."""

    @named_table
    def train(self, network=None, criterion=None, iterator=None, maxepoch=1000, optimMethod=None, config=None,
              optimState=None, paramFun=None):
        owner = 'tnt.OptimEngine.train'
        _check_args(owner, network, criterion, iterator)
        state = State(network=network, criterion=criterion, iterator=iterator, maxepoch=maxepoch,
                      optimMethod=_optim_method(owner, optimMethod), sample={},
                      config={} if config is None else config, optim={} if optimState is None else optimState,
                      epoch=0, t=0, training=True)
        state.params, state.gradParams = paramFun() if paramFun is not None else network.getParameters()

        def feval(x):
            return state.criterion.output, state.gradParams

        def update(state):
            state.optimMethod(feval, state.params, state.config, state.optim)
        return self._epochs(owner, state, update)
