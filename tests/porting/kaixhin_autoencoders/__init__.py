"""Kaixhin/Autoencoders (https://github.com/Kaixhin/Autoencoders, MIT licence, Kai Arulkumaran) ported line by
line: main.lua (main.py), every model of models/ (models/*.py) and its modules/ (modules/*.py).
tests/porting/test_kaixhin_autoencoders.py runs them; main.py's docstring lists the edits beyond syntax and indices.
"""
