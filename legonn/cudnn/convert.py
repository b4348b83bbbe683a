"""``cudnn.convert(net, backend, exclusion_fn)``: swap nn.X and cudnn.X modules in place (cudnn/convert.lua)."""
from .. import nn
from ..tensor.introspection import typename

# the classes convert.lua swaps (nn.SpatialConvolutionMM becomes cudnn.SpatialConvolution too)
LAYERS = ('BatchNormalization', 'SpatialBatchNormalization', 'SpatialConvolution', 'SpatialCrossMapLRN',
          'SpatialFullConvolution', 'SpatialMaxPooling', 'SpatialAveragePooling', 'ReLU', 'Tanh', 'Sigmoid',
          'SoftMax', 'LogSoftMax', 'VolumetricBatchNormalization', 'VolumetricConvolution',
          'VolumetricFullConvolution', 'VolumetricMaxPooling', 'VolumetricAveragePooling')


def convert(net, dst, exclusion_fn=None):
    """Replace each module of ``net`` whose class is exactly nn.X (X in ``LAYERS``, or nn.SpatialConvolutionMM)
    by a cudnn.X holding the same fields (the same parameter, gradient and buffer tensors: nothing is copied),
    or the reverse when ``dst`` is ``nn``; returns ``net`` (or its replacement, when ``net`` itself converts).

    A module for which ``exclusion_fn(module)`` is true stays as it is. Subclasses are not converted (the
    Lua compares type names). A grouped cudnn.SpatialConvolution stays cudnn's when converting to nn, since
    nn.SpatialConvolution has no groups. Converting to nn, cudnn.SpatialAveragePooling keeps counting padding
    (convert.lua meant to, but reads ``mode`` off a string and turns it off). convert.lua leaves an
    nn.gModule alone (with a warning) since Torch7's replace does not reach its nodes; legonn's does, so the
    modules inside a graph are converted too.
    """
    from .. import cudnn   # this package, complete by the time convert is called
    if dst is nn:
        src_prefix, target = 'cudnn.', nn
    elif dst is cudnn:
        src_prefix, target = 'nn.', cudnn
    else:
        raise TypeError(f"cudnn.convert: backend must be legonn.nn or legonn.cudnn, got {dst!r}")
    if exclusion_fn is not None and not callable(exclusion_fn):
        raise TypeError(f"cudnn.convert: exclusion_fn must be a function of a module, got {exclusion_fn!r}")

    def swap(x):
        if exclusion_fn is not None and exclusion_fn(x):
            return x
        name = typename(x)
        if name == 'nn.SpatialConvolutionMM':   # convert.lua turns it into dst's SpatialConvolution, either way
            layer = 'SpatialConvolution'
        elif name is not None and name.startswith(src_prefix) and name[len(src_prefix):] in LAYERS:
            layer = name[len(src_prefix):]
        else:
            return x
        if target is nn and getattr(x, 'groups', 1) != 1:
            return x
        cls = getattr(target, layer)
        y = cls.__new__(cls)
        y.__dict__.update(x.__dict__)
        if layer == 'SpatialAveragePooling' and target is nn:
            y.divide = True
            y.count_include_pad = True
        return y

    return net.replace(swap)
