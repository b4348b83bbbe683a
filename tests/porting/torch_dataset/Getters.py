"""lua/Getters.lua: the functions the Reader's workers call to fetch an item: a local file (whole, or ``length``
bytes from ``offset``) or the item itself for a Tensor index. A Lua string of a file's contents is ``bytes``
(``open(url, 'rb')``), and ``f:read(n)``'s nil at the end of the file is ``f.read(n) or None``.

Not ported: ``getHTTP`` (luasocket's ``socket.http`` and ``ltn12``, which legonn does not provide): an ``http``
URL gets a getter that says so."""
import os


def getFile(url, offset=None, length=None):
    f = open(url, 'rb') if os.path.isfile(url) else None
    if f is not None:
        contents = None
        if offset is not None and length is not None:
            if offset >= 0 and length != 0:
                f.seek(offset, os.SEEK_SET)
                contents = f.read(abs(length)) or None
        else:
            contents = f.read()
        f.close()
        return contents


def getHTTP(url, offset=None, length=None):
    raise NotImplementedError(f"torch-dataset's getHTTP ({url}): luasocket's socket.http is not ported")


def getTensor(url, offset=None, length=None):
    return url


def getters(url, indexType=None):
    if url and url[0:4] == 'http':
        return getHTTP
    elif indexType and indexType == 'Tensor':
        return getTensor
    else:
        return getFile


Getters = getters
