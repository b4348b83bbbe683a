"""Resilient backpropagation (Riedmiller), Torch7's ``optim.rprop``."""
import numbers

from .closure import buffer, evaluate, parameters, restoring, scratch, settings, wrap

DEFAULTS = {'stepsize': 0.1, 'etaplus': 1.2, 'etaminus': 0.5, 'stepsizemax': 50.0, 'stepsizemin': 1e-6, 'niter': 1}
STATE = ('delta', 'stepsize', 'sign')


def rprop(opfunc, x, config=None, state=None):
    """``niter`` RPROP steps: per-element step sizes grow by ``etaplus`` while the gradient keeps its sign,
    shrink by ``etaminus`` when it flips (that element then skips one move), capped at ``stepsizemax`` and
    then raised to ``stepsizemin``; ``x <- x - sign(g) * stepsize`` with Torch7's sign (0 for a NaN gradient).

    config: ``stepsize`` (0.1, the initial step), ``etaplus`` (1.2), ``etaminus``
    (0.5), ``stepsizemax`` (50), ``stepsizemin`` (1e-6), ``niter`` (1).
    state: ``delta`` (the previous gradient), ``stepsize`` (per-element steps,
    a tensor; when ``state`` is ``config`` it replaces the number, as in Torch7),
    ``sign``. As in Torch7, the gradient tensor is zeroed where its sign flipped.
    Returns ``(x, [f of each evaluation])``.
    """
    x = parameters('rprop', x)
    if config is None and state is None:   # rprop.lua's notice: without a table every call starts afresh
        print('no state table RPROP initializing')
    c, config, state = settings('rprop', config, state, DEFAULTS, STATE,
                                nonnegative=('etaplus', 'etaminus', 'stepsizemax', 'stepsizemin', 'niter'))
    init_step = c['stepsize'] if isinstance(c['stepsize'], numbers.Real) else DEFAULTS['stepsize']
    if init_step < 0:
        raise ValueError(f"optim.rprop: config.stepsize must be >= 0, got {init_step}")
    xp, xa = x.xp, x.array
    fs = []
    # after its first evaluation a failing call has advanced the step sizes: restoring puts them back
    with restoring(x, state, contents=('delta', 'stepsize') if state.get('delta') is not None else ()):
        for _ in range(int(c['niter'])):
            fx, dfdx = evaluate('rprop', opfunc, x, len(fs), handed_back=True)
            g = dfdx.array
            if state.get('delta') is None:
                state['stepsize'] = None
            delta = buffer('rprop', state, 'delta', x).array
            stepsize = buffer('rprop', state, 'stepsize', x, fill=init_step).array
            sign = buffer('rprop', state, 'sign', x).array
            xp.multiply(g, delta, out=sign)
            xp.sign(sign, out=sign)
            flipped = sign < 0
            factor = scratch(x)
            factor.fill(1)
            factor[sign > 0] = c['etaplus']
            factor[flipped] = c['etaminus']
            stepsize *= factor
            # rprop.lua:80-84 caps at stepsizemax, then raises to stepsizemin: a stepsizemin above stepsizemax
            # wins, where a clip would give stepsizemax
            xp.minimum(stepsize, c['stepsizemax'], out=stepsize)
            xp.maximum(stepsize, c['stepsizemin'], out=stepsize)
            g[flipped] = 0
            # TH's sign (lib/TH/generic/THTensorMath.c:1825-1828), 0 for NaN where NumPy's is NaN: an element
            # whose gradient is NaN stays where it is (rprop.lua:90, 93)
            wrap(sign).sign(dfdx)
            xp.multiply(sign, stepsize, out=factor)
            xa -= factor
            delta[...] = g
            fs.append(fx)
    return x, fs
