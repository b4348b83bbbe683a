"""Every gradient gradfuns registers, against finite differences in float64 (autograd.gradcheck, the port of
gradcheck.lua, with the inputs kept), in both runtimes (direct and optimized); and the same cases' gradients on
CUDA tensors.

Each case is a loss of the function under test: its answer times fixed random weights, summed, so that a gradient
that put the right total in the wrong places fails (a plain sum would not see a wrong transpose). Inputs are chosen
where the function is smooth: away from the kinks of ``abs``, ``clamp``, ``floor``; positive for ``log``,
``sqrt``; distinct values for ``min``/``max``.
"""
import numpy as np
import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd import gradfuns, support, util
from legonn.autograd.gradcheck import gradcheck

check = gradcheck({'randomizeInput': False})


@pytest.fixture(autouse=True)
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')
    before = autograd.optimizing()
    autograd.optimize(False)
    yield
    autograd.optimize(before)


@pytest.fixture(params=['direct', 'optimized'])
def mode(request):
    """Both runtimes, as test.lua runs its tests (``autograd.optimize(true)``, then direct)."""
    autograd.optimize(request.param == 'optimized')
    return request.param


# the weights: the first n of these (in [0.5, 1.5), from their own NumPy generator), in the answer's shape
_WEIGHTS = lg.DoubleTensor(np.random.RandomState(1).rand(4096) + 0.5)


def weighted(out):
    """``sum(out * w)`` for fixed weights ``w`` of ``out``'s shape; a number (or a 0-dim tensor: ``lg.select`` of a
    vector) times 0.7."""
    if not lg.isTensor(out):
        return out * 0.7
    if support.nDimension(out) == 0:
        return lg.sum(out) * 0.7
    w = lg.view(lg.narrow(_WEIGHTS, 0, 0, support.nElement(out)), support.size(out))
    return lg.sum(lg.cmul(out, support.typeAs(w, out)))


def randn(*size):
    return lg.randn(*size)


def positive(*size):
    return lg.rand(*size) + 0.5


def away_from_zero(*size):
    """Normal draws pushed at least 0.2 away from 0 (kinks of abs, floor, sign, clamp at 0)."""
    x = lg.randn(*size)
    return x + lg.sign(x) * 0.2


def distinct(*size):
    """A permutation of 0 .. n-1, scaled and shaped: no two elements equal (min/max, cmin/cmax)."""
    n = 1
    for s in size:
        n *= s
    return (lg.randperm(n).double() * 0.37 - n * 0.1).view(*size)


IDX = lg.LongTensor([2, 0, 2, 1])           # index: a repeated row
GATHER = lg.LongTensor([[0, 1, 2, 0], [2, 2, 0, 1], [0, 0, 1, 1]])   # gather along 0 of 3x4: repeats in columns
SCATTER = lg.LongTensor([[0, 1, 2, 0], [2, 0, 1, 1]])             # scatter along 0 into 3x4: no repeats in a column


def ZEROS(*size):
    return lg.zeros(*size)   # looked up at the call: while a trace runs, lg.zeros is its initializer



