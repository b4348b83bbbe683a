"""``multinomial``: Torch7's ``torch.multinomial(prob, n, replacement)``, 0-based."""
import numpy as np

from .functions import as_tensor
from .random import generator
from .tensor import Tensor


def multinomial(prob, n, replacement=False):
    """``n`` category indices (0-based) drawn from the weights ``prob``: ``(k,)`` gives a LongTensor
    ``(n,)``, ``(rows, k)`` one row of ``n`` draws per row of weights. Weights need not sum to one.
    Without ``replacement`` each index appears at most once per row (weighted sampling without
    replacement), so ``n`` must not exceed the count of positive weights. Uses legonn's RNG."""
    prob = as_tensor(prob)
    if prob.dim() not in (1, 2) or prob.dtype.kind != 'f':
        raise ValueError(f"legonn.multinomial: expected a 1-D or 2-D floating tensor of weights, got "
                         f"{prob.type()} of size {tuple(prob.size())}")
    xp = prob.xp
    w = prob.array.reshape(-1, prob.size(-1)).astype(np.float64)
    if not bool(xp.isfinite(w).all()) or bool((w < 0).any()) or bool((w.sum(axis=1) <= 0).any()):
        raise ValueError("legonn.multinomial: expected finite non-negative weights with a positive sum per row")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"legonn.multinomial: n must be a positive integer, got {n!r}")
    positive = int((w > 0).sum(axis=1).min())
    if not replacement and n > positive:
        raise ValueError(f"legonn.multinomial: cannot draw {n} distinct categories without replacement from "
                         f"{positive} with positive weight")
    gen = generator(prob.is_cuda)
    if replacement:
        cdf = xp.cumsum(w, axis=1)
        u = gen.uniform(size=(w.shape[0], n)) * cdf[:, -1:]
        picked = (cdf[:, None, :] <= u[:, :, None]).sum(axis=2)    # the first category whose cdf exceeds u
    else:
        # Gumbel top-n: keys log(w) + Gumbel noise, sorted, give weighted sampling without replacement
        with np.errstate(divide='ignore'):
            keys = xp.log(w) - xp.log(-xp.log(gen.uniform(size=w.shape)))
        picked = xp.argsort(-keys, axis=1)[:, :n]
    picked = picked.astype(np.int64, copy=False)   # already an array of xp: both draws run on prob's device
    # int64 on prob's device: a LongTensor or CudaLongTensor
    return Tensor._from_array(picked.reshape(n) if prob.dim() == 1 else picked)
