"""tests/test_layers.py, test_kwrap.py and test_slantm.py keep the Lua files' names (totem scripts): pytest must not
collect them; tests/porting/test_lie_access_memory.py runs their functions."""
collect_ignore = ['tests/test_layers.py', 'tests/test_kwrap.py', 'tests/test_slantm.py']
