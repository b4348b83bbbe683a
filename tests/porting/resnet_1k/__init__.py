"""KaimingHe/resnet-1k-layers (He et al., "Identity Mappings in Deep Residual Networks", 2016; its model file
incorporates fb.resnet.torch's, BSD licence, see the repository) ported line by line: resnet-pre-act.lua, a model
file for fb.resnet.torch's models/ (``-netType resnet-pre-act``). tests/porting/test_resnet_1k.py runs it with the
fb.resnet.torch Trainer that tests/porting/test_resnext.py ports."""
