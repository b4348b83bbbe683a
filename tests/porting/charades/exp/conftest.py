"""rgbnet_test.py and flownet_test.py keep the names of charades-algorithms' experiment scripts (exp/*_test.lua,
each a ``run``), so pytest must not collect them as pytest modules."""
collect_ignore = ['rgbnet_test.py', 'flownet_test.py']
