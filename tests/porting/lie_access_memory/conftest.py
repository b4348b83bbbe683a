"""tests/test_layers.py and test_kwrap.py keep the Lua files' names (totem scripts): pytest must not collect them;
tests/porting/test_lie_access_memory.py runs its functions."""
collect_ignore = ['tests/test_layers.py', 'tests/test_kwrap.py']
