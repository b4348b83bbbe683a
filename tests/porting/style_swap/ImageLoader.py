"""lib/ImageLoader.lua of rtqichen/style-swap (MIT licence), ported line by line: the images (jpg, png, ppm) of a
folder in a random order, one at a time with its file name, scaled to a maximum size or fitted to a length,
randomly cropped to a multiple of ``div``, optionally made black and white."""
import math
import re
import sys

import legonn as lg
from legonn import image, paths


class ImageLoader:

    def __init__(self, dir):
        files = paths.dir(dir)
        i = 0
        while i < len(files):
            if not re.search('jpg$', files[i]) \
                    and not re.search('png$', files[i]) \
                    and not re.search('ppm$', files[i]):
                files.pop(i)
            else:
                i = i + 1
        self.dir = dir
        self.files = files
        self.rebatch()

    def rebatch(self):
        self.perm = lg.randperm(len(self.files))
        self.idx = 0

    def next(self):
        # load image
        img = None
        while True:
            if self.idx >= len(self.files):
                self.rebatch()
            i = int(self.perm[self.idx])
            name = self.files[i]
            loc = paths.concat(self.dir, name)
            self.idx = self.idx + 1
            try:
                img = image.load(loc, 3, 'float')
                if getattr(self, 'verbose', None):
                    print('Loaded ' + self.files[i])
                break
            except Exception as err:
                sys.stderr.write('WARN: Failed to load ' + loc + ' due to error: ' + str(err) + '\n')

        # preprocess
        H, W = img.size(1), img.size(2)
        if getattr(self, 'len', None):
            img = image.scale(img, self.len)
        elif getattr(self, 'max_len', None):
            if H > self.max_len or W > self.max_len:
                img = image.scale(img, self.max_len)

        H, W = img.size(1), img.size(2)
        if getattr(self, 'div', None):
            Hc = math.floor(H / self.div) * self.div
            Wc = math.floor(W / self.div) * self.div
            img = self._randomCrop(img, Hc, Wc)

        if getattr(self, 'bnw', None):
            img = image.rgb2yuv(img)
            img[1].zero()
            img[2].zero()
            img = image.yuv2rgb(img)

        return img, name

    def setVerbose(self, verbose=None):
        verbose = verbose or True
        self.verbose = verbose

    def setFitToHeightOrWidth(self, len):
        assert len is not None
        self.len = len
        self.max_len = None

    def setMaximumSize(self, max_len):
        assert max_len is not None
        self.max_len = max_len
        self.len = None

    def setDivisibleBy(self, div):
        assert div is not None
        self.div = div

    def _randomCrop(self, img, oheight, owidth):
        assert img.dim() == 3
        H, W = img.size(1), img.size(2)
        assert oheight <= H
        assert owidth <= W
        y = lg.floor(lg.uniform(0, H - oheight + 1))
        x = lg.floor(lg.uniform(0, W - owidth + 1))
        crop_img = image.crop(img, x, y, x + owidth, y + oheight)
        return crop_img

    def setBlackNWhite(self, bool):
        if bool:
            self.bnw = True
        else:
            self.bnw = False
