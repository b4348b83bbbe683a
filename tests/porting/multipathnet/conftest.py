"""test_runner.py and run_test.py keep the Lua files' names (test_runner.lua, a module run_test.lua loads, and the
script itself), so pytest must not collect them: test_runner's TestRunner class would be taken for a test class."""
collect_ignore = ['test_runner.py', 'run_test.py']
