"""lib/preprocessing.lua: global contrast normalisation (each pixel position standardised over the set) then
ZCA whitening (epsilon 0.01), in place; the parameters are returned (and reused for the test images).
``x or default`` of a table or number argument tests for nil (``is None``: ``preprocessing(x, {})`` fills the
caller's empty table in Lua); ``collectgarbage()`` lines are dropped (docs/porting.md). The 16-way split for more
than 100,000 images keeps the Lua's counts (``n = N - i`` of the 1-based ``i``: the last row is left
unwhitened there)."""
import math

import legonn as lg


# memory efficient version of unsup.zca_whiten/unsup.pcacov.
# original version can be found at: https://github.com/koraykv/unsup/
def pcacov(x, means):
    for i in range(x.size(0)):
        x[i].add(-1, means)
    c = lg.mm(x.t(), x)
    for i in range(x.size(0)):
        x[i].add(means)
    c.div(x.size(0) - 1)
    ce, cv = lg.symeig(c, 'V')
    return ce, cv


def zca_whiten(data, means, P, invP, epsilon=None):
    epsilon = epsilon if epsilon is not None else 1e-5
    data_size = data.size()
    dims = data.size()
    nsamples = dims[0]
    n_dimensions = data.nElement() / nsamples
    if data.dim() >= 3:
        data = data.view(nsamples, n_dimensions)
    if means is None or P is None or invP is None:
        # compute mean vector if not provided
        means = lg.mean(data, 0)
        # compute transformation matrix P if not provided
        ce, cv = pcacov(data, means)
        ce.add(epsilon).sqrt()
        invce = ce.clone().pow(-1)
        invdiag = lg.diag(invce)
        P = lg.mm(cv, invdiag)
        P = lg.mm(P, cv.t())

        # compute inverse of the transformation
        diag = lg.diag(ce)
        invP = lg.mm(cv, diag)
        invP = lg.mm(invP, cv.t())
    # remove the means
    for i in range(data.size(0)):
        data[i].add(-1, means)
    # transform in ZCA space
    if data.size(0) > 100000:
        # matrix mul with 16-spliting
        step = math.floor(data.size(0) / 16)
        for i in range(0, data.size(0), step):
            n = step
            if (i + 1) + n > data.size(0):
                n = data.size(0) - (i + 1)
            if n > 0:
                data.narrow(0, i, n).copy(lg.mm(data.narrow(0, i, n), P))
    else:
        data.copy(lg.mm(data, P))
    data = data.view(data_size)

    return data, means, P, invP


def zca(x, means, P, invP):
    ax, means, P, invP = zca_whiten(x, means, P, invP, 0.01)  # 0.1
    x.copy(ax)
    return means, P, invP


def global_contrast_normalization(x, mean, std):
    scale = 1.0
    u = mean if mean is not None else x.mean(0)
    v = std if std is not None else (x.std(0).div(scale))
    for i in range(x.size(0)):
        x[i].add(-u)
        x[i].cdiv(v)
    return u, v


def preprocessing(x, params=None):
    params = params if params is not None else {}
    params['gcn_mean'], params['gcn_std'] = global_contrast_normalization(x, params.get('gcn_mean'),
                                                                          params.get('gcn_std'))
    params['zca_u'], params['zca_p'], params['zca_invp'] = zca(x, params.get('zca_u'), params.get('zca_p'),
                                                               params.get('zca_invp'))

    return params
