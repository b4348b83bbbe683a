"""style-gan-nofcn/donkey.lua: run by each data-loader thread; the image is the RGB file of a line, the label its
normal map, both scaled to [-1, 1] (no normalisation in makeData, which writes the first batch as JPEGs to
``savepath`` while ``opt.flag`` is 0; ``savepath`` is the Lua's file local, a module global here for the test).
Its globals (``opt``, ``trainLoader``, ``makeData``, ``saveData``) are ``threads.local``'s (each donkey has its own, as each Lua thread has its own global table);
``paths.dofile('donkey.lua')`` is ``donkey()``."""
import os

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

    if isinstance(opt['high'], (int, float)) and opt['high'] == 1:
        trainCache = paths.concat(cache, 'trainCache_high.t7')
    else:
        trainCache = paths.concat(cache, 'trainCache.t7')

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

    def saveData(img, imgname):
        img = (img + 1) * 127.5
        img = img.byte()
        image.save(imgname, img)
    G.saveData = saveData

    def makeData(fine, label):
        class_ = 0
        # sample_norm = lg.norm(label, 2, 1)
        # sample_norm = lg.cat([sample_norm, sample_norm, sample_norm], 1)
        # label = lg.cdiv(label, sample_norm)

        if opt.get('flag') == 0:     # nil in test.lua, which never sets it
            for i in range(opt['batchSize']):
                label_name = paths.concat(savepath, '%04d_label.jpg' % (i + 1))
                img_name = paths.concat(savepath, '%04d_img.jpg' % (i + 1))
                saveData(label[i].clone(), label_name)
                saveData(fine[i].clone(), img_name)
        opt['flag'] = 1

        return [fine, class_, label]
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
