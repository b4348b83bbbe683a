"""rtqichen/style-swap (MIT licence, Copyright (c) 2016 Tian Qi Chen) ported line by line onto legonn, one Python
file per Lua file under the Lua file's name; tests/porting/test_style_swap.py runs it.

Ported: lib/NonparametricPatchAutoencoderFactory.lua, lib/MaxCoord.lua, lib/TVLossModule.lua,
lib/InstanceNormalization.lua, lib/StyleGramMatrixLossModule.lua (its gradient through legonn.autograd, as the
Lua's through torch-autograd), lib/StylePatchLossModule.lua, lib/ArtisticStyleLossCriterion.lua,
lib/ImageLoader.lua, helpers/preprocess.lua, helpers/utils.lua, style-swap.lua (its body as ``main(opt, vgg)``,
with ``synth`` and ``swapTransfer``) and train-vgg-decoder.lua (``build``: the decoder mirroring the encoder;
``train``: ``style_swap`` and the training closure). Files of the repo that AdaIN-style copied verbatim are
imported from that port (tests/porting/adain_style.py): lib/TVLossCriterion.lua, lib/ContentLossModule.lua
(AdaIN's also keeps an unused ``nChannel`` argument) and helpers/preprocess.lua's getPreprocessConv.
helpers/utils.lua's getPreprocessConv holds CommNet's port's registered NoGradient for its nop methods, since
train-vgg-decoder.lua saves the encoder that holds it (docs/porting.md's row on a method replaced on one module).

Not ported: lib/ImageLoaderAsync.lua (AdaIN-style's port of the same loader exists; train-vgg-decoder's batches
come from a stand-in here), the lapp option parsing (a dict of the options with their defaults) and
train-vgg-decoder's ``-display`` (the display web package).
"""
