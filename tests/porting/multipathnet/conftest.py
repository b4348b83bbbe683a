"""test_runner.py keeps the Lua file's name (test_runner.lua, a module run_test.py loads, not a test file), so
pytest must not collect it: its TestRunner class would be taken for a test class."""
collect_ignore = ['test_runner.py']
