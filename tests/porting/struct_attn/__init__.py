"""harvardnlp/struct-attn (MIT licence, Yoon Kim, Carl Denton, Luong Hoang, Alexander M. Rush) ported line by line
onto legonn, one Python file per Lua file under the Lua file's name (``models/X.lua`` is ``X.py``, a dash is an
underscore); tests/porting/test_struct_attn.py runs it.

Lua's ``require 'models/X.lua'`` is ``from . import X``; the classes and functions the Lua makes global
(``Util``, ``Markov``, ``nn.CRF``, ``nn.CRFB``, ``get_sizes_uni``, ...) are the modules' names.

Edits common to several files (each file's docstring lists its own):

* ``require "cuda-mod"`` (harvardnlp's CUDA C library, loaded by CRF:updateOutput on a CudaTensor; it gives
  ``Util.fixnan`` its ``FixNaN`` kernel) is not ported: it is a compiled library. ``Util.fixnan`` takes its CPU
  branch, ``v:apply(isnan)``, which legonn runs on CUDA tensors too.
* models/memory.lua and models/model_utils.lua's ``clone_many_times`` are the files harvardnlp/seq2seq-attn and
  im2markup carry: their ports are tests/porting/im2markup.py's (installed on nn.Module by the test's fixture).
"""
