"""distributions.gamma (gamma.lua): entropy and KL divergence of gamma distributions, each given as a table
(a dict) with ``shape`` and either ``scale`` or ``rate``."""
import math

import numpy as np

from . import cephes


def _params(where, params):
    if not isinstance(params, dict) or 'shape' not in params or not ('scale' in params or 'rate' in params):
        raise TypeError(f"distributions.gamma.{where}: expected a table (dict) with 'shape' and 'scale' or "
                        f"'rate', got {params!r}")
    return params


def _digamma(a):
    return float(cephes.digamma(a, np))


def entropy(params):
    """k + log(theta) + lgam(k) + (1 - k) digamma(k) for shape k and scale theta (log(1/rate) for a rate)."""
    _params('entropy', params)
    k = params['shape']
    log_scale = math.log(params['scale']) if 'scale' in params else -math.log(params['rate'])
    return k + log_scale + math.lgamma(k) + (1 - k) * _digamma(k)


def kl(q, p):
    """KL[q || p] of two gamma distributions (each by scale or by rate)."""
    _params('kl', q)
    _params('kl', p)
    # q's scale times p's rate, and the log-normaliser's terms, in whichever parameter each one carries
    q_scale = q['scale'] if 'scale' in q else 1 / q['rate']
    p_rate = 1 / p['scale'] if 'scale' in p else p['rate']
    log_p_scale = math.log(p['scale']) if 'scale' in p else -math.log(p['rate'])
    log_q_scale = math.log(q['scale']) if 'scale' in q else -math.log(q['rate'])
    return ((q['shape'] - p['shape']) * _digamma(q['shape'])
            - q['shape']
            + q['shape'] * q_scale * p_rate
            + math.lgamma(p['shape'])
            - math.lgamma(q['shape'])
            + p['shape'] * log_p_scale
            - p['shape'] * log_q_scale)
