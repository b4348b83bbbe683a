"""experiments/test.lua: stylise one image with a trained checkpoint, once per style of the folder (the
Inspiration target set from ``feat.t7``), writing ``<i>.jpg`` and ``<i>style.jpg`` into ``-output_dir``.

Edits: ``main(arg)`` returns the list of written paths. ``pcall(function() return torch.load(...) end)`` is a
``try``. The Lua tests ``path.isdir(out_dir)`` where ``path`` is an undefined global (the ``paths`` package was
meant), which raises "attempt to index global 'path'" in Torch7 before anything is written unless some other
package defined it: the port reads ``paths.dirp``; and it tests ``opt.output_image == ''``, an option opts.lua
never declares (nil, so never equal): kept. ``paths.concat(opt.output_dir, i)`` of a number is of its 1-based
text, ``'%d' % (i + 1)``."""
import legonn as lg
from legonn import cudnn, image, nn, paths

from tests.porting.test_fast_neural_style_train import preprocess_table as preprocess

from . import opts
from .utils import utils
from .utils.getImages import Dataset as imgLoader


def main(arg):
    opt = opts.parse(arg)
    opt['style_layers'], opt['style_weights'] = utils.parse_layers(opt['style_layers'], opt['style_weights'])
    if opt['input_image'] == '':
        raise ValueError('Must give exactly one of -input_image')

    dtype, use_cudnn = utils.setup_gpu(opt['gpu'], opt['backend'], opt['use_cudnn'] == 1)
    try:
        checkpoint = lg.load(opt['premodel'])
    except Exception:
        print('ERROR: Could not load model from ' + opt['premodel'])
        print('You may need to download the pretrained models by running')
        return
    model = checkpoint['model']
    model.evaluate()
    model.type(dtype)
    if use_cudnn:
        cudnn.convert(model, cudnn)
        if opt.get('cudnn_benchmark') == 0:
            cudnn.benchmark = False
            cudnn.fastest = True

    preprocess_method = checkpoint['opt'].get('preprocessing') or 'vgg'
    pre = preprocess[preprocess_method]
    styleLoader = imgLoader(opt['style_image_folder'])

    featpath = opt['style_image_folder'] + '/feat.t7'
    if not paths.filep(featpath):
        from . import extractGram as extractor
        extractor.exec(opt)

    feat = lg.load(featpath)
    feat = nn.utils.recursiveType(feat, 'torch.CudaTensor')
    written = []

    def run_image(in_path, out_dir, styleLoader, feat):
        if not paths.dirp(out_dir):
            paths.mkdir(out_dir)
        img = image.load(in_path, 3)
        if opt['image_size'] > 0:
            img = image.scale(img, opt['image_size'])
        H, W = img.size(1), img.size(2)
        img_pre = pre['preprocess'](img.view(1, 3, H, W)).type(dtype)

        for i in range(styleLoader.size()):
            style_image = styleLoader.get(i)
            model.setTarget(feat[i], dtype)

            img_out = model.forward(img_pre)
            img_out = pre['deprocess'](img_out)[0]

            out_path = paths.concat(opt['output_dir'], '%d' % (i + 1)) + '.jpg'
            out_path_style = paths.concat(opt['output_dir'], '%d' % (i + 1)) + 'style.jpg'
            print('Writing output image to ' + out_path)
            image.save(out_path, img_out)
            image.save(out_path_style, style_image)
            written.append(out_path)

    if opt['input_image'] != '':
        if opt.get('output_image') == '':
            raise ValueError('Must give -output_image with -input_image')
        run_image(opt['input_image'], opt['output_dir'], styleLoader, feat)
    else:
        raise ValueError('Must provide input image')
    return written
