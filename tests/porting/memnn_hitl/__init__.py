"""facebookarchive/MemNN's HITL (Dialogue Learning With Human-in-the-Loop, Li et al. 2016), ported line by line
(licence: the repository's BSD licence with its PATENTS grant; the Lua is translated here to test legonn, as the
other ports are): parse.lua, data.lua, online_memmnet.lua and online_simulate.lua.

Edits beyond Lua syntax and 0-based indices, each marked where it is made: ``cmd:parse(arg)`` reads the
script's ``arg`` (``parse.parse(arg)``, ``online_simulate.main(arg)``); the option table is a dict
(``params['x']``, ``params.get('x')`` for an option no line sets); a Lua table used as a record (an instance,
``Data``) is a dict or an object; ``require`` of a file returning a table is the module's object (``Data``,
``online_memmnet``); the global ``model`` that online_simulate.lua sets and online_memmnet.lua reads is set on
online_memmnet's module (docs/porting.md's global row); reading a Lua table past its end (``split[2]`` of a
line without a tab) is bounded (docs/porting.md's past-the-end row). Word indices are 0-based: the dictionary's
first line is word 0, the padding word; the time words follow the vocabulary from ``dict.size``.
"""

GPU = {'on': False}


def cuda(x):
    """The Lua's ``x:cuda()`` (and ``torch.CudaTensor(...)``): done on the gpu test's run, left out on the CPU ones
    (as tests/porting/namas/ does), so the CPU tests run the same lines on NumPy and the gpu test on CuPy."""
    return x.cuda() if GPU['on'] else x
