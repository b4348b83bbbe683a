"""harvardnlp/lie-access-memory (Greg Yang and Alexander M. Rush, "Lie-Access Neural Turing Machines", ICLR 2017;
MIT licence, Copyright (c) 2016 Harvard NLP) ported line by line onto legonn: layers/*.lua -> layers/*.py,
tests/test_layers.lua -> tests/test_layers.py. The edits beyond Lua syntax and 1-based indices are listed in each
file's docstring; tests/porting/test_lie_access_memory.py runs them.

The repository's Narrow.lua, NarrowTable.lua, Normalize.lua and MixtureTable.lua replace the methods of torch/nn's
classes of those names for the whole Lua process (``local Narrow = nn.Narrow; function Narrow:updateOutput``);
here each is the port's own subclass of legonn's class, which the port imports instead of ``nn.X`` (docs/porting.md,
the ``local Narrow = nn.Narrow`` row). ExpandAs.lua, whose ``pcall(torch.class...)`` falls back to an existing
``nn.ExpandAs`` (rnn's, another module), is likewise the port's own class.
"""
