"""StacyYang/MSG-Net's Torch7 part (Copyright (c) 2017 Hang Zhang, Rutgers University; free for research or
non-profit use with the copyright notice and the authors' names kept: this notice keeps them) ported line by
line onto legonn, one Python file per Lua file under the Lua file's name; tests/porting/test_msg_net.py runs it.

MSG-Net's ``texture`` package copies jcjohnson/fast-neural-style's modules: GramMatrix.lua, TotalVariation.lua,
InstanceNormalization.lua, layer_utils.lua, experiments/utils/utils.lua and preprocess.lua are the same files
(``diff -w`` shows only the ``require`` lines and one commented-out line), and ContentLoss.lua, StyleLoss.lua and
PerceptualCriterion.lua are fast-neural-style's without the ``loss_type``/``agg_type`` arguments and DeepDream
layers (the defaults MSG-Net keeps). Those come from the fast-neural-style port (tests/porting/
test_fast_neural_style.py and test_fast_neural_style_train.py) instead of a second copy; modules/utils.lua's
``add_dummy`` is texture_nets' (Dmitry Ulyanov's, as its comment says) and comes from that port. Calibrate.lua and
Inspiration.lua (the CoMatch layer) are MSG-Net's own and are ported here.

Edits common to several files (each file's docstring lists its own):

* ``require 'texture'`` is ``from tests.porting.msg_net import init as texture`` and ``nn.Calibrate``,
  ``nn.Inspiration``, ``nn.GramMatrix``, ... are ``texture.Calibrate``, ...: a port never registers classes
  into legonn's ``nn`` (docs/porting.md's row on adding functions to torch's tables).
* ``style_image:add_dummy()`` (a method utils.lua adds to torch.FloatTensor) is ``add_dummy(style_image)``
  (the same row).
* Layer strings address container positions: MSG-Net's defaults ``-style_layers 4,9,16,23`` and
  ``-content_layers 16`` are ``'3,8,15,22'`` and ``'15'`` (0-based), as in the fast-neural-style port.
* Scripts (main.lua, test.lua) are ``main(arg)``; ``opts.parse(arg)`` reads ``arg`` as the Lua does. Lua's
  global ``DataLoader`` class and ``models`` table are the modules' names.
"""
