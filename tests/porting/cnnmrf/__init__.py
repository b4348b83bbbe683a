"""chuanli11/CNNMRF (Li and Wand, "Combining Markov Random Fields and Convolutional Neural Networks for Image
Synthesis", CVPR 2016; MIT licence, Copyright 2016 Chuan Li and Michael Wand) ported line by line: cnnmrf.lua
(as ``main(arg)``), transfer_CNNMRF_wrapper.lua (guided synthesis, ``main(params)`` and ``run_test``),
syn_CNNMRF_wrapper.lua (un-guided synthesis, the same without content layers),
mylib/helper.lua, mylib/mrf.lua (nn.MRFMM), mylib/content.lua (nn.ContentLoss), mylib/style.lua (nn.StyleLoss,
unused by the scripts), mylib/tv.lua (neural-style's TVLoss, whose port is imported) and mylib/myoptimizer.lua
(``mylbfgs``). tests/porting/test_cnnmrf.py runs them on a tiny VGG-19 caffemodel written by the test.

Not ported: run_syn.lua and run_trans.lua (lists of run_test calls on the repository's photographs),
data/models/download_models.sh.

Edits beyond Lua syntax and 0-based indices, each marked where it is made:

* Layer numbers and coordinates count from 0: the ``-mrf_layers``/``-content_layers`` defaults '12,21' and '21'
  are '11,20' and '20'; ``computegrid``'s grids start at 0; ``computeBB`` keeps its 1-based box (it is geometry),
  so the wrapper's crop reads ``min_y - 1:max_y``.
* ``x[#x]`` of a 1-D tensor is ``x[-1]`` (docs/porting.md's row); ``table.insert(t, i, v)`` at the end is
  ``t.insert(i, v)``; a Lua table read past its end (``content_layers_pretrained[next_content_idx]``) is guarded
  with its length (docs/porting.md's row).
* ``split``'s Lua pattern ``"(.-)" .. pat`` is the regular expression ``'(.*?)' + pat``, and ``tonumber`` a
  small function giving an int for an integer string (Lua prints and compares both alike).
* ``os.execute('mkdir ...')`` is ``os.system``; ``collectgarbage()`` lines are left out; ``do return end`` is
  ``return``; ``error('Invalid init type')`` raises ValueError.
* ``main`` returns the last image and each resolution's f history for the tests (the Lua returns nothing);
  ``cnnmrf.main`` returns what the wrapper returns.
* mrf.lua's ``self.padW = padW or 0`` reads a global never set (nil): it is ``0``. OpenCL (``:cl()``,
  cltorch/clnn) is not part of legonn: those branches are kept and fail if taken, as without cltorch; on the CPU
  the Lua runs only with ``-mode memory`` (in 'speed' mode computeMRFnoTensor's ``gpu`` flag is 1, so the
  patches go ``:cl()`` when the backend is 'nn'), which the tests use.
* ``input.THNN.SpatialConvolutionMM_updateOutput(...)`` in mrf.lua needed legonn to provide that THNN function
  (legonn/modules/spatial_convolution.py, tests/modules/test_spatial_convolution.py).
"""
