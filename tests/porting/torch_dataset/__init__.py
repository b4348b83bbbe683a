"""twitter-archive/torch-dataset (Apache License 2.0, Copyright Twitter, Inc.) ported line by line onto legonn, one
Python file per Lua file of its lua/ under the Lua file's name (``require 'dataset.X'`` is
``from tests.porting.torch_dataset import X``); tests/porting/test_torch_dataset.py runs its test/ files.

Each Lua file returns one function (a constructor of a table of closures); the Python module of the same name
defines that function under the file's name, and the tables are dicts (``index.itemCount(label)`` becomes
``index['itemCount'](label)``). Lua's multiple results are tuples; ``nil`` is ``None``.

Indices are 0-based: ``index.itemAt(i)`` takes ``0 .. itemCount() - 1``, a sampler draws from that range, a
partition is ``0 .. partitions - 1``, ``batch.index`` and ``labelIndex`` (the targets) count from 0.

SlowFS (``viewfs://`` part files) is ported over ``ipc.BackgroundTaskPool``; the tests register
TestUtils.lua's MockHDFS for it (its default constructor needs Twitter's ``hdfs`` rock).

Cache.lua is ported over ``ipc.flock``, with stand-ins for what it requires besides legonn: libdataset.py
(src/dataset.c's ``symlink``, ``link``, ``dirsize``) and murmurhash3.py (the rock's ``hash32``);
tests/porting/test_torch_dataset_cache.py runs test_Cache.lua. Not ported: ``Getters``' HTTP getter and ``http``
index URLs (luasocket's ``socket.http``, ``ltn12``)
with test_Getters.lua's testHTTP; test_offsets.lua calls ``libdataset.offsets``, which src/dataset.c does not
define (the test fails in the Lua repository too)."""
