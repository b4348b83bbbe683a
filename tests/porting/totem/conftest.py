"""The port's files keep totem's names (test_*.py, scripts with a ``main``); tests/porting/test_totem_testlua.py runs
them, so pytest must not collect them as pytest modules."""
collect_ignore_glob = ['tests/*.py', 'examples/*.py']
