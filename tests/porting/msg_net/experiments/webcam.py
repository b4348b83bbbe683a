"""experiments/webcam.lua without its camera and window: the checkpoint and the style features loaded as test.lua
loads them, and ``run_image``, which stylises a frame (the style switched every 15 frames), pastes the style
image into the frame's corner and puts the frame and its stylisation side by side.

Edits: ``main(arg, frames)`` runs ``run_image`` over the given frames and returns the displays; the Lua's
``image.Camera`` grab and ``image.display``/``qt`` window (a camera and a Qt display, which legonn does not
provide) are left out. The frame counter ``idx`` is 0-based (the Lua's starts at 1), so ``(idx-1) % 15`` is
``idx % 15``; ``img:sub(1,3,21,20+styleSize,...)``'s inclusive 1-based bounds are 0-based here;
``torch.cat(img, img_out, 3)`` joins dimension 2."""
import legonn as lg
from legonn import cudnn, image, nn, paths

from tests.porting.test_fast_neural_style_train import preprocess_table as preprocess

from . import opts
from .utils import utils
from .utils.getImages import Dataset as imgLoader


def main(arg, frames):
    opt = opts.parse(arg)

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

    style_image = None

    def run_image(img, feat, idx):
        nonlocal style_image
        if opt['image_size'] > 0:
            img = image.scale(img, opt['image_size'])
        H, W = img.size(1), img.size(2)
        img_pre = pre['preprocess'](img.view(1, 3, H, W)).type(dtype)

        # update style image
        if idx % 15 == 0:
            i = lg.floor(idx / 15) % styleLoader.size()
            style_image = styleLoader.get(i).float()
            model.setTarget(feat[i], dtype)

        img_out = model.forward(img_pre)
        styleSize = lg.floor(opt['image_size'] / 4)

        style_image = image.scale(style_image, styleSize, styleSize)
        img_out = pre['deprocess'](img_out.float())[0]
        img = img.float()
        img.sub(0, 2, 20, 19 + styleSize, 20, 19 + styleSize).copy(style_image)
        img_out = lg.cat(img, img_out, 2)

        return img_out

    displays = []
    for idx, img in enumerate(frames):
        # Run the model
        displays.append(run_image(img, feat, idx))
    return displays
