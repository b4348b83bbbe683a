"""Kaixhin/rlenvs (MIT licence, Kai Arulkumaran) ported line by line: rlenvs/init.lua here, one .py per .lua beside
it (Env.lua and every environment but two), experiment.lua as experiment.py. tests/porting/test_rlenvs.py runs it,
with tests/test.lua's suite.

Not ported: Atari.lua (needs the alewrap/xitari C bindings of the Arcade Learning Environment and a ROM) and
Minecraft.lua (needs luasocket and Microsoft's Malmo client with libMalmoLua). Both files ``return nil`` when their
dependency is missing, so ``require`` gives ``true`` and init.lua's loop removes them: below they are ``True``,
as on a machine without those packages.

Edits beyond Lua syntax and 0-based indices, each marked where it is made:

* ``classic.class`` classes become Python classes; Env's ``mustHave`` methods are ``abc.abstractmethod``s
  (classic raises when a class lacking one is instantiated, as abc does). ``opts`` tables are dicts.
* Positions stay the Lua's numbers where they are state values handed to the agent (CliffWalking's ``{1, 1}``,
  Catch's ball column from 1): only a tensor index made from them shifts (``{y, y}`` is ``y - 1:y``). A Lua table
  indexed by them (Taxi's ``rgbyPos[passenger]``) shifts too.
* Catch's ball column and GridWorld's cost lookup index a tensor with a fractional number: Torch7 truncates it
  (generic/Tensor.c reads the bound with ``lua_tonumber`` into a C long), legonn refuses it, so the truncation is
  written with ``int`` (docs/porting.md's "range whose bounds are computed" row).
* ``torch.random(a, b)`` draws ``a .. b``; ``lg.random(a, b)`` stops before ``b`` (docs/porting.md's ranks row):
  the upper bounds gain 1. ``math.random()`` is Python's ``random.random()`` (Lua's own generator).
* Env.lua's ``render`` needs qlua's ``qt``: under ``th`` its ``pcall(require, 'qt')`` fails and ``render`` draws
  nothing; legonn has no window system, so ``self.qt`` is that ``th`` outcome.
"""
import importlib

rlenvs = {}

# Include environments
Env = importlib.import_module(__name__ + '.Env').Env
rlenvs['Acrobot'] = importlib.import_module(__name__ + '.Acrobot').Acrobot
rlenvs['Atari'] = True  # Atari.lua returns nil without alewrap: require gives true
rlenvs['Blackjack'] = importlib.import_module(__name__ + '.Blackjack').Blackjack
rlenvs['CartPole'] = importlib.import_module(__name__ + '.CartPole').CartPole
rlenvs['Catch'] = importlib.import_module(__name__ + '.Catch').Catch
rlenvs['CliffWalking'] = importlib.import_module(__name__ + '.CliffWalking').CliffWalking
rlenvs['DynaMaze'] = importlib.import_module(__name__ + '.DynaMaze').DynaMaze
rlenvs['GridWorld'] = importlib.import_module(__name__ + '.GridWorld').GridWorld
rlenvs['JacksCarRental'] = importlib.import_module(__name__ + '.JacksCarRental').JacksCarRental
rlenvs['Minecraft'] = True  # Minecraft.lua returns nil without luasocket: require gives true
rlenvs['MountainCar'] = importlib.import_module(__name__ + '.MountainCar').MountainCar
rlenvs['MultiArmedBandit'] = importlib.import_module(__name__ + '.MultiArmedBandit').MultiArmedBandit
rlenvs['RandomWalk'] = importlib.import_module(__name__ + '.RandomWalk').RandomWalk
rlenvs['Taxi'] = importlib.import_module(__name__ + '.Taxi').Taxi
rlenvs['WindyWorld'] = importlib.import_module(__name__ + '.WindyWorld').WindyWorld
rlenvs['XOWorld'] = importlib.import_module(__name__ + '.XOWorld').XOWorld

# Remove nil environments
for k, v in list(rlenvs.items()):
    if v is True:
        del rlenvs[k]

envs = []
for k in rlenvs:
    envs.append(k)
rlenvs['envs'] = envs
