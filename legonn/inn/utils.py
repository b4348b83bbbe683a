"""``inn.utils`` (inn's utils.lua): folding trained batch normalisations into the layer before them
(``foldBatchNorm``), replacing them by fixed affine maps (``BNtoFixed``) and measuring what such surgery
changes (``testSurgery``)."""
from ..tensor.introspection import typename
from .affine import ConstAffine

# (batch normalisation, the layer it folds into), matched as substrings of typenames, as inn's ``find``: so the
# cudnn classes ('cudnn.SpatialBatchNormalization' contains 'nn.SpatialBatchNormalization') fold too
_FOLDS = (('nn.SpatialBatchNormalization', 'nn.SpatialConvolution'), ('nn.BatchNormalization', 'nn.Linear'),
          ('nn.VolumetricBatchNormalization', 'nn.VolumetricConvolution'))
_CHECKLIST = ('nn.SpatialBatchNormalization', 'nn.VolumetricBatchNormalization', 'nn.BatchNormalization',
              'cudnn.SpatialBatchNormalization', 'cudnn.VolumetricBatchNormalization', 'cudnn.BatchNormalization')


def _invstd(bn):
    """1 / sqrt(running_var + eps) of a batch normalisation (or its ``running_std``, in old files)."""
    if getattr(bn, 'running_var', None) is not None:
        return (bn.running_var + bn.eps).pow(-0.5)
    return bn.running_std


def _fold(conv, bn):
    """Scale and shift ``conv``'s weight and bias so it computes ``bn(conv(x))`` in evaluation."""
    n = conv.weight.size(0)
    weight = conv.weight.view(n, -1)
    invstd = _invstd(bn)
    if conv.bias is None:
        conv.bias = bn.running_mean.clone().zero()
        conv.gradBias = conv.bias.clone()
    weight.cmul(invstd.view(n, 1).expandAs(weight))
    conv.bias.add(-1, bn.running_mean).cmul(invstd)
    if bn.affine:
        conv.bias.cmul(bn.weight).add(bn.bias)
        weight.cmul(bn.weight.view(n, 1).expandAs(weight))


def _bn_to_conv(net):
    i = 1
    while i < len(net.modules):
        cur, pre = net.modules[i], net.modules[i - 1]
        if any(b in typename(cur) and c in typename(pre) for b, c in _FOLDS):
            net.remove(i)
            _fold(pre, cur)
            continue
        i += 1
    for m in net.modules:
        if getattr(m, 'modules', None) is not None:
            _bn_to_conv(m)


def foldBatchNorm(net):
    """In place: every batch normalisation directly after a convolution (or Linear) in a container is folded
    into that layer and removed, so ``net`` computes in evaluation what it computed with it. Those that cannot
    be folded (no such layer before them) are printed, as inn's."""
    _bn_to_conv(net)
    for name in _CHECKLIST:
        left = net.findModules(name)[0]
        if left:
            print('Couldnt fold these:', left)


def BNtoFixed(net, ip=None):
    """``net`` with every batch normalisation replaced by an inn.ConstAffine computing its evaluation-mode map
    (``a = weight / sqrt(running_var + eps)``, ``b = bias - running_mean * a``); ``ip`` is passed to ConstAffine
    (which ignores it, as inn's). Returns the new net (``replace``'s result)."""
    def to_fixed(x):
        if 'BatchNormalization' not in typename(x):
            return x
        if getattr(x, 'running_var', None) is None:
            raise ValueError(f"inn.utils.BNtoFixed: expected a batch normalisation with running_var, got {x!r}")
        y = ConstAffine(x.running_mean.nElement(), ip).type(x.running_mean.type())
        invstd = (x.running_var.double() + x.eps).pow(-0.5)
        y.a.copy(invstd)
        y.b.copy(-x.running_mean.double().cmul(invstd))
        if x.affine:
            y.a.cmul(x.weight)
            y.b.cmul(x.weight).add(x.bias)
        return y
    net = net.replace(to_fixed)
    for name in ('nn.SpatialBatchNormalization', 'nn.BatchNormalization', 'cudnn.SpatialBatchNormalization',
                 'cudnn.BatchNormalization'):
        if net.findModules(name)[0]:
            raise ValueError(f"inn.utils.BNtoFixed: {name} modules remain after the replacement")
    return net


def testSurgery(input, f, net, *args):
    """The largest absolute change of ``net.forward(input)`` made by ``f(net, *args)``."""
    before = net.forward(input).clone()
    f(net, *args)
    after = net.forward(input).clone()
    return (before - after).abs().max()


__all__ = ['BNtoFixed', 'foldBatchNorm', 'testSurgery']
