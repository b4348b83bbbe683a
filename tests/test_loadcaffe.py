"""legonn.loadcaffe against szagoruyko/loadcaffe (loadcaffe.cpp, loadcaffe.lua, caffe.proto).

The Caffe files are written here: a protobuf wire-format writer (varints, length-delimited fields, packed
floats) makes ``.caffemodel`` bytes with caffe.proto's field numbers, and the expected modules are the Lua
constructor lines loadcaffe.cpp would generate, written out by hand. Forwards are checked against float64
NumPy loops of Caffe's layers (cross-correlation, pooling with Caffe's ceil rounding, LRN across channels).
"""
import struct

import numpy as np
import pytest

import legonn as lg
from legonn import cudnn, loadcaffe, nn
from legonn.loadcaffe import builder, text_format, wire_format
from tests.test_cudnn import conv2d_ref


# --- a protobuf wire-format writer (caffe.proto's field numbers) -------------------------------------------

def varint(value):
    value &= (1 << 64) - 1   # negative int32/int64 are written as 10-byte two's complement, as protobuf does
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def v(number, value):
    return varint(number << 3) + varint(int(value))


def ld(number, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def msg(number, *fields):
    return ld(number, b''.join(fields))


def f32(number, value):
    return varint(number << 3 | 5) + struct.pack('<f', value)


def packed_floats(number, values):
    return ld(number, np.asarray(values, dtype='<f4').tobytes())


def blob(array, shaped=True):
    """A BlobProto: V2's ``shape`` (packed int64 dims) or the legacy num/channels/height/width (4-D)."""
    array = np.asarray(array, dtype=np.float32)
    if shaped:
        dims = msg(7, ld(1, b''.join(varint(d) for d in array.shape)))
    else:
        legacy = (1,) * (4 - array.ndim) + array.shape
        dims = b''.join(v(n, d) for n, d in zip((1, 2, 3, 4), legacy))
    return dims + packed_floats(5, array.ravel())


def v2_layer(name, type, *fields, blobs=(), shaped=True):
    return msg(100, ld(1, name), ld(2, type), *fields, *(msg(7, blob(b, shaped)) for b in blobs))


V1 = {'CONVOLUTION': 4, 'DATA': 5, 'DROPOUT': 6, 'INNER_PRODUCT': 14, 'LRN': 15, 'POOLING': 17, 'RELU': 18,
      'SIGMOID': 19, 'SOFTMAX': 20, 'SOFTMAX_LOSS': 21, 'TANH': 23, 'ACCURACY': 1}


def v1_layer(name, type, *fields, blobs=()):
    return msg(2, ld(4, name), v(5, V1[type]), *fields, *(msg(6, blob(b, shaped=False)) for b in blobs))


def conv_param(number, num_output, kernel, stride=None, pad=None, group=None, **extra):
    fields = [v(1, num_output), v(4, kernel)]
    fields += [v(6, stride)] if stride is not None else []
    fields += [v(3, pad)] if pad is not None else []
    fields += [v(5, group)] if group is not None else []
    ids = {'pad_h': 9, 'pad_w': 10, 'kernel_h': 11, 'kernel_w': 12, 'stride_h': 13, 'stride_w': 14}
    fields += [v(ids[k], x) for k, x in extra.items()]
    return msg(number, *fields)


def pool_param(number, pool, kernel, stride, pad=None):
    return msg(number, v(1, pool), v(2, kernel), v(3, stride), *([v(4, pad)] if pad is not None else []))


def rng_weights(seed, *shapes):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) * 0.3 for s in shapes]


# --- float64 NumPy loops of Caffe's layers ----------------------------------------------------------------

def caffe_conv(x, w, b, stride, pad, groups=1):
    """Caffe's ConvolutionLayer: cross-correlation, zero padding, ``group`` blocks of channels (the loop of
    tests/test_cudnn.py)."""
    return conv2d_ref(x, w, b, (stride, stride), (pad, pad), groups)


def caffe_pool(x, kernel, stride, pad, mode):
    """Caffe's PoolingLayer: ceil-rounded output size (less one when the last window starts in the padding);
    AVE divides by the window clipped to the padded input."""
    n, c, h, w = x.shape

    def size(length):
        out = int(np.ceil((length + 2 * pad - kernel) / stride)) + 1
        if pad and (out - 1) * stride >= length + pad:
            out -= 1
        return out
    oh, ow = size(h), size(w)
    out = np.zeros((n, c, oh, ow))
    for i in range(n):
        for ch in range(c):
            for y in range(oh):
                for z in range(ow):
                    hs, ws = y * stride - pad, z * stride - pad
                    he, we = min(hs + kernel, h + pad), min(ws + kernel, w + pad)
                    area = (he - hs) * (we - ws)
                    hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
                    window = x[i, ch, hs:he, ws:we]
                    out[i, ch, y, z] = window.max() if mode == 'max' else window.sum() / area
    return out


