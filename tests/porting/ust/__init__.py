"""Yijunmaverick/UniversalStyleTransfer (Li et al. 2017, "Universal Style Transfer via Feature Transforms"; MIT licence,
Copyright (c) 2017 Yijun Li, kept for this translation) ported line by line onto legonn, one Python file per Lua file
under the Lua file's name; tests/porting/test_ust.py runs it.

Ported: test_wct.lua, test_wct_mask.lua, test_wct_interpolation2.lua, test_adain.lua (each a module whose ``main(arg)``
is the script's main chunk; the Lua globals ``opt``, ``vgg1`` ... ``decoder5`` and ``mask`` are the module's),
lib/NonparametricPatchAutoencoderFactory.lua (this repo's variant: the decoders keep their bias and the patches are
copied one by one) and lib/utils.lua's ``sizePreprocess`` (this repo's, without ``crop``). lib/MaxCoord.lua and
lib/AdaptiveInstanceNormalization.lua are the files rtqichen/style-swap and xunhuang1995/AdaIN-style hold, byte for
byte, so their ports are imported (tests/porting/style_swap/MaxCoord.py, tests/porting/adain_style.py), as are
utils.lua's ``getPreprocessConv``, ``extractImageNamesRecursive`` and ``torch.find``, the same lines as AdaIN-style's
utils.lua.

The scripts' ``require 'cudnn'``/``require 'cunn'`` import nothing (the encoders hold nn modules); the pretrained
vgg_normalised_convX_1.t7 and feature_invertor_convX_1.t7 files are downloads, so the tests write small stand-ins of
their layout. The edits beyond Lua syntax and 0-based indices: a number joined into a file name is written with
``lg.tostring`` (Lua's ``..`` writes ``0.6*100`` as ``60``, docs/porting.md's ``%.14g`` row), and utils.lua's
``torch.find`` is the plain function ``find`` (docs/porting.md's row on functions added to torch's tables).

Not ported: models/VGG_ILSVRC_19_layers_deploy.prototxt.lua, loadcaffe's VGG-19 definition, which no script requires
(the encoders are the downloaded .t7 files), and the README's images.
"""
