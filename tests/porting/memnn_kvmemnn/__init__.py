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
* library/memnn_model.lua in part (building the embeddings, negsample_update) and library/kvmemnn_model.lua in
  part (create_nngraph, build_input): the key-value memory network and its training step; their docstrings say
  what is left out.

Edits beyond Lua syntax and 0-based indices, each marked where it is made: ``local C = ffi.load('libmemnn.so')``
with its ``ffi.cdef`` is ``from . import libmemnn as C`` (docs/porting.md's ffi.load row); WeightedLookupTableSkinny
gets a ``parameters()`` returning None and an ``updateGradInput`` giving zeros (docs/porting.md's gradient-queue
row); ``self.gradInput[1] == nil`` of an
empty table is ``not self.gradInput``; a field the Lua reads before any assignment (``self.queueResize``,
``self._gradOutput``) is read with ``getattr(..., None)`` (docs/porting.md's field-never-set rule).

Not ported (time): base_model, the rest of memnn_model and kvmemnn_model, data, hash, eval_lib, thread_utils
(raw THStorage pointers through ffi.cast), interactive_lib and the scripts (train, eval, build_dict,
build_data, build_hash), which run on data.lua and hash.lua. tests/porting/test_memnn_kvmemnn.py trains the
key-value network by negsample_update on a WikiMovies-like synthetic task, with stand-ins for create_mlp/reset
(base_model.lua) and data.lua's get_negative_label.
"""
