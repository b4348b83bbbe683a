"""harvardnlp/lie-access-memory (Greg Yang and Alexander M. Rush, "Lie-Access Neural Turing Machines", ICLR 2017;
MIT licence, Copyright (c) 2016 Harvard NLP) ported line by line onto legonn: layers/*.lua -> layers/*.py,
kwrap/*.lua -> kwrap/, models/lstm.lua, lantm.lua, slantm.lua, ram.lua -> models/, fb.lua -> fb.py, data/load.lua
(and generate.py, made Python 3) -> data/, the parts of utils/common.lua and utils/nested.lua these use -> utils/,
tests/test_layers.lua, test_kwrap.lua and test_slantm.lua -> tests/. The edits beyond Lua syntax and 1-based
indices are listed in each file's docstring; tests/porting/test_lie_access_memory.py runs them, with train.lua's
feval loop.

Not ported: train.lua (its feval loop is the tests'), main.lua, options.lua (its defaults are the tests' options),
utils' checkpoint.lua, io.lua, log.lua, pp.lua, random_string.lua, the rest of common.lua and nested.lua,
tests/utils/test_nested.lua (of nested.lua's unported functions).

The repository's Narrow.lua, NarrowTable.lua, Normalize.lua and MixtureTable.lua replace the methods of torch/nn's
classes of those names for the whole Lua process (``local Narrow = nn.Narrow; function Narrow:updateOutput``);
here each is the port's own subclass of legonn's class, which the port imports instead of ``nn.X`` (docs/porting.md,
the ``local Narrow = nn.Narrow`` row). ExpandAs.lua, whose ``pcall(torch.class...)`` falls back to an existing
``nn.ExpandAs`` (rnn's, another module), is likewise the port's own class.
"""
