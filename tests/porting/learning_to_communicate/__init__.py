"""iassael/learning-to-communicate (Foerster, Assael, de Freitas and Whiteson's DIAL/RIAL, Apache 2 licence)
ported line by line: code/comm.lua (comm.py), code/game/Switch.lua and ColorDigit.lua (game/), code/model/Switch.lua
and ColorDigit.lua (model/), code/module/*.lua (module/), code/include/*.lua (include/).
tests/porting/test_learning_to_communicate.py runs the switch riddle with 3 agents and the MNIST ColorDigit game.
The run_*.sh scripts are command lines of comm.lua (the tests pass their options)."""
