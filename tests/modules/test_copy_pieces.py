"""table_buffers.copy_pieces: a table module's pieces copied in one CUDA launch (SplitTable's and JoinTable's
gradients, JoinTable's output, CAddTable's gradInput), a copy each elsewhere."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from legonn.modules.base import table_buffers


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


@pytest.mark.gpu
@pytest.mark.parametrize('dtype', ['Float', 'Double'])
def test_table_gradients_are_one_launch_and_equal_the_cpu(copies, dtype):
    rng = np.random.default_rng(0)
    x = lg.from_numpy(rng.standard_normal((3, 4, 5))).type(f'legonn.{dtype}Tensor')
    pieces = [lg.from_numpy(rng.standard_normal((3, 5))).type(x.type()) for _ in range(4)]
    cases = [(nn.SplitTable(1), x, pieces, 'backward', 4),
             (nn.CAddTable(), pieces[:3], pieces[0], 'backward', 3),
             (nn.JoinTable(1), pieces[:2], None, 'forward', 2),
             (nn.JoinTable(1), pieces[:2], lg.from_numpy(rng.standard_normal((3, 10))).type(x.type()), 'backward', 2)]
    for module, input, grad, which, n in cases:
        want = module.forward(input) if which == 'forward' else module.backward(input, grad)
        gpu = module.clone().cuda()
        moved = [t.cuda() for t in input] if isinstance(input, list) else input.cuda()
        copies.clear()
        if which == 'forward':
            got = gpu.forward(moved)
        else:
            gpu.forward(moved)
            copies.clear()
            got = gpu.backward(moved, [g.cuda() for g in grad] if isinstance(grad, list) else grad.cuda())
        assert copies == [n], f'{module!r} {which}'
        for a, b in zip(got if isinstance(got, list) else [got], want if isinstance(want, list) else [want]):
            np.testing.assert_array_equal(a.cpu().numpy(), b.numpy())
