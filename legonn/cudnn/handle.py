"""``cudnn.getHandle()`` (cudnn.torch's init.lua): the cuDNN handle of the current device and stream, which
the ``cudnn.functional`` routines take first. legonn's kernels need no handle, so every call gives the same
token, which those routines accept and do not read."""


class Handle:
    """The token ``getHandle`` gives: it only stands in the first argument of ``cudnn.functional``'s calls."""

    def __repr__(self):
        return 'cudnn handle (legonn computes without one)'


_HANDLE = Handle()


def getHandle():
    return _HANDLE
