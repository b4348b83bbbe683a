"""distributions.mvn (multivariateGaussian.lua): the multivariate normal distribution N(mu, sigma).

``sigma`` is a D x D covariance matrix, or a vector of D variances for a diagonal one; with ``options =
{'cholesky': True}`` it is already the upper Cholesky factor (torch.potrf's), or the vector of standard
deviations. Tensors keep their type (Float, Double, and their CUDA forms); numbers and lists become tensors of the
default type, as the Lua's ``torch.Tensor(x)``.
"""
import math

import numpy as np

from ..tensor.random import generator
from . import util
from .values import floating, is_number, is_tensor, module_of, result, tensor_of

_LOG_2PI = math.log(2 * math.pi)


def _options(where, options):
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(f"distributions.mvn.{where}: expected options as a table (dict), got "
                        f"{type(options).__name__}")
    return options


def _solve_upper_t(upper, rhs, xp):
    """y with upper^T y^T = rhs^T (torch.gesv(rhs:t(), upper:t()):t()): whitens the rows of ``rhs``."""
    return xp.linalg.solve(upper.T, rhs.T).T


def logpdf(x, mu, sigma, options=None):
    """log N(x; mu, sigma). ``x`` and ``mu`` are vectors of size D or matrices of rows (a single row expands
    to the other's rows). A number when both are vectors, else an N x 1 tensor of ``x``'s type."""
    options = _options('logpdf', options)
    x, mu, sigma = (tensor_of('mvn.logpdf', v, what) for v, what in ((x, 'x'), (mu, 'mu'), (sigma, 'sigma')))
    xp = module_of(x, mu, sigma)
    scalar_result = x.dim() == 1 and mu.dim() == 1
    xa, ma, sa = (floating('mvn.logpdf', t, what).astype(np.float64)
                  for t, what in ((x, 'x'), (mu, 'mu'), (sigma, 'sigma')))
    xa = xa.reshape(1, -1) if xa.ndim == 1 else xa
    ma = ma.reshape(1, -1) if ma.ndim == 1 else ma
    if xa.shape[0] != 1 and ma.shape[0] != 1 and xa.shape[0] != ma.shape[0]:
        raise ValueError(f"distributions.mvn.logpdf: x and mu should have the same number of rows, got "
                         f"{xa.shape[0]} and {ma.shape[0]}")
    if xa.shape[1] != ma.shape[1]:
        raise ValueError(f"distributions.mvn.logpdf: x has {xa.shape[1]} columns and mu {ma.shape[1]}")
    diff = xa - ma
    if sa.ndim == 1:   # a diagonal covariance given as the vector of its entries
        decomposed = sa if options.get('cholesky') else xp.sqrt(sa)
        transformed = diff / decomposed.reshape(1, -1)
        logdet = float(xp.log(decomposed).sum())
    else:
        if options.get('cholesky'):
            decomposed = sa
        else:
            decomposed = util.cholesky_upper(sa, xp)
            if decomposed is None:
                raise ValueError("distributions.mvn.logpdf: sigma is not positive definite (potrf failed)")
        transformed = _solve_upper_t(decomposed, diff, xp)
        logdet = float(xp.log(xp.diag(decomposed)).sum())
    # norm.logpdf(a, 0, 1) of each whitened coordinate, summed by independence
    out = (-.5 * transformed * transformed - 0.5 * _LOG_2PI).sum(axis=1, keepdims=True) - logdet
    if scalar_result:
        return float(out[0, 0])
    return result(out, x)


def pdf(x, mu, sigma, options=None):
    """exp(logpdf(x, mu, sigma, options)): a number or an N x 1 tensor."""
    r = logpdf(x, mu, sigma, options)
    return math.exp(r) if is_number(r) else r.exp()


def _fail(message):
    raise ValueError('distributions.mvn.rnd: ' + message)