# (case id, the function's name in its registry, params, loss of params)
CASES = [
    # --- elementwise
    ('add', 'add', lambda: {'x': randn(3, 4), 'y': randn(3, 4)}, lambda p: weighted(lg.add(p['x'], p['y']))),
    ('add_number', 'add', lambda: {'x': randn(3, 4), 'v': 0.8}, lambda p: weighted(lg.add(p['x'], p['v']))),
    ('add_scaled', 'add', lambda: {'x': randn(3, 4), 'v': 0.6, 'y': randn(3, 4)},
     lambda p: weighted(lg.add(p['x'], p['v'], p['y']))),
    ('cmul', 'cmul', lambda: {'x': randn(3, 4), 'y': randn(3, 4)}, lambda p: weighted(lg.cmul(p['x'], p['y']))),
    ('cmul_paired', 'cmul', lambda: {'x': randn(3, 4), 'y': randn(12)}, lambda p: weighted(lg.cmul(p['x'], p['y']))),
    ('mul', 'mul', lambda: {'x': randn(3, 4), 'y': 1.7}, lambda p: weighted(lg.mul(p['x'], p['y']))),
    ('div', 'div', lambda: {'x': randn(3, 4), 'y': 1.7}, lambda p: weighted(lg.div(p['x'], p['y']))),
    ('cdiv', 'cdiv', lambda: {'x': randn(3, 4), 'y': positive(3, 4)}, lambda p: weighted(lg.cdiv(p['x'], p['y']))),
    ('pow', 'pow', lambda: {'x': positive(3, 4), 'y': 2.5}, lambda p: weighted(lg.pow(p['x'], p['y']))),
    ('pow_base', 'pow', lambda: {'x': 1.3, 'y': randn(3, 4)}, lambda p: weighted(lg.pow(p['x'], p['y']))),
    ('exp', 'exp', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.exp(p['x']))),
    ('tanh', 'tanh', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.tanh(p['x']))),
    ('sinh', 'sinh', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.sinh(p['x']))),
    ('cosh', 'cosh', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.cosh(p['x']))),
    ('abs', 'abs', lambda: {'x': away_from_zero(3, 4)}, lambda p: weighted(lg.abs(p['x']))),
    ('abs_number', 'abs', lambda: {'a': -0.7, 'b': 0.4}, lambda p: lg.abs(p['a'] * p['b']) * lg.abs(p['b'])),
    ('clamp', 'clamp', lambda: {'x': away_from_zero(3, 4)}, lambda p: weighted(lg.clamp(p['x'], -0.1, 0.1) +
                                                                               lg.clamp(p['x'], 0, float('inf')))),
    ('sqrt', 'sqrt', lambda: {'x': positive(3, 4)}, lambda p: weighted(lg.sqrt(p['x']))),
    ('sin', 'sin', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.sin(p['x']))),
    ('cos', 'cos', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.cos(p['x']))),
    ('tan', 'tan', lambda: {'x': lg.rand(3, 4) - 0.5}, lambda p: weighted(lg.tan(p['x']))),
    ('log', 'log', lambda: {'x': positive(3, 4)}, lambda p: weighted(lg.log(p['x']))),
    ('log1p', 'log1p', lambda: {'x': positive(3, 4)}, lambda p: weighted(lg.log1p(p['x']))),
    ('sigmoid', 'sigmoid', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.sigmoid(p['x']))),
    ('sigmoid_number', 'sigmoid', lambda: {'w': 0.4}, lambda p: lg.sigmoid(p['w'] * 2)),
    # --- zero gradients: the answer is piecewise constant, the loss's gradient comes from the other term
    # (legonn's functions are looked up when the loss runs: while a trace runs, lg.floor is the traced entry)
    *[(name, name, lambda: {'x': away_from_zero(3, 4)},
       lambda p, name=name: weighted(p['x'] * 2) + weighted(support.typeAs(getattr(lg, name)(p['x']), p['x'])))
      for name in ('floor', 'ceil', 'round', 'sign')],
    *[(name, name, lambda: {'x': away_from_zero(3, 4)},
       lambda p, name=name: weighted(lg.cmul(p['x'], support.typeAs(getattr(lg, name)(p['x'], 0), p['x']))))
      for name in ('lt', 'le', 'gt', 'ge', 'eq', 'ne')],
    *[(name, name, lambda: {'x': away_from_zero(3, 4)},
       lambda p, name=name: weighted(p['x'] * (2 if getattr(lg, name)(lg.gt(p['x'], -100)) else 3)))
      for name in ('all', 'any')],
    # --- reductions
    ('sum', 'sum', lambda: {'x': randn(3, 4)}, lambda p: lg.sum(p['x']) * 1.3),
    ('sum_dim0', 'sum', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.sum(p['x'], 0))),
    ('sum_dim1', 'sum', lambda: {'x': randn(3, 4, 2)}, lambda p: weighted(lg.sum(p['x'], 1))),
    ('mean', 'mean', lambda: {'x': randn(3, 4)}, lambda p: lg.mean(p['x']) * 1.3),
    ('mean_dim', 'mean', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.mean(p['x'], 1))),
    ('min', 'min', lambda: {'x': distinct(3, 4)}, lambda p: lg.min(p['x']) * 1.3),
    ('max', 'max', lambda: {'x': distinct(3, 4)}, lambda p: lg.max(p['x']) * 1.3),
    ('min_dim', 'min', lambda: {'x': distinct(3, 4)}, lambda p: weighted(lg.min(p['x'], 0)[0])),
    ('max_dim', 'max', lambda: {'x': distinct(3, 4)}, lambda p: weighted(lg.max(p['x'], 1)[0])),
    ('cmin', 'cmin', lambda: {'x': distinct(3, 4), 'y': distinct(3, 4).t().contiguous().view(3, 4) + 0.05},
     lambda p: weighted(lg.cmin(p['x'], p['y']))),
    ('cmax', 'cmax', lambda: {'x': distinct(3, 4), 'y': distinct(3, 4).t().contiguous().view(3, 4) + 0.05},
     lambda p: weighted(lg.cmax(p['x'], p['y']))),
    ('cmax_number', 'cmax', lambda: {'x': away_from_zero(3, 4)}, lambda p: weighted(lg.cmax(p['x'], 0))),
    # Torch7 pairs the elements of tensors of one count: each gradient comes back in its argument's shape
    ('cmax_paired', 'cmax', lambda: {'x': distinct(3, 4), 'y': distinct(12) + 0.05},
     lambda p: weighted(lg.cmax(p['x'], p['y']))),
    ('cmin_paired', 'cmin', lambda: {'x': distinct(12), 'y': distinct(3, 4) + 0.05},
     lambda p: weighted(lg.cmin(p['x'], p['y']))),
    # --- shape
    ('view', 'view', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.view(p['x'], 4, 3))),
    ('viewAs', 'viewAs', lambda: {'x': randn(12)}, lambda p: weighted(lg.viewAs(p['x'], ZEROS(3, 4)))),
    ('expand', 'expand', lambda: {'x': randn(1, 4)}, lambda p: weighted(lg.expand(p['x'], 3, 4))),
    ('expand_leading', 'expand', lambda: {'x': randn(3, 1)}, lambda p: weighted(lg.expand(p['x'], 2, 3, 4))),
    ('expandAs', 'expandAs', lambda: {'x': randn(3, 1)}, lambda p: weighted(lg.expandAs(p['x'], ZEROS(3, 4)))),
    ('cat', 'cat', lambda: {'x': randn(2, 4), 'y': randn(3, 4)}, lambda p: weighted(lg.cat(p['x'], p['y'], 0))),
    ('cat_last', 'cat', lambda: {'x': randn(3, 2), 'y': randn(3, 4)}, lambda p: weighted(lg.cat(p['x'], p['y']))),
    ('cat_vectors_as_columns', 'cat', lambda: {'x': randn(3), 'y': randn(3)},
     lambda p: weighted(lg.cat(p['x'], p['y'], 1))),
    ('cat_list', 'cat', lambda: {'x': randn(2, 3), 'y': randn(2, 1), 'z': randn(2, 2)},
     lambda p: weighted(lg.cat([p['x'], p['y'], p['z']], 1))),
    ('reshape', 'reshape', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.reshape(p['x'], 2, 6))),
    ('contiguous', 'contiguous', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.contiguous(lg.t(p['x'])))),
    ('clone', 'clone', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.clone(p['x']))),
    ('transpose', 'transpose', lambda: {'x': randn(2, 3, 4)}, lambda p: weighted(lg.transpose(p['x'], 0, 2))),
    ('t', 't', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.t(p['x']))),
    ('squeeze', 'squeeze', lambda: {'x': randn(3, 1, 4)}, lambda p: weighted(lg.squeeze(p['x']))),
    ('squeeze_dim', 'squeeze', lambda: {'x': randn(3, 1, 1)}, lambda p: weighted(lg.squeeze(p['x'], 1))),
    ('squeeze_to_number', 'squeeze', lambda: {'x': randn(1, 1)}, lambda p: lg.squeeze(p['x']) * 1.3),
    ('repeatTensor', 'repeatTensor', lambda: {'x': randn(3, 2)}, lambda p: weighted(lg.repeatTensor(p['x'], 2, 3))),
    ('repeatTensor_more_dims', 'repeatTensor', lambda: {'x': randn(1, 2)},
     lambda p: weighted(lg.repeatTensor(p['x'], 2, 3, 2))),
    ('typeAs', 'typeAs', lambda: {'x': randn(3, 4)}, lambda p: weighted(support.typeAs(p['x'], ZEROS(2)))),
    ('copy', 'copy', lambda: {'x': randn(3, 4)}, lambda p: weighted(support.copy(ZEROS(4, 3), p['x']))),
    ('copy_into_a_traced_value', 'copy', lambda: {'x': randn(3, 4), 'y': randn(3, 4)},
     lambda p: weighted(support.copy(p['y'] * 2, p['x']))),
    # --- indexing
    ('select', 'select', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.select(p['x'], 1, 2))),
    # the select of a vector answers a number, as Torch7's (util.selectSliceCopy, the Lua's gradient, took a tensor)
    ('select_vector', 'select', lambda: {'x': randn(5)}, lambda p: lg.select(p['x'], 0, 3) * weighted(p['x'])),
    ('index', 'index', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.index(p['x'], 0, IDX))),
    ('narrow', 'narrow', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.narrow(p['x'], 1, 1, 2))),
    ('gather', 'gather', lambda: {'x': randn(3, 4)}, lambda p: weighted(lg.gather(p['x'], 0, GATHER))),
    ('scatter', 'scatter', lambda: {'x': randn(3, 4), 'src': randn(2, 4)},
     lambda p: weighted(lg.scatter(p['x'] * 1, 0, SCATTER, p['src']))),
    ('scatter_number', 'scatter', lambda: {'x': randn(3, 4), 'v': 0.3},
     lambda p: weighted(lg.scatter(p['x'] * 1, 0, SCATTER, p['v']) * p['x'])),
    # a src larger than the index along the dimension: its last row is never read
    ('scatter_larger_src', 'scatter', lambda: {'x': randn(3, 4), 'src': randn(3, 4)},
     lambda p: weighted(lg.scatter(p['x'] * 1, 0, SCATTER, p['src']))),
    # --- linalg
    ('ger', 'ger', lambda: {'x': randn(3), 'y': randn(4)}, lambda p: weighted(lg.ger(p['x'], p['y']))),
    ('inverse', 'inverse', lambda: {'x': lg.eye(3) * 2 + lg.rand(3, 3) * 0.3},
     lambda p: weighted(lg.inverse(p['x']))),
    ('bmm', 'bmm', lambda: {'x': randn(2, 3, 4), 'y': randn(2, 4, 2)}, lambda p: weighted(lg.bmm(p['x'], p['y']))),
    ('baddbmm', 'baddbmm', lambda: {'m': randn(2, 3, 2), 'x': randn(2, 3, 4), 'y': randn(2, 4, 2)},
     lambda p: weighted(lg.baddbmm(p['m'], p['x'], p['y']))),
    ('baddbmm_v1', 'baddbmm', lambda: {'v1': 0.7, 'm': randn(2, 3, 2), 'x': randn(2, 3, 4), 'y': randn(2, 4, 2)},
     lambda p: weighted(lg.baddbmm(p['v1'], p['m'], p['x'], p['y']))),
    ('baddbmm_v1_v2', 'baddbmm',
     lambda: {'v1': 0.7, 'm': randn(2, 3, 2), 'v2': -1.3, 'x': randn(2, 3, 4), 'y': randn(2, 4, 2)},
     lambda p: weighted(lg.baddbmm(p['v1'], p['m'], p['v2'], p['x'], p['y']))),
    ('mm', 'mm', lambda: {'x': randn(3, 4), 'y': randn(4, 2)}, lambda p: weighted(lg.mm(p['x'], p['y']))),
    ('mv', 'mv', lambda: {'x': randn(3, 4), 'y': randn(4)}, lambda p: weighted(lg.mv(p['x'], p['y']))),
    ('dot', 'dot', lambda: {'x': randn(4), 'y': randn(4)}, lambda p: lg.dot(p['x'], p['y']) * 1.3),
    ('dot_paired', 'dot', lambda: {'x': randn(3, 4), 'y': randn(12)}, lambda p: lg.dot(p['x'], p['y']) * 1.3),
]

