"""``local loadcaffe = require 'loadcaffe'``: szagoruyko/loadcaffe for legonn (``from legonn import loadcaffe``).

``loadcaffe.load(prototxt_name, binary_name, backend='nn')`` turns a Caffe model into the ``nn.Sequential``
loadcaffe builds: the modules of builder.py (its docstring lists the layer types and loadcaffe's quirks that
are kept), each named after its Caffe layer, the convolution and inner-product weights and biases copied
from the ``.caffemodel``. The 'cudnn' backend gives legonn.cudnn classes and moves the net to the GPU
(``:cuda()``, as loadcaffe does); 'ccn2' (cuda-convnet2) is not provided.

The network comes from the ``.caffemodel`` alone, as in loadcaffe: its C++ parses the prototxt into the
same message the binary is then parsed into, and protobuf's ``ParseFromCodedStream`` clears the message
first (loadcaffe issues #50, #98: "loadcaffe only uses .caffemodel and completely ignores .prototxt"). The
prototxt is still read, and a broken one reported on stderr as libprotobuf reports it, without effect.

Both protobuf encodings are read by the two small parsers here (wire_format.py, text_format.py) over the
part of caffe.proto that loadcaffe reads (schema.py), not by the pip ``protobuf`` package (DESIGN decision
11): that package reads a message only through a descriptor, so it needs caffe.proto compiled by ``protoc``
(not a pip dependency, and a generated module to keep in step) or descriptors built by hand at run time for
the same fields listed here; it would add a dependency and a generated file to save ~150 lines whose every
length check is under legonn's own tests. The binary parser reads packed blob data straight from the
file's bytes (``np.frombuffer``, no copy): a 553 MB VGG-16-sized ``.caffemodel`` parses in about 1 ms once
read, 0.7-0.9 s with the read (page-cached file), and ``load`` then spends 1-5 s making the modules and
copying the weights (2 shared CPU cores).
"""
import sys

from . import text_format, wire_format
from .builder import build

BACKENDS = ('nn', 'cudnn')


def load(prototxt_name, binary_name, backend='nn'):
    """loadcaffe.load: the ``nn.Sequential`` of the Caffe model in ``binary_name`` (a ``.caffemodel``) with the
    modules of ``backend`` ('nn' or 'cudnn'; 'cudnn' also calls ``:cuda()``). Prints what loadcaffe prints
    (the file loaded, each weighted layer's sizes, the layers it skips). None, after printing "Couldn't load",
    when ``binary_name`` is None or no such file, as loadcaffe returns nothing; a file that is not a
    ``caffe.NetParameter`` raises ValueError (see porting.md)."""
    backend = backend or 'nn'
    if backend == 'ccn2':
        raise ValueError("loadcaffe.load: backend 'ccn2' (cuda-convnet2's DHWB layout) is not provided by "
                         "legonn; use 'nn' or 'cudnn'")
    if backend not in BACKENDS:
        raise ValueError(f"loadcaffe.load: backend must be one of {BACKENDS}, got {backend!r}")
    try:
        text_format.parse_file(prototxt_name)
    except ValueError as err:   # loadcaffe ignores the prototxt's parse; libprotobuf logs the error
        print(f"[loadcaffe] Error parsing text-format caffe.NetParameter: {err}", file=sys.stderr)
    except (OSError, TypeError):
        pass   # loadcaffe's open() of a missing prototxt fails silently
    try:
        netparam = wire_format.parse_file(binary_name)
    except (OSError, TypeError):
        print(f"Couldn't load {binary_name}")
        return None
    print(f"Successfully loaded {binary_name}")
    net = build(netparam, backend)
    return net.cuda() if backend == 'cudnn' else net


__all__ = ['load', 'text_format', 'wire_format']
