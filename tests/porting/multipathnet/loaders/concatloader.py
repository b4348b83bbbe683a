"""loaders/concatloader.lua: several loaders seen as one (image indices run on from one to the next)."""


class ConcatLoader:

    def __init__(self, loaders):
        self.__loaders = loaders
        # Offsets for images and annotations
        self.__imageOffset = {}
        self.categories = loaders[0].categories
        i = 0
        for loader in loaders:
            self.__imageOffset[id(loader)] = i
            i = i + loader.nImages()

    def __getLoader(self, idx, sizeFn):
        offset = idx
        for l in self.__loaders:
            sz = getattr(l, sizeFn)()

            if offset < sz:
                return l, offset
            offset = offset - sz
        raise IndexError('Invalid index: ' + str(idx))

    # Remove indices into the data loader
    @staticmethod
    def removeOffsets(res):
        if isinstance(res, list):
            for i, r in enumerate(res):
                res[i] = ConcatLoader.removeOffsets(r)
            return res
        if isinstance(res, dict):
            res.pop('image', None)
            res.pop('idx', None)
            res.pop('annotations', None)
        return res

    def nCategories(self):
        return len(self.categories)


def delegate(fn, sizeFn):
    def f(self, idx):
        loader, i = self._ConcatLoader__getLoader(idx, sizeFn)
        res = getattr(loader, fn)(i)

        return ConcatLoader.removeOffsets(res)
    return f


def delegateSum(fn):
    def f(self):
        res = 0
        for loader in self._ConcatLoader__loaders:
            res = res + getattr(loader, fn)()
        return res
    return f


ConcatLoader.getImage = delegate('getImage', 'nImages')
ConcatLoader.loadImage = delegate('loadImage', 'nImages')
ConcatLoader.getAnnotation = delegate('getAnnotation', 'nAnnotations')
ConcatLoader.getAnnotationsForImage = delegate('getAnnotationsForImage', 'nImages')
ConcatLoader.nImages = delegateSum('nImages')
ConcatLoader.nAnnotations = delegateSum('nAnnotations')
