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


# Leon Bottou's polynomial for exp(-x/8), raised to the 8th power (TH's THLogAdd.c, EXACT_EXPONENTIAL 0)
_EXP_MINUS_APPROX = (1.0, 0.125, 0.0078125, 0.00032552083, 1.0172526e-5)


def exp_minus_approx(x, xp):
    """Torch7's THExpMinusApprox: about exp(-x) for x >= 0 (absolute error under 3e-5, relative under 2e-6 for
    x < 1), 0 from x = 13 on, in float64, element-wise; nnx's SoftMaxTree sums its log-softmax with it, so
    Torch7's numbers carry its error."""
    x = xp.asarray(x, dtype='float64')
    a0, a1, a2, a3, a4 = _EXP_MINUS_APPROX
    y = a0 + x * (a1 + x * (a2 + x * (a3 + x * a4)))
    y = y * y
    y = y * y
    y = y * y
    return xp.where(x >= 13.0, 0.0, 1 / y)   # a NaN stays NaN (the C's ``x < 13.0`` test would make it 0)
