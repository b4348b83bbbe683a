"""xiaolonw/ss-gan (Style and Structure GAN, ECCV 2016; the repository carries no licence file, and its
dataset.lua, data.lua and the adversarial step come from facebook/eyescream and soumith/imagenet-multiGPU.torch,
BSD licence, Copyright (c) 2015-present, Facebook, Inc.) ported line by line onto legonn, one Python file per Lua
file under the Lua file's name, one subpackage per folder; tests/porting/test_ss_gan.py runs it.

Ported (each file whole): structure-gan/train.lua, adversarial_ct.lua, data.lua, donkey.lua, dataset.lua and
test.lua (the surface-normal GAN); style-gan-nofcn/train.lua, conditional_adversarial_rgb.lua, donkey.lua and
test.lua (the style GAN conditioned on normals; its data.lua and dataset.lua are structure-gan's, imported);
joint-ssgan/train.lua, joint_train_bi.lua, donkey.lua and test.lua (the joint training of the two; data.lua and
dataset.lua imported likewise). The data are a list file of normal maps and photos written by the test.

Not ported (time): style-gan-fcn (the style GAN with the FCN normal-estimation loss: train_gan.lua, train_fcn.lua,
fcn_train_cls.lua, joint_train.lua, test_fcn.lua, test_gan.lua, its donkey.lua) and tools/convert_model*.lua.
``display`` (a plotting server) is never reached (``xlua.require('display')`` fails and the script says so).
"""
