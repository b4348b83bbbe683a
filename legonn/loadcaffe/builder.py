"""loadcaffe.cpp's conversion: each Caffe layer becomes the module its generated Lua line constructs, and
each convolution's and inner product's blobs are copied into that module's weight and bias.

loadcaffe writes one ``table.insert(model, {'<layer name>', <constructor>})`` line per layer it knows
(``convertProtoToLuaV1`` for the V1 ``layers`` field, ``convertProtoToLuaV2`` for ``layer``), runs the
file, then copies blobs by layer name (``loadModule``). The functions here make the same modules with the
same arguments, including the C's quirks, which decide Torch7's numbers:

- LRN's alpha, beta and k and Dropout's ratio pass through ``printf`` (``%.6f``, ``%.4f``, ``%f``, ``%f``)
  and are read back by Lua, so they are rounded to those decimals;
- a convolution's pad is ``pad`` for both sides unless *both* ``pad_h`` and ``pad_w`` are non-zero, a
  pooling's unless *either* is;
- an ``nn.View(-1):setNumInputDims(3)`` named 'torch_view' goes before an InnerProduct whose input size
  differs from the last convolution's output planes (or from the net's input-dimension count, before any);
- V2 (``layer``) stops at its first Softmax or SoftmaxWithLoss, which is not added (the C ``break``s out of
  the layer loop before writing it), and, with the nn backend, at a grouped convolution; V1 (``layers``)
  adds an ``nn.SoftMax`` and goes on, and skips the grouped convolution with a warning;
- LRN's ``norm_region`` and pooling's ``global_pooling`` are ignored; blob data is copied flat, first
  elements first, so its order is the module's weight order.

Unknown layer types (data, loss, accuracy, Concat, Eltwise, BatchNorm, Scale, Deconvolution, ...) print
loadcaffe's warning and are skipped.
"""
import math

from .. import cudnn, inn, nn

_V1_NAMES = {4: 'Convolution', 17: 'Pooling', 18: 'ReLU', 19: 'Sigmoid', 23: 'Tanh', 15: 'LRN',
             14: 'InnerProduct', 6: 'Dropout', 20: 'Softmax', 21: 'SoftmaxWithLoss'}
_MAX, _AVE, _STOCHASTIC = 0, 1, 2


def _printf(value, spec):
    """``value`` as Lua reads back C's ``printf(spec)`` of it."""
    return float(format(value, spec))


def _dim(blob, index, layer):
    dims = blob.get('shape').repeated('dim')
    if index >= len(dims):
        raise ValueError(f"loadcaffe: layer '{layer}': its weight blob's shape has {len(dims)} dimensions, "
                         f"loadcaffe reads dimension {index}")
    return int(dims[index])


def _weight_blob(layer, name):
    blobs = layer.repeated('blobs')
    if not blobs:
        raise ValueError(f"loadcaffe: layer '{name}' has no blobs; loadcaffe reads its weights from the "
                         ".caffemodel (is the file a trained model?)")
    return blobs[0]


def _fits(name, blob, *sizes):
    """Refuses a module whose weight (of ``sizes``) could not come from ``blob``: checked before the module is
    made, so a crafted size never allocates more than the file holds."""
    count, held = math.prod(sizes), len(blob.repeated('data'))
    if min(sizes) < 0 or count > held:
        raise ValueError(f"loadcaffe: layer '{name}': a weight of sizes {sizes} ({count} values), its blob holds "
                         f"{held}")


def _pairs(param, prefix, single):
    """(w, h) of the kernel or stride: ``<prefix>_w``/``<prefix>_h`` when both are non-zero, else ``single``."""
    w, h = param.get(prefix + '_w'), param.get(prefix + '_h')
    if w == 0 or h == 0:
        w = h = param.get(single)
    return w, h


