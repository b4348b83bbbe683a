"""Serial: dpnn's decorator that sets how the module it holds is saved (dpnn's Serial.lua)."""
from ..serialization.transient import serial_emptied
from ..tensor import TENSOR_CLASSES
from .decorators import Decorator


class Serial(Decorator):
    """Wraps ``module``; ``lg.save`` writes it converted to ``tensortype`` when one is given (e.g.
    ``'torch.FloatTensor'`` for a model trained on the GPU), leaving the model in memory as it is. Combine with
    the serial modes: ``nn.Serial(model).lightSerial()`` saves without buffers and gradients
    (modules/base/serial_modes.py)."""

    saves_as_tensortype = True

    def __init__(self, module, tensortype=None):
        super().__init__(module)
        if tensortype is not None:
            kind = str(tensortype).split('.', 1)[-1]
            if not str(tensortype).startswith(('torch.', 'legonn.')) or kind not in TENSOR_CLASSES:
                raise ValueError(f"Serial: expected a tensor type such as 'torch.FloatTensor', got {tensortype!r}")
        self.tensortype = tensortype

    def clone(self, *names):
        """The copy Torch7's ``clone`` makes, by writing and reading the module through Serial.lua's ``write``:
        each module of the copy leaves out what its serial mode names (``mediumSerial()``: outputs and
        buffers) and the copy is converted to ``tensortype`` when one is set; this module is untouched. With
        ``names`` the copy's tensors of those names then share this module's, as Module.lua's clone."""
        twin = super().clone()
        serial_emptied(twin)
        if twin.tensortype is not None:
            twin.type(twin.tensortype)
        if names:
            twin.share(self, *names)
        return twin
