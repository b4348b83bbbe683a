"""The ported Lua test files (test/test_sequence.py, test/test_cudnn.py) are torch.TestSuites that
tests/porting/test_rnnlib.py runs; pytest must not collect them as pytest modules."""
collect_ignore_glob = ['test/*.py', 'examples/*/*.py', 'examples/*.py']
