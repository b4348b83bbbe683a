"""Identity, View and Reshape: batch rules, -1 sizes, setNumInputDims, views not copies, gradients."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn
from tests.checks import standard_tests

CASES = [
    (lambda: nn.Identity(), (3, 4)),
    (lambda: nn.View(12), (3, 4)),
    (lambda: nn.View(2, 2), (3, 4)),
    (lambda: nn.View(-1, 2), (6,)),
    (lambda: nn.Reshape(4, 3), (3, 4)),
    (lambda: nn.Reshape(2, 2), (3, 4)),
    (lambda: nn.Reshape(6, False), (2, 3)),
]


def _build(case):
    make, shape = case
    return make(), lg.randn(*shape)


test_jacobian, test_type_roundtrip, test_gpu_matches_cpu = standard_tests(CASES, _build)


@pytest.mark.parametrize('sizes,in_shape,out_shape', [
    ((12,), (3, 4), (12,)),          # same element count: not a batch
    ((4,), (3, 4), (3, 4)),          # 3 samples of 4
    ((2, 2), (3, 4), (3, 2, 2)),
    ((2, 3, 2), (4, 6), (2, 2, 3, 2)),
    ((-1,), (3, 4), (12,)),          # -1 takes everything, no batch
    ((-1, 2), (3, 4), (6, 2)),
    ((2, -1), (4, 6), (2, 12)),
])
def test_view_batch_rule_matches_numpy(sizes, in_shape, out_shape):
    x = np.arange(np.prod(in_shape), dtype=np.float32).reshape(in_shape)
    y = nn.View(*sizes).forward(x)
    assert y.size() == out_shape
    assert np.shares_memory(y.numpy(), x)
    np.testing.assert_array_equal(y.numpy(), x.reshape(out_shape))


def test_view_num_input_dims_settles_a_batch_of_one():
    x = lg.rand(1, 2, 3)
    assert nn.View(6).forward(x).size() == (6,)
    assert nn.View(6).setNumInputDims(2).forward(x).size() == (1, 6)
    assert nn.View(3).setNumInputDims(1).forward(lg.rand(2, 4, 3)).size() == (8, 3)
    assert nn.View(-1).setNumInputDims(2).forward(lg.rand(5, 2, 3)).size() == (5, 6)


def test_view_gradient_has_input_shape_and_views():
    m = nn.View(6)
    x = lg.rand(4, 2, 3)
    m.forward(x)
    go = lg.rand(4, 6)
    gi = m.backward(x, go)
    assert gi.size() == (4, 2, 3) and gi.storage() is go.storage()


def test_view_sizes_edited_in_place_resize_the_view():
    """View.lua keeps its sizes as a LongStorage, `self.size`, and reads it with `numElements` at each forward:
    harvardnlp/struct-attn's set_size_parser resizes its Views between batches so (`t.parser_view.size[1] =
    batch_l*sent_l`, `t.parser_view.numElements = ...`)."""
    m = nn.View(1, 5, 4)
    assert isinstance(m.size, lg.LongStorage) and list(m.size) == [1, 5, 4]
    m.size[0], m.size[1] = 2, 3
    m.numElements = 2 * 3 * 4
    x = lg.randn(6, 4)
    y = m.forward(x)
    assert y.size() == (2, 3, 4)
    np.testing.assert_array_equal(y.numpy(), x.numpy().reshape(2, 3, 4))
    assert m.backward(x, lg.ones(2, 3, 4)).size() == (6, 4)
    assert repr(m) == 'nn.View(2x3x4)'


def test_view_keeps_the_long_storage_it_is_given():
    """View.lua's resetSize keeps one LongStorage argument itself (`self.size = select(1, ...)`), so the
    caller's later edit of that storage reshapes the View; sizes given any other way are a storage of its own."""
    sizes = lg.LongStorage([2, 6])
    m = nn.View(sizes)
    assert m.size is sizes
    sizes[0], sizes[1] = 3, 4
    assert m.forward(lg.randn(12)).size() == (3, 4)
    listed = [2, 6]
    other = nn.View(listed)
    listed[0] = 3
    assert list(other.size) == [2, 6] and other.size is not sizes


def test_view_of_non_contiguous_input_copies():
    x = lg.rand(3, 4).t()
    y = nn.View(12).forward(x)
    np.testing.assert_array_equal(y.numpy(), x.numpy().reshape(12))


@pytest.mark.parametrize('args,in_shape,out_shape', [
    ((12,), (3, 4), (12,)),
    ((4,), (3, 4), (3, 4)),
    ((12,), (1, 12), (1, 12)),       # first size 1: read as a batch of one (Torch7)
    ((2, 6, True), (2, 12), (2, 2, 6)),
    ((3, 4, False), (12,), (3, 4)),
    ((6, 2, False), (3, 4), (6, 2)),
])
def test_reshape_batch_mode(args, in_shape, out_shape):
    x = np.arange(np.prod(in_shape), dtype=np.float64).reshape(in_shape)
    m = nn.Reshape(*args)
    y = m.forward(x)
    assert y.size() == out_shape
    np.testing.assert_array_equal(y.numpy(), x.reshape(out_shape))
    gi = m.backward(x, y)
    assert gi.size() == in_shape


def test_reshape_keyword_batch_mode_and_repr():
    m = nn.Reshape(3, 2, batchMode=True)
    assert m.forward(lg.rand(6, 6)).size() == (6, 3, 2)
    assert repr(m) == 'nn.Reshape(3x2)' and repr(nn.View(2, -1)) == 'nn.View(2x-1)'


def test_reshape_keeps_torch7s_size_and_batchsize_storages():
    """Reshape.lua keeps ``self.size`` and ``self.batchsize`` (1 then the sizes) as LongStorages; a batch's
    forward sets ``batchsize[1]`` and views the input with it, a single sample is viewed with ``size``, read at
    each call, so Torch7 code editing ``size`` in place reshapes the next sample as View's ``size`` does."""
    m = nn.Reshape(2, 3)
    assert isinstance(m.size, lg.LongStorage) and isinstance(m.batchsize, lg.LongStorage)
    assert (m.size.tolist(), m.batchsize.tolist()) == ([2, 3], [1, 2, 3])
    x = lg.randn(4, 6)
    y = m.forward(x)
    assert y.size() == (4, 2, 3) and m.batchsize.tolist() == [4, 2, 3]
    np.testing.assert_array_equal(y.numpy(), x.numpy().reshape(4, 2, 3))
    m.size[0], m.size[1] = 3, 2
    assert m.forward(x[0]).size() == (3, 2) and repr(m) == 'nn.Reshape(3x2)'
    assert nn.Reshape(lg.LongStorage([6])).size.tolist() == [6]


def test_reshape_sizes_survive_save_and_load(tmp_path):
    """lg.load and .t7 files give Reshape its two LongStorages; a Reshape saved while legonn kept its sizes as a
    tuple (and no batchsize) loads with Reshape.lua's storages; a file whose sizes are not storages is refused."""
    m = nn.Reshape(2, 3)
    m.forward(lg.randn(5, 6))
    lg.save(str(tmp_path / 'new.lg'), m)
    back = lg.load(str(tmp_path / 'new.lg'))
    assert isinstance(back.size, lg.LongStorage) and isinstance(back.batchsize, lg.LongStorage)
    assert (back.size.tolist(), back.batchsize.tolist()) == ([2, 3], [5, 2, 3])
    old = nn.Reshape(2, 3)
    old.size = (2, 3)
    del old.batchsize
    lg.save(str(tmp_path / 'old.lg'), old)
    back = lg.load(str(tmp_path / 'old.lg'))
    assert (back.size.tolist(), back.batchsize.tolist()) == ([2, 3], [1, 2, 3])
    assert back.forward(lg.randn(4, 6)).size() == (4, 2, 3)
    lg.serialization.save_lua(str(tmp_path / 'm.t7'), m)
    raw = lg.serialization.load_lua(str(tmp_path / 'm.t7'), convert=False)
    assert (raw['size'].tolist(), raw['batchsize'].tolist()) == ([2, 3], [5, 2, 3])   # as Torch7 writes them
    back = lg.load(str(tmp_path / 'm.t7'))
    assert isinstance(back.size, lg.LongStorage) and back.forward(lg.randn(6)).size() == (2, 3)
    bad = nn.Reshape(2, 3)
    bad.batchsize = lg.LongStorage([1, 2])
    lg.save(str(tmp_path / 'bad.lg'), bad)
    with pytest.raises(ValueError, match='Reshape: size and batchsize must be LongStorages, batchsize one entry'):
        lg.load(str(tmp_path / 'bad.lg'))


def test_identity_passes_objects_through():
    m = nn.Identity()
    x, go = lg.rand(2, 3), lg.rand(2, 3)
    assert m.forward(x) is x and m.backward(x, go) is go
    # an empty gradOutput (Torch7's "no gradient", of any size holding nothing) passes through; others must match
    for empty in (lg.FloatTensor(), lg.FloatTensor(0, 3)):
        assert m.backward(x, empty) is empty
    with pytest.raises(ValueError, match=r'Identity: expected gradOutput to be a .* of size \(2, 3\)'):
        m.backward(x, lg.rand(3, 2))
    table = [lg.rand(2), lg.rand(3)]
    assert m.forward(table) == table
    m.clearState()
    assert x.nElement() == 6  # clearState drops the reference, never empties the caller's tensor


@pytest.mark.gpu
def test_cuda_identity_passes_a_host_input_through():
    """Identity.lua:3-6 sets output = input with no check, so a CUDA graph whose input node is an Identity takes
    the host codes its first module copies to the device: char-rnn's sample.lua feeds
    ``torch.multinomial(probs:float(), 1):resize(1):float()`` to a CUDA LSTM, whose OneHot (a user module)
    copies them over. The device is still checked where the arithmetic is: a CUDA Linear refuses them."""
    class HostCodes(nn.Module):                     # char-rnn's util/OneHot.lua
        def updateOutput(self, input):
            self.output.resize(input.size(0), 3).copy(lg.eye(3).float().index(0, input.long()))
            return self.output

    m = nn.Identity().cuda()
    x = lg.FloatTensor([2, 0])
    assert m.forward(x) is x
    codes = nn.Identity()()
    net = nn.gModule([codes], [nn.Linear(3, 2)(HostCodes()(codes))]).cuda()
    out = net.forward(x)
    assert out.type() == 'torch.CudaTensor' and out.size() == (2, 2)
    with pytest.raises(TypeError, match='Linear.*expected a legonn.CudaTensor input'):
        nn.Sequential().add(nn.Identity()).add(nn.Linear(3, 2)).cuda().forward(lg.rand(2, 3))



@pytest.mark.gpu
def test_cuda_identity_passes_back_a_device_gradient_of_host_codes():
    """Identity.lua's updateGradInput hands on gradOutput unchecked, so the input node of host codes in a CUDA
    graph takes the CUDA gradInput its module resized to the codes' size: wojciechz/learning_to_execute's
    Embedding (``self.gradInput:resize(input:size())``) after ``module:cuda()``. Sizes are still checked, and a
    host gradient for a CUDA input is still refused (test_misc.py)."""
    class Embedding(nn.Module):                     # learning_to_execute's layers/Embedding.lua
        def __init__(self, n, d):
            super().__init__()
            self.weight, self.gradWeight = lg.randn(n, d), lg.zeros(n, d)

        def updateOutput(self, input):
            self.output.resize(input.size(0), self.weight.size(1))
            for i in range(input.size(0)):
                self.output[i].copy(self.weight[input[i]])
            return self.output

        def updateGradInput(self, input, gradOutput):
            self.gradInput.resize(input.size())
            return self.gradInput

    codes = nn.Identity()()
    net = nn.gModule([codes], [nn.Linear(3, 2)(Embedding(4, 3)(codes))]).cuda()
    x = lg.DoubleTensor([2, 0, 3])
    out = net.forward(x)
    grad = net.backward(x, lg.ones(3, 2).cuda())
    assert out.type() == 'torch.CudaTensor' and grad.type() == 'torch.CudaTensor' and grad.size() == (3,)
    with pytest.raises(ValueError, match=r'Identity: expected gradOutput to be a tensor of size \(3,\)'):
        nn.Identity().cuda().backward(x, lg.zeros(2).cuda())


def test_bad_sizes_name_the_module():
    with pytest.raises(ValueError, match=r'View\(5\): expected an input whose elements fill views of size 5'):
        nn.View(5).forward(lg.rand(3, 4))
    with pytest.raises(ValueError, match=r'Reshape\(5\): expected an input of 15 elements'):
        nn.Reshape(5).forward(lg.rand(3, 4))
    with pytest.raises(ValueError, match=r'View\(6\): expected an input of at least 3 dimensions'):
        nn.View(6).setNumInputDims(3).forward(lg.rand(2, 3))
    with pytest.raises(TypeError, match=r'View\(6\): expected a tensor input'):
        nn.View(6).forward([lg.rand(6)])
    for bad in [(2, -1, -1), (-2,), (2.5,), ()]:
        with pytest.raises(ValueError, match='View'):
            nn.View(*bad)
    with pytest.raises(ValueError, match='Reshape'):
        nn.Reshape(0, 3)


@pytest.mark.parametrize('module', [nn.Reshape(2, 3), nn.View(2, 3)])
def test_views_follow_their_input_across_calls(module):
    # the output view is reused while the input is the same buffer; another input gets its own view
    x = lg.randn(4, 6)
    first = module.forward(x)
    x.fill(2)
    again = module.forward(x)
    assert again.storage() is x.storage() and float(again.sum()) == 2 * 24
    y = lg.randn(4, 6)
    other = module.forward(y)
    assert other.storage() is y.storage() and np.array_equal(other.numpy(), y.numpy().reshape(4, 2, 3))
    assert first.storage() is x.storage()
    go = lg.ones(4, 2, 3)
    assert module.backward(y, go).storage() is go.storage()
    assert module.backward(y, lg.zeros(4, 2, 3)).sum() == 0


@pytest.mark.parametrize('build', [lambda: nn.View(1, 2), lambda: nn.Reshape(1, 2)], ids=['View', 'Reshape'])
def test_backward_takes_any_gradoutput_of_as_many_elements(build):
    """View.lua's ``self.gradInput:view(gradOutput, input:size())`` and Reshape.lua's ``viewAs`` read only the
    element count: Kaixhin/Atari's QAgent backpropagates an ``m``-vector through a net ending in
    ``nn.View(heads, m)`` (heads 1). Another count is refused, naming the module."""
    m = build()
    x = lg.Tensor([3, 4])
    m.forward(x)
    assert m.backward(x, lg.Tensor([5, 6])).numpy().tolist() == [5, 6]
    assert m.backward(x, lg.Tensor([[[7, 8]]])).numpy().tolist() == [7, 8]
    with pytest.raises(ValueError, match=r"(View|Reshape).*gradOutput of 2 elements.*got size \(3,\)"):
        m.backward(x, lg.Tensor([1, 2, 3]))
