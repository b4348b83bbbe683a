"""``nn.utils``: the helpers of Torch7's nn/utils.lua that ported code calls directly."""
from ...tensor.conversion import convert_tree


class utils:
    """Torch7's ``nn.utils`` namespace."""

    @staticmethod
    def recursiveType(param, typename, tensorCache=None):
        """``param`` (a tensor, module, or nested lists/dicts of them) converted to ``typename``
        ('legonn.DoubleTensor', 'torch.CudaTensor', ...): tensors are converted (views of one storage
        stay views of one converted storage, through ``tensorCache``), modules convert themselves,
        other values are returned unchanged."""
        return convert_tree(param, typename, {} if tensorCache is None else tensorCache)
