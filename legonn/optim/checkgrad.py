"""Finite-difference gradient check, Torch7's ``optim.checkgrad``."""
import math

from .closure import evaluate, evaluate_loss, parameters, wrap


def checkgrad(opfunc, x, eps=1e-7):
    """Compare ``opfunc``'s gradient at ``x`` with central differences of step ``eps``.

    Returns ``(diff, dC, dC_est)``: ``diff = |dC - dC_est| / |dC + dC_est|``
    (near 0 for a correct gradient; use float64 and ``eps`` around 1e-6..1e-7; 0 when both are
    exactly zero, where Torch7's checkgrad.lua divides 0 by 0 and returns NaN),
    ``dC`` a copy of the gradient opfunc returned, ``dC_est`` the estimate.
    Each element of ``x`` is perturbed in turn and put back exactly.
    """
    x = parameters('checkgrad', x)
    _, grad = evaluate('checkgrad', opfunc, x)
    xp, xa = x.xp, x.array
    dC = xp.array(grad.array, copy=True)   # opfunc may reuse its gradient buffer on the next call
    est = xp.empty_like(dC)
    flat_x = xa.reshape(-1) if xa.flags.c_contiguous else None
    if flat_x is None:
        raise ValueError(f"optim.checkgrad: x must be contiguous, got strides {tuple(x.stride())}")
    flat_est = est.reshape(-1)
    for i in range(flat_x.size):
        orig = flat_x[i].item()
        flat_x[i] = orig + eps
        c1 = evaluate_loss('checkgrad', opfunc, x)
        flat_x[i] = orig - eps
        c2 = evaluate_loss('checkgrad', opfunc, x)
        flat_x[i] = orig
        flat_est[i] = (c1 - c2) / (2 * eps)
    num = float(xp.linalg.norm((dC - est).ravel()))
    den = float(xp.linalg.norm((dC + est).ravel()))
    diff = num / den if den != 0 else (0.0 if num == 0 else math.inf)
    return diff, wrap(dC), wrap(est)
