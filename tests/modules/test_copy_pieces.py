"""A table module's pieces copied in one CUDA launch: table_buffers.copy_pieces for pieces of one shape
(SplitTable's and CAddTable's gradInput), cuda_kernels.join_rows/split_rows for JoinTable's (any widths); a copy
each elsewhere."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules.base import table_buffers, view_cache
from tests.checks import launch_counting, on_gpu


def test_on_the_cpu_each_piece_is_copied_whatever_its_shape():
    sources = [np.arange(6.0).reshape(2, 3), np.arange(4.0).reshape(2, 2)]
    joined = np.zeros((2, 5))
    table_buffers.copy_pieces(sources, [joined[:, :3], joined[:, 3:]])
    np.testing.assert_array_equal(joined, np.hstack(sources))


@pytest.fixture
def copies(monkeypatch):
    """The piece counts of the copy kernels launched."""
    launched = []
    for n, kernel in list(table_buffers._copies.items()):
        def recording(*arrays, n=n, kernel=kernel):
            launched.append(n)
            return kernel(*arrays)
        monkeypatch.setitem(table_buffers._copies, n, recording)
    return launched


def run_on_the_gpu(module, input, grad, which):
    """``module``'s forward (or, after one, backward) on the GPU: (result, the module's CPU result)."""
    want = module.forward(input) if which == 'forward' else module.backward(input, grad)
    gpu = on_gpu(module.clone())
    moved = [on_gpu(t) for t in input] if isinstance(input, list) else on_gpu(input)
    if which == 'forward':
        return (lambda: gpu.forward(moved)), want
    gpu.forward(moved)
    return (lambda: gpu.backward(moved, [on_gpu(g) for g in grad] if isinstance(grad, list) else on_gpu(grad))), want


def assert_equal_trees(got, want):
    for a, b in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
        np.testing.assert_array_equal(a.cpu().numpy(), b.numpy())


@pytest.mark.gpu
@pytest.mark.parametrize('dtype', ['Float', 'Double'])
def test_table_gradients_are_one_launch_and_equal_the_cpu(copies, dtype):
    rng = np.random.default_rng(0)
    x = lg.from_numpy(rng.standard_normal((3, 4, 5))).type(f'legonn.{dtype}Tensor')
    pieces = [lg.from_numpy(rng.standard_normal((3, 5))).type(x.type()) for _ in range(4)]
    for module, input, grad, n in [(nn.SplitTable(1), x, pieces, 4), (nn.CAddTable(), pieces[:3], pieces[0], 3)]:
        run, want = run_on_the_gpu(module, input, grad, 'backward')
        copies.clear()
        got = run()
        assert copies == [n], repr(module)
        assert_equal_trees(got, want)


@pytest.mark.gpu
@pytest.mark.parametrize('dtype', ['Float', 'Double'])
def test_a_join_is_one_launch_each_way_for_pieces_of_any_width(raw_launches, dtype):
    rng = np.random.default_rng(1)
    steps = lg.from_numpy(rng.standard_normal((3, 6, 4))).type(f'legonn.{dtype}Tensor')
    cases = [[steps.select(1, 2), lg.from_numpy(rng.standard_normal((3, 7))).type(steps.type())],   # strided rows
             [lg.from_numpy(rng.standard_normal((2, c, 3, 2))).type(steps.type()) for c in (1, 4, 2)]]
    for input in cases:
        module = nn.JoinTable(1)
        joined = module.forward(input)
        grad = lg.from_numpy(rng.standard_normal(tuple(joined.size()))).type(steps.type())
        for which, kernel in (('forward', 'join_rows'), ('backward', 'split_rows')):
            run, want = run_on_the_gpu(nn.JoinTable(1), input, grad, which)
            raw_launches.clear()
            got = run()
            assert raw_launches == [kernel]
            assert_equal_trees(got, want)


def test_split_table_slices_its_gradient_buffer_once_while_it_keeps_its_address():
    """SplitTable's gradInput pieces are views made once per buffer; a buffer made anew (another input size, a
    type change) is sliced anew, and every gradient still lands in its place."""
    rng = np.random.default_rng(1)
    module = nn.SplitTable(1)
    made = []
    for shape in ((3, 4, 5), (3, 4, 5), (2, 3, 5), (2, 3, 5)):
        x = lg.from_numpy(rng.standard_normal(shape))
        grads = [lg.from_numpy(rng.standard_normal((shape[0], shape[2]))) for _ in range(shape[1])]
        module.forward(x)
        gi = module.backward(x, grads)
        np.testing.assert_array_equal(gi.numpy(), np.stack([g.numpy() for g in grads], 1))
        array, _, views = view_cache._MADE[module]['gradInput']
        assert array is module.gradInput.array and all(np.shares_memory(v, array) for v in views)
        made.append(views)
    assert made[0] is made[1] and made[2] is made[3] and made[1] is not made[2]   # anew for the new buffer only
    module.float()
    x, grads = x.float(), [g.float() for g in grads]
    module.forward(x)
    np.testing.assert_array_equal(module.backward(x, grads).numpy(), np.stack([g.numpy() for g in grads], 1))


@pytest.mark.gpu
def test_on_the_gpu_split_table_makes_no_view_a_backward():
    counting = launch_counting()
    rng = np.random.default_rng(2)
    x = on_gpu(lg.from_numpy(rng.standard_normal((3, 4, 5))))
    grads = [on_gpu(lg.from_numpy(rng.standard_normal((3, 5)))) for _ in range(4)]
    module = on_gpu(nn.SplitTable(1))
    module.forward(x)
    module.backward(x, grads)
    with counting() as counts:
        gi = module.backward(x, grads)
    assert not any(k.startswith('view') for k in counts), counts
    np.testing.assert_array_equal(gi.cpu().numpy(), np.stack([g.cpu().numpy() for g in grads], 1))
