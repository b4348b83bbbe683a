"""gsig/charades-algorithms' Torch7 code (its torch/ folder; BSD licence, Copyright (c) 2016, Facebook, Inc., from
fb.resnet.torch, with Gunnar Atli Sigurdsson's Charades additions) ported line by line onto legonn, one Python
file per Lua file under the Lua file's name (``charades-gen.lua`` is ``charades_gen.py``, Python names having no
``-``); tests/porting/test_charades.py runs it on tiny synthetic videos.

Edits common to several files (each file's docstring lists its own):

* ``require('datasets/' .. opt.dataset)``, ``paths.dofile(opt.dataset .. '-gen.lua')`` and
  ``require('models/' .. opt.netType)`` look the ported modules up by name (``importlib``).
* Class ids are 0-based: the ``1+tonumber(string.sub(anno.c,2,-1)) -- 1-index`` of the generators is
  ``int(anno['c'][1:])``; the frame numbers in the file names (``id-000001.jpg``) are data and stay as they are.
* The scripts (main.lua, the exp/ files) are functions of ``arg``, the command line, returning what a test
  looks at (the Lua returns nothing); an exp file's fixed ``/mnt/raid00/...`` paths are the user's to edit
  (their ``morearg`` comes after ``arg``, so CmdLine keeps its values): ``exp.run(name, arg, paths)``.
* ``:cuda()``, ``torch.CudaTensor()`` and ``cutorch`` calls are kept: the repository trains on a GPU (or CuPy's
  host simulator); test_charades.py's CPU runs stand in for the GPU with a fixture that makes them identities.
"""
