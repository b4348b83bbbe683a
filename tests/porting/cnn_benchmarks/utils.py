"""cnn-benchmarks' utils.lua ported line by line.

Edits beyond Lua syntax and 0-based indices: the module is the table ``M`` the Lua returns; ``require 'cutorch'`` inside
setup_gpu makes a Lua global that ``sync`` tests; here a module global ``cutorch`` set by setup_gpu. ``require 'cunn'``
is dropped (docs/porting.md). ``opt.gpu`` is ``opt['gpu']`` (CmdLine's parse answers a dict). ``opt.gpu`` is already
0-based (``-gpu 0``): cutorch's ``opt.gpu + 1`` is ``opt['gpu']`` (legonn's devices are 0-based, docs/porting.md).
``#m.weight`` is ``m.weight.size()``. ``if m.weight and m.gradWeight`` tests fields that a module may not have (nil in
Lua): ``getattr(m, 'weight', None) is not None``. ``io.open`` is ``open``, ``file:read()`` (a line) ``readline()``.
"""
import legonn as lg
from legonn import cjson, nn

cutorch = None


def setup_gpu(opt):
    global cutorch
    dtype = 'torch.FloatTensor'
    use_cudnn = False
    gpu_name = 'cpu'
    cudnn_version = 'none'
    if opt['gpu'] >= 0:
        from legonn import cutorch as _cutorch
        cutorch = _cutorch
        cutorch.setDevice(opt['gpu'])
        gpu_name = cutorch.getDeviceProperties(opt['gpu'])['name']
        msg = 'Running on GPU %d (%s)'
        print(msg % (opt['gpu'], gpu_name))
        dtype = 'torch.CudaTensor'
        if opt['use_cudnn'] == 1:
            from legonn import cudnn
            use_cudnn = True
            cudnn.benchmark = True
            cudnn_version = cudnn.version
            print('Using cuDNN version ' + str(cudnn.version))
    else:
        print('Running on CPU')
    return dtype, use_cudnn, gpu_name, cudnn_version


def sync():
    if cutorch:
        cutorch.synchronize()


def timeit(f):
    sync()
    timer = lg.Timer()
    f()
    sync()
    return timer.time()['real']


def clear_gradients(m):
    if lg.isTypeOf(m, nn.Container):
        m.applyToModules(clear_gradients)
    if getattr(m, 'weight', None) is not None and getattr(m, 'gradWeight', None) is not None:
        m.gradWeight = m.gradWeight.new()
    if getattr(m, 'bias', None) is not None and getattr(m, 'gradBias', None) is not None:
        m.gradBias = m.gradBias.new()


def restore_gradients(m):
    if lg.isTypeOf(m, nn.Container):
        m.applyToModules(restore_gradients)
    if getattr(m, 'weight', None) is not None and getattr(m, 'gradWeight', None) is not None:
        m.gradWeight = m.gradWeight.new(m.weight.size()).zero()
    if getattr(m, 'bias', None) is not None and getattr(m, 'gradBias', None) is not None:
        m.gradBias = m.gradBias.new(m.bias.size()).zero()


def read_json(path):
    file = open(path, 'r')
    text = file.readline()  # noqa: F841  (unused in the Lua too)
    info = cjson.decode(file.readline())
    file.readline()
    return info


def write_json(path, data):
    file = open(path, 'w')
    file.write(cjson.encode(data))
    file.close()

