"""experiments/utils/utils.lua, the same file as fast-neural-style's utils.lua: ``parse_num_list``,
``parse_layers`` and ``write_json`` come from that port; ``setup_gpu``, which that port leaves out, is ported
here (``cutorch.setDevice(gpu + 1)`` is ``setDevice(gpu)``: legonn's devices are 0-based; cltorch has no legonn
counterpart, so the 'opencl' backend raises)."""
from tests.porting.test_fast_neural_style_train import parse_layers, parse_num_list, write_json  # noqa: F401


def setup_gpu(gpu, backend, use_cudnn):
    dtype = 'torch.FloatTensor'
    if gpu >= 0:
        if backend == 'cuda':
            from legonn import cutorch
            cutorch.setDevice(gpu)
            dtype = 'torch.CudaTensor'
            if use_cudnn:
                from legonn import cudnn
                cudnn.benchmark = True
        elif backend == 'opencl':
            raise ValueError("setup_gpu: backend 'opencl' needs cltorch, which legonn does not provide")
    else:
        use_cudnn = False
    return dtype, use_cudnn
