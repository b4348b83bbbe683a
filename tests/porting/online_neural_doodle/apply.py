"""apply.lua of DmitryUlyanov/online-neural-doodle, ported line by line as ``main(arg)``: a target mask from an
hdf5 file (apply.py writes it from a colour doodle) through a saved generator, the rendered image saved. Returns
the image for the tests. ``:cuda()`` is ``.type(utils.dtype)`` (the package's docstring)."""
import legonn as lg
from legonn import cudnn, hdf5, image, nn  # noqa: F401  (require 'cutorch', 'nn', 'cunn', 'cudnn', ...)

from .src import utils
from .src.utils import add_dummy, deprocess


def main(arg=None, args=None):
    cmd = lg.CmdLine()

    cmd.text('Options:')
    cmd.option('-mask_hdf5', '', 'Input mask')
    cmd.option('-model', '', 'Input mask')
    cmd.option('-out_path', '', 'Input mask')
    cmd.text()

    params = cmd.parse(args or arg or [])

    # Load mask
    mask_file = hdf5.open(params['mask_hdf5'], 'r')
    mask = mask_file.read('mask').all()
    mask_file.close()

    # Load model
    model = lg.load(params['model'])
    model.evaluate()
    model.type(utils.dtype)

    out = model.forward((add_dummy(mask) / 10).type(utils.dtype))
    im = lg.clamp(deprocess(out[0].double()), 0, 1)

    image.save(params['out_path'], im)
    return im