def _pooling(param, backend):
    kW, kH = _pairs(param, 'kernel', 'kernel_size')
    dW, dH = _pairs(param, 'stride', 'stride')
    padW, padH = param.get('pad_w'), param.get('pad_h')
    if padW == 0 and padH == 0:
        padW = padH = param.get('pad')
    pool = param.get('pool')
    if pool == _STOCHASTIC:
        return inn.SpatialStochasticPooling(kW, kH, dW, dH)   # what loadcaffe.cpp writes for it
    package = cudnn if backend == 'cudnn' else nn
    cls = {_MAX: package.SpatialMaxPooling, _AVE: package.SpatialAveragePooling}.get(pool)
    if cls is None:
        raise ValueError(f"loadcaffe: pooling method {pool} is none of caffe.proto's MAX (0), AVE (1), "
                         "STOCHASTIC (2)")
    return cls(kW, kH, dW, dH, padW, padH).ceil()


def _convolution(layer, name, v2, backend):
    """The convolution module, its output planes, or (None, None) where loadcaffe refuses (nn with groups)."""
    param = layer.get('convolution_param')
    groups = param.get('group') or 1
    blob = _weight_blob(layer, name)
    shaped = v2 and blob.has('shape')
    nInputPlane = (_dim(blob, 1, name) if shaped else blob.get('channels')) * groups
    nOutputPlane = _dim(blob, 0, name) if shaped else blob.get('num')
    kW, kH = _pairs(param, 'kernel', 'kernel_size')
    dW, dH = _pairs(param, 'stride', 'stride')
    pad_w, pad_h = param.get('pad_w'), param.get('pad_h')
    if pad_w == 0 or pad_h == 0:
        pad_w = pad_h = param.get('pad')
    _fits(name, blob, nOutputPlane, nInputPlane // groups, kH, kW)
    if backend == 'cudnn':
        return cudnn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, pad_w, pad_h, groups), \
            nOutputPlane
    if groups != 1:
        print("nn supports no groups!")
        return None, nOutputPlane
    return nn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW, dH, pad_w, pad_h), nOutputPlane


def _lines(layer, kind, name, v2, backend, num_output):
    """The (name, module) pairs loadcaffe makes for one layer, and the tracked output-plane count."""
    cudnn_backend = backend == 'cudnn'
    if kind == 'Convolution':
        module, num_output = _convolution(layer, name, v2, backend)
        return ([(name, module)] if module is not None else []), num_output
    if kind == 'Pooling':
        return [(name, _pooling(layer.get('pooling_param'), backend))], num_output
    if kind == 'ReLU':
        return [(name, cudnn.ReLU(True) if cudnn_backend else nn.ReLU(True))], num_output
    if kind == 'Sigmoid':
        return [(name, cudnn.Sigmoid(True) if cudnn_backend else nn.Sigmoid())], num_output
    if kind == 'Tanh':
        return [(name, cudnn.Tanh(True) if cudnn_backend else nn.Tanh())], num_output
    if kind == 'LRN':
        param = layer.get('lrn_param')
        args = (param.get('local_size'), _printf(param.get('alpha'), '.6f'), _printf(param.get('beta'), '.4f'),
                _printf(param.get('k'), 'f'))
        return [(name, (cudnn if cudnn_backend else nn).SpatialCrossMapLRN(*args))], num_output
    if kind == 'InnerProduct':
        blob = _weight_blob(layer, name)
        nInputPlane = _dim(blob, 1, name) if v2 and blob.has('shape') else blob.get('width')
        nOutputPlane = layer.get('inner_product_param').get('num_output')
        _fits(name, blob, nOutputPlane, nInputPlane)
        lines = []
        if num_output != nInputPlane:
            lines.append(('torch_view', nn.View(-1).setNumInputDims(3)))
        lines.append((name, nn.Linear(nInputPlane, nOutputPlane)))
        return lines, nOutputPlane
    if kind == 'Dropout':
        return [(name, nn.Dropout(_printf(layer.get('dropout_param').get('dropout_ratio'), 'f')))], num_output
    if kind in ('Softmax', 'SoftmaxWithLoss'):
        return [(name, cudnn.SoftMax() if cudnn_backend else nn.SoftMax())], num_output
    return [], num_output