def caffe_lrn(x, size, alpha, beta, k):
    """Caffe's LRN ACROSS_CHANNELS: x / (k + alpha/size * sum of squares over the channel window)^beta."""
    out = np.zeros_like(x)
    c = x.shape[1]
    for ch in range(c):
        lo, hi = max(0, ch - (size - 1) // 2), min(c, ch + size // 2 + 1)
        scale = k + alpha / size * np.sum(x[:, lo:hi] ** 2, axis=1)
        out[:, ch] = x[:, ch] * scale ** -beta
    return out


def caffe_ip(x, w, b):
    flat = x.reshape(x.shape[0], -1)
    out = np.zeros((x.shape[0], w.shape[0]))
    for i in range(x.shape[0]):
        for o in range(w.shape[0]):
            out[i, o] = sum(flat[i, j] * w[o, j] for j in range(w.shape[1])) + b[o]
    return out


def caffe_softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# --- the two nets -------------------------------------------------------------------------------------------

def lenet():
    """A V2 (``layer``) LeNet: input 1x16x16; conv1 weights with ``shape``, conv2's with legacy dims."""
    w1, b1, w2, b2, w3, b3, w4, b4 = rng_weights(0, (4, 1, 5, 5), 4, (6, 4, 3, 3), 6, (10, 54), 10, (5, 10), 5)
    data = b''.join([
        v2_layer('mnist', 'Data'),
        v2_layer('conv1', 'Convolution', conv_param(106, 4, 5), blobs=(w1, b1)),
        v2_layer('pool1', 'Pooling', pool_param(121, 0, 2, 2)),
        v2_layer('conv2', 'Convolution', conv_param(106, 6, 3, pad=1), blobs=(w2, b2), shaped=False),
        v2_layer('pool2', 'Pooling', pool_param(121, 0, 3, 2)),
        v2_layer('ip1', 'InnerProduct', msg(117, v(1, 10)), blobs=(w3, b3)),
        v2_layer('relu1', 'ReLU'),
        v2_layer('ip2', 'InnerProduct', msg(117, v(1, 5)), blobs=(w4, b4)),
        v2_layer('prob', 'Softmax'),
        v2_layer('after', 'ReLU'),
    ])
    return data, (w1, b1, w2, b2, w3, b3, w4, b4)


def alexnet():
    """A V1 (``layers``) AlexNet/VGG-like net: input 3x13x13; grouped conv, LRN, MAX and AVE pooling with
    ceil and pad, dropout, two fully connected layers, a loss softmax and an accuracy layer."""
    w1, b1, w2, b2, w3, b3, w4, b4 = rng_weights(1, (8, 3, 3, 3), 8, (6, 4, 3, 3), 6,
                                                 (1, 1, 7, 24), 7, (1, 1, 4, 7), 4)
    data = b''.join([
        v1_layer('data', 'DATA'),
        v1_layer('conv1', 'CONVOLUTION', conv_param(10, 8, 3, stride=2), blobs=(w1, b1)),
        v1_layer('relu1', 'RELU'),
        v1_layer('norm1', 'LRN', msg(18, v(1, 3), f32(2, 1e-4), f32(3, 0.75), f32(5, 2.0))),
        v1_layer('pool1', 'POOLING', pool_param(19, 0, 3, 2)),
        v1_layer('conv2', 'CONVOLUTION', conv_param(10, 6, 3, pad=1, group=2), blobs=(w2, b2)),
        v1_layer('relu2', 'TANH'),
        v1_layer('pool2', 'POOLING', pool_param(19, 1, 3, 2, pad=1)),
        v1_layer('fc6', 'INNER_PRODUCT', msg(17, v(1, 7)), blobs=(w3, b3)),
        v1_layer('relu6', 'SIGMOID'),
        v1_layer('drop6', 'DROPOUT', msg(12, f32(1, 0.35))),
        v1_layer('fc7', 'INNER_PRODUCT', msg(17, v(1, 4)), blobs=(w4, b4)),
        v1_layer('loss', 'SOFTMAX_LOSS'),
        v1_layer('accuracy', 'ACCURACY'),
    ])
    return data, (w1, b1, w2, b2, w3, b3, w4, b4)


def lua_line(m):
    """The Lua constructor loadcaffe.cpp writes that makes a module like ``m`` (from its attributes)."""
    cls = lg.typename(m)
    if 'Convolution' in cls:
        args = [m.nInputPlane, m.nOutputPlane, m.kW, m.kH, m.dW, m.dH, m.padW, m.padH]
        args += [m.groups] if cls.startswith('cudnn') else []
        return f"{cls}({', '.join(map(str, args))})"
    if 'Pooling' in cls:
        return f"{cls}({m.kW}, {m.kH}, {m.dW}, {m.dH}, {m.padW}, {m.padH}){':ceil()' if m.ceil_mode else ''}"
    if 'LRN' in cls:
        return f"{cls}({m.size}, {m.alpha:.6f}, {m.beta:.4f}, {m.k:f})"
    if cls == 'nn.Linear':
        return f"nn.Linear({m.weight.size(1)}, {m.weight.size(0)})"
    if cls == 'nn.View':
        return f"nn.View(-1):setNumInputDims({m.numInputDims})"
    if cls == 'nn.Dropout':
        return f"nn.Dropout({m.p:f})"
    if cls.endswith('ReLU') or (cls.startswith('cudnn') and hasattr(m, 'inplace')):
        return f"{cls}({'true' if m.inplace else 'false'})"
    return f"{cls}()"


def structure(net):
    return [(m.name, lua_line(m)) for m in net.modules]


LENET_LUA = [  # convertProtoToLuaV2, nn: 'mnist' warned; the Softmax and everything after it left out
    ('conv1', 'nn.SpatialConvolution(1, 4, 5, 5, 1, 1, 0, 0)'),
    ('pool1', 'nn.SpatialMaxPooling(2, 2, 2, 2, 0, 0):ceil()'),
    ('conv2', 'nn.SpatialConvolution(4, 6, 3, 3, 1, 1, 1, 1)'),
    ('pool2', 'nn.SpatialMaxPooling(3, 3, 2, 2, 0, 0):ceil()'),
    ('torch_view', 'nn.View(-1):setNumInputDims(3)'),
    ('ip1', 'nn.Linear(54, 10)'),
    ('relu1', 'nn.ReLU(true)'),
    ('ip2', 'nn.Linear(10, 5)'),
]

ALEXNET_CUDNN_LUA = [  # convertProtoToLuaV1, cudnn: 'data' and 'accuracy' warned
    ('conv1', 'cudnn.SpatialConvolution(3, 8, 3, 3, 2, 2, 0, 0, 1)'),
    ('relu1', 'cudnn.ReLU(true)'),
    ('norm1', 'cudnn.SpatialCrossMapLRN(3, 0.000100, 0.7500, 2.000000)'),
    ('pool1', 'cudnn.SpatialMaxPooling(3, 3, 2, 2, 0, 0):ceil()'),
    ('conv2', 'cudnn.SpatialConvolution(8, 6, 3, 3, 1, 1, 1, 1, 2)'),
    ('relu2', 'cudnn.Tanh(true)'),
    ('pool2', 'cudnn.SpatialAveragePooling(3, 3, 2, 2, 1, 1):ceil()'),
    ('torch_view', 'nn.View(-1):setNumInputDims(3)'),
    ('fc6', 'nn.Linear(24, 7)'),
    ('relu6', 'cudnn.Sigmoid(true)'),
    ('drop6', 'nn.Dropout(0.350000)'),
    ('fc7', 'nn.Linear(7, 4)'),
    ('loss', 'cudnn.SoftMax()'),
]


def write(tmp_path, data, prototxt='name: "net"\n'):
    (tmp_path / 'deploy.prototxt').write_text(prototxt)
    (tmp_path / 'net.caffemodel').write_bytes(data)
    return str(tmp_path / 'deploy.prototxt'), str(tmp_path / 'net.caffemodel')


# --- tests ----------------------------------------------------------------------------------------------------

def test_lenet_v2_structure_names_and_messages(tmp_path, capsys):
    """loadcaffe.cpp convertProtoToLuaV2 (Convolution, Pooling :ceil(), the torch_view before ip1, ReLU(true),
    the ``break`` at Softmax, the warning for an unknown type), loadModuleV2's size lines, loadcaffe.lua's
    ``item[2].name = item[1]``."""
    data, _ = lenet()
    net = loadcaffe.load(*write(tmp_path, data))
    assert lg.typename(net) == 'nn.Sequential'
    assert structure(net) == LENET_LUA
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Successfully loaded {tmp_path / 'net.caffemodel'}"
    assert "warning: module 'mnist [type Data]' not found" in out
    assert [line for line in out if line.startswith(('conv', 'ip'))] == \
        ['conv1: 4 1 5 5', 'conv2: 6 4 3 3', 'ip1: 1 1 54 10', 'ip2: 1 1 10 5']


def test_lenet_forward_matches_caffe(tmp_path, capsys):
    """Weights placed as loadModuleV2 copies them (flat, into nn's (out, in, kH, kW) and (out, in)); the forward
    against Caffe's layers in float64 (pool2's 6x6 -> 3x3 needs the ceil rounding)."""
    data, (w1, b1, w2, b2, w3, b3, w4, b4) = lenet()
    net = loadcaffe.load(*write(tmp_path, data)).evaluate()
    x = np.random.default_rng(2).standard_normal((2, 1, 16, 16))
    y = caffe_pool(caffe_conv(x, w1, b1, 1, 0), 2, 2, 0, 'max')
    y = caffe_pool(caffe_conv(y, w2, b2, 1, 1), 3, 2, 0, 'max')
    assert y.shape == (2, 6, 3, 3)
    y = caffe_ip(np.maximum(caffe_ip(y, w3, b3), 0), w4, b4)
    out = net.forward(lg.Tensor(x)).numpy()
    np.testing.assert_allclose(out, y, rtol=1e-5, atol=1e-6)


def test_alexnet_v1_cudnn_classes_and_forward(capsys):
    """convertProtoToLuaV1 with 'cudnn' (groups kept, LRN's %.6f/%.4f/%f arguments, AVE pooling with pad and
    ceil, Dropout's %f, SOFTMAX_LOSS as cudnn.SoftMax, DATA/ACCURACY warned); loadModuleV1's legacy
    num/channels/width/height copy; forward against Caffe's layers."""
    data, (w1, b1, w2, b2, w3, b3, w4, b4) = alexnet()
    net = builder.build(wire_format.parse(data), 'cudnn').evaluate()
    assert structure(net) == ALEXNET_CUDNN_LUA
    assert isinstance(net.modules[0], cudnn.SpatialConvolution) and isinstance(net.modules[12], cudnn.SoftMax)
    out = capsys.readouterr().out.splitlines()
    assert "warning: module 'data [type 5]' not found" in out and "MODULE accuracy UNDEFINED" in out
    assert 'fc6: 1 1 24 7' in out and 'conv2: 6 4 3 3' in out
    x = np.random.default_rng(3).standard_normal((2, 3, 13, 13))
    y = caffe_lrn(np.maximum(caffe_conv(x, w1, b1, 2, 0), 0), 3, 1e-4, 0.75, 2.0)
    y = caffe_pool(y, 3, 2, 0, 'max')
    y = caffe_pool(np.tanh(caffe_conv(y, w2, b2, 1, 1, groups=2)), 3, 2, 1, 'ave')
    assert y.shape == (2, 6, 2, 2)
    y = 1 / (1 + np.exp(-caffe_ip(y, w3[0, 0], b3)))
    y = caffe_softmax(caffe_ip(y, w4[0, 0], b4))
    np.testing.assert_allclose(net.forward(lg.Tensor(x)).numpy(), y, rtol=1e-5, atol=1e-7)


def test_alexnet_v1_nn_skips_grouped_conv(capsys):
    """convertProtoToLuaV1 with 'nn': a grouped convolution prints "nn supports no groups!" and is skipped
    (the switch's ``break``), the rest kept; nn classes throughout."""
    data, _ = alexnet()
    net = builder.build(wire_format.parse(data), 'nn')
    want = [('conv1', 'nn.SpatialConvolution(3, 8, 3, 3, 2, 2, 0, 0)'), ('relu1', 'nn.ReLU(true)'),
            ('norm1', 'nn.SpatialCrossMapLRN(3, 0.000100, 0.7500, 2.000000)'),
            ('pool1', 'nn.SpatialMaxPooling(3, 3, 2, 2, 0, 0):ceil()'), ('relu2', 'nn.Tanh()'),
            ('pool2', 'nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1):ceil()'),
            ('torch_view', 'nn.View(-1):setNumInputDims(3)'), ('fc6', 'nn.Linear(24, 7)'), ('relu6', 'nn.Sigmoid()'),
            ('drop6', 'nn.Dropout(0.350000)'), ('fc7', 'nn.Linear(7, 4)'), ('loss', 'nn.SoftMax()')]
    assert structure(net) == want
    out = capsys.readouterr().out.splitlines()
    assert 'nn supports no groups!' in out and "warning: module 'conv2 [type 4]' not found" in out


def test_v2_grouped_conv_with_nn_ends_the_model(capsys):
    """convertProtoToLuaV2: the ``break`` after "nn supports no groups!" leaves the layer loop, so the model
    ends before the grouped convolution; with 'cudnn' it is kept with its groups."""
    w, b = rng_weights(4, (4, 1, 3, 3), 4)
    data = v2_layer('conv', 'Convolution', conv_param(106, 4, 3, group=2), blobs=(w, b)) + v2_layer('r', 'ReLU')
    assert structure(builder.build(wire_format.parse(data), 'nn')) == []
    assert capsys.readouterr().out.splitlines() == ['nn supports no groups!']
    assert structure(builder.build(wire_format.parse(data), 'cudnn')) == \
        [('conv', 'cudnn.SpatialConvolution(2, 4, 3, 3, 1, 1, 0, 0, 2)'), ('r', 'cudnn.ReLU(true)')]


def test_stochastic_pooling_becomes_inn_stochastic_pooling(capsys):
    """loadcaffe.cpp writes ``inn.SpatialStochasticPooling(kW, kH, dW, dH)`` for a STOCHASTIC (2) pooling layer."""
    pool = v2_layer('p', 'Pooling', pool_param(121, 2, 3, 2))
    net = builder.build(wire_format.parse(pool), 'nn')
    layer = net.get(0)
    assert lg.typename(layer) == 'inn.SpatialStochasticPooling' and layer.name == 'p'
    assert (layer.kW, layer.kH, layer.dW, layer.dH) == (3, 3, 2, 2)


def test_kernel_stride_pad_pairs():
    """loadcaffe.cpp: kernel_w/kernel_h and stride_w/stride_h used only when both are non-zero; a
    convolution's pad_w/pad_h only when both are non-zero (``||``), a pooling's when either is (``&&``)."""
    w, b = rng_weights(5, (2, 1, 3, 5), 2)
    conv = lambda **kw: v2_layer('c', 'Convolution', conv_param(106, 2, 7, pad=3, **kw), blobs=(w, b))  # noqa: E731
    net = builder.build(wire_format.parse(conv(kernel_h=3, kernel_w=5, stride_h=2, stride_w=1, pad_h=1)), 'nn')
    assert structure(net) == [('c', 'nn.SpatialConvolution(1, 2, 5, 3, 1, 2, 3, 3)')]
    net = builder.build(wire_format.parse(conv(kernel_h=3, kernel_w=5, pad_h=1, pad_w=2)), 'nn')
    assert structure(net) == [('c', 'nn.SpatialConvolution(1, 2, 5, 3, 1, 1, 2, 1)')]
    pool = v2_layer('p', 'Pooling', msg(121, v(1, 1), v(2, 3), v(4, 5), v(9, 1), v(6, 2), v(3, 2)))
    assert structure(builder.build(wire_format.parse(pool), 'nn')) == \
        [('p', 'nn.SpatialAveragePooling(3, 3, 2, 2, 0, 1):ceil()')]


def test_defaults_and_printf_rounding():
    """caffe.proto defaults (LRN local_size 5, alpha 1, beta 0.75, k 1; dropout_ratio 0.5; stride 1) and the
    values Lua reads back from loadcaffe.cpp's printf: alpha 1e-7 is "0.000000", beta 0.123456 "0.1235"."""
    data = (v2_layer('n', 'LRN') + v2_layer('m', 'LRN', msg(118, f32(2, 1e-7), f32(3, 0.123456)))
            + v2_layer('d', 'Dropout'))
    net = builder.build(wire_format.parse(data), 'nn')
    assert structure(net) == [('n', 'nn.SpatialCrossMapLRN(5, 1.000000, 0.7500, 1.000000)'),
                              ('m', 'nn.SpatialCrossMapLRN(5, 0.000000, 0.1235, 1.000000)'),
                              ('d', 'nn.Dropout(0.500000)')]
    assert net.modules[1].alpha == 0.0 and net.modules[1].beta == 0.1235


def test_view_follows_the_tracked_output_planes():
    """loadcaffe.cpp's ``num_output``: no torch_view when the InnerProduct's input equals the last
    convolution's output planes (even for a spatial output), nor between two InnerProducts; V2 starts it at
    4 x input_shape_size(), V1 at input_dim_size()."""
    w, b, w2, b2 = rng_weights(6, (3, 2, 1, 1), 3, (5, 3), 5)
    conv = v2_layer('c', 'Convolution', conv_param(106, 3, 1), blobs=(w, b))
    fc = v2_layer('f', 'InnerProduct', msg(117, v(1, 5)), blobs=(w2, b2))
    assert [n for n, _ in structure(builder.build(wire_format.parse(conv + fc), 'nn'))] == ['c', 'f']
    w4, b4 = rng_weights(11, (5, 4), 5)
    fc4 = v2_layer('f', 'InnerProduct', msg(117, v(1, 5)), blobs=(w4, b4))
    shape = msg(8, ld(1, b''.join(varint(d) for d in (1, 4))))   # one input_shape: num_output starts at 4
    assert [n for n, _ in structure(builder.build(wire_format.parse(shape + fc4), 'nn'))] == ['f']
    assert [n for n, _ in structure(builder.build(wire_format.parse(shape + fc), 'nn'))] == ['torch_view', 'f']
    v1fc = v1_layer('f', 'INNER_PRODUCT', msg(17, v(1, 5)), blobs=(w2.reshape(1, 1, 5, 3), b2))
    dims = b''.join(v(4, d) for d in (1, 1, 1))   # three input_dim: num_output starts at 3
    assert [n for n, _ in structure(builder.build(wire_format.parse(dims + v1fc), 'nn'))] == ['f']


def test_prototxt_is_ignored_and_reported(tmp_path, capsys):
    """loadcaffe.cpp loadBinary: the prototxt is parsed into the message ParseFromCodedStream then clears, so
    the net is the .caffemodel's whatever the prototxt says; a broken one is only reported on stderr."""
    data, _ = lenet()
    other = 'layer { name: "x" type: "ReLU" }\n'
    assert structure(loadcaffe.load(*write(tmp_path, data, other))) == LENET_LUA
    assert structure(loadcaffe.load(*write(tmp_path, data, 'layer { name: '))) == LENET_LUA
    assert 'Error parsing text-format caffe.NetParameter' in capsys.readouterr().err


def test_missing_binary_returns_none_and_backends(tmp_path, capsys):
    """loadcaffe.lua: nothing is returned when loadBinary could not read the binary ("Couldn't load"); the
    backend defaults to 'nn'; 'ccn2' is refused (not provided), an unknown name too (Lua's require fails)."""
    proto, binary = write(tmp_path, lenet()[0])
    assert loadcaffe.load(proto, None) is None
    assert loadcaffe.load(proto, str(tmp_path / 'absent.caffemodel')) is None
    assert capsys.readouterr().out.count("Couldn't load") == 2
    assert structure(loadcaffe.load(proto, binary, None)) == LENET_LUA
    with pytest.raises(ValueError, match="'ccn2'.*not provided"):
        loadcaffe.load(proto, binary, 'ccn2')
    with pytest.raises(ValueError, match="backend must be one of"):
        loadcaffe.load(proto, binary, 'clnn')


@pytest.mark.gpu
def test_cudnn_backend_moves_to_the_gpu(tmp_path, capsys):
    """loadcaffe.lua: ``net:cuda()`` after building with 'cudnn'; the GPU forward equals the CPU one."""
    data, _ = alexnet()
    net = loadcaffe.load(*write(tmp_path, data), 'cudnn').evaluate()
    assert lg.typename(net.modules[0]) == 'cudnn.SpatialConvolution' and net.modules[0].weight._cuda
    cpu = builder.build(wire_format.parse(data), 'cudnn').evaluate()
    x = np.random.default_rng(3).standard_normal((2, 3, 13, 13))
    np.testing.assert_allclose(net.forward(lg.Tensor(x).cuda()).cpu().numpy(), cpu.forward(lg.Tensor(x)).numpy(),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(lg.gpu_available(), reason='a GPU is present')
def test_cudnn_backend_without_a_gpu_says_so(tmp_path, capsys):
    """loadcaffe.lua's ``net:cuda()`` for 'cudnn' needs CUDA: without CuPy or a GPU, legonn's clear error."""
    with pytest.raises((ImportError, RuntimeError), match='CuPy'):
        loadcaffe.load(*write(tmp_path, alexnet()[0]), 'cudnn')


def test_declared_sizes_beyond_the_file_are_refused_before_allocating():
    """A crafted blob declaring a 10^5 x 10^5 x 3 x 3 weight (or an InnerProduct of 2^31 outputs) over a few
    bytes of data: ValueError before the module (tens of GB in Lua) is made."""
    huge = msg(6, v(1, 100000), v(2, 100000), v(3, 3), v(4, 3), packed_floats(5, [1.0] * 4))
    data = msg(2, ld(4, 'big'), v(5, 4), msg(10, v(1, 100000), v(4, 3)), huge, msg(6, packed_floats(5, [0.0])))
    with pytest.raises(ValueError, match="layer 'big': a weight of sizes"):
        builder.build(wire_format.parse(data), 'cudnn')
    w, b = rng_weights(10, (1, 1, 2, 3), 2)
    fc = v1_layer('fc', 'INNER_PRODUCT', msg(17, v(1, 2 ** 31 - 1)), blobs=(w, b))
    with pytest.raises(ValueError, match="layer 'fc': a weight of sizes"):
        builder.build(wire_format.parse(fc), 'nn')


def test_blob_problems_raise_value_error():
    """loadModule's memcpy of the declared count (here: a blob that holds fewer values, a missing bias blob,
    a layer without blobs) and weight:copy's size check become ValueErrors naming the layer."""
    w, b = rng_weights(7, (2, 1, 3, 3), 2)
    short = v2_layer('c', 'Convolution', conv_param(106, 2, 3),
                     msg(7, msg(7, ld(1, b''.join(varint(d) for d in (2, 1, 3, 3)))), packed_floats(5, w.ravel()[:5])),
                     msg(7, blob(b)))
    with pytest.raises(ValueError, match="layer 'c'"):
        builder.build(wire_format.parse(short), 'nn')
    with pytest.raises(ValueError, match="layer 'c' has no bias blob"):
        builder.build(wire_format.parse(v2_layer('c', 'Convolution', conv_param(106, 2, 3), blobs=(w,))), 'nn')
    with pytest.raises(ValueError, match="layer 'c' has no blobs"):
        builder.build(wire_format.parse(v2_layer('c', 'Convolution', conv_param(106, 2, 3))), 'nn')
    wrong_kernel = v2_layer('c', 'Convolution', conv_param(106, 2, 2), blobs=(w, b))
    with pytest.raises(ValueError, match="layer 'c'"):
        builder.build(wire_format.parse(wrong_kernel), 'nn')


def test_wire_format_fields():
    """caffe.proto's encodings: non-packed floats, unknown fields skipped (all wire types, a group), negative
    int32 as 10-byte varints, last value wins for a singular field, a known field with another wire type kept
    out (protobuf's unknown field)."""
    data = b''.join([
        ld(1, 'net'), v(7, 1), msg(6, v(1, 1)), varint(11 << 3 | 1) + b'\0' * 8,
        varint(12 << 3 | 3) + v(1, 5) + varint(12 << 3 | 4),
        msg(2, ld(4, 'a'), v(5, 4), v(5, 18), msg(6, v(1, -3), f32(5, 1.5), f32(5, -2.0)), f32(4, 1.0)),
    ])
    net = wire_format.parse(data)
    assert net.get('name') == 'net'
    layer = net.repeated('layers')[0]
    assert layer.get('type') == 18 and layer.get('name') == 'a'
    blob_ = layer.repeated('blobs')[0]
    assert blob_.get('num') == -3
    np.testing.assert_array_equal(blob_.repeated('data'), [1.5, -2.0])


@pytest.mark.parametrize('data, what', [
    (varint(2 << 3 | 2) + varint(100) + b'abc', 'a length of 100 bytes, but 3 are left'),
    (b'\xff' * 11, 'longer than 10 bytes'),
    (varint(1 << 3 | 2), 'runs past the end'),
    (varint(9 << 3 | 7), 'wire type 7'),
    (msg(2, msg(6, ld(5, b'\0' * 6))), 'NetParameter.layers.blobs.data: a packed float run of 6 bytes'),
    (msg(2, msg(6, varint(5 << 3 | 5) + b'\0\0')), 'NetParameter.layers.blobs.data: a float needs 4 bytes'),
    (varint(0) + b'\0', 'field number 0'),
])
def test_wire_format_errors(data, what):
    """Truncated or crafted bytes: lengths checked against the bytes left before reading (protobuf's parser
    fails on each of these), the error naming the file and the field path."""
    with pytest.raises(ValueError, match=f"loadcaffe: x.caffemodel: .*{what}".replace('(', r'\(').replace(')', r'\)')):
        wire_format.parse(data, 'x.caffemodel')


def test_wire_format_nesting_is_bounded():
    """protobuf's recursion limit (100): a deeply nested group or message raises instead of recursing on."""
    group = varint(12 << 3 | 3) * 200 + varint(12 << 3 | 4) * 200
    with pytest.raises(ValueError, match='nested deeper than 100'):
        wire_format.parse(group)


def test_text_format():
    """The prototxt grammar protobuf's TextFormat reads: comments, nested messages with or without ':', '<>'
    blocks, enum names (V1 ``type: CONVOLUTION``, ``pool: MAX``), repeated fields and lists, escaped and
    adjacent strings, ',' / ';' separators, fields loadcaffe does not read dropped."""
    net = text_format.parse('''
        name: "Le" 'Net\\x21'  # a comment
        input: "data" input_dim: [1, 3, 8, 8];
        layers { name: "conv" type: CONVOLUTION blobs_lr: 1
                 convolution_param: { num_output: 4 kernel_size: 3 weight_filler { type: "xavier" } } }
        layer < name: "pool\\n" type: "Pooling" pooling_param { pool: AVE stride: 0x2 } >
        layer { name: 'lrn' type: "LRN" lrn_param { alpha: 1e-4 beta: .75f norm_region: WITHIN_CHANNEL } }
    ''')
    assert net.get('name') == 'LeNet!' and net.repeated('input') == ['data']
    np.testing.assert_array_equal(net.repeated('input_dim'), [1, 3, 8, 8])
    conv = net.repeated('layers')[0]
    assert conv.get('type') == 4 and conv.get('convolution_param').get('kernel_size') == 3
    pool, lrn = net.repeated('layer')
    assert pool.get('name') == 'pool\n' and pool.get('pooling_param').get('pool') == 1
    assert pool.get('pooling_param').get('stride') == 2
    assert lrn.get('lrn_param').get('alpha') == 1e-4 and lrn.get('lrn_param').get('beta') == 0.75
    assert lrn.get('lrn_param').get('norm_region') == 1 and lrn.get('lrn_param').get('k') == 1.0


@pytest.mark.parametrize('text, what', [
    ('layer { name: "a" ', "expected a field name or '}' closing NetParameter.layer, the file ends"),
    ('layers { type: CONV }', r'1:16: NetParameter.layers.type: unknown enum value CONV'),
    ('layer { convolution_param { kernel_size: 2.5 } }', r'convolution_param.kernel_size is an integer'),
    ('layer { name: 3 }', r'NetParameter.layer.name is a string'),
    ('name: "a\n"', r'1:7: unexpected character'),
    ('layer { convolution_param: 3 }', r'is a caffe.ConvolutionParameter message'),
    ('layer { convolution_param { group: -1 } }', r'-1 is out of range for a uint32'),
    ('layer { ' * 150, r'nested deeper than 100'),
])
def test_text_format_errors(text, what):
    """Malformed prototxt: ValueError with the file, line:column and the field."""
    with pytest.raises(ValueError, match=f"loadcaffe: d.prototxt:.*{what}"):
        text_format.parse(text, 'd.prototxt')


def _mutations(data, rng, count):
    for _ in range(count):
        buf = bytearray(data)
        kind = rng.integers(4)
        at = int(rng.integers(len(buf)))
        if kind == 0:
            buf = buf[:at]
        elif kind == 1:
            for _ in range(int(rng.integers(1, 4))):
                buf[int(rng.integers(len(buf)))] = int(rng.integers(256))
        elif kind == 2:
            buf[at:at] = rng.integers(256, size=int(rng.integers(1, 12))).astype(np.uint8).tobytes()
        else:
            buf[at:at] = varint(int(rng.integers(1, 1 << 62)))
        yield bytes(buf)


def test_fuzzed_caffemodels_load_or_raise_value_error(capsys):
    """Random truncations, byte flips, insertions and huge varints of both nets: each parses and builds, or
    raises ValueError (never another exception, a hang or an allocation beyond the file's size)."""
    rng = np.random.default_rng(8)
    outcomes = {'built': 0, 'ValueError': 0}
    for data in (lenet()[0], alexnet()[0]):
        for mutated in _mutations(data, rng, 200):
            try:
                builder.build(wire_format.parse(mutated), 'cudnn')
                outcomes['built'] += 1
            except ValueError:
                outcomes['ValueError'] += 1
    capsys.readouterr()
    assert outcomes['built'] > 20 and outcomes['ValueError'] > 20, outcomes


def test_fuzzed_prototxts_parse_or_raise_value_error():
    """Random mutations of a prototxt: parsed, or ValueError."""
    text = ('name: "n" input_dim: 1 layer { name: "c" type: "Convolution" convolution_param { num_output: 4 '
            'kernel_size: 3 } } layers { type: POOLING pooling_param { pool: MAX } }  # end\n').encode()
    rng = np.random.default_rng(9)
    for mutated in _mutations(text, rng, 300):
        try:
            text_format.parse(mutated.decode('latin-1'))
        except ValueError:
            pass


def test_weights_come_from_the_last_layer_of_that_name(capsys):
    """loadModuleV1 walks every layer and copies each one whose name matches, so the last of a name wins
    (here a later, skipped layer called 'c' supplies the convolution's weights)."""
    w, b, w2, b2 = rng_weights(12, (2, 1, 3, 3), 2, (2, 1, 3, 3), 2)
    data = (v1_layer('c', 'CONVOLUTION', conv_param(10, 2, 3), blobs=(w, b))
            + v1_layer('c', 'ACCURACY', blobs=(w2, b2)))
    conv = builder.build(wire_format.parse(data), 'nn').modules[0]
    np.testing.assert_array_equal(conv.weight.numpy(), w2)
    np.testing.assert_array_equal(conv.bias.numpy(), b2)


def test_neural_style_layer_loop(tmp_path, capsys):
    """jcjohnson/neural-style's neural_style.lua after ``loadcaffe.load(...):type(dtype)``: ``for i = 1, #cnn``,
    ``cnn:get(i)``, ``layer.name``, ``torch.type(layer)``, max pooling swapped for average pooling with the
    layer's kW/kH/dW/dH; the names survive a save and load."""
    cnn = loadcaffe.load(*write(tmp_path, alexnet()[0]), 'nn').type('torch.FloatTensor')
    net, names = nn.Sequential(), []
    for i in range(len(cnn)):
        layer = cnn.get(i)
        if lg.typename(layer) in ('cudnn.SpatialMaxPooling', 'nn.SpatialMaxPooling'):
            assert layer.padW == 0 and layer.padH == 0
            layer = nn.SpatialAveragePooling(layer.kW, layer.kH, layer.dW, layer.dH)
        net.add(layer)
        names.append(cnn.get(i).name)
    assert names == [name for name, _ in ALEXNET_CUDNN_LUA if name != 'conv2']
    assert lg.typename(net.get(3)) == 'nn.SpatialAveragePooling'
    lg.save(str(tmp_path / 'cnn.t7'), cnn)
    assert [m.name for m in lg.load(str(tmp_path / 'cnn.t7')).modules] == names
