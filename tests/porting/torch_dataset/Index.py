"""lua/Index.lua: the index for a URL: a tensor (or ``{'x', 'y'}``), a ``.t7``/``.th`` file of one, a
``.csv``/``.tsv`` file (local, or fetched from a SlowFS), a SlowFS URL of part files, or a directory.
``pcall(function() return lfs.attributes(fn).mode == 'directory' end)`` is a ``try``; ``local fn, mfn =
fetchIndexFiles(...)`` pads with None (Reader.py's ``lua_results``). Not ported (see the package's docstring):
``http`` URLs (luasocket)."""
import legonn as torch
from legonn import lfs, paths

from . import SlowFS
from .Cache import Cache
from .IndexCSV import IndexCSV
from .IndexSlowFS import IndexSlowFS
from .IndexDirectory import IndexDirectory
from .IndexTensor import IndexTensor
from .Reader import lua_results


def Index(url, partition=None, partitions=None, opt=None):

    partition = opt.get('partition') or 0
    partitions = opt.get('partitions') or 1
    opt = opt or {}
    cache = Cache(opt)

    def startsWith(s, p):
        return s[:len(p)] == p

    def hasPrefix(url):
        return len(url.split("://")) > 1

    def isDirectory(fn):
        try:
            return lfs.attributes(fn)['mode'] == 'directory'
        except Exception:
            return False

    def fetchIndexFiles(url, ext, hasMeta=False):
        if startsWith(url, 'http'):
            raise NotImplementedError(f"torch-dataset's Index ({url}): http downloads (luasocket) are not ported")
        elif hasPrefix(url):
            slowFS = SlowFS.find(url)(cache, opt)
            fn = slowFS['get'](url)
            if hasMeta:
                return fn, slowFS['get'](url[0:len(url) - 4] + '-meta.' + ext)
            return fn
        return url

    if torch.isTensor(url) or isinstance(url, dict):
        return IndexTensor(url, partition, partitions, opt)
    elif isinstance(url, str):
        ext = paths.extname(url)
        if ext == 't7' or ext == 'th':
            return IndexTensor(torch.load(fetchIndexFiles(url, ext)), partition, partitions, opt)
        elif ext == 'csv' or ext == 'tsv':
            if ext == 'tsv' and opt.get('separator') is None:
                opt['separator'] = '\t'
            fn, mfn = lua_results(fetchIndexFiles(url, ext, True), 2)
            opt['metaURL'] = mfn
            return IndexCSV(fn, partition, partitions, opt)
        elif hasPrefix(url):
            return IndexSlowFS(url, partition, partitions, opt)
        elif isDirectory(url):
            return IndexDirectory(url, partition, partitions, opt)
    raise ValueError('Index unsupported url: ' + str(url))
