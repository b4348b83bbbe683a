"""init.lua: ``require 'texture'`` loads the perceptual-loss modules (fast-neural-style's, from that port: see
the package docstring) and MSG-Net's own Calibrate and Inspiration. ``require 'cunn'`` and ``require 'cudnn'``
are legonn's ``.cuda()`` and ``legonn.cudnn``."""
from tests.porting.test_fast_neural_style import InstanceNormalization, TotalVariation  # noqa: F401
from tests.porting.test_fast_neural_style_train import (  # noqa: F401
    ContentLoss, GramMatrix, PerceptualCriterion, StyleLoss)

# load packages from perceptual-loss
from tests.porting.test_texture_nets import add_dummy  # noqa: F401  (modules/utils.lua)

# load MSG-Net dependencies
from .Calibrate import Calibrate  # noqa: F401,E402
from .Inspiration import Inspiration  # noqa: F401,E402
