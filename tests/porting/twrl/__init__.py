"""twitter-archive/torch-twrl (MIT licence, Twitter) ported line by line: src/init.lua. tests/porting/test_twrl.py
runs it.

Layout: one .py per .lua under the same names (``init.lua`` is a package's ``__init__.py``); ``require 'twrl.x.y'``
is ``importlib.import_module(PKG + '.x.y')`` followed by the name the Lua file returns (``getModel``, ...). A Lua
file's ``return f`` is the module's function of that name.

Stand-ins, not ports (each says so in its docstring):

* gym_http_client.py for src/gym-http-api/binding-lua/gym_http_client.lua (a git submodule: an HTTP client of
  OpenAI's gym-http-api server): the same methods, answered in process by small environments (a CartPole and a
  continuous one-step "reach" task) instead of a network server.
* moses.py for the ``moses`` rock (Lua utility library): only ``flatten(t, shallow)``, which reinforce.lua calls.
* hash.py for the ``hash`` rock (a C library binding, not in Torch7's distribution): ``hash.hash(tensor)``
  computed as the rock does, XXH64 of the tensor's bytes modulo 2^53, so the tiles are Torch7's.

Edits beyond Lua syntax and 0-based indices, marked where they are made:

* baseAgent.lua's functions are globals (``function reward(opt)``, no ``local``), declared ``global`` in getAgent
  as docs/porting.md's closure/global row writes them. addTrajectory's ``t.reward = reward`` stores that global function (not ``opt.reward``), as the Lua does: the
  batch learning path then fails in util.discount with a TypeError, as Lua's "attempt to perform arithmetic on a
  function value" (tests/porting/test_twrl.py checks both; the reinforce learning test drives learn directly).
* Lua globals read before any assignment (util.lua's ``totalStateSpace`` for a Discrete state space) are nil: the
  module starts them at None.
* examples/run.lua is run.py's ``main(arg)``; the shell scripts beside it (cartpole-*.sh, sweep.sh) only call it
  with options, which tests/porting/test_twrl.py passes as ``arg``.
"""
PKG = __name__
VERSION = '0.1'
LICENSE = 'MIT'
