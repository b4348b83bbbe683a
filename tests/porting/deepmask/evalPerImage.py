"""evalPerImage.lua: full-scene proposals of a trained DeepMask or SharpMask on each image of a split,
``main(arg)`` standing for the script; the proposals are RLE-encoded (the COCO API stand-in's MaskApi.encode) and
saved every 500 images as a .t7 file of tds.Hash entries and as COCO's results JSON. It returns the proposals not
yet saved (the script returns nothing).

Edits beyond syntax and indices: ``tds.Hash(enc[i])`` of the RLE table wraps its counts (a list here, libmaskapi's
string in Lua) in a tds.Vec; saveProps's ``elem.segmentation = {size = ..., counts = ...}`` reads them back into
a list for cjson."""
import os

import legonn as lg
from legonn import cjson, cutorch, image, paths, tds, xlua

from . import coco as coco_


def main(arg):
    from . import DeepMask, SharpMask

    # --------------------------------------------------------------------------
    # parse arguments
    cmd = lg.CmdLine()
    cmd.text()
    cmd.text('full scene evaluation of DeepMask/SharpMask')
    cmd.text()
    cmd.argument('-model', 'model to load')
    cmd.text('Options:')
    cmd.option('-datadir', 'data/', 'data directory')
    cmd.option('-seed', 1, 'manually set RNG seed')
    cmd.option('-gpu', 1, 'gpu device')
    cmd.option('-split', 'val', 'dataset split to be used (train/val)')
    cmd.option('-np', 500, 'number of proposals')
    cmd.option('-thr', .2, 'mask binary threshold')
    cmd.option('-save', False, 'save top proposals')
    cmd.option('-startAt', 1, 'start image id')
    cmd.option('-endAt', 5000, 'end image id')
    cmd.option('-smin', -2.5, 'min scale')
    cmd.option('-smax', .5, 'max scale')
    cmd.option('-sstep', .5, 'scale step')
    cmd.option('-timer', False, 'breakdown timer')
    cmd.option('-dm', False, 'use DeepMask version of SharpMask')

    config = cmd.parse(arg)

    # --------------------------------------------------------------------------
    # various initializations
    lg.setdefaulttensortype('torch.FloatTensor')
    cutorch.setDevice(config['gpu'] - 1)
    lg.manualSeed(config['seed'])
    import random; random.seed(config['seed'])
    maskApi = coco_.MaskApi
    meanstd = {'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]}

    # --------------------------------------------------------------------------
    # load model and config
    print('| loading model file... ' + config['model'])
    m = lg.load(config['model'] + '/model.t7')
    c = m['config']
    for k, v in c.items():
        if config.get(k) is None: config[k] = v
    epoch = 0
    if paths.filep(config['model'] + '/log'):
        for line in open(config['model'] + '/log'):
            if 'train' in line: epoch = epoch + 1
        print('| number of examples seen until now: %d (%d epochs)' % (
            epoch * config['maxload'] * config['batch'], epoch))

    model = m['model']
    model.inference(config['np'])
    model.cuda()

    # --------------------------------------------------------------------------
    # directory to save results
    savedir = '%s/epoch=%d/' % (config['model'], epoch)
    print('| saving results results in %s' % savedir)
    os.system('mkdir -p %s' % savedir)
    os.system('mkdir -p %s/t7' % savedir)
    os.system('mkdir -p %s/jsons' % savedir)
    if config['save']: os.system('mkdir -p %s/res' % savedir)

    # --------------------------------------------------------------------------
    # create inference module
    scales = []
    i = config['smin']
    while i <= config['smax']:
        scales.append(2 ** i)
        i = i + config['sstep']

    if lg.type(model) == 'nn.DeepMask':
        from .InferDeepMask import Infer
    elif lg.type(model) == 'nn.SharpMask':
        from .InferSharpMask import Infer

    infer = Infer(
        np=config['np'],
        scales=scales,
        meanstd=meanstd,
        model=model,
        iSz=config['iSz'],
        dm=config['dm'],
        timer=config['timer'],
    )

    # --------------------------------------------------------------------------
    # get list of eval images
    annFile = '%s/annotations/instances_%s2014.json' % (
        config['datadir'], config['split'])
    coco = coco_.CocoApi(annFile)
    imgIds = coco.getImgIds()
    imgIds, _ = imgIds.sort()

    # --------------------------------------------------------------------------
    # function: encode proposals
    def encodeProps(props, np, img, k, masks, scores):
        t = (k - 1) * np
        enc = maskApi.encode(masks)

        for i in range(0, np):
            elem = tds.Hash()
            elem['segmentation'] = tds.Hash(enc[i])
            elem['image_id'] = img['id']
            elem['category_id'] = 1
            elem['score'] = scores[i][0]

            props[t + i + 1] = elem

    # --------------------------------------------------------------------------
    # function: convert props to json and save
    def saveProps(props, savedir, s, e):
        # t7
        pathsvt7 = '%s/t7/props-%d-%d.t7' % (savedir, s, e)
        lg.save(pathsvt7, props)
        # json
        pathsvjson = '%s/jsons/props-%d-%d.json' % (savedir, s, e)
        propsjson = []
        for _, prop in props.items():  # hash2table
            elem = {}
            elem['category_id'] = prop['category_id']
            elem['image_id'] = prop['image_id']
            elem['score'] = prop['score']
            elem['segmentation'] = {
                'size': [prop['segmentation']['size'][0], prop['segmentation']['size'][1]],
                'counts': list(prop['segmentation']['counts'] or prop['segmentation']['count'])
            }
            propsjson.append(elem)
        jsonText = cjson.encode(propsjson)
        f = open(pathsvjson, 'w'); f.write(jsonText); f.close()

    # --------------------------------------------------------------------------
    # function: read image
    def readImg(datadir, split, fileName):
        pathImg = '%s/%s2014/%s' % (datadir, split, fileName)
        inp = image.load(pathImg, 3)
        return inp

    # --------------------------------------------------------------------------
    # run
    print('| start eval')
    props, svcount = tds.Hash(), config['startAt']
    for k in range(config['startAt'], config['endAt'] + 1):
        xlua.progress(k - 1, config['endAt'])

        # load image
        img = coco.loadImgs(imgIds[k - 1])[0]
        input = readImg(config['datadir'], config['split'], img['file_name'])
        h, w = img['height'], img['width']

        # forward all scales
        infer.forward(input)

        # get top proposals
        masks, scores = infer.getTopProps(config['thr'], h, w)

        # encode proposals
        encodeProps(props, config['np'], img, k, masks, scores)

        # save top masks?
        if config['save']:
            res = input.clone()
            maskApi.drawMasks(res, masks, 10)
            image.save('%s/res/%d.jpg' % (savedir, k), res)

        # save proposals
        if k % 500 == 0:
            saveProps(props, savedir, svcount, k); props = tds.Hash()
            svcount = svcount + 500

    if config['timer']: infer.printTiming()
    print('| finish')
    return props
