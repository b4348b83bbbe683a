"""Torch7's bilinear interpolation as a matrix along one axis (SpatialUpSamplingBilinear, UpSampling)."""


def interpolation_matrix(xp, n_in, n_out, dtype):
    """(n_out, n_in) weights of Torch7's bilinear rule along one axis (corners aligned)."""
    ratio = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    pos = xp.arange(n_out, dtype=xp.float64) * ratio
    low = xp.floor(pos).astype(xp.int64)
    frac = pos - low
    high = xp.minimum(low + 1, n_in - 1)
    cols = xp.arange(n_in)[None, :]
    m = (cols == low[:, None]) * (1 - frac)[:, None] + (cols == high[:, None]) * frac[:, None]
    return m.astype(dtype)
