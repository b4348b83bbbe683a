"""The optimized mode (legonn.autograd.runtime.codegen): the generated Python for ``f`` and its gradient gives
the direct runtime's gradients and answers, on the first call (the trace) and on the later ones (the generated
code, writing into its tensor pool); the code is generated once per signature; the options ``stableGradients``,
``reduceFootprint``, ``showCode``, ``dotFile`` and ``debugHook``."""
import numpy as np
import pytest

import legonn as lg
from legonn import autograd
from legonn.autograd.runtime import codegen

pytestmark = pytest.mark.usefixtures('double')


@pytest.fixture
def double():
    lg.setdefaulttensortype('torch.DoubleTensor')


def mlp(p, x, t):
    """A tanh layer, a linear layer, the mean squared error (and the hidden layer as a second answer)."""
    n = x.size(0)
    h = lg.tanh(x @ p['W1'] + p['b1'].view(1, -1).expand(n, p['b1'].size(0)))
    o = h @ p['W2'] + p['b2'].view(1, -1).expand(n, p['b2'].size(0))
    return lg.sum(lg.pow(o - t, 2)) / n, h


def mlp_params(nin=7, nhid=5, nout=3):
    return {'W1': lg.randn(nin, nhid) * 0.3, 'b1': lg.randn(nhid) * 0.1,
            'W2': lg.randn(nhid, nout) * 0.3, 'b2': lg.randn(nout) * 0.1}


def assert_same(a, b, tol=1e-12):
    """Equal nested dicts/lists of tensors and numbers (to ``tol``)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            assert_same(a[k], b[k], tol)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for u, v in zip(a, b):
            assert_same(u, v, tol)
    elif isinstance(a, lg.Tensor):
        assert a.type() == b.type() and a.size() == b.size()
        assert float((a - b).abs().max()) <= tol
    else:
        assert abs(a - b) <= tol


def shown_code(capsys):
    """The generated functions printed since the last call (``showCode``)."""
    return [c for c in capsys.readouterr().out.split('def outer(')[1:]]


def test_mlp_and_its_gradient_equal_the_direct_runtime(capsys):
    params = mlp_params()
    direct = autograd(mlp, optimize=False)
    optimized = autograd(mlp, optimize=True, showCode=True)
    for step in range(4):    # the trace, then the generated code three times, on new inputs each time
        x, t = lg.randn(6, 7), lg.randn(6, 3)
        expected = direct(params, x, t)
        got = optimized(params, x, t)
        assert_same(got, expected)
        assert got[0]['W1'] is not params['W1']
    code = shown_code(capsys)
    assert len(code) == 1 and 'torch_mm(rlocals[' in code[0] and 'torch_tanh(rlocals[' in code[0]


def test_a_new_input_size_generates_new_code(capsys):
    params = mlp_params()
    direct = autograd(mlp, optimize=False)
    optimized = autograd(mlp, optimize=True, showCode=True)
    for n, generated in ((6, 1), (6, 0), (9, 1), (6, 0), (9, 0)):
        x, t = lg.randn(n, 7), lg.randn(n, 3)
        assert_same(optimized(params, x, t), direct(params, x, t))
        assert len(shown_code(capsys)) == generated, f'batch of {n}'


def test_the_signature_holds_the_tensor_type(capsys):
    """The Lua keys its cache on the sizes alone, so FloatTensor arguments after DoubleTensor ones ran code whose
    pool tensors are DoubleTensors; here each type has its own code."""
    params = mlp_params()
    optimized = autograd(mlp, optimize=True, showCode=True)
    direct = autograd(mlp, optimize=False)
    x, t = lg.randn(6, 7), lg.randn(6, 3)
    optimized(params, x, t)
    fparams = {k: v.float() for k, v in params.items()}
    for _ in range(2):
        got = optimized(fparams, x.float(), t.float())
        assert_same(got, direct(fparams, x.float(), t.float()), tol=1e-5)
        assert got[0]['W1'].type() == 'torch.FloatTensor'
    assert len(shown_code(capsys)) == 2


def test_later_calls_write_into_the_same_tensors():
    """The generated code's results live in its tensor pool: the next call overwrites them (clone to keep)."""
    params = mlp_params()
    optimized = autograd(mlp, optimize=True)
    x, t = lg.randn(6, 7), lg.randn(6, 3)
    optimized(params, x, t)
    first = optimized(params, x, t)[0]['W1']
    kept = first.clone()
    second = optimized(params, lg.randn(6, 7), t)[0]['W1']
    assert lg.equal(first, second) and not lg.equal(first, kept)