def rnd(*args):
    """Samples of N(mu, sigma): ``rnd(mu, sigma [, options])`` gives one sample (a vector of size D);
    ``rnd(n, mu, sigma [, options])`` n samples (n x D); ``rnd(result, mu, sigma [, options])`` fills the tensor
    ``result`` (D, or N x D) and returns it. ``mu`` is D or 1 x D or N x D; ``sigma`` is D or 1 x D (a diagonal),
    D x D or N x D x D (an N x D ``sigma``, N diagonals, is refused, as the Lua's second size check refuses it). Draws come from legonn's generator (``lg.manualSeed``)."""
    n_args = len(args)
    options = {}
    if n_args and isinstance(args[-1], dict):
        options = args[-1]
        n_args -= 1
    result_tensor = None
    if n_args == 2:
        n = 1
        mu = tensor_of('mvn.rnd', args[0], 'mu')
        sigma = tensor_of('mvn.rnd', args[1], 'sigma')
        d = sigma.size(0) if sigma.dim() == 1 else sigma.size(1)
        like = mu
    elif n_args == 3:
        info = args[0]
        mu = tensor_of('mvn.rnd', args[1], 'mu')
        sigma = tensor_of('mvn.rnd', args[2], 'sigma')
        like = mu
        if is_number(info):
            n, d = int(info), -1
        elif is_tensor(info):
            result_tensor = like = info
            if info.dim() == 1:
                n, d = 1, info.size(0)
            elif info.dim() == 2:
                n, d = info.size(0), info.size(1)
            else:
                _fail(f'the result tensor must be a vector or a 2D matrix, got {info.dim()}D')
        else:
            _fail(f'expected a number of samples or a result tensor first, got {type(info).__name__}')
        if mu.dim() == 1:
            if d > 0 and mu.size(0) != d:
                _fail(f'number of elements of vector mu ({mu.size(0)}) does not match dimension of result ({d})')
            d = mu.size(0)
        elif mu.dim() == 2:
            if mu.size(0) not in (1, n):
                _fail(f'number of rows of matrix mu ({mu.size(0)}) does not match that of result matrix ({n})')
            if d > 0 and mu.size(1) != d:
                _fail(f'number of columns of matrix mu ({mu.size(1)}) does not match that of result matrix ({d})')
            d = mu.size(1)
        else:
            _fail(f'mu must be 1D or 2D, not {mu.dim()}D')
        if sigma.dim() == 1:
            if sigma.size(0) != d:
                _fail(f'number of elements of vector sigma ({sigma.size(0)}) does not match dimension of '
                      f'result ({d})')
        elif sigma.dim() == 2:
            if n == d:
                if sigma.size(0) == n:
                    if options.get('diagonal') is None:
                        _fail('ambiguous size for sigma: N == D diagonal matrices of size D, or one D x D matrix? '
                              "Set options['diagonal'] to True or False")
            else:
                if sigma.size(0) not in (d, n, 1):
                    _fail(f'number of rows of matrix sigma ({sigma.size(0)}) does not match either number of '
                          f'results ({n}) or dimension ({d})')
                if sigma.size(1) != d:
                    _fail(f'number of columns of matrix sigma ({sigma.size(1)}) does not match dimension of '
                          f'result ({d})')
        elif sigma.dim() == 3:
            if tuple(sigma.size()) != (n, d, d):
                _fail(f'a 3D sigma must be {n} x {d} x {d}, got {" x ".join(map(str, sigma.size()))}')
        else:
            _fail(f'sigma must be D, NxD, or NxDxD, not {sigma.dim()}D')
    else:
        raise TypeError('distributions.mvn.rnd: expected ([N|result,] mu, sigma [, options]), got '
                        f'{len(args)} arguments')

    xp = module_of(mu, sigma, result_tensor)
    ma = floating('mvn.rnd', mu, 'mu').astype(np.float64)
    sa = floating('mvn.rnd', sigma, 'sigma').astype(np.float64)
    ma = ma.reshape(1, -1) if ma.ndim == 1 else ma
    # multivariateGaussian.lua's second pass over the sizes: sigma as 1 x D (one diagonal), 1 x D x D, or per row
    if sa.ndim == 1:
        if ma.shape[1] != sa.shape[0]:
            _fail(f'inconsistent sizes for mu ({ma.shape[1]}) and sigma ({sa.shape[0]})')
        sa = sa.reshape(1, d)
    elif sa.ndim == 2 and sa.shape[0] != 1:
        if sa.shape[0] == sa.shape[1] and n == d:
            _fail('ambiguous covariance input')
        # an N x D sigma (N diagonals), which the first pass lets through, fails here as in the Lua
        if ma.shape[1] != sa.shape[0] or ma.shape[1] != sa.shape[1]:
            _fail(f'inconsistent sizes for mu ({ma.shape[1]}) and sigma {tuple(sa.shape)}')
        sa = sa.reshape(1, d, d)
    elif sa.ndim == 3 and (ma.shape[1] != d or sa.shape[1:] != (d, d)):
        _fail(f'inconsistent sizes for mu ({ma.shape[1]}) and sigma {tuple(sa.shape)}')
    ma = xp.broadcast_to(ma, (n, d))

    def sample(x, mean, cov):
        """mean + the rows of ``x`` (standard normal) coloured by ``cov`` (D: a diagonal, D x D: a matrix)."""
        if cov.ndim == 2:
            if options.get('cholesky'):
                y = x @ cov
            else:
                upper = util.cholesky_upper(cov, xp)
                if upper is not None:
                    y = x @ upper
                else:   # rank-deficient: the square root by SVD, sigma = U S V^T
                    _, s, vt = xp.linalg.svd(cov)
                    y = (x * xp.sqrt(s).reshape(1, -1)) @ vt
        else:
            y = x * (cov if options.get('cholesky') else xp.sqrt(cov)).reshape(1, -1)
        return y + mean

    x = generator(xp is not np).standard_normal(size=(n, d))
    if sa.shape[0] == 1:
        out = sample(x, ma, sa[0])
    else:
        out = xp.stack([sample(x[k:k + 1], ma[k:k + 1], sa[k])[0] for k in range(n)])
    if result_tensor is None:
        return result(out[0] if n_args == 2 else out, like)
    result_tensor.array[...] = out.reshape(result_tensor.array.shape)
    return result_tensor


