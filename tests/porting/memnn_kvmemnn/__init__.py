"""facebookarchive/MemNN's KVmemnn (key-value memory networks, Miller et al. 2016), ported line by line as far as
this package goes (licence: the repository's BSD licence with its PATENTS grant; the Lua is translated here to test
legonn, as the other ports are):

* library/c/pe_transform.c, sum_vecarr.c, wlts.c: the compiled ``libmemnn.so`` the modules ``ffi.load``, as
  Python functions in libmemnn.py (its docstring: the 0-based indices, the float/double pointers).
* library/PositionalEncoder.lua, SumVecarr.lua, WeightedLookupTableSkinny.lua: the three nn modules, registered
  under their Torch7 names (docs/porting.md's torch.class row).
* library/vector_array.lua: VectorArray, all but get_shared/new_shared (its docstring says why).
* library/dict.lua and library/parse.lua: the dictionary and the line parser (bAbI/WikiMovies lines, n-gram
  entities, TF-IDF weights at test time); their docstrings list their edits.
* library/cmd.lua and library/util.lua: the option parser and the helpers (logging, progress, shortFloat).
* library/base_model.lua: options, init_mlp, Tensor, reset, the training worker, serial training, validation
  while training and train, all but do_hogwild_train (its docstring says why).
* library/data.lua with library/c/data.c (in libmemnn.py): stories of examples from VectorArray files, memories,
  positive/negative labels, TF-IDF weights, unknown words; all but the hash and shared-data branches.
* library/memnn_model.lua in part (the embeddings, create_mlp, reset, update, fill_memory_slot, negsample_update)
  and library/kvmemnn_model.lua in part (create_nngraph, build_input, build_memory_vectors): the key-value memory
  network and its training step; their docstrings say what is left out.

Edits beyond Lua syntax and 0-based indices, each marked where it is made: ``local C = ffi.load('libmemnn.so')``
with its ``ffi.cdef`` is ``from . import libmemnn as C`` (docs/porting.md's ffi.load row); WeightedLookupTableSkinny
gets a ``parameters()`` returning None and an ``updateGradInput`` giving zeros (docs/porting.md's gradient-queue
row); ``self.gradInput[1] == nil`` of an
empty table is ``not self.gradInput``; a field the Lua reads before any assignment (``self.queueResize``,
``self._gradOutput``) is read with ``getattr(..., None)`` (docs/porting.md's field-never-set rule); SumVecarr hands
back the gradient of a DoubleTensor ``len`` as the input's copy, not the Lua's FloatTensor one (docs/porting.md's
row on a gradient of another floating type).

Not ported (time): hash.lua, eval_lib.lua, thread_utils.lua (raw THStorage pointers through ffi.cast; with it
base_model's do_hogwild_train, VectorArray's get_shared/new_shared, data.lua's shared branch), interactive_lib, the
rest of memnn_model.lua (the memory-network graph, prediction, the other updates, load/save) and the scripts
(build_dict, build_data, build_hash, train, eval). tests/porting/test_memnn_kvmemnn.py writes what build_data.lua
would (VectorArray files of a synthetic WikiMovies-style story corpus) and trains through base_model.lua's train.
"""
