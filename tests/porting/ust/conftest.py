"""test_wct.py, test_wct_mask.py, test_wct_interpolation2.py and test_adain.py keep the Lua scripts' names, so pytest
must not collect them (their functions ``main`` and ``feature_wct`` are no tests)."""
collect_ignore = ['test_wct.py', 'test_wct_mask.py', 'test_wct_interpolation2.py', 'test_adain.py']
