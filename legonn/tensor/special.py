"""Special functions the modules need and Torch7 lacks (dpnn's ReinforceGamma called the cephes rock for them),
written on the arrays' own module so they run on NumPy and CuPy alike."""

# the asymptotic series of digamma, ln x - 1/(2x) - sum_k B_2k / (2k x^2k), in powers of 1/x^2
_DIGAMMA_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def digamma(x, xp):
    """psi(x) = d ln Gamma(x) / dx of the floating array ``x`` (x > 0; NaN elsewhere), element-wise, in float64:
    the recurrence psi(x) = psi(x + 1) - 1/x lifts every value to at least 10, where the asymptotic series is
    accurate to about 1e-15."""
    x = xp.asarray(x, dtype='float64')
    shift = xp.zeros_like(x)
    z = xp.where(x > 0, x, 1.0)   # the result there is NaN; 1 keeps the recurrence free of divisions by zero
    for _ in range(10):
        small = z < 10
        shift -= xp.where(small, 1 / z, 0)
        z = xp.where(small, z + 1, z)
    inv2 = 1 / (z * z)
    series = xp.zeros_like(z)
    for c in reversed(_DIGAMMA_SERIES):
        series = (series + c) * inv2
    out = xp.log(z) - 0.5 / z - series + shift
    return xp.where(x > 0, out, float('nan'))
