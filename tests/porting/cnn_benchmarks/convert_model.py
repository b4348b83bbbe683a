"""cnn-benchmarks' convert_model.lua ported line by line, the script's body as ``main(arg)``.

Edits beyond Lua syntax and 0-based indices: ``require 'cutorch'``, ``'cunn'``, ``'loadcaffe'``, ``'cudnn'``
are imports (``cunn``'s dropped, docs/porting.md); ``opt.x`` is ``opt['x']``; ``error(...)`` raises.
"""
import legonn as lg
from legonn import cudnn, cutorch, loadcaffe, nn  # noqa: F401  (cutorch: required by the Lua too)

from . import utils


def main(arg):
    cmd = lg.CmdLine()
    cmd.option('-input_prototxt', '')
    cmd.option('-input_caffemodel', '')
    cmd.option('-input_t7', '')
    cmd.option('-output_t7', '')
    cmd.option('-backend', 'nn')
    cmd.option('-clear_gradients', 1)
    opt = cmd.parse(arg)

    if (opt['input_prototxt'] == '') == (opt['input_t7'] == ''):
        raise RuntimeError('Must provide one of -input_prototxt or -input_t7')

    model = None
    if opt['input_prototxt'] != '':
        if opt['input_caffemodel'] == '':
            raise RuntimeError('Must provide both -input_prototxt and -input_caffemodel')
        model = loadcaffe.load(opt['input_prototxt'], opt['input_caffemodel'], opt['backend'])
    elif opt['input_t7']:
        model = lg.load(opt['input_t7'])
    backend_map = {'nn': nn, 'cudnn': cudnn}
    cudnn.convert(model, backend_map[opt['backend']])
    model.float()
    model.clearState()
    if opt['clear_gradients'] == 1:
        utils.clear_gradients(model)
    lg.save(opt['output_t7'], model)
