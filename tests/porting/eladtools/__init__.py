"""eladhoffer/eladtools (MIT licence), the parts eladhoffer's training programs require: Optimizer.lua
(Optimizer.py) and EarlyStop.lua (EarlyStop.py). ImageNet-Training's Main.lua (tests/porting/
test_imagenet_training_main.py), captionGeneration.torch, seq2seq.torch, recurrent.torch's examples and
triplet-net import them from here, as each Lua program ``require``s the one eladtools."""
