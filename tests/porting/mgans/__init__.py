"""chuanli11/MGANs (Markovian Generative Adversarial Networks; MIT licence, Copyright (c) 2016 Chuan Li) ported line
by line onto legonn, one Python file per Lua file of code/ under the Lua file's name; tests/porting/test_mgans.py
runs it.

Ported: code/lib/helper.lua, lib/tv.lua, lib/tv2.lua, lib/util.lua, MGAN_wrapper.lua (the GAN's training),
AG_wrapper.lua (the data augmentation writing the training patches), MDAN_wrapper.lua (the Markovian
deconvolutional network's iterative synthesis that makes the style targets), release_MGAN.lua and demo_MGAN.lua
(their bodies as ``main(opt)``, opt being the table they build, loadcaffe_wrap and the file names coming from the
caller).

Not ported: lib/loadcaffe_wrapper.lua (an ffi binding of loadcaffe's C++ library and the .lua file it writes;
the test's stand-in ``load`` returns a tiny VGG-19 layout) and train.lua (the driver calling the three wrappers with
constants, and MDAN first). The ``display`` package (disp.image, disp.plot) is the caller's stand-in.
"""
