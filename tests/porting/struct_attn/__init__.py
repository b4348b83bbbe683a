"""harvardnlp/struct-attn (MIT licence, Yoon Kim, Carl Denton, Luong Hoang, Alexander M. Rush) ported line by line
onto legonn, one Python file per Lua file under the Lua file's name (``models/X.lua`` is ``X.py``, a dash is an
underscore); tests/porting/test_struct_attn.py runs it.

Ported: models/Util.lua, Markov.lua, CRF.lua, CRFB.lua, EisnerCRF.lua, models-nmt.lua, models-entail.lua,
model_utils.lua (its adagrad/adam/adadelta steps; clone_many_times imported), test-eisnercrf.lua (as
``eisnercrf_testlua.py``, so that pytest does not collect it), data-nmt.lua, data-entail.lua, train-nmt.lua,
train-entail.lua and train-qa.lua.

Not ported: predict-nmt.lua (an older copy of seq2seq-attn's beam search, whose port is
tests/porting/seq2seq_attn_beam.py; its generate_beam calls ``:cuda()`` on the source unconditionally, so it runs
on a GPU only, and it was not reached in this port's time), models/memory.lua (the im2markup port's, see below), and the Python preprocessing scripts (Python already; the
tests write their hdf5 files directly).

Lua's ``require 'models/X.lua'`` is ``from . import X``; the classes and functions the Lua makes global
(``Util``, ``Markov``, ``nn.CRF``, ``nn.CRFB``, ``get_sizes_uni``, ...) are the modules' names.

Edits common to several files (each file's docstring lists its own):

* ``require "cuda-mod"`` (harvardnlp's CUDA C library, loaded by CRF:updateOutput on a CudaTensor; it gives
  ``Util.fixnan`` its ``FixNaN`` kernel) is not ported: it is a compiled library. ``Util.fixnan`` takes its CPU
  branch, ``v:apply(isnan)``, which legonn runs on CUDA tensors too.
* models/memory.lua and models/model_utils.lua's ``clone_many_times`` are the files harvardnlp/seq2seq-attn and
  im2markup carry: their ports are tests/porting/im2markup.py's (installed on nn.Module by the test's fixture).
"""
