"""google-deepmind/torch-totem (BSD licence, Copyright 2014, Google Inc.; commit 21240faf) ported line by line onto
``legonn.totem``: tests/test_totem.lua (tests/test_totem.py) and examples/*.lua (examples/*.py). The package itself
(totem/init.lua, Tester.lua, TestSuite.lua, asserts.lua, nn.lua) is legonn's own ``legonn.totem``, written on
lg.Tester. Not ported: scripts/totem-init and scripts/totem-run (shell and luajit wrappers that hand test file
names to ``Tester:add``, which Torch7's Tester.lua refuses, as legonn does) and the rockspec.

Each Lua script's main chunk is ``main(arg=None)``; Lua's global ``arg`` (the command line, which Tester.lua's
``run`` reads) is its argument. Each file's docstring lists its edits beyond syntax and 0-based indices.
"""