def layer_modules(netparam, backend):
    """The (name, module) list of loadcaffe's generated Lua for ``netparam``, unknown layers warned about."""
    v1 = len(netparam.repeated('layers')) > 0
    if v1:
        layers, num_output = netparam.repeated('layers'), len(netparam.repeated('input_dim'))
    else:
        layers, num_output = netparam.repeated('layer'), len(netparam.repeated('input_shape')) * 4
    out = []
    for layer in layers:
        name, layer_type = layer.get('name'), layer.get('type')
        kind = _V1_NAMES.get(layer_type) if v1 else layer_type
        if not v1 and kind in ('Softmax', 'SoftmaxWithLoss'):
            break   # convertProtoToLuaV2's ``break`` leaves the layer loop before the line is written
        if v1 and kind is None:
            print(f"MODULE {name} UNDEFINED")
        try:
            lines, num_output = _lines(layer, kind, name, not v1, backend, num_output)
        except ValueError as err:
            if str(err).startswith('loadcaffe'):
                raise
            # a module refusing the file's hyper-parameters (a kernel of 0, say): name the layer it came from
            raise ValueError(f"loadcaffe: layer '{name}' (type {layer_type}): {err}") from None
        if not lines and not v1 and kind == 'Convolution':
            break   # nn with groups: here too V2's ``break`` ends the whole model
        if not lines:
            print(f"warning: module '{name} [type {layer_type}]' not found")
        out.extend(lines)
    return out


def _blob_data(blob, count, layer, what):
    data = blob.repeated('data')
    if count < 0 or len(data) < count:
        raise ValueError(f"loadcaffe: layer '{layer}': its {what} blob declares {count} values, its data holds "
                         f"{len(data)}")
    return data[:count]


def blobs_of(netparam, name):
    """loadcaffe's ``loadModule``: the weight and bias data of the last layer called ``name``, the weight's
    count from its declared dimensions (printed as loadcaffe prints them)."""
    v1 = len(netparam.repeated('layers')) > 0
    found = [layer for layer in netparam.repeated('layers' if v1 else 'layer') if layer.get('name') == name][-1]
    blob = _weight_blob(found, name)
    inner = not v1 and found.get('type') == 'InnerProduct'
    if not v1 and blob.has('shape'):
        nOut, nIn = _dim(blob, 0, name), _dim(blob, 1, name)
        kW, kH = (1, 1) if inner else (_dim(blob, 3, name), _dim(blob, 2, name))
    elif inner:
        nIn, nOut, kW, kH = blob.get('width'), blob.get('height'), 1, 1
    else:
        nIn, nOut, kW, kH = blob.get('channels'), blob.get('num'), blob.get('width'), blob.get('height')
    print(f"{name}: 1 1 {nIn} {nOut}" if inner else f"{name}: {nOut} {nIn} {kW} {kH}")
    blobs = found.repeated('blobs')
    if len(blobs) < 2:
        raise ValueError(f"loadcaffe: layer '{name}' has no bias blob (bias_term: false?); loadcaffe copies "
                         "one into every module with a weight")
    weight = _blob_data(blob, nOut * nIn * kW * kH, name, 'weight')
    bias = blobs[1].repeated('data')
    return weight, bias


def build(netparam, backend):
    """loadcaffe.load's model before ``:cuda()``: an ``nn.Sequential`` of the layer modules, each named after
    its layer (``module.name``), weights and biases copied from the blobs."""
    net = nn.Sequential()
    for name, module in layer_modules(netparam, backend):
        module.name = name
        if getattr(module, 'weight', None) is not None:
            weight, bias = blobs_of(netparam, name)
            for target, data, what in ((module.weight, weight, 'weight'), (module.bias, bias, 'bias')):
                if data.size != target.nElement():
                    raise ValueError(f"loadcaffe: layer '{name}': {module!r} has a {what} of {target.nElement()} "
                                     f"elements, the .caffemodel's blob {data.size}")
                target.copy(data)
        net.add(module)
    return net