# autograd.util's functions with gradients (the adjoints of select, narrow, index; fill; cat of numbers)
UTIL_CASES = [
    ('selectSliceCopy', 'selectSliceCopy', lambda: {'x': randn(4)},
     lambda p: weighted(util.selectSliceCopy(p['x'], ZEROS(3, 4), 0, 1))),
    ('narrowSliceCopy', 'narrowSliceCopy', lambda: {'x': randn(3, 2)},
     lambda p: weighted(util.narrowSliceCopy(p['x'], ZEROS(3, 4), 1, 1, 2))),
    ('narrowSliceCopy_paired', 'narrowSliceCopy', lambda: {'x': randn(3, 2)},   # into a 2x3 slice (test.lua's Padding)
     lambda p: weighted(util.narrowSliceCopy(p['x'], ZEROS(3, 3), 0, 0, 2))),
    ('indexAdd', 'indexAdd', lambda: {'x': randn(4, 3)},
     lambda p: weighted(util.indexAdd(p['x'], ZEROS(3, 3), 0, IDX))),
    ('fill', 'fill', lambda: {'b': 0.4}, lambda p: weighted(util.fill(ZEROS(3, 4), p['b']))),
    ('cat', 'cat', lambda: {'x': randn(2, 3), 'y': randn(2, 3)}, lambda p: weighted(util.cat(p['x'], p['y']))),
    ('cat_numbers', 'cat', lambda: {'a': 0.3, 'b': -1.2, 'c': 2.0},
     lambda p: weighted(util.cat([p['a'], p['b'], p['c']]))),
]

