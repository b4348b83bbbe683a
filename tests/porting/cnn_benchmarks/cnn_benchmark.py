"""cnn-benchmarks' cnn_benchmark.lua ported line by line, the script's body as ``main(arg)``.

Edits beyond Lua syntax and 0-based indices: ``opt.x`` is ``opt['x']``; ``#model.output`` is
``model.output.size()``; ``table.insert(t, x)`` is ``t.append(x)``; ``cudnn`` (a global made by utils.lua's
``require 'cudnn'``) is imported where it is used.
"""
import legonn as lg

from . import utils


def main(arg):
    cmd = lg.CmdLine()
    # Model options
    cmd.option('-model_t7', 'models/vgg16.t7')
    cmd.option('-image_height', 224)
    cmd.option('-image_width', 224)
    cmd.option('-batch_size', 16)

    # Benchmark options
    cmd.option('-num_passes', 10)

    # Backend options
    cmd.option('-gpu', 0)
    cmd.option('-use_cudnn', 1)

    # Output options
    cmd.option('-output_json', 'outputs/cnn_out.json')

    opt = cmd.parse(arg)
    dtype, use_cudnn, gpu_name, cudnn_version = utils.setup_gpu(opt)
    print('Loading model from ' + opt['model_t7'])
    model = lg.load(opt['model_t7'])
    utils.restore_gradients(model)
    model.training()
    model.type(dtype)
    if use_cudnn:
        from legonn import cudnn
        cudnn.convert(model, cudnn)

    forward_times = []
    backward_times = []
    N, C = opt['batch_size'], 3
    H, W = opt['image_height'], opt['image_width']
    for t in range(1, opt['num_passes'] + 1 + 1):
        msg = 'Running iteration %d / %d'
        print(msg % (t - 1, opt['num_passes']))

        x = lg.randn(N, C, H, W).type(dtype)
        utils.sync()
        forward_time = utils.timeit(lambda: model.forward(x))
        if t > 1:
            # The first pass does not count since it will allocate
            # a bunch of memory
            forward_times.append(forward_time)

        dout = lg.randn(model.output.size()).type(dtype)
        utils.sync()
        backward_time = utils.timeit(lambda: model.backward(x, dout))
        if t > 1:
            backward_times.append(backward_time)

    forward_times = lg.DoubleTensor(forward_times)
    backward_times = lg.DoubleTensor(backward_times)
    total_times = forward_times + backward_times

    msg = '%f += %f'
    print('Forward:')
    print(msg % (forward_times.mean(), forward_times.std()))
    print('Backward:')
    print(msg % (backward_times.mean(), backward_times.std()))
    print('Total:')
    print(msg % (total_times.mean(), backward_times.std()))

    json_data = {
        'opt': opt,
        'forward_times': forward_times.totable(),
        'backward_times': backward_times.totable(),
        'total_times': total_times.totable(),
        'gpu_name': gpu_name,
        'cudnn_version': cudnn_version,
    }
    utils.write_json(opt['output_json'], json_data)
