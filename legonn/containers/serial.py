"""Serial: dpnn's decorator that sets how the module it holds is saved (dpnn's Serial.lua)."""
from ..serialization.transient import serial_emptied
from ..tensor import TENSOR_CLASSES
from .decorators import Decorator


class Serial(Decorator):
    """Wraps ``module``; ``lg.save`` writes it converted to ``tensortype`` when one is given (e.g.
    ``'torch.FloatTensor'`` for a model trained on the GPU), leaving the model in memory as it is. Combine with
    the serial modes: ``nn.Serial(model).lightSerial()`` saves without buffers and gradients
    (modules/base/serial_modes.py)."""

    saves_as_tensortype = True   # Module.clone copies it through _as_written, lg.save through its tensortype

    def __init__(self, module, tensortype=None):
        super().__init__(module)
        if tensortype is not None:
            kind = str(tensortype).split('.', 1)[-1]
            if not str(tensortype).startswith(('torch.', 'legonn.')) or kind not in TENSOR_CLASSES:
                raise ValueError(f"Serial: expected a tensor type such as 'torch.FloatTensor', got {tensortype!r}")
        self.tensortype = tensortype

    def _as_written(self):
        """This copy (made by ``clone``, of this Serial or of a model holding it) as Serial.lua's ``write``
        saves it: each module under it leaves out what its serial mode names (``mediumSerial()``: outputs and
        buffers), and the whole is converted to ``tensortype`` when one is set."""
        serial_emptied(self)
        if self.tensortype is not None:
            self.type(self.tensortype)
