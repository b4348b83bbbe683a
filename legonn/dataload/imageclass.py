"""ImageClass (ImageClass.lua): a DataLoader of image files in ``datapath/<class>/...`` folders, read through an
image package (``legonn.image`` unless another is given) when a batch is asked for; and loadImageNet
(loadImageNet.lua), two of them behind AsyncIterators."""
import fnmatch
import functools
import importlib
import math
import os

from ..serialization import load
from ..tensor import FloatTensor, LongTensor
from ..tensor.random import SCALAR_DRAWS
from .asynciterator import AsyncIterator
from .dataloader import DataLoader, check_count

IMAGE_EXTENSIONS = ('jpg', 'png', 'jpeg', 'ppm', 'bmp')   # matched without case, as the Lua's find -iname


def _sizes(where, name, value):
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise TypeError(f"{where}: {name} must be a list of 3 sizes (channels, height, width), got {value!r}")
    return [check_count(where, name, v) for v in value]


def _order(sortfunc):
    """A sort key from a Lua-style "less than" function (None: the strings' own order)."""
    if sortfunc is None:
        return None
    return functools.cmp_to_key(lambda a, b: -1 if sortfunc(a, b) else (1 if sortfunc(b, a) else 0))


def image_package(where, image):
    """``image``, or ``legonn.image`` when it is None (imported now, at the first read, not with dataload)."""
    if image is not None:
        return image
    try:
        return importlib.import_module('legonn.image')
    except ImportError as err:
        raise ImportError(f"{where}: reading images needs legonn.image (or an image package passed as "
                          f"image=...): {err}") from err


def load_scaled(where, image, path, channels, height, width):
    """The image at ``path`` as a ``channels x h x w`` FloatTensor scaled so that its smaller side is
    ``min(height, width)``, keeping its aspect ratio (``image.scale(img, '^N')``)."""
    image = image_package(where, image)
    return image.scale(image.load(path, channels, 'float'), f'^{min(height, width)}')


def scale_into(where, image, dst, img, height, width):
    """``img`` (c x h x w) scaled into ``dst``, resized to ``c x height x width``, with ``image.scale``."""
    dst.resize(img.size(0), height, width)
    image_package(where, image).scale(dst, img)
    return dst


def sample_function(loader, samplefunc):
    """The function making a sample: ``samplefunc``, the loader's method of that name when it is a string, the
    loader's ``samplefunc`` when it is None."""
    samplefunc = loader.samplefunc if samplefunc is None else samplefunc
    return getattr(type(loader), samplefunc) if isinstance(samplefunc, str) else samplefunc


def crop(where, img, top, left, height, width):
    """The ``height x width`` window of ``img`` (c x h x w) from row ``top``, column ``left`` (0-based), a view."""
    if not (0 <= top <= img.size(1) - height and 0 <= left <= img.size(2) - width):
        raise ValueError(f"{where}: an image of {img.size(1)} x {img.size(2)} has no {height} x {width} window at "
                         f"({top}, {left}); raise loadsize")
    return img.narrow(1, top, height).narrow(2, left, width)


def hflip(img):
    """``img`` (c x h x w) mirrored left-right (image.hflip), a new tensor."""
    return img.index(2, LongTensor(list(range(img.size(2) - 1, -1, -1))))


