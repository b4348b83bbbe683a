"""wojciechz/learning_to_execute (Zaremba and Sutskever's "Learning to Execute", Apache 2 licence, Copyright 2014
Google Inc.) ported line by line: main.lua (main.py), data.lua (data.py), layers/Embedding.lua, layers/MaskedLoss.lua
(layers/), utils/operations.lua, stack.lua, strategies.lua, symbolsManager.lua, utils.lua, variablesManager.lua
(utils/). tests/porting/test_learning_to_execute.py runs it with tiny settings."""
