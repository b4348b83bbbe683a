"""facebookresearch/multipathnet (BSD licence, Copyright (c) 2016-present, Facebook, Inc.) ported line by line
onto legonn, one Python file per Lua file under the Lua file's name (modules/, loaders/, models/, engines/,
testCoco/ as in the repository); tests/porting/test_multipathnet.py runs it.

Stand-ins, not part of the port and not part of legonn: ``coco.py`` (cocoapi's LuaAPI CocoApi, over the deepmask
port's stand-in), ``testCoco/coco.py`` (pycocotools' COCOeval, which the Lua calls through fb.python), and the
test's small VGG16-layout trunk for ``data/models/imagenet_pretrained_vgg.t7``. nms.c (a C library loaded with
ffi) is ported as nms.py.

models/multipathnet.lua (the MultiPath Network: its foveal towers in nn.ModelParallelTable,
modules/ModelParallelTable.lua, each tower on a GPU of ``opt.train_nGPU``, round robin) and ModelParallelTable.lua
are ported and run by tests/porting/test_multipathnet_model_parallel.py on one device (the simulator has one),
with modules/test.lua (modules/test.py: its checks through ``lg.Tester``). Not ported: demo.lua (DeepMask's
SharpMask proposals over a photo, then a trained ``resnet18_integral_coco.t7``, drawing masks and class names:
it needs both trained models, the COCO API's C mask code (``MaskApi.toBbox``) and image.drawText);
models/alexnet, inceptionv3, nin and resnet (the same Fast R-CNN head over other pretrained trunks, whose files
are not here; resnet.lua also needs inn.utils.foldBatchNorm); train.lua's ``opt.checkpoint`` branch (its
``checkpoint`` module is not in the repository).

Common edits (each file's docstring lists its own): 0-based images, classes (background 0 in targets) and box
coordinates (docs/porting.md's ROIPooling row: every column of a roi 0-based); ``opt``, the Lua's global, is an
argument; ``:cuda()``, ``torch.CudaTensor`` and ``cutorch`` calls are kept, so the training and testing run on
a GPU or CuPy's host simulator (as multipathnet's), the data side on the CPU; ``self.x = self.x or
x.new()`` is ``if getattr(self, 'x', None) is None`` (a tensor's truth is NumPy's); torch.class'es are
registered under the Lua's names (``lg.register``)."""
from .modules import (BBoxNorm, BBoxRegressionCriterion, ContextRegion, ConvertFrom, Foveal,  # noqa: F401
                      ImageTransformer, ModelParallelTable, ModeSwitch, NoBackprop, SelectBoxes, SequentialSplitBatch)