def test_stable_gradients_are_the_same_tensors_every_call():
    params = mlp_params()
    direct = autograd(mlp, optimize=False)
    optimized = autograd(mlp, optimize=True, stableGradients=True)
    grads = None
    for n in (6, 6, 9, 6, 9):
        x, t = lg.randn(n, 7), lg.randn(n, 3)
        got = optimized(params, x, t)
        assert_same(got, direct(params, x, t))
        grads = grads or got[0]
        assert all(got[0][k] is grads[k] for k in params)


def test_stable_gradients_need_the_optimized_mode():
    with pytest.raises(ValueError, match='stable gradient tensors only available in optimized mode'):
        autograd(mlp, optimize=False, stableGradients=True)


def _options(**opt):
    """grad()'s options, completed as autograd.grad completes them, for calling codegen.create itself (whose
    dict then shows the tensor pool)."""
    defaults = {'argnum': 0, 'withForward': True, 'withGradients': True, 'partialGrad': False, 'profile': 'off'}
    return dict(defaults, **opt)


def deep(p, x):
    """Ten tanh layers of one size: their tensors can share buffers once read."""
    for i in range(10):
        x = lg.tanh(x @ p['W'] + 0.5)
    return lg.sum(x)


def test_reduce_footprint_shares_buffers_and_keeps_the_results():
    params = {'W': lg.randn(8, 8) * 0.5}
    direct = autograd(deep, optimize=False)
    plain, small = _options(), _options(reduceFootprint=True)
    dplain, dsmall = codegen.create(deep, plain), codegen.create(deep, small)
    for _ in range(3):
        x = lg.randn(4, 8)
        expected = direct(params, x)
        assert_same(dplain(params, x), expected)
        assert_same(dsmall(params, x), expected)
    assert len(small['tensorPool']) < len(plain['tensorPool']) / 2


def test_reduce_footprint_never_reuses_a_returned_tensor():
    """An answer that later nodes read is freed after its last reader in the Lua, and a later result of its size
    could take its buffer; here an output keeps its own."""
    def f(p, x):
        h = lg.tanh(p['W'] + x)     # read only by the next line: free after it in the Lua
        return lg.sum(lg.exp(h * 2.0)), h
    params = {'W': lg.randn(8, 8) * 0.5}
    direct = autograd(f, optimize=False)
    optimized = codegen.create(f, _options(reduceFootprint=True))
    for _ in range(3):
        x = lg.randn(8, 8)
        assert_same(optimized(params, x), direct(params, x))


def test_assignment_into_a_traced_tensor():
    def f(p, x):
        y = p['a'] * 2.0
        y[1] = p['b']
        return lg.sum(lg.cmul(y, x))
    params = {'a': lg.randn(3, 4), 'b': lg.randn(4)}
    direct = autograd(f, optimize=False)
    optimized = autograd(f, optimize=True)
    for _ in range(3):
        x = lg.randn(3, 4)
        assert_same(optimized(params, x), direct(params, x))


