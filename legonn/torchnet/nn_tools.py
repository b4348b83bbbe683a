"""torchnet's ``tnt.utils.nn`` (utils/nn.lua): the input size a stack of convolutions or poolings needs for a
given output size, and the output size it gives for a given input size, along one dimension.

``specs`` is a list of dicts, one per layer from input to output: ``{'kw': kernel width, 'dw': stride
(default 1), 'pw': padding (default 0)}``; a dict without ``kw`` (a non-spatial layer) is skipped where
torchnet skips it."""


def _layer(owner, spec):
    if not isinstance(spec, dict):
        raise TypeError(f"{owner}: expected each spec to be a dict with kw (and dw, pw), got {type(spec).__name__}")
    return spec.get('kw'), spec.get('dw') or 1, spec.get('pw') or 0


def inferinputsize(specs, size=1, verbose=False):
    """``(input size, stride)``: the input width whose output through ``specs`` is ``size`` wide, and the total
    stride (the product of the strides). Walked from the last layer back: ``width = width * dw + kw - dw -
    2 * pw``."""
    width, stride = size, 1
    for i in range(len(specs) - 1, -1, -1):
        kw, dw, pw = _layer('tnt.utils.nn.inferinputsize', specs[i])
        if kw:
            width, stride = width * dw + kw - dw - pw * 2, stride * dw
        if verbose:
            print(f"|| layer {i}: size={width} stride={stride}")
    return width, stride


def inferoutputsize(specs, size, verbose=False):
    """``(output size, stride)``: the width ``size`` after each layer of ``specs``, ``floor((width + 2 * pw -
    kw) / dw) + 1``, and the total stride."""
    width, stride = size, 1
    for i, spec in enumerate(specs):
        kw, dw, pw = _layer('tnt.utils.nn.inferoutputsize', spec)
        if kw is None:
            raise ValueError(f"tnt.utils.nn.inferoutputsize: spec {i} has no kw")
        width, stride = (width + 2 * pw - kw) // dw + 1, stride * dw
        if verbose:
            print(f"|| layer {i}: size={width} stride={stride}")
    return width, stride
