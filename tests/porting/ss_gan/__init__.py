"""xiaolonw/ss-gan (Style and Structure GAN, ECCV 2016; the repository carries no licence file, and its
dataset.lua, data.lua and the adversarial step come from facebook/eyescream and soumith/imagenet-multiGPU.torch,
BSD licence, Copyright (c) 2015-present, Facebook, Inc.) ported line by line onto legonn, one Python file per Lua
file under the Lua file's name, one subpackage per folder; tests/porting/test_ss_gan.py runs it.

Ported: structure-gan/train.lua, adversarial_ct.lua, data.lua, donkey.lua, dataset.lua (all: the surface-normal
GAN, trained on a list file of normal maps written by the test).

Not ported (time): style-gan-nofcn, style-gan-fcn, joint-ssgan, the test scripts and tools/convert_model*.lua;
``display`` (a plotting server) is never reached (``xlua.require('display')`` fails and the script says so).
"""
