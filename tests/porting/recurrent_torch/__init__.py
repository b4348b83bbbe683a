"""eladhoffer/recurrent.torch (MIT licence, (c) 2016 Elad Hoffer) ported line by line: init.lua (this file),
utils.lua, Recurrent.lua, TemporalModule.lua, TemporalCriterion.lua, MaskPaddingCriterion.lua, Reverse.lua,
Attention.lua, models/{RNN,iRNN,LSTM,GRU,MultiLayerLSTM}.lua, and examples/language/{charRNN,wordRNN}.lua with
their utils/{OneHot,textDataProvider,trainRecurrent}.lua (examples/). tests/porting/test_recurrent_torch.py runs it.

Edits beyond Lua syntax and 0-based indices:

* init.lua assigns into torch's tables: ``nn[name] = function(...) return nn.RecurrentContainer(func(...)) end``
  for every model, and ``function Container:applyRecurrent``, ``Container.setMode``, ``Container:setState``, ...
  on nn.Container. Assigning into legonn's ``nn`` (whose ``nn.LSTM``, ``nn.GRU``, ``nn.RNN`` are Element-Research
  rnn's) or its Container class would change them for every user in the process (docs/porting.md's row on a
  script adding functions to torch's tables): the wrappers are this package's ``LSTM``, ``GRU``, ``RNN``, ``iRNN``,
  ... and the Container methods are plain functions taking the container first (``sequence(model)`` for
  ``model:sequence()``).
* ``recurrent.rnnModules[name]`` is filled by each model file as it is imported, and the loop over it runs at the
  end of this file, as the Lua's requires run before it.
* Each class is registered with ``lg.register`` (torch.class registers it) so that lg.save/lg.load keep models.

Not ported: cudnnUtils.lua (it returns at its first line unless cudnn >= 5 is loaded, ``print('no cudnn')``, and
then replaces the models by cudnn.LSTM etc. wrapped by assigning methods into the cudnn module objects);
examples/language/charRNN_benchmark.lua (its ``require(opt.model)(vocabSize, rnnSize, numLayers, dropout,
initWeight)`` hands a model file's builder arguments in another order, and the table it gets has no ``embedder``
or ``classifier``, which trainRecurrent.lua adds to its Sequential: it cannot run in Torch7); the data files
(tinyshakespeare, PTB, War and Peace, the Hebrew Bible): the tests write small synthetic texts.
"""
import legonn as lg
from legonn import nn

rnnModules = {}

from . import utils  # noqa: E402
from .Recurrent import RecurrentContainer  # noqa: E402
from .TemporalModule import TemporalModule  # noqa: E402
from .TemporalCriterion import TemporalCriterion  # noqa: E402
from .MaskPaddingCriterion import MaskPaddingCriterion  # noqa: E402
from .Reverse import Reverse  # noqa: E402

from .models import GRU as _GRU, LSTM as _LSTM, MultiLayerLSTM as _MultiLayerLSTM, RNN as _RNN  # noqa: E402,F401
from .models import iRNN as _iRNN  # noqa: E402,F401
from . import Attention as _Attention  # noqa: E402,F401


# registers all recurrent model under 'recurrent' (the Lua: under nn)
def _register(func):
    return lambda *args: RecurrentContainer(func(*args))


for name, func in rnnModules.items():
    globals()[name] = _register(func)

# cudnnUtils.lua: not ported (see above)


# -------Adding recurrent function to nn.Container---------------
def applyRecurrent(self, func, *args):
    retVals = []
    for m in self.listModules():
        if m.__typename == 'nn.RecurrentContainer':
            val = getattr(m, func)(*args)
            retVals.append(val)

    return retVals


containerAddfunctions = [
    'setMode', 'sequence', 'single', 'getState',
    'zeroGradState', 'getGradState', 'forget',
    'resizeStateBatch', 'setIterations', 'zeroState', 'isStateful'
]


def _container_function(fname):
    def f(self, *args):
        return applyRecurrent(self, fname, *args)
    f.__name__ = fname
    return f


for fname in containerAddfunctions:
    globals()[fname] = _container_function(fname)


# `self:getState()` in these three is the Container method above: the package's function here
def setState(self, sourceState):
    targetState = getState(self)  # noqa: F821 (made by the loop above)
    utils.recursiveCopy(targetState, sourceState)


def setGradState(self, sourceState):
    targetState = getGradState(self)  # noqa: F821
    utils.recursiveCopy(targetState, sourceState)


def accGradState(self, sourceState):
    targetState = getGradState(self)  # noqa: F821
    utils.recursiveAdd(targetState, sourceState)
