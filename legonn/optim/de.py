"""Differential evolution (DE/best/1/bin), Torch7's ``optim.de``."""
from ..tensor.random import generator
from .closure import evaluate_loss, parameters, restoring, settings, wrap

DEFAULTS = {'popsize': None, 'scaleFactor': None, 'crossoverRate': None, 'maxFEs': None, 'maxRegion': 30,
            'minRegion': -30}
STATE = ()


def de(opfunc, x, config=None, state=None):
    """Minimise ``opfunc`` (loss only) by differential evolution over ``[minRegion, maxRegion]^D``.

    Each child takes, per coordinate, ``best + scaleFactor (pop[r1] - pop[r2])``
    with probability ``crossoverRate`` (and always at one random coordinate),
    else its parent's value; it replaces the parent when not worse.
    config: ``popsize`` (10 D), ``scaleFactor`` and ``crossoverRate`` (required,
    typically 0.4..1 and 0.1..0.9), ``maxFEs`` (required: evaluations, checked
    once per generation), ``maxRegion`` (30), ``minRegion`` (-30).
    As in Torch7 the starting population ignores ``x``'s values. Unlike Torch7 it
    starts from the *lowest* initial fitness (Torch7 took the highest) and draws
    from legonn's generator (``legonn.manualSeed``), not a private one.
    The best point is copied into ``x``. Returns ``(x, fx)``, every loss evaluated.
    """
    x = parameters('de', x)
    c, config, state = settings('de', config, state, DEFAULTS, STATE,
                                nonnegative=('popsize', 'scaleFactor', 'crossoverRate', 'maxFEs'))
    for key in ('scaleFactor', 'crossoverRate', 'maxFEs'):
        if c[key] is None:
            raise ValueError(f"optim.de: config.{key} is required (e.g. scaleFactor 0.5, crossoverRate 0.9, "
                             f"maxFEs 1000)")
    xp, shape = x.xp, x.array.shape
    dim = x.nElement()
    popsize = int(c['popsize']) if c['popsize'] is not None else 10 * dim
    if popsize < 3:
        raise ValueError(f"optim.de: popsize must be at least 3 (a parent and two others), got {popsize}")
    F, CR, max_fes = c['scaleFactor'], c['crossoverRate'], int(c['maxFEs'])
    gen = generator(x.is_cuda)
    rand = gen.random if not x.is_cuda else gen.random_sample

    def fitness(point, k):
        return evaluate_loss('de', opfunc, wrap(point.reshape(shape)), k)

    with restoring(x, state):
        pop = xp.asarray(rand((popsize, dim)), dtype=x.dtype) * (c['maxRegion'] - c['minRegion']) + c['minRegion']
        fx = [fitness(pop[i], i) for i in range(popsize)]
        fit = list(fx)
        best = min(range(popsize), key=lambda i: fit[i])
        best_fit, best_x = fit[best], xp.array(pop[best], copy=True)
        host = generator(False)   # index draws stay on the host whatever the device
        rows = list(range(popsize))
        while len(fx) + 1 < max_fes:
            # r1 != i and r2 not in {i, r1}, drawn as offsets from i
            k1 = host.integers(1, popsize, popsize)
            k2 = host.integers(1, popsize - 1, popsize)
            k2 += k2 >= k1
            r1, r2 = xp.asarray((k1 + rows) % popsize), xp.asarray((k2 + rows) % popsize)
            cross = host.random((popsize, dim)) < CR
            cross[rows, host.integers(0, dim, popsize)] = True
            cross = xp.asarray(cross)
            mutant = best_x + F * (pop[r1] - pop[r2])
            children = xp.where(cross, mutant, pop)
            child_fit = [fitness(children[i], len(fx) + i) for i in range(popsize)]
            fx.extend(child_fit)
            for i in range(popsize):
                if child_fit[i] <= fit[i]:
                    pop[i] = children[i]
                    fit[i] = child_fit[i]
                    if fit[i] < best_fit:
                        best_fit, best_x = fit[i], xp.array(children[i], copy=True)
        x.array[...] = best_x.reshape(shape)
    return x, fx
