"""gaohuang/MSDNet (Huang et al., "Multi-Scale Dense Networks for Resource Efficient Image Classification", 2018;
its fb.resnet.torch-derived files keep Facebook's BSD licence, see the repository's License) ported line by line:
models/MSDNet_Layer.lua, models/JointTrainContainer.lua, models/msdnet.lua, opts.lua, train_joint.lua, saveTXT.lua
and main.lua's epoch loop, one module each. tests/porting/test_msdnet.py runs them."""
