"""DmitryUlyanov/online-neural-doodle (feed-forward neural doodle: a generator trained on random masks against
masked Gram-matrix losses of a VGG-19; the repository has no licence file, its README credits texture_nets and
neural-doodle) ported line by line: feedforward_neural_doodle.lua (as ``main(arg)``), src/descriptor_net.lua,
src/style_loss.lua, src/utils.lua, models/skip_noise_4.lua (as ``model()``) and apply.lua (as ``main(arg)``).
tests/porting/test_online_neural_doodle.py runs them; its docstring says which stand-ins are used.

Not ported: generate.py, diamond.py and apply.py (Python 2 helpers over h5py, scikit-learn and scikit-image that
write the masks' hdf5 files: the test writes files of the same layout, ``style_img``, ``style_mask``, ``n_train``,
``train_mask_<i>`` numbered from 0, ``mask``), data/pretrained/download_models.sh, and szym/display (``display =
require('display')``, a browser viewer that is no part of legonn: the script still imports a module named
``display``, which the tests provide as a recorder).

Edits beyond Lua syntax and 0-based indices, each marked where it is made:

* The script hard-codes the GPU (``require 'cunn'``, ``:cuda()`` on the VGG, the generator, the batches, the loss
  modules; style_loss.lua's ``GramMatrix():cuda()``). Each ``:cuda()`` is ``.type(utils.dtype)``, with
  ``utils.dtype = 'torch.CudaTensor'`` as the Lua's; the CPU tests set it to 'torch.FloatTensor', the GPU test
  keeps it. ``require 'cutorch'``/``'cunn'`` have nothing to import.
* Lua's one global table: the globals one file sets and another reads are module globals of the file that reads
  them, assigned by the script: ``utils.backend`` and ``utils.conv`` (``backend = cudnn``/``nn``, ``conv =
  convc``), ``descriptor_net.cnn`` (the VGG), and skip_noise_4's ``params``, ``n_colors``, ``net_input_depth``.
  ``require('models/' .. params.model_name)`` imports that module and calls its ``model()``.
* ``torch.FloatTensor:add_dummy()`` is the plain function ``add_dummy(x)`` (docs/porting.md's row on functions
  added to torch's tables); DummyGradOutput is texture_nets' Lua, whose port is imported.
* descriptor_net.lua reads ``params.style_weight``, an option the script never declares (nil): ``params.get``.
  ``-normalize_gradients`` stays the string the option gives, so ``'false'`` is true as in Lua (any string
  is): the style gradients are always L1-normalised, in Torch7 too.
* The preview file names keep the Lua's 1-based image numbers (``train1_10.png``); ``torch.save`` is
  ``lg.save``.
"""
