"""The functions torch-autograd's support.lua added to the ``torch`` table that legonn's namespace lacks, here in
their own namespace (legonn's namespace and classes are left as they are): ``support.size(A)``,
``support.typeAs(A, B)``, ... Each is the tensor method of the same name as a function, so traced code and
gradients can call it on a traced value (gradfuns declares each as the ``torch`` function of that name).
support.lua's others (``select``, ``index``, ``narrow``, ``clone``, ``contiguous``, ``transpose``, ``t``) are
legonn's own ``lg.select``, ... Dimensions are 0-based.

support.lua's last part, a metatable that lets a Lua number come first in ``2 + tensor``, has no port: Python's
reflected operators already do that.
"""


def copy(A, B):
    """``B``'s values copied into ``A``; returns ``A``."""
    return A.copy(B)


def size(A, dim=None):
    return A.size() if dim is None else A.size(dim)


def nDimension(A):
    return A.nDimension()


def nElement(A):
    return A.nElement()


def isSameSizeAs(A, B):
    return A.isSameSizeAs(B)


def long(A):
    return A.long()


def typeAs(A, B):
    """``A`` converted to ``B``'s type."""
    return A.type(B.type())