# Python's operators and x[k] / x[k] = v on traced values
OPERATOR_CASES = [
    ('add', lambda: {'x': randn(3, 4), 'y': randn(3, 4)}, lambda p: weighted(p['x'] + p['y'])),
    ('add_broadcast', lambda: {'x': randn(3, 4), 'y': randn(4)}, lambda p: weighted(p['x'] + p['y'])),
    ('add_number', lambda: {'x': randn(3, 4), 'a': 0.3}, lambda p: weighted(p['a'] + p['x'] + p['a'])),
    ('sub_broadcast', lambda: {'x': randn(3, 1), 'y': randn(1, 4)}, lambda p: weighted(p['x'] - p['y'])),
    ('sub_paired', lambda: {'x': randn(12), 'y': randn(3, 4)}, lambda p: weighted(p['x'] - p['y'])),
    ('sub_number', lambda: {'x': randn(3, 4), 'a': 0.3}, lambda p: weighted(p['a'] - p['x'] - p['a'])),
    ('mul', lambda: {'x': randn(3, 4), 'y': randn(3, 1)}, lambda p: weighted(p['x'] * p['y'])),
    ('mul_number', lambda: {'x': randn(3, 4), 'a': 0.3}, lambda p: weighted(p['a'] * p['x'] * p['a'])),
    ('div', lambda: {'x': randn(3, 4), 'y': positive(4)}, lambda p: weighted(p['x'] / p['y'])),
    ('div_number', lambda: {'x': positive(3, 4), 'a': 0.3}, lambda p: weighted(p['a'] / p['x'] / p['a'])),
    ('pow', lambda: {'x': positive(3, 4), 'y': randn(3, 4)}, lambda p: weighted(p['x'] ** p['y'])),
    ('pow_number', lambda: {'x': positive(3, 4), 'a': 1.3}, lambda p: weighted(p['a'] ** p['x'] + p['x'] ** p['a'])),
    ('unm', lambda: {'x': randn(3, 4)}, lambda p: weighted(-p['x'])),
    ('numbers', lambda: {'a': 0.3, 'b': 1.7}, lambda p: (p['a'] * p['b'] - p['b'] / p['a']) ** 2 + (-p['a'])),
    ('matmul_mm', lambda: {'x': randn(3, 4), 'y': randn(4, 2)}, lambda p: weighted(p['x'] @ p['y'])),
    ('matmul_mv', lambda: {'x': randn(3, 4), 'y': randn(4)}, lambda p: weighted(p['x'] @ p['y'])),
    ('matmul_vm', lambda: {'x': randn(3), 'y': randn(3, 4)}, lambda p: weighted(p['x'] @ p['y'])),
    # legonn's @ of two vectors is a 0-dim tensor (NumPy's), where Lua's * of them was a number
    ('matmul_dot', lambda: {'x': randn(4), 'y': randn(4)}, lambda p: lg.sum(p['x'] @ p['y']) * 1.3),
    ('matmul_batched', lambda: {'x': randn(2, 3, 4), 'y': randn(4, 2)}, lambda p: weighted(p['x'] @ p['y'])),
    ('matmul_batch_vector', lambda: {'x': randn(2, 3, 4), 'y': randn(4)}, lambda p: weighted(p['x'] @ p['y'])),
    ('matmul_vector_batch', lambda: {'x': randn(3), 'y': randn(2, 3, 4)}, lambda p: weighted(p['x'] @ p['y'])),
    ('matmul_batches', lambda: {'x': randn(2, 1, 3, 4), 'y': randn(3, 4, 2)}, lambda p: weighted(p['x'] @ p['y'])),
    ('get', lambda: {'x': randn(3, 4)}, lambda p: weighted(p['x'][1]) + p['x'][2][3] * 1.3),
    ('set', lambda: {'x': randn(3, 4), 'v': randn(4)}, lambda p: _set_row(p)),
    # legonn's index keys (NumPy's: a list or LongTensor, of any shape, picks rows): a row picked twice gets both
    # gradients
    ('get_repeated_rows', lambda: {'x': randn(3, 4)},
     lambda p: weighted(p['x'][IDX]) + weighted(p['x'][[1, 1]]) + weighted(p['x'][[[0, 2], [2, 2]]])),
    # and a tuple key with indices picks elements: one picked twice gets both gradients
    ('get_repeated_elements', lambda: {'x': randn(3, 4)},
     lambda p: weighted(p['x'][[0, 0, 2], [1, 1, 3]]) + weighted(p['x'][1, [0, 0]]) + weighted(p['x'][:, [2, 2]])),
    # a number filling a row and a part of one: its gradient is a number, the sum over what it filled
    ('set_number_into_slices', lambda: {'x': randn(3, 4), 'v': 0.4}, lambda p: _set_number_into_slices(p)),
    # a tensor of other sizes: broadcast into the slice (its gradient summed back) or paired with it by count
    ('set_broadcast_and_paired', lambda: {'x': randn(3, 4), 'r': randn(1, 4), 'c': randn(1, 1), 'q': randn(2, 2)},
     lambda p: _set_broadcast_and_paired(p)),
]


