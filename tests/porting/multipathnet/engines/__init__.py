"""multipathnet's engines/: Optim.lua (fbnn's Optim.lua, the same code: legonn has it as ``fbnn.Optim``, which
the port uses instead of a second copy) and fboptimengine.lua."""
