"""The type name a module's converters hand its ``type``: Torch7's Module.lua:167-177 calls
``self:type('torch.FloatTensor')`` (``double``, ``cuda`` likewise), so a Lua ``type`` override that compares its
argument with a 'torch.' spelling (multipathnet's ModelParallelTable.lua:353, ``typeStr == "torch.CudaTensor"``)
sees it equal; legonn's converters hand a TypeName, equal to either spelling."""
import pytest

import legonn as lg
from legonn import nn


class _Picky(nn.Container):
    """A container whose ``type`` accepts Torch7's spelling only, as ModelParallelTable.lua's."""

    def __init__(self, accepted):
        super().__init__()
        self.accepted = accepted
        self.seen = []
        self.add(nn.Linear(2, 3))

    def type(self, typeStr=None, cache=None):
        self.seen.append(typeStr)
        if typeStr == self.accepted:
            for m in self.modules:
                m.type(typeStr)
        else:
            raise TypeError(f'only {self.accepted}, not {typeStr}')
        return self


@pytest.mark.parametrize('convert, accepted, tensor_type', [
    (lambda m: m.float(), 'torch.FloatTensor', 'torch.FloatTensor'),
    (lambda m: m.double(), 'torch.DoubleTensor', 'torch.DoubleTensor'),
    (lambda m: m.cpu(), 'torch.FloatTensor', 'torch.FloatTensor'),
])
def test_a_lua_type_override_sees_torch_spellings(convert, accepted, tensor_type):
    picky = _Picky(accepted)
    convert(nn.Sequential().add(picky))   # through a parent, as model:float() reaches its towers
    assert picky.seen and picky.seen[-1] == accepted
    assert picky.modules[0].weight.type() == tensor_type


@pytest.mark.gpu
def test_cuda_hands_torch_cuda_tensor():
    if not lg.gpu_available():
        pytest.skip('needs CuPy and a CUDA GPU')
    picky = _Picky('torch.CudaTensor')
    nn.Sequential().add(picky).cuda()
    assert picky.modules[0].weight.type() == 'torch.CudaTensor'
    picky2 = _Picky('torch.CudaDoubleTensor')
    picky2.cudaDouble()
    assert picky2.modules[0].weight.type() == 'torch.CudaDoubleTensor'