def _set_row(p):
    x = p['x'] * 1
    x[1] = p['v']
    return weighted(x)


def _set_broadcast_and_paired(p):
    x = p['x'] * 1
    x[1] = p['r']                  # 1x4 into a row of 4: paired
    x[0:2, 1:3] = p['c'] * 3       # 1x1 broadcast into a 2x2 block
    x[2] = p['q']                  # 2x2 into a row of 4: paired by count
    return weighted(x)


def _set_number_into_slices(p):
    x = p['x'] * 1
    x[1] = p['v']
    x[2, 1:3] = p['v'] * p['v']
    return weighted(x)


# the Tensor methods that have gradients (the Lua's view, viewAs, expand, expandAs, cat; legonn's new-returning
# methods; scatterAdd)
METHOD_CASES = [
    ('view', lambda: {'x': randn(3, 4)}, lambda p: weighted(p['x'].view(2, 6))),
    ('viewAs', lambda: {'x': randn(12)}, lambda p: weighted(p['x'].viewAs(ZEROS(3, 4)))),
    ('expand', lambda: {'x': randn(1, 4)}, lambda p: weighted(p['x'].expand(3, 4))),
    ('expandAs', lambda: {'x': randn(3, 1)}, lambda p: weighted(p['x'].expandAs(ZEROS(3, 4)))),
    ('cat', lambda: {'x': randn(2, 4), 'y': randn(3, 4)}, lambda p: weighted(p['x'].cat(p['y'], 0))),
    ('sum', lambda: {'x': randn(3, 4)}, lambda p: weighted(p['x'].sum(1))),
    ('t', lambda: {'x': randn(3, 4)}, lambda p: weighted(p['x'].t())),
    ('max', lambda: {'x': distinct(3, 4)}, lambda p: weighted(p['x'].max(0)[0])),
    ('narrow', lambda: {'x': randn(3, 4)}, lambda p: weighted(p['x'].narrow(0, 1, 2))),
    ('view_as_alias', lambda: {'x': randn(12)}, lambda p: weighted(p['x'].view_as(ZEROS(3, 4)))),
    ('scatterAdd', lambda: {'x': randn(3, 4), 'src': randn(3, 4)},
     lambda p: weighted((p['x'] * 1).scatterAdd(0, GATHER, p['src']))),
    ('scatterAdd_larger_src', lambda: {'x': randn(3, 4), 'src': randn(3, 4)},
     lambda p: weighted((p['x'] * 1).scatterAdd(0, SCATTER, p['src']))),
    ('long_typeAs', lambda: {'x': randn(3, 4)}, lambda p: weighted(p['x'].typeAs(ZEROS(2)).clone())),
]


