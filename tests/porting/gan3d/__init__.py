"""zck119/3dgan-release (Wu, Zhang et al., NIPS 2016; the repository carries no licence file) ported line by line onto
legonn, one Python file per Lua file under the Lua file's name; tests/porting/test_gan3d.py runs it.

Ported: main.lua (all: the options, the class selection, the generator loaded from its .t7 file, its
convolution biases zeroed, the latent vectors read from a .mat file or drawn uniformly, the batched forward into
a 64^3 voxel tensor, the result saved). The repository holds no training code and no Lua model definitions: its
generators are downloaded .t7 files, so the test writes a small one in Torch7's format (tests/porting/test_gan3d.py).

Not ported: the .mat reading and writing (``require 'matio'`` / ``fb.mattorch``, C libraries that legonn has no
counterpart of; ``main`` takes the ``mat`` module as an argument and the test gives it a stand-in storing the
same tables with ``lg.save``); the visualisation folder (MATLAB and Python 2 scripts with VTK, no Lua).
"""