class ImageClass(DataLoader):
    """``ImageClass(datapath, loadsize, samplesize=loadsize, samplefunc='sampleDefault', sortfunc=None,
    verbose=True, excludeFile=None, excludeDir=None, image=None)``.

    ``datapath``: a folder (or a list of them) whose sub-folders are the classes, sorted (by ``sortfunc``, a
    "less than" function, if given): class ``i`` (0-based) is ``classes[i]``, ``iclasses`` maps names to
    indices. Every file below a class folder whose extension is jpg, png, jpeg, ppm or bmp (any case) is a
    sample, except file names matching the glob ``excludeFile`` and paths matching ``excludeDir``; within a
    class they are sorted by path (the Lua keeps ``find``'s order). ``imagePath`` lists them, ``imageClass``
    (a LongTensor) gives their classes, ``classList[c]`` the indices of class ``c``'s samples.

    Images are read with ``image.load(path, channels, 'float')`` and ``image.scale`` of the package ``image``
    (a module or any object with those two functions; None: ``legonn.image``, imported at the first read), then
    scaled so that their smaller side is ``min(loadsize[1], loadsize[2])`` (the Lua asks GraphicsMagick for
    that). ``samplefunc`` makes a sample of ``samplesize`` from it: ``'sampleDefault'`` (scaled to the sample
    size), ``'sampleTrain'`` (a random crop, flipped left-right half of the time), ``'sampleTest'`` (ten
    crops: the centre and the four corners, each with its flip), or a function ``f(loader, dst, path)``.
    Batches are ``n x c x h x w`` FloatTensors (``10 n`` of them with ``sampleTest``), LongTensor targets and
    the list of paths."""

    def __init__(self, datapath, loadsize, samplesize=None, samplefunc='sampleDefault', sortfunc=None,
                 verbose=True, excludeFile=None, excludeDir=None, image=None):
        where = 'ImageClass'
        self.datapath = [datapath] if isinstance(datapath, (str, os.PathLike)) else datapath
        if not isinstance(self.datapath, (list, tuple)) or not all(os.path.isdir(p) for p in self.datapath):
            raise ValueError(f"{where}: datapath must be a folder or a list of folders, got {datapath!r}")
        self.loadsize = _sizes(where, 'loadsize', loadsize)
        self.samplesize = _sizes(where, 'samplesize', loadsize if samplesize is None else samplesize)
        samplefunc = 'sampleDefault' if samplefunc is None else samplefunc
        if not callable(samplefunc) and samplefunc not in ('sampleDefault', 'sampleTrain', 'sampleTest'):
            raise ValueError(f"{where}: samplefunc must be 'sampleDefault', 'sampleTrain', 'sampleTest' or a "
                             f"function, got {samplefunc!r}")
        self.samplefunc, self.sortfunc, self.image = samplefunc, sortfunc, image
        self.verbose = True if verbose is None else verbose
        self._build_index(excludeFile, excludeDir)

    def _build_index(self, excludeFile, excludeDir):
        """Find the classes and their images (ImageClass.lua runs find, wc and cut for this)."""
        folders = {}
        for root in self.datapath:
            for name in os.listdir(root):
                if not name.startswith('.') and os.path.isdir(os.path.join(root, name)):
                    folders.setdefault(name, []).append(os.path.join(root, name))
        self.classes = sorted(folders, key=_order(self.sortfunc))
        self.iclasses = {name: i for i, name in enumerate(self.classes)}
        if self.verbose:
            print(f'found {len(self.classes)} classes')
        self.imagePath, classes, self.classList = [], [], []
        for c, name in enumerate(self.classes):
            found = sorted(path for folder in folders[name] for path in self._images(folder, excludeFile, excludeDir))
            if not found:
                raise ValueError(f"ImageClass: class {name!r} has no image in {folders[name]}")
            self.classList.append(LongTensor(list(range(len(self.imagePath), len(self.imagePath) + len(found)))))
            self.imagePath += found
            classes += [c] * len(found)
        if not self.imagePath:
            raise ValueError(f"ImageClass: no class folder with images in {self.datapath}")
        self.imageClass = LongTensor(classes)
        self.classListSample = self.classList
        self.nsample = len(self.imagePath)

    @staticmethod
    def _images(folder, excludeFile, excludeDir):
        """The image files below ``folder``, less those the exclusion globs match."""
        for dirpath, _, names in os.walk(folder):
            for name in names:
                path = os.path.join(dirpath, name)
                if os.path.splitext(name)[1][1:].lower() not in IMAGE_EXTENSIONS:
                    continue
                if excludeFile and fnmatch.fnmatch(name.lower(), excludeFile.lower()):
                    continue
                if excludeDir and fnmatch.fnmatchcase(path, excludeDir):
                    continue
                yield path

    def reset(self):
        """DataLoader's reset, and forget the per-sample image buffers."""
        super().reset()
        self.imgBuffers = None

    def size(self, cls=None, list=None):
        """The number of images; of class ``cls`` (its 0-based index or its name) when given."""
        lists = self.classList if list is None else list
        if cls is None:
            return len(self.imagePath)
        return lists[self.iclasses[cls] if isinstance(cls, str) else cls].size(0)

    def isize(self, excludedim=0):
        """The sizes of one sample: ``samplesize`` (with the batch dimension when ``excludedim`` is False)."""
        return list(self.samplesize) if excludedim is not False else [self.size()] + list(self.samplesize)

    def tsize(self, excludedim=0):
        """The sizes of the targets: none per sample."""
        return [] if excludedim is not False else [self.size()]

    def index(self, indices, inputs=None, targets=None, samplefunc=None):
        """``(inputs, targets, imagepaths)`` of the images ``indices`` (0-based), each made by ``samplefunc``
        (default: the loader's)."""
        picks = [(self.imagePath[idx], int(self.imageClass[idx])) for idx in indices.tolist()]
        return self._batch(picks, inputs, targets, samplefunc)

    def sample(self, batchsize, inputs=None, targets=None, samplefunc=None):
        """``(inputs, targets, imagepaths)`` of ``batchsize`` images, each of a class drawn uniformly, then of an
        image drawn uniformly in that class (balanced classes), with legonn's generator."""
        batchsize = check_count('ImageClass.sample', 'batchsize', batchsize)
        draw = SCALAR_DRAWS['random']

        def picks():
            for _ in range(batchsize):
                cls = draw(0, len(self.classes))
                members = self.classListSample[cls]
                yield self.imagePath[int(members[draw(0, members.nElement())])], cls

        return self._batch(picks(), inputs, targets, samplefunc)

    def _batch(self, picks, inputs, targets, samplefunc):
        """``(inputs, targets, imagepaths)`` of the ``(path, class)`` pairs ``picks`` (an iterable, taken one at
        a time: a sample function's random draws follow its image's), sample ``i`` made by ``samplefunc`` in
        image buffer ``i``."""
        sampler = sample_function(self, samplefunc)
        samples, classes, paths = [], [], []
        for i, (path, cls) in enumerate(picks):
            samples.append(sampler(self, self.getImageBuffer(i), path))
            classes.append(cls)
            paths.append(path)
        inputs = FloatTensor() if inputs is None else inputs
        targets = LongTensor() if targets is None else targets
        self.tableToTensor(samples, classes, inputs, targets)
        self.collectgarbage()
        return inputs, targets, paths

    def tableToTensor(self, inputTable, targetTable, inputTensor, targetTensor):
        """Copy the samples (each ``c x h x w``, or ``k x c x h x w`` for ``k`` samples of one image) into
        ``inputTensor`` (``n k x samplesize``) and their classes, repeated ``k`` times, into ``targetTensor``."""
        n = len(targetTable)
        per_draw = 1 if inputTable[0].dim() == 3 else inputTable[0].size(0)
        inputTensor.resize(n, per_draw, *self.samplesize)
        targetTensor.resize(n, per_draw)
        for i in range(n):
            inputTensor[i].copy(inputTable[i].view(per_draw, *self.samplesize))
            targetTensor[i].fill(targetTable[i])
        inputTensor.resize(n * per_draw, *self.samplesize)
        targetTensor.resize(n * per_draw)
        return inputTensor, targetTensor

    def loadImage(self, path):
        """The image at ``path`` as a ``c x h x w`` FloatTensor (``c``: ``samplesize[0]``), scaled so that its
        smaller side is ``min(loadsize[1], loadsize[2])``, keeping its aspect ratio."""
        return load_scaled('ImageClass', self.image, path, self.samplesize[0], self.loadsize[1], self.loadsize[2])

    def getImageBuffer(self, i):
        """The FloatTensor sample ``i`` of a batch is made in (kept across batches)."""
        self.imgBuffers = getattr(self, 'imgBuffers', None) or {}
        return self.imgBuffers.setdefault(i, FloatTensor())

    def _loaded(self, dst, path):
        """A sample function's ``(dst, image)``: ``dst`` (a new FloatTensor when it is None or left out, the
        call being ``f(path)``) and the image at ``path`` as ``loadImage`` reads it."""
        if path is None:
            path, dst = dst, None
        return FloatTensor() if dst is None else dst, self.loadImage(path)

    def sampleDefault(self, dst, path=None):
        """The image scaled to the sample size, in ``dst`` (resized)."""
        dst, img = self._loaded(dst, path)
        return scale_into('ImageClass', self.image, dst, img, self.samplesize[1], self.samplesize[2])

    def sampleTrain(self, dst, path=None):
        """A ``samplesize`` crop of the image at a random place (``ceil(uniform(0, free))`` pixels from the top
        and the left), flipped left-right when ``uniform() > 0.5``, in ``dst``."""
        dst, img = self._loaded(dst, path)
        oH, oW = self.samplesize[1], self.samplesize[2]
        uniform = SCALAR_DRAWS['uniform']
        top = math.ceil(uniform(0, img.size(1) - oH))
        left = math.ceil(uniform(0, img.size(2) - oW))
        out = crop('ImageClass', img, top, left, oH, oW)
        if uniform() > 0.5:
            out = hflip(out)
        dst.resizeAs(out).copy(out)
        return dst

    def sampleTest(self, dst, path=None):
        """Ten ``samplesize`` crops in ``dst`` (``10 x c x h x w``): the centre, top-left, top-right, bottom-left,
        bottom-right, each followed by its left-right flip."""
        dst, img = self._loaded(dst, path)
        oH, oW = self.samplesize[1], self.samplesize[2]
        iH, iW = img.size(1), img.size(2)
        dst.resize(10, img.size(0), oH, oW)
        corners = [(math.ceil((iH - oH) / 2), math.ceil((iW - oW) / 2)), (0, 0), (0, iW - oW), (iH - oH, 0),
                   (iH - oH, iW - oW)]
        for k, (top, left) in enumerate(corners):
            window = crop('ImageClass', img, top, left, oH, oW)
            dst[2 * k].copy(window)
            dst[2 * k + 1].copy(hflip(window))
        return dst


