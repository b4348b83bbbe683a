"""What every legonn.cudnn class shares: it stands for a ``cudnn.*`` Lua class (its ``legonn.typename`` is
'cudnn.ReLU', its repr starts with ``cudnn.``, files record it under that name), and the convolutions'
algorithm-choice methods, which legonn accepts and ignores."""


class CudnnClass:
    """Mixin put before the nn parent: the class is cudnn.<name> in typenames, reprs and saved files."""

    lua_package = 'cudnn'

    def __repr__(self):
        text = super().__repr__()
        return 'cudnn.' + text[3:] if text.startswith('nn.') else text


class AlgorithmChoice:
    """cudnn.torch's ``fastest``, ``setMode``, ``resetMode`` and ``resetWeightDescriptors`` of the convolutions.

    They choose among cuDNN's convolution algorithms, which all compute the same maths; legonn has one
    (im2col + GEMM, legonn.tensor.conv_kernels), so the choice is recorded in the fields the Lua sets
    (``fastest_mode``, ``fmode``, ``bdmode``, ``bwmode``) and changes nothing else. fb.resnet.torch's
    ``m:setMode(1, 1, 1)`` (deterministic algorithms) is therefore a no-op: legonn's are deterministic.
    """

    def fastest(self, mode=True):
        self.fastest_mode = mode
        return self

    def setMode(self, fmode=None, bdmode=None, bwmode=None):
        for name, value in (('fmode', fmode), ('bdmode', bdmode), ('bwmode', bwmode)):
            if value is not None:
                setattr(self, name, value)
        return self

    def resetMode(self):
        self.fmode = self.bdmode = self.bwmode = None
        return self

    def resetWeightDescriptors(self, *desc):
        return self
