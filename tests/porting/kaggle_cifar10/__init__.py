"""nagadomi/kaggle-cifar10-torch7 (MIT licence, Copyright (C) 2014 nagadomi) ported line by line onto legonn,
one Python file per Lua file under the Lua file's name; tests/porting/test_kaggle_cifar10.py runs it.

Stand-in, not part of the port and not part of legonn: ``ccn2.py``, for soumith/cuda-convnet2.torch (Alex
Krizhevsky's cuda-convnet2 CUDA kernels behind a Lua binding, which legonn does not provide): its
``SpatialConvolution(nInputPlane, nOutputPlane, kH, dH, padding)`` and ``SpatialMaxPooling(kW, dW)`` on
cuda-convnet's C x H x W x N layout, with ccn2's checks and output sizes, computed by legonn's nn modules.

Edits common to several files (each file's docstring lists its own):

* ``require './SETTINGS'``, ``require './lib/...'`` and ``require './very_deep_model'`` define globals
  (``DATA_DIR``, ``CLASSES``, ``data_augmentation``, ``very_deep_model``, ...): imports of the modules' names.
* Class ids are 0-based (SETTINGS.lua's ``LABEL2ID`` runs 1..10, here 0..9), as the one-hot vectors' positions
  and ``max``'s indices are; a number written to a file (predict.lua's ids) keeps its 1-based value.
* The scripts are ``main(arg)`` functions (the Lua runs them at load), run from the folder holding ``data/`` and
  ``models/``, as the Lua's relative paths mean. Their sizes (train.lua's and validate.lua's ``MAX_EPOCH``,
  validate.lua's ``TRAIN_SIZE``/``TEST_SIZE``, predict.lua's ``BATCH_SIZE``, convert_data.lua's ``TRAIN_N`` and
  ``TEST_N``) are module constants (some are locals of a function in Lua), so that a test can shrink them.
* ``:cuda()``, ``torch.CudaTensor`` and ``cutorch`` calls are kept: training and prediction run on a GPU (or
  CuPy's host simulator).
"""
