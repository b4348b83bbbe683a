"""The default ``device`` (None) of lg.load, lg.load_lua and lg.DiskFile's readObject: as Torch7's torch.load
(torch7 File.lua:392, a DiskFile's readObject, which at File.lua:345 rebuilds each object by its class name,
so a torch.CudaTensor comes back a CudaTensor) each tensor on the device it was saved from where legonn can use
CUDA (CuPy with a GPU, or the simulator), and on the CPU where it cannot, so a GPU checkpoint loads anywhere.
``without_cuda`` (conftest.py) makes a machine without CuPy out of any machine."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn

from .test_t7 import cuda_tensor_bytes

WRITERS = {'lg': lg.save, 't7': lg.save_lua}


def _saved_on_the_gpu(path, writer):
    """A CUDA model and a LongTensor saved by ``writer``; the model and its output on a CUDA input."""
    model = nn.Sequential().add(nn.Linear(3, 4)).add(nn.Tanh()).cuda()
    x = lg.from_numpy(np.random.RandomState(0).uniform(-1, 1, (2, 3)).astype(np.float32))
    WRITERS[writer](path, {'model': model, 'ids': lg.LongTensor([2, 0])})
    return x, model.forward(x.cuda()).cpu().numpy()


@pytest.mark.gpu
@pytest.mark.parametrize('writer', sorted(WRITERS))
def test_a_gpu_checkpoint_comes_back_on_the_gpu_with_no_argument(tmp_path, writer):
    """What Torch7 code does after torch.load of a CUDA checkpoint (forward CudaTensors, optim on CUDA state)
    needs no device argument: the model is CUDA, its CPU LongTensor stays one."""
    path = tmp_path / f'ckpt.{writer}'
    x, expected = _saved_on_the_gpu(path, writer)
    back = lg.load(path)
    assert back['model'].type() == 'legonn.CudaTensor' and back['model'].get(0).weight.type() == 'legonn.CudaTensor'
    assert back['ids'].type() == 'legonn.LongTensor'
    np.testing.assert_array_equal(back['model'].forward(x.cuda()).cpu().numpy(), expected)
    assert lg.load(path, device=None)['model'].get(0).bias.type() == 'legonn.CudaTensor'
    assert lg.load(path, device='cpu')['model'].get(0).weight.type() == 'legonn.FloatTensor'


@pytest.mark.gpu
@pytest.mark.parametrize('writer', sorted(WRITERS))
def test_the_same_checkpoint_loads_on_the_cpu_where_cuda_is_not_usable(tmp_path, writer, request):
    """Written on the GPU, read where CuPy is missing: no argument gives the CPU twins, which compute the same;
    'saved' asked for outright needs CuPy, as before."""
    path = tmp_path / f'ckpt.{writer}'
    x, expected = _saved_on_the_gpu(path, writer)
    request.getfixturevalue('without_cuda')
    back = lg.load(path)
    assert back['model'].type() == 'legonn.FloatTensor' and back['model'].get(0).weight.type() == 'legonn.FloatTensor'
    np.testing.assert_allclose(back['model'].forward(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ImportError, match='CUDA tensors need CuPy'):
        lg.load(path, device='saved')


def test_a_cutorch_file_loads_on_the_cpu_without_cuda(tmp_path, without_cuda):
    """A torch.CudaTensor written by cutorch (hand-built bytes): lg.load, lg.load_lua and a DiskFile's readObject
    give a FloatTensor with no argument where CUDA is not usable; 'saved' refuses, naming CuPy."""
    path = tmp_path / 'x.t7'
    path.write_bytes(cuda_tensor_bytes([1.5, -2, 3]))
    for t in (lg.load(path), lg.load_lua(path), lg.DiskFile(path, 'r').binary().readObject()):
        assert t.type() == 'legonn.FloatTensor'
        np.testing.assert_array_equal(t.numpy(), [1.5, -2, 3])
    with pytest.raises(ImportError, match='CUDA tensors need CuPy'):
        lg.load_lua(path, device='saved')


@pytest.mark.gpu
def test_a_disk_files_objects_come_back_where_they_were_written_from(tmp_path):
    """torch.DiskFile's readObject is torch.load's reader: CUDA objects come back CUDA with CUDA usable, and
    ``device`` (load's) picks otherwise; a reference to a tensor read before is that tensor."""
    x = lg.FloatTensor([[1, 2], [3, 4]]).cuda()
    f = lg.DiskFile(tmp_path / 'objects.t7', 'w').binary()
    f.writeObject(x)
    f.writeObject({'again': x, 'ids': lg.LongTensor([1])})
    f.close()
    f = lg.DiskFile(tmp_path / 'objects.t7', 'r').binary()
    first, second = f.readObject(), f.readObject()
    assert first.type() == 'legonn.CudaTensor' and second['again'] is first
    assert second['ids'].type() == 'legonn.LongTensor'
    np.testing.assert_array_equal(first.cpu().numpy(), [[1, 2], [3, 4]])
    on_cpu = lg.DiskFile(tmp_path / 'objects.t7', 'r', device='cpu').binary().readObject()
    assert on_cpu.type() == 'legonn.FloatTensor'


@pytest.mark.parametrize('call', [lambda p, d: lg.load(p, device=d), lambda p, d: lg.load_lua(p, device=d),
                                  lambda p, d: lg.DiskFile(p, 'r', device=d)], ids=['load', 'load_lua', 'DiskFile'])
def test_a_device_other_than_none_cpu_cuda_or_saved_is_refused_naming_the_function(tmp_path, call):
    path = tmp_path / 'x.t7'
    lg.save_lua(path, lg.FloatTensor([1]))
    for bad in ('gpu', 0, True):
        with pytest.raises(ValueError, match=r"\.(load|load_lua|DiskFile): device must be 'cpu', 'cuda', "
                                             r"'saved' or None .*got " + repr(bad)):
            call(path, bad)
    assert call(path, None) is not None
