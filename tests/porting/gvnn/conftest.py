"""test_warpingSO3.py and test_warpingSE3.py keep the names of gvnn's demo scripts (scripts with a ``main``, which
tests/porting/test_gvnn.py runs), so pytest must not collect them as pytest modules."""
collect_ignore = ['test_warpingSO3.py', 'test_warpingSE3.py']