def test_the_indices_of_max_taken_by_gather_and_index():
    """``lg.max(s, 1)``'s indices (its second answer: no gradient flows through it) taken by ``gather`` and
    ``index``: the generated code computes them at each call, and the gradient is the one of the maxima (the
    trace asked for the indices' gradient: missing gradient for argument 2 in function torch.index)."""
    def f(p, x):
        s = lg.mm(x, p['w'])
        idx = lg.max(s, 1)[1]
        return lg.sum(lg.gather(s, 1, idx)) + lg.sum(lg.index(s, 0, lg.view(idx, -1))) * 0.5
    df = autograd(f, optimize=True)
    for _ in range(3):
        w, x = lg.randn(4, 3), lg.randn(5, 4)
        grads, loss = df({'w': w}, x)
        s = x.numpy() @ w.numpy()
        best = s.argmax(1)
        picked = np.zeros_like(s)
        picked[np.arange(5), best] = 1                  # d loss / d s: the maxima ...
        np.add.at(picked, best, 0.5)                    # ... and the rows index picked, each as often as picked
        np.testing.assert_allclose(grads['w'].numpy(), x.numpy().T @ picked, rtol=1e-12)
        assert loss == pytest.approx(s.max(1).sum() + 0.5 * s[best].sum(), rel=1e-12)


def test_a_tensor_argument_and_a_number_argument():
    def f(w, s):
        return lg.sum(lg.exp(w * s)) * s
    direct = autograd(f, optimize=False)
    for arg in (0, 1):
        optimized = autograd(f, optimize=True, gradArg=arg)
        for _ in range(3):
            w = lg.randn(5)
            assert_same(optimized(w, 0.5), autograd(f, optimize=False, gradArg=arg)(w, 0.5))
    assert direct(lg.ones(2), 1.0)[0].size() == (2,)


def test_dot_file_writes_the_graph(tmp_path):
    path = tmp_path / 'graph.dot'
    df = autograd(mlp, optimize=True, dotFile=str(path))
    df(mlp_params(), lg.randn(6, 7), lg.randn(6, 3))
    dot = path.read_text()
    assert dot.startswith('digraph graphname {') and dot.rstrip().endswith('}')
    assert 'torch.tanh' in dot and 'grad(p0[' in dot and 'answer[0]' in dot and ' -> ' in dot


def test_debug_hook_names_the_value_and_the_user_line():
    seen = []

    def f(p):
        y = lg.log(p['x'])     # log(0): -inf
        return lg.sum(y)
    df = autograd(f, optimize=True, debugHook=lambda debugger, msg, gen: seen.append((msg, gen)))
    df({'x': lg.Tensor([1.0, 0.0, 2.0])})
    msg, gen = seen[0]
    assert 'nan or inf' in msg and 'test_codegen.py' in msg and 'f' in msg
    assert gen['source'].split('\n')[gen['line']].strip().startswith('torch_log(')


def test_unsupported_function_in_optimized_mode_names_itself():
    df = autograd(lambda p: lg.sum(lg.histc(p, 3)), optimize=True)
    with pytest.raises(RuntimeError, match='histc not currently supported'):
        df(lg.randn(4))


def test_non_scalar_answer_is_an_error():
    df = autograd(lambda p: lg.tanh(p), optimize=True)
    with pytest.raises(ValueError, match='only supports scalar return values'):
        df(lg.randn(4))


def test_gradient_of_a_gradient():
    """A df called inside a traced function is part of that trace (no code of its own)."""
    def f(x):
        return lg.sum(lg.tanh(x) * 3.0)

    def g(x):
        grads = autograd(f, optimize=True)(x)[0]
        return lg.sum(lg.cmul(grads, grads))
    x = lg.randn(5)
    got = autograd(g, optimize=True)(x)
    # d/dx sum((3 (1 - tanh^2))^2) = 2 * 3 (1 - t^2) * 3 * (-2 t (1 - t^2))
    th = lg.tanh(x)
    d = 1 - lg.cmul(th, th)
    expected = lg.cmul(lg.cmul(d, d), th) * -36.0
    assert_same(got[0], expected, tol=1e-10)


@pytest.mark.gpu
def test_gpu_matches_cpu():
    params = mlp_params()
    x, t = lg.randn(6, 7), lg.randn(6, 3)
    cparams = {k: v.cuda() for k, v in params.items()}
    optimized = autograd(mlp, optimize=True)
    for _ in range(3):
        expected = autograd(mlp, optimize=False)(params, x, t)
        got = optimized(cparams, x.cuda(), t.cuda())
        assert got[0]['W1'].type() == 'torch.CudaTensor'
        assert_same({k: v.double() for k, v in got[0].items()}, expected[0], tol=1e-4)
        assert abs(got[1] - expected[1]) < 1e-4


