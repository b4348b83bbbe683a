"""torch-ipc's ``ipc.marshal(obj, [upval, size, size_increment])``: ``obj`` stored once, handed out as a fresh
copy by every ``read`` (src/marshal.c), in this thread or any other of the process.

    m = ipc.marshal({'v': 4, 't': lambda: 6})
    m.read()['t']()                 # 6; each read is a new dict

Copies follow legonn.ipc.values (torch-ipc's serialize.c): dicts, lists, tuples and sets are copied, tensors
and handles shared; a closure (a function using a variable of its enclosing function) is refused unless
``upval``, then each read gets a function of its own over copies of those variables. Python cannot copy a
function's code to another interpreter: a marshal stays in its process, as torch-ipc's ring buffer.
``size`` and ``size_increment`` (the buffer's bytes) are accepted and unused."""
from legonn.ipc.values import ProcessLocal, copy_value
from legonn.tensor.naming import TorchNamed


class Marshal(ProcessLocal, TorchNamed):
    """See the module's docstring."""
    __slots__ = ('_value', '_upval', '_open')

    def __init__(self, obj, upval=False, size=None, size_increment=None):
        if obj is None:
            raise ValueError("legonn.ipc.marshal: must provide object to serialize at arg 1 (got None)")
        self._upval = bool(upval)
        self._value = copy_value(obj, self._upval, 'legonn.ipc.marshal')
        self._open = True

    def read(self):
        """A fresh copy of the object."""
        if not self._open:
            raise RuntimeError("legonn.ipc.marshal.read: marshal is not open (closed)")
        return copy_value(self._value, self._upval, 'legonn.ipc.marshal.read')

    def close(self):
        """Let the stored object go; a later ``read`` or ``close`` raises."""
        if not self._open:
            raise RuntimeError("legonn.ipc.marshal.close: marshal is already closed")
        self._open = False
        self._value = None


marshal = Marshal
