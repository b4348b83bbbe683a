"""facebookresearch/deepmask (BSD licence, Copyright (c) 2016-present, Facebook, Inc.) ported line by line onto
legonn, one Python file per Lua file under the Lua file's name; tests/porting/test_deepmask.py runs it.

Stand-ins, not part of the port and not part of legonn: ``coco.py`` (the few calls of the COCO API, a C library,
that deepmask makes, over a tiny synthetic dataset) and ``resnet_standin.py`` (a small random trunk with
fb.resnet.torch's ResNet-50 module layout, for ``pretrained/resnet-50.t7``).

Lua's ``paths.dofile('X.lua')`` is ``from . import X`` where the script runs it; the classes Lua's torch.class
makes global (``nn.DeepMask``, ``Trainer``, ``Infer``, ``DataSampler``, the meters) are the modules' classes.

Edits common to several files (each file's docstring lists its own):

* The scripts (train.lua, computeProposals.lua, evalPerPatch.lua, evalPerImage.lua) are ``main(arg)``, ``arg`` the
  command line; each returns what a test looks at (the Lua scripts return nothing). ``config`` is CmdLine's dict.
* ``DeepMask:inference()`` is called with ``config.np`` by the scripts, which Lua drops: the Python method takes
  and ignores it (``*_``).
* ``:cuda()``, ``torch.CudaTensor()`` and ``cutorch`` calls are kept: the scripts run on a GPU (or CuPy's host
  simulator) only, as deepmask's do; ``cutorch.setDevice(config.gpu)`` is ``config['gpu'] - 1`` (0-based devices).
* ``math.randomseed`` is ``random.seed`` (Lua's generator, docs/porting.md); ``collectgarbage()`` lines are
  dropped.
"""
