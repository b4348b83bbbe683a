"""experiments/utils/getImages.lua: ``texture.Dataset``, the style images of a folder found with ``find -L``
(Python's ``os.popen`` of the same command) and kept as NUL-terminated rows of a CharTensor (legonn.ffi);
``get(i)`` wraps ``i`` round the folder's size (0-based here)."""
import os

import legonn as lg
from legonn import ffi, image, paths


class Dataset:

    def _findImages(self, dir):
        imagePath = lg.CharTensor()

        # ----------------------------------------------------------------------
        # Options for the GNU and BSD find command
        extensionList = ['jpg', 'png', 'jpeg', 'JPG', 'PNG', 'JPEG', 'ppm', 'PPM', 'bmp', 'BMP']
        findOptions = ' -iname "*.' + extensionList[0] + '"'
        for i in range(1, len(extensionList)):
            findOptions = findOptions + ' -o -iname "*.' + extensionList[i] + '"'

        # Find all the images using the find command
        f = os.popen('find -L ' + dir + findOptions)

        maxLength = -1
        imagePaths = []

        # Generate a list of all the images
        while True:
            line = f.readline()
            if not line:
                break
            line = line.rstrip('\n')

            filename = paths.basename(line)
            path = dir + '/' + filename

            imagePaths.append(path)

            maxLength = max(maxLength, len(path) + 1)

        f.close()

        # Convert the generated list to a tensor for faster loading
        nImages = len(imagePaths)
        imagePath = lg.CharTensor(nImages, maxLength).zero()
        for i, path in enumerate(imagePaths):
            ffi.copy(imagePath[i].data(), path)

        return imagePath

    def __init__(self, imgDir):
        assert self
        assert paths.dirp(imgDir), 'image directory not found: ' + imgDir
        self.imagePath = [self._findImages(imgDir)]

    def _loadImage(self, path):
        try:
            input = image.load(path, 3, 'float')
        except Exception:
            # Sometimes image.load fails because the file extension does not match the
            # image format. In that case, use image.decompress on a ByteTensor.
            with open(path, 'rb') as f:
                data = f.read()

            b = lg.ByteTensor(len(data))
            ffi.copy(b.data(), data, b.size(0))

            input = image.decompress(b, 3, 'float')

        return input

    def get(self, i):
        assert self and self.imagePath
        i = i % self.size()
        path = ffi.string(self.imagePath[0][i].data())
        image = self._loadImage(path)
        return image

    def size(self):
        assert self and self.imagePath
        return self.imagePath[0].size(0)


