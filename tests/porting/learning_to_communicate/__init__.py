"""iassael/learning-to-communicate (Foerster, Assael, de Freitas and Whiteson's DIAL/RIAL, Apache 2 licence)
ported line by line: code/comm.lua (comm.py), code/game/Switch.lua, code/model/Switch.lua, code/module/*.lua,
code/include/*.lua. tests/porting/test_learning_to_communicate.py runs the switch riddle with 3 agents.
Not ported: code/game/ColorDigit.lua and code/model/ColorDigit.lua (the MNIST games), for lack of time in this
session."""
