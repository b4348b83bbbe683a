"""computeProposals.lua: full-scene inference on one image with a trained DeepMask or SharpMask, ``main(arg)``
standing for the script; the proposals are drawn into the image (MaskApi.drawMasks, the COCO API stand-in's) and
saved as ``./res.jpg`` (Lua's ``string.format('./res.jpg',config.model)`` drops its unused argument, where
Python's ``%`` would raise: the literal name). It returns the masks and the drawn image (the script returns nothing)."""
import legonn as lg
from legonn import cutorch, image

from . import coco


def main(arg):
    # --------------------------------------------------------------------------
    # parse arguments
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('evaluate deepmask/sharpmask')
    cmd.text()
    cmd.argument('-model', 'path to model to load')
    cmd.text('Options:')
    cmd.option('-img', 'data/testImage.jpg', 'path/to/test/image')
    cmd.option('-gpu', 1, 'gpu device')
    cmd.option('-np', 5, 'number of proposals to save in test')
    cmd.option('-si', -2.5, 'initial scale')
    cmd.option('-sf', .5, 'final scale')
    cmd.option('-ss', .5, 'scale step')
    cmd.option('-dm', False, 'use DeepMask version of SharpMask')

    config = cmd.parse(arg)

    # --------------------------------------------------------------------------
    # various initializations
    lg.setdefaulttensortype('torch.FloatTensor')
    cutorch.setDevice(config['gpu'] - 1)

    maskApi = coco.MaskApi

    meanstd = {'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]}

    # --------------------------------------------------------------------------
    # load moodel
    from . import DeepMask, SharpMask

    print('| loading model file... ' + config['model'])
    m = lg.load(config['model'] + '/model.t7')
    model = m['model']
    model.inference(config['np'])
    model.cuda()

    # --------------------------------------------------------------------------
    # create inference module
    scales = []
    i = config['si']
    while i <= config['sf']:
        scales.append(2 ** i)
        i = i + config['ss']

    if lg.type(model) == 'nn.DeepMask':
        from .InferDeepMask import Infer
    elif lg.type(model) == 'nn.SharpMask':
        from .InferSharpMask import Infer

    infer = Infer(
        np=config['np'],
        scales=scales,
        meanstd=meanstd,
        model=model,
        dm=config['dm'],
    )

    # --------------------------------------------------------------------------
    # do it
    print('| start')

    # load image
    img = image.load(config['img'])
    h, w = img.size(1), img.size(2)

    # forward all scales
    infer.forward(img)

    # get top propsals
    masks, _ = infer.getTopProps(.2, h, w)

    # save result
    res = img.clone()
    maskApi.drawMasks(res, masks, 10)
    image.save('./res.jpg', res)

    print('| done')
    return masks, res
