"""CMA-ES, the covariance matrix adaptation evolution strategy (after N. Hansen's barecmaes2), Torch7's
``optim.cmaes``."""
import math

from ..tensor.random import generator
from .closure import evaluate_loss, parameters, restoring, settings, wrap

DEFAULTS = {'sigma': None, 'maxEval': None, 'ftarget': None, 'popsize': None, 'verb_disp': 0, 'min_iterations': 1}
STATE = ()


def cmaes(opfunc, x, config=None, state=None):
    """Minimise ``opfunc`` (its loss only; a gradient, if returned, is ignored) by CMA-ES from the mean ``x``.

    config: ``sigma`` (required: the initial standard deviation per
    coordinate), ``maxEval`` (1e3 N^2), ``ftarget`` (stop below it),
    ``popsize`` (4 + floor(3 ln N)), ``verb_disp`` (0: print every that many
    iterations), ``min_iterations`` (1); read from ``state`` when one is given, as cmaes.lua
    does. With an odd population the mu = lambda/2 parents are weighted as Hansen's CMA-ES
    (log(mu + 1/2) - log(i)), not with Torch7's fractional mu. Samples come from legonn's generator,
    so ``legonn.manualSeed`` makes a run reproducible.
    The best point found is copied into ``x`` (Torch7 returned it as a new
    tensor). Returns ``(x, f_hist, counteval)``: f at the start, the best of
    each generation, then the best overall.
    """
    x = parameters('cmaes', x)
    # cmaes.lua reads its settings from state (state = state or config), unlike the other optimisers
    c, _, state = settings('cmaes', config if state is None else state, state, DEFAULTS, STATE,
                           nonnegative=('sigma', 'maxEval', 'popsize', 'verb_disp'))
    if c['sigma'] is None:
        raise ValueError("optim.cmaes: config.sigma (the initial step size) is required, e.g. {'sigma': 0.5}")
    xp = x.xp
    xmean = xp.array(x.array, copy=True).reshape(-1).astype(x.dtype)
    n = xmean.size
    sigma, ftarget = float(c['sigma']), c['ftarget']
    max_eval = float(c['maxEval']) if c['maxEval'] is not None else 1e3 * n ** 2
    lam = int(c['popsize']) if c['popsize'] is not None else 4 + int(math.floor(3 * math.log(n)))
    mu = lam // 2
    w = [math.log(mu + 0.5) - math.log(i + 1) for i in range(mu)]
    w = [v / sum(w) for v in w]
    mueff = sum(w) ** 2 / sum(v * v for v in w)
    weights = xp.asarray(w, dtype=x.dtype)
    cc = (4 + mueff / n) / (n + 4 + 2 * mueff / n)
    cs = (mueff + 2) / (n + mueff + 5)
    c1 = 2 / ((n + 1.3) ** 2 + mueff)
    cmu = min(1 - c1, 2 * (mueff - 2 + 1 / mueff) / ((n + 2) ** 2 + mueff))
    damps = 2 * mueff / lam + 0.3 + cs
    pc, ps = xp.zeros(n, x.dtype), xp.zeros(n, x.dtype)
    B, D, C = xp.eye(n, dtype=x.dtype), xp.ones(n, x.dtype), xp.eye(n, dtype=x.dtype)
    invsqrtC = xp.eye(n, dtype=x.dtype)
    eigeneval = counteval = 0
    gen = generator(x.is_cuda)
    fitvals = None
    best_x, best_f = None, None

    def stop():
        if counteval == 0:
            return False
        return (counteval >= max_eval
                or (ftarget is not None and fitvals[0] <= ftarget)
                or float(D.max()) > 1e7 * float(D.min())
                or (len(fitvals) > 1 and fitvals[-1] - fitvals[0] < 1e-12)
                or sigma * float(D.max()) < 1e-11)

    with restoring(x, state):
        f_hist = [evaluate_loss('cmaes', opfunc, x)]
        iteration = 0
        while not stop() or iteration < c['min_iterations']:
            iteration += 1
            # ask: lambda samples of N(xmean, sigma^2 C), C = B diag(D^2) B^T
            if counteval - eigeneval > lam / (c1 + cmu) / n / 10:
                eigeneval = counteval
                C = xp.triu(C) + xp.triu(C, 1).T
                D, B = xp.linalg.eigh(C)
                D = xp.sqrt(D)
                invsqrtC = (B / D) @ B.T
            z = xp.asarray(gen.standard_normal((lam, n)), dtype=x.dtype) * D
            arx = xmean + sigma * (z @ B.T)
            fits = [evaluate_loss('cmaes', opfunc, wrap(arx[k].reshape(x.array.shape)), counteval + k)
                    for k in range(lam)]
            # tell: move the mean to the weighted best mu, adapt the paths, C and sigma
            counteval += lam
            order = sorted(range(lam), key=lambda k: fits[k])
            fitvals = [fits[k] for k in order]
            arx = arx[xp.asarray(order[:mu])]
            f_hist.append(fitvals[0])
            if best_f is None or fitvals[0] < best_f:
                best_x, best_f = xp.array(arx[0], copy=True), fitvals[0]
            xold = xmean
            xmean = weights @ arx
            y = xmean - xold
            ps = ps * (1 - cs) + (invsqrtC @ y) * (math.sqrt(cs * (2 - cs) * mueff) / sigma)
            ps2 = float((ps * ps).sum())
            hsig = 1.0 if ps2 / (1 - (1 - cs) ** (2 * counteval / lam)) / n < 2 + 4 / (n + 1) else 0.0
            pc = pc * (1 - cc) + y * (math.sqrt(cc * (2 - cc) * mueff) / sigma * hsig)
            c1a = c1 - (1 - hsig ** 2) * c1 * cc * (2 - cc)
            dev = arx - xold
            cmu_mat = (dev.T * weights) @ dev / sigma ** 2
            C = C + (-c1a - cmu) * C + c1 * xp.outer(pc, pc) + cmu * cmu_mat
            sigma *= math.exp(min(0.6, (cs / damps) * (ps2 / n - 1) / 2))
            if c['verb_disp'] and iteration % int(c['verb_disp']) == 0:
                print(f"{counteval}: sigma {sigma:8.1e}  f {fitvals[0]}")
        x.array[...] = best_x.reshape(x.array.shape)
    f_hist.append(best_f)
    return x, f_hist, counteval
