"""soumith/imagenet-multiGPU.torch (BSD licence, Copyright (c) 2016, Soumith Chintala): util.lua and models/*.lua
ported line by line onto legonn (its donkeys, data.lua, donkey.lua and dataset.lua, are ported in
tests/porting/test_imagenet_multigpu_donkeys.py)."""