def loadImageNet(datapath, nthread=2, loadsize=None, samplesize=None, verbose=True, image=None):
    """``(train, valid)``: AsyncIterators of ``nthread`` workers over ImageClasses of
    ``ILSVRC2012_img_train`` (``'sampleTrain'``) and ``ILSVRC2012_img_val`` (``'sampleTest'``) in
    ``datapath``, prepared with dataload's scripts (downloadimagenet.lua, harmonizeimagenet.lua); classes
    sorted by the first number in their names. ``loadsize`` defaults to 3 x 256 x 256 and ``samplesize`` to
    3 x 224 x 224; ``metadata/classInfo.th7``, when present, is set as ``classinfo`` on both."""
    if not isinstance(datapath, (str, os.PathLike)) or not os.path.isdir(datapath):
        raise ValueError(f"dataload.loadImageNet: expected the folder of the ILSVRC2012 data, got {datapath!r}")
    loadsize = [3, 256, 256] if loadsize is None else loadsize
    samplesize = [3, 224, 224] if samplesize is None else samplesize

    def number(name):
        digits = ''.join(ch if ch.isdigit() else ' ' for ch in name).split()
        return int(digits[0]) if digits else -1

    def by_number(x, y):
        return number(x) < number(y)

    sets = [ImageClass(os.path.join(datapath, folder), loadsize, samplesize, samplefunc, by_number, verbose,
                       image=image)
            for folder, samplefunc in (('ILSVRC2012_img_train', 'sampleTrain'), ('ILSVRC2012_img_val', 'sampleTest'))]
    train, valid = AsyncIterator(sets[0], nthread), AsyncIterator(sets[1], nthread)
    classinfopath = os.path.join(datapath, 'metadata', 'classInfo.th7')
    if os.path.isfile(classinfopath):
        train.classinfo = valid.classinfo = load(classinfopath)
    elif verbose:
        print('ImageNet: skipping ' + classinfopath)
        print('To avoid this message use harmonizeimagenet.lua script and pass correct metapath')
    return train, valid