def entropy(sigma):
    """The entropy of N(mu, sigma) (independent of mu): D (1 + log 2 pi) / 2 + log det(sigma) / 2."""
    if not is_tensor(sigma) or sigma.dim() != 2 or sigma.size(0) != sigma.size(1):
        raise TypeError("distributions.mvn.entropy: expected sigma as a square matrix")
    if not util.isposdef(sigma):
        raise ValueError("distributions.mvn.entropy: sigma is not positive definite")
    ndim = sigma.size(0)
    return ndim * (1 + _LOG_2PI) / 2 + util.logdet(sigma) / 2


def kl(q, p):
    """KL[q || p] of two multivariate normals, each a table (dict) with ``mu`` and ``sigma``; ``p`` may give its
    precision ``lambda`` instead of (or besides) ``sigma``."""
    for name, t, keys in (('q', q, ('mu', 'sigma')), ('p', p, ('mu',))):
        if not isinstance(t, dict) or any(k not in t for k in keys):
            raise TypeError(f"distributions.mvn.kl: expected {name} as a table (dict) with {' and '.join(keys)}")
    if 'sigma' not in p and 'lambda' not in p:
        raise TypeError("distributions.mvn.kl: expected p to have 'sigma' or 'lambda'")
    q_mu, p_mu = q['mu'], p['mu']
    ndim = q_mu.size(0)
    if q_mu.dim() != 1 or p_mu.dim() != 1 or p_mu.size(0) != ndim:
        raise ValueError("distributions.mvn.kl: q.mu and p.mu must be vectors of one size")
    if not util.isposdef(q['sigma']):
        raise ValueError("distributions.mvn.kl: q.sigma is not positive definite")
    xp = module_of(q_mu, p_mu, q['sigma'])
    # multivariateGaussian.lua tests each with pcall(isposdef, ...), which is true for any matrix (isposdef
    # itself never raises): a given precision is used as it is, else the covariance is inverted
    if p.get('lambda') is not None:
        lambda_p = p['lambda'].array.astype(np.float64)
    else:
        lambda_p = xp.linalg.inv(p['sigma'].array.astype(np.float64))
    q_sigma = q['sigma'].array.astype(np.float64)
    delta = p_mu.array.astype(np.float64) - q_mu.array.astype(np.float64)
    return (float((lambda_p * q_sigma).sum())
            + float(delta @ (lambda_p @ delta))
            - ndim
            - util.logdet_array(lambda_p, xp)
            - util.logdet_array(q_sigma, xp)) / 2
