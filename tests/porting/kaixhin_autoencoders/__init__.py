"""Kaixhin/Autoencoders (https://github.com/Kaixhin/Autoencoders, MIT licence, Kai Arulkumaran) ported line by
line: main.lua (main.py), every model of models/ (models/*.py) and its modules/ (modules/*.py).
tests/porting/test_kaixhin_autoencoders.py runs them; main.py's docstring lists main.lua's edits beyond syntax and
indices. Those the models share:

* each model file's ``Model`` table is an object of a class holding the table's fields; ``require`` of it is an
  import of ``Model`` (models/WTA-AE.lua is WTA_AE.py, a Python module name);
* ``nn.Sigmoid(true)`` is ``nn.Sigmoid()``: Sigmoid.lua reads no argument and legonn refuses unread ones
  (docs/porting.md's row);
* ``require '../modules/X'`` then ``nn.X(...)`` imports the class and calls ``X(...)`` (docs/porting.md's
  torch.class row);
* Seq2SeqAE's ``encLSTMs[l] = ...`` on an empty table appends (a list does not grow by assignment).
"""