def _run_check(loss, params):
    assert check(loss, params), "autograd's gradient disagrees with finite differences (see the printed error)"


@pytest.mark.parametrize('case', CASES, ids=[c[0] for c in CASES])
def test_torch_gradient_matches_finite_differences(case, mode):
    _, _, make, loss = case
    _run_check(loss, make())


@pytest.mark.parametrize('case', UTIL_CASES, ids=[c[0] for c in UTIL_CASES])
def test_util_gradient_matches_finite_differences(case, mode):
    _, _, make, loss = case
    _run_check(loss, make())


@pytest.mark.parametrize('case', OPERATOR_CASES, ids=[c[0] for c in OPERATOR_CASES])
def test_operator_gradient_matches_finite_differences(case, mode):
    _, make, loss = case
    _run_check(loss, make())


@pytest.mark.parametrize('case', METHOD_CASES, ids=[c[0] for c in METHOD_CASES])
def test_method_gradient_matches_finite_differences(case, mode):
    _, make, loss = case
    _run_check(loss, make())


_EVERY_CASE = ([(c[0], c[2], c[3]) for c in CASES + UTIL_CASES] +
               [('op_' + c[0], c[1], c[2]) for c in OPERATOR_CASES] +
               [('method_' + c[0], c[1], c[2]) for c in METHOD_CASES])


