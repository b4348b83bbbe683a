"""autograd.module: layers written with legonn functions as ``(f, params, ...)`` (torch-autograd's module/)."""
from .layer_normalization import LayerNormalization
from .masked_batch_normalization import MaskedBatchNormalization
from .soft_attention import SoftAttention

__all__ = ['LayerNormalization', 'MaskedBatchNormalization', 'SoftAttention']