def test_partial_gradient_without_the_forward_answers():
    """``withForward=False``: the last argument is the gradient of the (tensor) answer (AutoModule's backward);
    the answers come back too, as the direct runtime returns them."""
    def f(p, x):
        return lg.tanh(x @ p['W'])
    params = {'W': lg.randn(4, 3)}
    direct = autograd(f, optimize=False, withForward=False, partialGrad=True)
    optimized = autograd(f, optimize=True, withForward=False, partialGrad=True)
    forward = autograd(f, optimize=True, withGradients=False)
    for _ in range(3):
        x, g = lg.randn(5, 4), lg.randn(5, 3)
        assert_same(optimized(params, x, g), direct(params, x, g))
        assert_same(forward(params, x), f(params, x))


def test_a_copy_written_into_is_kept():
    """``x * 1`` is an identity the optimizer drops, but not when the copy is then written into: the caller's
    tensor stays untouched."""
    def f(p):
        y = p['x'] * 1
        y[1] = p['v']
        z = p['x'] * 1
        z = z.scatterAdd(0, lg.LongTensor([[0, 1]]), p['w'])   # a trace sees the answer, not the writing
        s = lg.scatter(p['x'] * 1, 0, lg.LongTensor([[2, 0]]), p['s'])   # Torch7's scatter writes into its first
        return lg.sum(lg.cmul(y, y)) + lg.sum(z) + lg.sum(lg.cmul(s, p['x']))
    params = {'x': lg.randn(3, 2), 'v': lg.randn(2), 'w': lg.randn(1, 2), 's': 0.3, 'unused': lg.randn(2)}
    x = params['x'].clone()
    optimized = autograd(f, optimize=True)
    for _ in range(3):
        assert_same(optimized(params), autograd(f, optimize=False)(params))
        assert lg.equal(params['x'], x)


def test_a_constant_tensor_is_read_at_each_call():
    """A tensor the function reads from outside its arguments is bound by reference: new values are seen."""
    target = lg.randn(3, 4)

    def f(p):
        return lg.sum(lg.pow(p - target, 2))
    optimized = autograd(f, optimize=True)
    p = lg.randn(3, 4)
    for _ in range(3):
        target.copy(lg.randn(3, 4))
        assert_same(optimized(p), autograd(f, optimize=False)(p))


def test_signature_function_and_profile_summary(capsys):
    """``signatureFn`` keys the cache (None: a plain trace each call); ``profile='summary'`` reports the cache."""
    params = mlp_params()
    x, t = lg.randn(6, 7), lg.randn(6, 3)
    expected = autograd(mlp, optimize=False)(params, x, t)
    keyed = autograd(mlp, optimize=True, showCode=True, signatureFn=lambda args: 'one key',
                     profile='summary', profileReportFrequency=3)
    for _ in range(3):
        assert_same(keyed(params, x, t), expected)
    out = capsys.readouterr().out
    assert out.count('def outer(') == 1
    assert '[autograd] code cache hit rate: 33%' in out and '[autograd] generated code paths: 1' in out
    untraced = autograd(mlp, optimize=True, showCode=True, signatureFn=lambda args: None)
    for _ in range(2):
        assert_same(untraced(params, x, t), expected)
    assert 'def outer(' not in capsys.readouterr().out


def test_cat_and_repeat_tensor_forms():
    """cat and repeatTensor write into a pool buffer in the forms that take one first."""
    def f(p):
        a, b = lg.tanh(p['a']), lg.tanh(p['b'])
        rows, columns = lg.cat(a, b, 0), lg.cat([a, b], 1)
        return lg.sum(lg.cmul(rows, rows)) + lg.sum(columns) * 0.5 + lg.sum(lg.exp(lg.repeatTensor(a, 2, 1)))
    params = {'a': lg.randn(2, 3), 'b': lg.randn(2, 3)}
    optimized = autograd(f, optimize=True)
    for _ in range(3):
        assert_same(optimized(params), autograd(f, optimize=False)(params))


