"""tests/test_layers.py keeps the Lua file's name (tests/test_layers.lua, a totem script): pytest must not collect it;
tests/porting/test_lie_access_memory.py runs its functions."""
collect_ignore = ['tests/test_layers.py']
