"""loaders/narrowloader.lua: a view of ``len`` images of a loader from ``start`` (0-based here)."""
from .concatloader import ConcatLoader


class NarrowLoader:

    def __init__(self, loader, start, len):
        assert start >= 0 and start < loader.nImages(), 'invalid start: ' + str(start)
        assert len > 0 and start + len <= loader.nImages(), 'invalid len: ' + str(len)
        self.__loader = loader
        self.__start = start
        self.__len = len
        self.categories = loader.categories

    def getAnnotation(self, idx):
        res = self.__loader.getAnnotation(idx)
        return ConcatLoader.removeOffsets(res)

    def nImages(self):
        return self.__len

    def nCategories(self):
        return len(self.categories)

    def nAnnotations(self):
        return self.__loader.nAnnotations()


def delegate(name):
    def f(self, idx):
        assert idx >= 0 and idx < self._NarrowLoader__len, 'invalid index: ' + str(idx)
        res = getattr(self._NarrowLoader__loader, name)(idx + self._NarrowLoader__start)

        return ConcatLoader.removeOffsets(res)
    return f


NarrowLoader.getImage = delegate('getImage')
NarrowLoader.loadImage = delegate('loadImage')
NarrowLoader.getAnnotationsForImage = delegate('getAnnotationsForImage')