def test_math_on_a_traced_number_is_refused():
    """``math.exp`` of a traced number would be a constant of the generated code: refused, as in the direct mode."""
    import math
    df = autograd(lambda p: math.exp(lg.sum(p)), optimize=True)
    with pytest.raises(TypeError):
        df(lg.randn(3))


def test_threads_trace_and_run_their_own_functions():
    """Each thread's trace is its own (the trace state is thread-local): four traces held open together by a
    barrier, then their generated code, give the direct runtime's answers."""
    import threading
    barrier = threading.Barrier(4)

    def f(p, x, t):
        h = lg.tanh(x @ p['W1'])
        if barrier is not None:
            barrier.wait(timeout=30)    # every thread is inside its trace here
        return lg.sum(lg.pow(h @ p['W2'] - t, 2))
    params = mlp_params()
    inputs = [(lg.randn(6, 7), lg.randn(6, 3)) for _ in range(4)]
    optimized = [autograd(f, optimize=True) for _ in range(4)]
    results = [None] * 4

    def work(i):
        try:
            results[i] = [optimized[i](params, *inputs[i]) for _ in range(3)]
        except Exception as e:   # reported by the main thread
            results[i] = e
    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    barrier = None
    for i, got in enumerate(results):
        assert not isinstance(got, Exception), got
        expected = autograd(f, optimize=False)(params, *inputs[i])
        for g in got:
            assert_same(g, expected)


def test_reduce_footprint_with_assignments():
    def f(p, x):
        h = lg.tanh(x @ p['W'])
        h[0] = lg.tanh(h[1] * 2.0)
        g = lg.tanh(h @ p['W'])
        g[1] = h[0]
        return lg.sum(lg.tanh(g @ p['W']))
    params = {'W': lg.randn(5, 5) * 0.5}
    optimized = codegen.create(f, _options(reduceFootprint=True))
    for _ in range(3):
        x = lg.randn(3, 5)
        assert_same(optimized(params, x), autograd(f, optimize=False)(params, x))


def test_a_value_kept_past_its_trace_is_refused_by_name():
    kept = []

    def f(p):
        kept.append(p * 2.0)
        return lg.sum(kept[-1])
    autograd(f, optimize=True)(lg.randn(3))
    with pytest.raises(RuntimeError, match='used after its trace ended'):
        kept[0] + 1


def test_an_unsupported_function_of_plain_values_makes_a_constant():
    """A function autograd does not differentiate, called on no traced value, runs (as in the direct mode; the
    Lua's optimized mode refused it)."""
    import numpy as np

    def f(p):
        return lg.sum(lg.cmul(p, lg.from_numpy(np.arange(3.0))))
    p = lg.randn(3)
    assert_same(autograd(f, optimize=True)(p), autograd(f, optimize=False)(p))


def test_slices_and_none_arguments():
    """Python's indexing (slices, a tuple of them) and None arguments are constants of the generated code."""
    def f(p, bias):
        h = p[:, 1:] * 2.0
        h[0:1] = p[1:2, :2]
        if bias is not None:
            h = h + bias
        return lg.sum(lg.cmul(h, h)) + lg.sum(p[..., 0])
    p = lg.randn(3, 3)
    optimized = autograd(f, optimize=True)
    for _ in range(3):
        assert_same(optimized(p, None), autograd(f, optimize=False)(p, None))


def test_settings_arguments_are_plain_and_keyed(capsys):
    """A boolean, a string or None argument reaches ``f`` plain (``if training:`` works) and has its own code."""
    def f(p, x, mode, scale):
        y = lg.tanh(x @ p)
        if mode == 'double':
            y = y * 2.0
        return lg.sum(y) * (scale if scale is not None else 1.0)
    p, x = lg.randn(4, 3), lg.randn(2, 4)
    optimized = autograd(f, optimize=True, showCode=True)
    for mode, scale in (('double', None), ('single', None), ('double', 0.5), ('double', None)):
        assert_same(optimized(p, x, mode, scale), autograd(f, optimize=False)(p, x, mode, scale))
    assert len(shown_code(capsys)) == 3
