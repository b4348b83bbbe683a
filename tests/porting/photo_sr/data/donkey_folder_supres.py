"""data/donkey_folder_supres.lua, run in a donkey (``run()``, paths.dofile's stand-in): sets the donkey's global
``trainLoader`` over the image folder ``DATA_ROOT`` (or ``opt.t_folder``), whose train hook loads an image squashed to
loadSize x loadSize, and returns its luminance and the luminance of its loadSize/4 bicubic copy. The metadata cache is
``cache/<folder with / as _>_trainCache.t7`` under the working directory, as the Lua's."""
import os
import sys

import legonn as lg
from legonn import image, paths, threads
from tests.porting.photo_sr.data.dataset import dataLoader


def run():
    G = threads.local
    opt = G.opt
    # ------------------------------------------
    # -------- COMMON CACHES and PATHSF
    # Check for existence of opt.data
    opt['data'] = os.getenv('DATA_ROOT') or opt['t_folder']
    if not paths.dirp(opt['data']):
        print('Did not find directory: ' + opt['data'])
        sys.exit()

    # a cache file of the training metadata (if doesnt exist, will be created)
    cache = "cache"
    cache_prefix = opt['data'].replace('/', '_')
    os.system('mkdir -p cache')
    trainCache = paths.concat(cache, cache_prefix + '_trainCache.t7')

    # --------------------------------------------------------------------------------------------
    loadSize = [1, opt['loadSize']]
    sampleSize = [1, opt['loadSize']]

    def loadImage(path):
        input = image.load(path, 3, 'float')
        # find the smaller dimension, and resize it to loadSize[2] (while keeping aspect ratio)
        input = image.scale(input, loadSize[1], loadSize[1])

        return input

    # channel-wise mean and std. Calculate or load them from disk later in the script.
    # --------------------------------------------------------------------------------
    # Hooks that are used for each image that is loaded

    # function to load the image, jitter it appropriately (random crops etc.)
    def trainHook(self, path):
        input = loadImage(path)
        input_y = image.rgb2y(input)

        input = image.scale(input, opt['loadSize'] / 4, opt['loadSize'] / 4, 'bicubic')
        input_y2 = image.rgb2y(input)

        return input_y, input_y2

    # --------------------------------------
    # trainLoader
    if paths.filep(trainCache):
        print('Loading train metadata from cache')
        G.trainLoader = lg.load(trainCache)
        G.trainLoader.sampleHookTrain = trainHook
        G.trainLoader.loadSize = [1, opt['loadSize'], opt['loadSize']]
        G.trainLoader.sampleSize = [1, sampleSize[1], sampleSize[1]]
    else:
        print('Creating train metadata')
        G.trainLoader = dataLoader({
            'paths': [opt['data']],
            'loadSize': [1, loadSize[1], loadSize[1]],
            'sampleSize': [1, sampleSize[1], sampleSize[1]],
            'split': 100,
            'verbose': True,
        })
        lg.save(trainCache, G.trainLoader)
        print('saved metadata cache at', trainCache)
        G.trainLoader.sampleHookTrain = trainHook

    # do some sanity checks on trainLoader
    class_ = G.trainLoader.imageClass
    nClasses = len(G.trainLoader.classes)
    assert class_.max() < nClasses, "class logic has error"  # classes are 0-based
    assert class_.min() >= 0, "class logic has error"
