"""code/module/rmspropm.lua: RMSProp with momentum; the same Lua as Kaixhin/Atari's modules/rmspropm.lua, whose
port tests/porting/kaixhin_atari.py holds it."""
from ...kaixhin_atari import rmspropm      # noqa: F401
