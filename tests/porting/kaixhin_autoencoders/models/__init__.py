"""models/ of Kaixhin/Autoencoders, one Python file per Lua file; models/WTA-AE.lua is WTA_AE.py (a Python module
name cannot hold '-'). Each file's ``Model`` is the Lua file's ``Model`` table, the value its ``require`` returns."""
