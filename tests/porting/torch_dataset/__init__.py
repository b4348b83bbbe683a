"""twitter-archive/torch-dataset (Apache License 2.0, Copyright Twitter, Inc.) ported line by line onto legonn, one
Python file per Lua file of its lua/ under the Lua file's name (``require 'dataset.X'`` is
``from tests.porting.torch_dataset import X``); tests/porting/test_torch_dataset.py runs its test/ files.

Each Lua file returns one function (a constructor of a table of closures); the Python module of the same name
defines that function under the file's name, and the tables are dicts (``index.itemCount(label)`` becomes
``index['itemCount'](label)``). Lua's multiple results are tuples; ``nil`` is ``None``.

Indices are 0-based: ``index.itemAt(i)`` takes ``0 .. itemCount() - 1``, a sampler draws from that range, a
partition is ``0 .. partitions - 1``, ``batch.index`` and ``labelIndex`` (the targets) count from 0.

Not ported: the SlowFS (HDFS) parts (SlowFS.lua, IndexSlowFS.lua, SlowFSStream.lua, StreamedDataset.lua) and
Cache.lua, which need Twitter's ``hdfs`` rock, torch-ipc's ``BackgroundTaskPool``, ``ipc.flock`` and
``ipc.spawn``, the ``murmurhash3`` rock and src/dataset.c's ``libdataset``; ``Getters``' HTTP getter and the
``http`` index URLs (luasocket); the samplers over SlowFS indexes (part-linear and its permutations) are
ported but need such an index."""