@pytest.mark.parametrize('case', _EVERY_CASE, ids=[c[0] for c in _EVERY_CASE])
def test_gradients_have_their_parameters_sizes(case):
    """Protected mode checks each gradient against its argument: a tensor of its sizes, a number for a number
    (the adjoints' slices, copy's pairing of counts, squeeze's numbers and what x[k] = v wrote must come back in
    the parameter's shape)."""
    _, make, loss = case
    params = make()
    grads = autograd(loss, protected=True)(params)[0]
    for key, value in params.items():
        if lg.isTensor(value):
            assert grads[key].size() == value.size(), key
        else:
            assert lg.type(grads[key]) == 'number', key


def test_every_registered_gradient_has_a_case():
    """The cases above cover every name the registries hold (a gradient added without a case fails here)."""
    torch_names = set(gradfuns.TORCH_GRADIENTS) | set(gradfuns.SUPPORT_GRADIENTS) - {'long'}   # its own test below
    assert torch_names - {c[1] for c in CASES} == set()
    assert set(gradfuns.UTIL_GRADIENTS) - {'lt', 'le', 'gt', 'ge', 'eq'} - {c[1] for c in UTIL_CASES} == set()


def test_long_gradient_comes_back_in_the_input_type():
    """support.long's answer is whole numbers (no finite difference to compare): its gradient is the answer's,
    converted back to the input's type (the Lua's typeAs)."""
    grads, _ = autograd(lambda p: lg.sum(support.long(p['x'] * 10)))({'x': randn(3, 4)})
    assert grads['x'].type() == 'legonn.DoubleTensor'
    assert grads['x'].eq(10).all()


