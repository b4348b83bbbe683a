"""joint-ssgan/donkey.lua: style-gan-nofcn's donkey with a makeData that returns the image, the normal map
scaled to ``opt.labelSize2`` (72, the structure GAN's size) and normalised per pixel, and the map scaled to
``opt.labelSize``; it reads ``codebook_40.txt`` (40 normals, from the current folder) when ``opt.classification``
is 1, and defines an unused ``loadLabel`` of raw floats (Lua's ``struct.unpack`` returns the next position,
Python's ``struct.unpack_from`` does not: the position is advanced by the 4 bytes of a float).
Its globals (``opt``, ``trainLoader``, ``makeData``, ``saveData``) are ``threads.local``'s (each donkey has its own, as each Lua thread has its own global table);
``paths.dofile('donkey.lua')`` is ``donkey()``."""
import os
import struct

import legonn as lg
from legonn import image, paths, threads, xlua

from ..structure_gan.dataset import dataLoader

savepath = '/nfs.yoda/xiaolonw/torch_projects/t_imgs/'


def donkey():
    G = threads.local           # this thread's globals
    opt = G.opt
    xlua.require('image')
    xlua.require('struct')

    # This file contains the data-loading logic and details.
    # It is run by each data-loader thread.
    # ------------------------------------------
    # ------ COMMON CACHES and PATHS
    # a cache file of the training metadata (if doesnt exist, will be created)
    cache = "../cache"
    os.system('mkdir -p ' + cache)

    trainCache = paths.concat(cache, 'trainCache_high.t7')
    testCache = paths.concat(cache, 'testCache.t7')
    meanstdCache = paths.concat(cache, 'meanstdCache.t7')

    # Check for existence of opt.data
    opt['data'] = os.getenv('DATA_ROOT') or '../logs'
    # ------------------------------------------------------------------------------------------
    if os.system('cd ' + opt['data']) != 0:
        raise RuntimeError("could not chdir to '%s'" % opt['data'])

    loadSize = [3, opt['loadSize']]
    sampleSize = [3, opt['loadSize']]

    def loadImage(path):
        input = image.load(path, 3, 'float')
        input = image.scale(input, opt['loadSize'], opt['loadSize'])
        input = input * 255
        return input

    def loadLabel_high(path):
        input = image.load(path, 3, 'float')
        input = image.scale(input, opt['loadSize'], opt['loadSize'])
        input = input * 255
        return input

    def loadLabel(path):

        f = open(path, "rb")
        data = f.read()

        height = opt['loadSize']
        width = opt['loadSize']
        nowidx = 0
        trdata = lg.FloatTensor(3, height, width)
        for k in range(3):
            for i in range(height):
                for j in range(width):
                    num, = struct.unpack_from("f", data, nowidx)
                    nowidx = nowidx + 4
                    trdata[k, i, j] = num

        f.close()

        return trdata

    def saveData(img, imgname):
        img = (img + 1) * 127.5
        img = img.byte()
        image.save(imgname, img)
    G.saveData = saveData

    codebooktxt = 'codebook_40.txt'
    codebook = lg.Tensor(40, 3)

    if isinstance(opt['classification'], (int, float)) and opt['classification'] == 1:
        fcode = lg.DiskFile(codebooktxt, 'r')
        for i in range(40):
            for j in range(3):
                codebook[i:i + 1, j:j + 1] = fcode.readFloat()
        fcode.close()
    G.codebook = codebook       # a file local in the Lua; kept for the checks

    def makeData(fine, label, classes=None):

        tlabel = lg.Tensor(opt['batchSize'], 3, opt['labelSize'], opt['labelSize'])
        tlabel2 = lg.Tensor(opt['batchSize'], 3, opt['labelSize2'], opt['labelSize2'])
        for i in range(opt['batchSize']):
            tlabel[i] = image.scale(label[i], opt['labelSize'], opt['labelSize'])
            tlabel2[i] = image.scale(label[i], opt['labelSize2'], opt['labelSize2'])

        label = tlabel.clone()
        label2 = tlabel2.clone()
        G.sample_norm2 = lg.norm(label2, 2, 1)
        G.sample_norm2 = lg.cat([G.sample_norm2, G.sample_norm2, G.sample_norm2], 1)
        label2 = lg.cdiv(label2, G.sample_norm2)

        if opt['flag'] == 0:
            for i in range(opt['batchSize']):
                label_name = paths.concat(savepath, '%04d_label.jpg' % (i + 1))
                img_name = paths.concat(savepath, '%04d_img.jpg' % (i + 1))
                saveData(label[i].clone(), label_name)
                saveData(fine[i].clone(), img_name)
        opt['flag'] = 1

        return [fine, label2, label]
    G.makeData = makeData

    # channel-wise mean and std. Calculate or load them from disk later in the script.
    div_num = 127.5
    sub_num = -1
    # ------------------------------------------------------------------------------
    # Hooks that are used for each image that is loaded

    # function to load the image, jitter it appropriately (random crops etc.)
    def trainHook(self, imgpath, lblpath):
        img = loadImage(imgpath)
        label = loadLabel_high(lblpath)

        img.div(div_num)
        img.add(sub_num)

        label.div(div_num)
        label.add(sub_num)

        return img, label

    # ------------------------------------
    # trainLoader
    if paths.filep(trainCache):
        print('Loading train metadata from cache')
        G.trainLoader = lg.load(trainCache)
        G.trainLoader.sampleHookTrain = trainHook
        G.trainLoader.loadSize = [3, opt['loadSize'], opt['loadSize']]
        G.trainLoader.sampleSize = [3, sampleSize[1], sampleSize[1]]
    else:
        print('Creating train metadata')
        G.trainLoader = dataLoader({
            'paths': [paths.concat(opt['data'], 'train')],
            'loadSize': [3, loadSize[1], loadSize[1]],
            'sampleSize': [3, sampleSize[1], sampleSize[1]],
            'split': 100,
            'verbose': True,
        })
        lg.save(trainCache, G.trainLoader)
        G.trainLoader.sampleHookTrain = trainHook
