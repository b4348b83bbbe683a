"""rtqichen/style-swap (MIT licence, Copyright (c) 2016 Tian Qi Chen) ported line by line onto legonn, one Python
file per Lua file under the Lua file's name; tests/porting/test_style_swap.py runs it.

Ported: lib/NonparametricPatchAutoencoderFactory.lua, lib/MaxCoord.lua, lib/TVLossModule.lua,
lib/InstanceNormalization.lua, lib/ArtisticStyleLossCriterion.lua (its content and TV path; the Gram and patch
style-loss modules it can attach are not ported), lib/ImageLoader.lua, helpers/utils.lua, style-swap.lua
(``synth`` and ``swapTransfer``, the script's body as functions taking ``opt``) and train-vgg-decoder.lua (the
decoder built from the encoder, ``style_swap`` and the training closure). Files of the repo that AdaIN-style
copied verbatim are imported from that port (tests/porting/adain_style.py): lib/TVLossCriterion.lua,
lib/ContentLossModule.lua (AdaIN's also keeps an unused ``nChannel`` argument) and helpers/preprocess.lua's
getPreprocessConv. helpers/utils.lua's getPreprocessConv holds CommNet's port's registered NoGradient for its
nop methods, since train-vgg-decoder.lua saves the encoder that holds it (docs/porting.md's row).

Not ported: lib/StyleGramMatrixLossModule.lua and lib/StylePatchLossModule.lua (neither script uses them: both
set only content and TV weights), lib/ImageLoaderAsync.lua (AdaIN-style's port of the same loader exists;
train-vgg-decoder's batches come from a stand-in here), the lapp option parsing (a dict), display and
cudnn.convert (no-ops on the CPU).
"""