def _gradient_loss(loss):
    """A loss of ``loss``'s gradients (weighted sums of each): checking it checks the gradients' own gradients,
    which the trace of the gradient functions gives (they are written with legonn's functions)."""
    df = autograd(loss)

    def of_gradients(params):
        grads = df(params)[0]
        return sum(weighted(grads[k]) for k in sorted(grads))
    return of_gradients


@pytest.mark.parametrize('case', CASES + UTIL_CASES, ids=[c[0] for c in CASES + UTIL_CASES])
def test_gradient_of_gradient_matches_finite_differences(case, mode):
    _, _, make, loss = case
    _run_check(_gradient_loss(loss), make())


@pytest.mark.parametrize('case', OPERATOR_CASES + METHOD_CASES,
                         ids=[c[0] for c in OPERATOR_CASES + METHOD_CASES])
def test_gradient_of_operator_and_method_gradient_matches_finite_differences(case, mode):
    _, make, loss = case
    _run_check(_gradient_loss(loss), make())


# cases whose constants are only sizes or numbers (the weights follow the answer's type): they run on CUDA as they are
_GPU_SAMPLE = ('add', 'cmul', 'pow', 'exp', 'tanh', 'sigmoid', 'clamp', 'sum_dim0', 'mean_dim', 'max_dim', 'cmax',
               'view', 'expand_leading', 'cat_list', 'transpose', 'repeatTensor_more_dims', 'squeeze', 'ger',
               'inverse', 'bmm', 'baddbmm_v1_v2', 'mm', 'mv', 'scatter_larger_src', 'select_vector')
_GPU_OPERATORS = ('add_broadcast', 'mul', 'div', 'pow', 'unm', 'matmul_mv', 'matmul_batched', 'get', 'set',
                  'get_repeated_rows', 'get_repeated_elements', 'set_number_into_slices', 'set_broadcast_and_paired')


def _on_cuda(params):
    return {k: v.cudaDouble() if lg.isTensor(v) else v for k, v in params.items()}


@pytest.mark.gpu
@pytest.mark.parametrize('case', [c for c in CASES if c[0] in _GPU_SAMPLE] +
                         [(name, None, make, loss) for name, make, loss in OPERATOR_CASES if name in _GPU_OPERATORS],
                         ids=lambda c: c[0])
def test_gradients_of_cuda_tensors_equal_the_cpu_ones(case):
    """The gradient functions are legonn's functions, so CUDA parameters get CUDA gradients, equal to the CPU ones
    (in float64), and so do the gradients of those gradients."""
    _, _, make, loss = case
    params = make()
    for f in (loss, _gradient_loss(loss)):
        cpu = autograd(f)(params)[0]
        gpu = autograd(f)(_on_cuda(params))[0]
        for key, value in cpu.items():
            if lg.isTensor(value):
                assert gpu[key].type() == 'legonn.CudaDoubleTensor'
                assert (gpu[key].double() - value).abs().max() < 1e-10, key
            else:
                assert abs(gpu[key] - value) < 1e-10, key


@pytest.mark.parametrize('mode', ['direct', 'optimized'])
def test_select_of_a_vector_gets_its_gradient(mode):
    """``lg.select(x, 0, i)`` of a vector is the number x[i] (Torch7's select of a vector): d/dx of
    ``x[3] * sum(x * w)`` is ``x[3] * w``, plus ``sum(x * w)`` at element 3, as ``x[3]`` gives."""
    x = lg.DoubleTensor([0.5, -1.0, 2.0, 1.5, -0.25])
    w = np.array([0.2, 0.4, -0.6, 0.8, 1.0])

    def f(x):
        return lg.select(x, 0, 3) * lg.sum(lg.cmul(x, lg.DoubleTensor(w)))
    grads, value = autograd(f, optimize=(mode == 'optimized'))(x)[:2]
    a = x.numpy()
    expected = a[3] * w
    expected[3] += (a * w).sum()
    assert value == pytest.approx(a[3] * (a * w).sum(), rel=1e-12)
    np.testing.assert_allclose(grads.numpy(), expected, rtol=1e-12)
