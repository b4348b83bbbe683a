"""ramprs/grad-cam run through its port, tests/porting/grad_cam/ (classification.lua, captioning.lua,
visual_question_answering.lua, misc/utils.lua, misc/GuidedBackpropReLU.lua, misc/DeconvReLU.lua and
misc/prepro_ques.py; the package's docstring lists every edit beyond syntax and indices).

Stand-ins: VGG-16/VGG-19's caffemodels are tiny Caffe nets written here with tests/test_loadcaffe.py's protobuf
writer, laid out as VGG's deploy files are (V1 ``layers``; the layer Grad-CAM reads named relu5_3 / relu5_4;
fc8 and a Softmax at the end; for VQA a 4096-wide fc7, the width visual_question_answering.lua hard-codes);
neuraltalk2's checkpoint is a small conv net with the port's neuraltalk2 LanguageModel saved with ``lg.save``;
VQA_LSTM_CNN's lstm.t7 and data_prepro.json are the flat parameters of the VQA port's nets (small sizes, given
through the script's own options) and a 5-word, 4-answer vocabulary numbered from 0; the images are random
24 x 20 PNGs scaled to 16 x 16. Grad-CAM, guided backprop and the heat map are checked against NumPy computations
written from the paper's formulas, not from the port.
"""
import json
import os

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.porting import neuraltalk2 as nt
from tests.porting.grad_cam import captioning, classification, visual_question_answering
from tests.porting.grad_cam.misc import utils
from tests.porting.grad_cam.misc.DeconvReLU import DeconvReLU
from tests.porting.grad_cam.misc.GuidedBackpropReLU import GuidedBackpropReLU
from tests.porting.vqa_lstm_cnn.misc import LSTM, netdef
from tests.test_loadcaffe import conv_param, f32, msg, pool_param, rng_weights, v, v1_layer, write

SZ = 16   # the input_sz the scripts are run with (224 in the Lua)


def vgg_standin(tmp_path, relu_name, fc_width, classes, seed=3):
    """A V1 Caffe net shaped as VGG's deploy file: conv, ReLU, pool, conv, ``relu_name``, pool5, fc, ReLU,
    Dropout, fc8, Softmax, on a 3 x 16 x 16 input (4 planes of 4 x 4 reach the first fc)."""
    w1, b1, w2, b2, w3, b3, w4, b4 = rng_weights(seed, (4, 3, 3, 3), 4, (4, 4, 3, 3), 4, (fc_width, 64), fc_width,
                                                 (classes, fc_width), classes)
    data = b''.join([
        v1_layer('data', 'DATA'),
        v1_layer('conv1_1', 'CONVOLUTION', conv_param(10, 4, 3, pad=1), blobs=(w1 * 0.01, b1)),
        v1_layer('relu1_1', 'RELU'),
        v1_layer('pool1', 'POOLING', pool_param(19, 0, 2, 2)),
        v1_layer('conv5', 'CONVOLUTION', conv_param(10, 4, 3, pad=1), blobs=(w2, b2)),
        v1_layer(relu_name, 'RELU'),
        v1_layer('pool5', 'POOLING', pool_param(19, 0, 2, 2)),
        v1_layer('fc7', 'INNER_PRODUCT', msg(17, v(1, fc_width)), blobs=(w3, b3)),
        v1_layer('relu7', 'RELU'),
        v1_layer('drop7', 'DROPOUT', msg(12, f32(1, 0.5))),
        v1_layer('fc8', 'INNER_PRODUCT', msg(17, v(1, classes)), blobs=(w4, b4)),
        v1_layer('prob', 'SOFTMAX'),
    ])
    return write(tmp_path, data)


def random_png(path, planes=3, seed=0):
    pixels = np.random.RandomState(seed).uniform(0, 1, (planes, 20, 24)).astype(np.float32)
    image.save(str(path), lg.from_numpy(pixels))
    return str(path)


def numpy_grad_cam(activations, gradients):
    """The paper's map as the script computes it: each plane weighted by its summed gradient, summed, rectified."""
    weights = gradients.reshape(gradients.shape[0], -1).sum(1)
    return np.maximum((weights[:, None, None] * activations).sum(0), 0)[None]


def numpy_heatmap(gray):
    """utils.to_heatmap's colour map of a map normalised to [0, 1]: blue -> cyan -> green -> yellow -> red."""
    x = (gray - gray.min()) / (gray.max() - gray.min())
    r = np.where(x <= 0.5, 0, np.where(x <= 0.75, 4 * x - 2, 1))
    g = np.where(x <= 0.25, 4 * x, np.where(x <= 0.75, 1, 4 - 4 * x))
    b = np.where(x <= 0.25, 1, np.where(x <= 0.5, 2 - 4 * x, 0))
    return np.stack([r, g, b])


def split_gradient(cnn, layer, img, doutput):
    """The gradient of ``doutput . cnn(img)`` at module ``layer``'s output, from a full forward and backward of a
    fresh copy of the net (no split into two Sequentials). Its ReLUs are made out-of-place: loadcaffe's are
    ``nn.ReLU(true)``, whose backward zeroes its gradOutput in place (Threshold.c, as legonn), which would
    overwrite the gradient read here at the layer's dead units; grad_cam's split never backpropagates through
    the layer's own ReLU."""
    net = cnn.clone()
    net = net.replace(lambda m: nn.ReLU() if lg.typename(m) == 'nn.ReLU' else m)
    net.forward(img)
    net.backward(img, doutput)
    return net.modules[layer].output.numpy().copy(), net.modules[layer + 1].gradInput.numpy().copy()


# ---- misc/GuidedBackpropReLU.lua, misc/DeconvReLU.lua -------------------------------------------------------

def test_guided_and_deconv_relus_against_hand_values(double_default):
    """Forward is a ReLU for both; guided backprop passes a gradient where the input and the gradient are both
    positive, the deconvnet ReLU where the gradient is, whatever the input."""
    x = lg.Tensor([[-1, 2, 3], [0.5, -2, 0]])
    go = lg.Tensor([[4, -5, 6], [-7, 8, 9]])
    for m in (GuidedBackpropReLU(), DeconvReLU()):
        np.testing.assert_array_equal(m.forward(x).numpy(), [[0, 2, 3], [0.5, 0, 0]])
    np.testing.assert_array_equal(GuidedBackpropReLU().backward(x, go).numpy(), [[0, 0, 6], [0, 0, 0]])
    np.testing.assert_array_equal(DeconvReLU().backward(x, go).numpy(), [[4, 0, 6], [0, 8, 9]])
    assert lg.typename(GuidedBackpropReLU()) == 'nn.GuidedBackpropReLU'


def test_replace_swaps_every_relu_of_a_clone_and_leaves_the_net(double_default):
    """classification.lua's ``cnn_gb = cnn:clone(); cnn_gb:replace(utils.guidedbackprop)``: every nn.ReLU and
    cudnn.ReLU of the clone, nested ones included, becomes a GuidedBackpropReLU (DeconvReLU for utils.deconv);
    the original keeps its ReLUs and other modules are kept."""
    from legonn import cudnn
    net = nn.Sequential().add(nn.Linear(3, 3)).add(nn.ReLU(True)).add(
        nn.Sequential().add(cudnn.ReLU()).add(nn.Tanh()))
    gb = net.clone()
    gb.replace(utils.guidedbackprop)
    assert [lg.typename(m) for m in gb.listModules()] == [
        'nn.Sequential', 'nn.Linear', 'nn.GuidedBackpropReLU', 'nn.Sequential', 'nn.GuidedBackpropReLU', 'nn.Tanh']
    assert lg.typename(net.modules[1]) == 'nn.ReLU'
    dc = net.clone()
    dc.replace(utils.deconv)
    assert lg.typename(dc.modules[2].modules[0]) == 'nn.DeconvReLU'


# ---- misc/utils.lua ---------------------------------------------------------------------------------------

def tiny_net():
    """conv 1 -> 2 planes (2x2 kernels, hand weights) on a 1 x 3 x 3 image, ReLU, View, Linear(8 -> 2)."""
    net = nn.Sequential()
    conv = nn.SpatialConvolution(1, 2, 2, 2)
    conv.weight.copy(lg.Tensor([[[[1, 0], [0, -1]]], [[[0.5, 0.5], [0.5, 0.5]]]]))
    conv.bias.copy(lg.Tensor([0, -1]))
    lin = nn.Linear(8, 2)
    lin.weight.copy(lg.Tensor([[1, -1, 2, 0, -1, 1, 0, 3], [0, 1, 0, 1, 1, 0, -2, 0]]))
    lin.bias.zero()
    net.add(conv).add(nn.ReLU()).add(nn.View(-1).setNumInputDims(3)).add(lin)
    for m, name in zip(net.modules, ('conv', 'relu', 'view', 'fc')):
        m.name = name   # as loadcaffe names them: grad_cam reads each module's name up to the layer's
    return net


def test_grad_cam_and_guided_backprop_on_a_tiny_net_by_hand(double_default):
    """grad_cam at the ReLU (by name, and by number as captioning.lua's -layer) and guided backprop, on a net
    small enough to work out: image [[1,2,0],[0,3,1],[2,1,1]], class 0."""
    net = tiny_net()
    img = lg.Tensor([[[1, 2, 0], [0, 3, 1], [2, 1, 1]]])
    net.forward(img)
    # conv plane 0: x[i,j] - x[i+1,j+1] = [[-2, 1], [-1, 2]] -> ReLU [[0, 1], [0, 2]]
    # conv plane 1: mean-ish 0.5*sum - 1 = [[2, 2], [2, 2]] -> ReLU the same
    np.testing.assert_array_equal(net.modules[1].output.numpy(), [[[0, 1], [0, 2]], [[2, 2], [2, 2]]])
    doutput = utils.create_grad_input(net.modules[3], 0)
    np.testing.assert_array_equal(doutput.numpy(), [1, 0])
    # the gradient at the ReLU's output is class 0's weights as planes: [[1,-1],[2,0]] and [[-1,1],[0,3]],
    # summed per plane 2 and 3: map = relu(2 * [[0,1],[0,2]] + 3 * [[2,2],[2,2]]) = [[6, 8], [6, 10]]
    for layer in ('relu', 1, '1'):
        net.forward(img)
        np.testing.assert_array_equal(utils.grad_cam(net, layer, doutput).numpy(), [[[6, 8], [6, 10]]])
    # guided backprop: the ReLU passes go where conv output > 0 and go > 0 -> plane 0 [[0,0],[0,0]] (the only
    # positive go, 2 at (1,0), has input -1), plane 1 [[0,1],[0,3]]; back through the conv (full correlation)
    gb = net.clone()
    gb.replace(utils.guidedbackprop)
    gb.forward(img)
    g = gb.backward(img, doutput).numpy()
    plane1 = np.array([[0, 1], [0, 3]]) * 0.5
    expected = np.zeros((3, 3))
    for i in range(2):
        for j in range(2):
            expected[i:i + 2, j:j + 2] += plane1[i, j]
    np.testing.assert_array_equal(g, expected[None])
    # a negative evidence map is rectified to zeros (class 1 here)
    net.forward(img)
    m1 = utils.grad_cam(net, 'relu', utils.create_grad_input(net.modules[3], 1)).numpy()
    a = net.modules[1].output.numpy()
    w = np.array([[0, 1], [0, 1]]).sum(), np.array([[1, 0], [-2, 0]]).sum()
    np.testing.assert_array_equal(m1, np.maximum(w[0] * a[0] + w[1] * a[1], 0)[None])


def test_cnn_layer_id_and_table_invert():
    net = nn.Sequential().add(nn.Linear(2, 2)).add(nn.ReLU())
    net.modules[0].name, net.modules[1].name = 'fc', 'relu'
    assert utils.cnn_layer_id(net, 'relu') == 1 and utils.cnn_layer_id(net, 'none') == -1
    assert utils.table_invert({'0': 'a', '1': 'b'}) == {'a': '0', 'b': '1'}


def test_preprocess_is_bgr_times_255_minus_vgg_means(tmp_path, double_default):
    """utils.preprocess: the image scaled, planes reversed to BGR, x255, VGG's BGR means subtracted; a grey
    image's plane replicated, an RGBA image's alpha dropped; the original height and width returned."""
    for planes in (3, 1, 4):
        path = random_png(tmp_path / ('p%d.png' % planes), planes)
        img, h, w = utils.preprocess(path, 12, 10)
        assert (h, w) == (20, 24) and tuple(img.size()) == (3, 10, 12) and img.type() == 'torch.DoubleTensor'
        rgb = image.scale(image.load(path), 12, 10).double().numpy()
        rgb = np.repeat(rgb, 3, 0) if planes == 1 else rgb[:3]
        expected = rgb[::-1] * 255 - np.array([103.939, 116.779, 123.68])[:, None, None]
        np.testing.assert_allclose(img.numpy(), expected, rtol=1e-12, atol=1e-9)


def test_to_heatmap_matches_the_colour_map_by_hand():
    """utils.to_heatmap normalises the map to [0, 1] (image.toDisplayTensor) and colours each pixel."""
    gray = lg.Tensor([[[0, 1, 2, 3, 4], [5, 6, 7, 8, 8]]])   # normalised: 0, 1/8, ..., 1
    hm = utils.to_heatmap(gray).numpy()
    np.testing.assert_allclose(hm, numpy_heatmap(gray.numpy()[0]), atol=1e-6)
    np.testing.assert_allclose(hm[:, 0, 2], [0, 1, 1], atol=1e-6)    # 0.25: green
    np.testing.assert_allclose(hm[:, 1, 0], [0.5, 1, 0], atol=1e-6)  # 0.625: yellow-green
    np.testing.assert_allclose(hm[:, 1, 4], [1, 0, 0], atol=1e-6)    # 1: red


def test_sent_to_label_and_the_language_model_gradient_by_hand():
    """sent_to_label: the caption's words (Lua's %w+), unknown ones as UNK, padded with the port's null token
    -1 (neuraltalk2's 0); create_grad_input_lm puts a 1 at each word's slot one step later (step 0 is the
    image), nothing past the caption."""
    vocab = {'0': 'a', '1': 'dog', '2': 'UNK'}
    labels = utils.sent_to_label(vocab, 'a dog, a zebra!', 6)
    np.testing.assert_array_equal(labels.numpy()[:, 0], [0, 1, 0, 2, -1, -1])
    d = utils.create_grad_input_lm(lg.zeros(8, 1, 4), labels).numpy()
    expected = np.zeros((8, 1, 4))
    for t, word in enumerate([0, 1, 0, 2]):
        expected[t + 1, 0, word] = 1
    np.testing.assert_array_equal(d, expected)


def test_a_numeric_string_is_no_tensor_value_or_index():
    """docs/porting.md's numeric-string row: Torch7's Tensor __newindex (generic/Tensor.c:694, 844) reads a
    numeric string key or value as its number (lua_isnumber), so sent_to_label's ``labels[{{i},{1}}] = ix_word``
    and create_grad_input's ``doutput[label] = 1`` with the json's key '2' work there; legonn refuses both."""
    labels = lg.zeros(3, 1)
    with pytest.raises(TypeError, match='expected a tensor, an array or a number, got str'):
        labels[1:2, 0:1] = '2'
    doutput = lg.zeros(3)
    with pytest.raises(TypeError, match="expected an integer index, got the string '2'"):
        doutput['2'] = 1
    labels[1:2, 0:1] = int('2')
    doutput[int('2')] = 1
    np.testing.assert_array_equal(labels.numpy()[:, 0], [0, 2, 0])
    np.testing.assert_array_equal(doutput.numpy(), [0, 0, 1])


# ---- classification.lua -------------------------------------------------------------------------------------

def run_classification(tmp_path, *extra):
    tmp_path.mkdir(exist_ok=True)
    proto, model = vgg_standin(tmp_path, 'relu5_3', 8, 5)
    path = random_png(tmp_path / 'cat_dog.png')
    return classification.main(['-proto_file', proto, '-model_file', model, '-input_sz', str(SZ),
                                '-input_image_path', path, '-out_path', str(tmp_path / 'output') + '/', *extra])


def check_maps(r, grad_at_layer, activations, tmp_path, prefix, name):
    """The Grad-CAM map against the paper's formula on a full backward's gradient, the heat map against the
    colour map, and the PNGs the script wrote."""
    raw = numpy_grad_cam(activations, grad_at_layer)
    gcam = image.scale(lg.from_numpy(raw.astype(np.float32)), SZ, SZ).numpy()
    np.testing.assert_allclose(r['gcam'].numpy(), gcam, rtol=1e-4, atol=1e-4 * np.abs(gcam).max())
    assert r['gcam'].numpy().max() > 0
    np.testing.assert_allclose(r['hm'].numpy(), numpy_heatmap(r['gcam'].numpy()[0]), atol=1e-5)
    out = str(tmp_path / 'output') + '/'
    for kind in ('gcam_hm', 'gb', 'gb_gcam'):
        saved = image.load(out + '%s_%s_%s.png' % (prefix, kind, name)).numpy()
        assert saved.shape[1:] == (SZ, SZ)
    hm = image.load(out + '%s_gcam_hm_%s.png' % (prefix, name)).numpy()
    np.testing.assert_allclose(hm, r['hm'].numpy(), atol=1 / 255 + 1e-6)


def test_classification_end_to_end(tmp_path):
    """classification.lua with the predicted label: loadcaffe's net without its Softmax, the argmax label,
    Grad-CAM at relu5_3 (module 4) from the split Sequentials equal to a full backward's, guided backprop through
    the clone's GuidedBackpropReLUs equal to NumPy's, and the three PNGs named after the label."""
    r = run_classification(tmp_path)
    cnn, img = r['cnn'], r['img']
    assert lg.typename(cnn.modules[-1]) == 'nn.Linear' and cnn.modules[4].name == 'relu5_3'
    label = int(np.argmax(r['output'].numpy()))
    assert r['opt']['label'] == label
    np.testing.assert_array_equal(r['doutput'].numpy(), np.eye(5)[label])
    activations, grads = split_gradient(cnn, 4, img, r['doutput'])
    check_maps(r, grads, activations, tmp_path, 'classify', str(label))
    # guided backprop by hand: the clone's relus pass only positive gradients at positive inputs
    gb = r['cnn_gb']
    assert sum(lg.typename(m) == 'nn.GuidedBackpropReLU' for m in gb.modules) == 3
    assert not any(lg.typename(m) == 'nn.ReLU' for m in gb.modules)
    check_guided(r, guided_backprop(gb, img, r['doutput']), tmp_path, 'classify', str(label))
    # ``gb_viz:float()`` of a FloatTensor is the tensor itself (Tensor.lua's type), so the guided Grad-CAM
    # product is taken in place: gb_viz holds it afterwards, in Torch7 as here
    assert r['gb_viz'] is r['gb_gcam']


def guided_backprop(gb, img, doutput):
    """The clone's gradient computed module by module, each GuidedBackpropReLU as NumPy (positive gradient at
    a positive input), the rest through their own updateGradInput; the planes reversed to RGB."""
    g = doutput.numpy().astype(np.float64)
    for i in range(len(gb.modules) - 1, -1, -1):
        m = gb.modules[i]
        x = gb.modules[i - 1].output if i > 0 else img
        if lg.typename(m) == 'nn.GuidedBackpropReLU':
            g = g * (x.numpy() > 0) * (g > 0)
        else:
            g = m.updateGradInput(x, lg.from_numpy(g.astype(x.numpy().dtype))).numpy().astype(np.float64)
    return g[::-1]


def check_guided(r, gb_rgb, tmp_path, prefix, name):
    """guided Grad-CAM = guided backprop (RGB) times the map; the guided backprop PNG is its normalised image."""
    np.testing.assert_allclose(r['gb_gcam'].numpy(), gb_rgb * r['gcam'].numpy(), rtol=1e-4,
                               atol=1e-6 * np.abs(gb_rgb).max() * r['gcam'].numpy().max())
    saved = image.load(str(tmp_path / 'output' / ('%s_gb_%s.png' % (prefix, name)))).numpy()
    np.testing.assert_allclose(saved, (gb_rgb - gb_rgb.min()) / (gb_rgb.max() - gb_rgb.min()), atol=1 / 255 + 1e-5)
    assert np.abs(gb_rgb).max() > 0


def test_classification_given_label_and_raw_map(tmp_path):
    """``-label 2 -save_as_heatmap 0 -output_image_name x``: the map of class 2, saved raw (normalised)."""
    r = run_classification(tmp_path, '-label', '2', '-save_as_heatmap', '0', '-output_image_name', 'x')
    np.testing.assert_array_equal(r['doutput'].numpy(), np.eye(5)[2])
    raw = image.load(str(tmp_path / 'output' / 'classify_gcam_x.png')).numpy()[0]
    g = r['gcam'].numpy()[0]
    np.testing.assert_allclose(raw, (g - g.min()) / (g.max() - g.min()), atol=1 / 255 + 1e-6)
    assert not os.path.exists(str(tmp_path / 'output' / 'classify_gcam_hm_x.png'))


# ---- captioning.lua ---------------------------------------------------------------------------------------------

WORDS = ['a', 'dog', 'and', 'cat', 'UNK']


def captioning_checkpoint(tmp_path):
    """neuraltalk2's checkpoint layout ({protos = {cnn, lm}, vocab}): build_cnn's tail (Linear, ReLU) on a conv
    stand-in for VGG, the port's LanguageModel with seq_length 16 (captioning.lua's default)."""
    lg.manualSeed(0)
    cnn = nn.Sequential()
    cnn.add(nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1)).add(nn.ReLU(True)).add(nn.SpatialMaxPooling(2, 2, 2, 2))
    cnn.add(nn.View(-1).setNumInputDims(3)).add(nn.Linear(4 * 8 * 8, 6)).add(nn.ReLU(True))
    cnn.modules[0].weight.mul(0.01)
    lm = nt.LanguageModel({'vocab_size': len(WORDS), 'input_encoding_size': 6, 'rnn_size': 7, 'num_layers': 1,
                           'dropout': 0, 'seq_length': 16})
    nt.net_utils.sanitize_gradients(cnn)
    for m in lm.getModulesList():
        nt.net_utils.sanitize_gradients(m)
    path = str(tmp_path / 'model_id1.t7')
    lg.save(path, {'protos': {'cnn': cnn, 'lm': lm}, 'vocab': {str(i): w for i, w in enumerate(WORDS)}})
    return path


def test_captioning_end_to_end(tmp_path):
    """captioning.lua with a given caption (a word out of the vocabulary): the gradients unsanitized, the
    sampled caption decoded, the caption's labels, the LM's gradient into the image feature, Grad-CAM at the
    conv ReLU (``-layer 1``) equal to a full backward's, the PNGs named after the caption."""
    model = captioning_checkpoint(tmp_path)
    path = random_png(tmp_path / 'cat_dog.png', seed=1)
    r = captioning.main(['-input_sz', str(SZ), '-layer', '1', '-model_path', model, '-input_image_path', path,
                         '-caption', 'a dog and a zebra', '-out_path', str(tmp_path / 'output') + '/'])
    assert r['cnn'].modules[4].gradWeight is not None
    assert r['caption'] == nt.net_utils.decode_sequence({str(i): w for i, w in enumerate(WORDS)}, r['seq'])
    np.testing.assert_array_equal(r['labels'].numpy()[:, 0], [0, 1, 2, 0, 4] + [-1] * 11)
    assert tuple(r['logprobs'].size()) == (18, 1, len(WORDS) + 1)
    # the LM's gradient of the caption's summed log probabilities, by central differences on one feature
    lm, feat = r['lm'], r['im_feat']

    def score(f):
        return float((lm.forward([f, r['labels']]).double() * r['doutput'].double()).sum())
    eps = 1e-2
    alive = 0
    for k in range(feat.size(1)):
        up, down = feat.clone(), feat.clone()
        up[0][k] += eps
        down[0][k] -= eps
        # grad_cam backpropagates dcnn through the CNN's last ReLU(true), whose backward zeroes its gradOutput in
        # place where the feature is 0 (Threshold.c, as legonn): dcnn holds the LM's gradient at live features
        expected = (score(up) - score(down)) / (2 * eps) if float(feat[0][k]) > 0 else 0
        assert abs(expected - float(r['dcnn'][k])) < 2e-3
        alive += expected != 0
    assert alive >= 2
    activations, grads = split_gradient(r['cnn'], 1, r['img'], r['dcnn'])
    check_maps(r, grads, activations, tmp_path, 'caption', 'a dog and a zebra')


# ---- visual_question_answering.lua ----------------------------------------------------------------------------

ANSWERS = ['cat', 'dog', 'yes', 'no']
E, R, L, C = 5, 4, 2, 6   # input_encoding_size, rnn_size, rnn_layers, common_embedding_size


def vqa_files(tmp_path):
    """VQA_LSTM_CNN/data_prepro.json (vocabularies numbered from 0) and lstm.t7 (the flat parameters of the
    VQA port's three nets at the sizes the script is given)."""
    os.makedirs(tmp_path / 'VQA_LSTM_CNN')
    words = ['what', 'animal', 'is', 'this', 'UNK']
    with open(tmp_path / 'VQA_LSTM_CNN' / 'data_prepro.json', 'w') as f:
        json.dump({'ix_to_word': {str(i): w for i, w in enumerate(words)},
                   'ix_to_ans': {str(i): a for i, a in enumerate(ANSWERS)}}, f)
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(1)
    emb = nn.Sequential().add(nn.Linear(len(words), E)).add(nn.Dropout(0.5)).add(nn.Tanh())
    enc = LSTM.lstm_conventional(E, R, 1, L, 0.5)
    mm = nn.Sequential().add(netdef.AxB(2 * R * L, 4096, C, 0.5)).add(nn.Dropout(0.5)).add(nn.Linear(C, len(ANSWERS)))
    lg.save(str(tmp_path / 'lstm.t7'), {'embedding_w_q': emb.getParameters()[0],
                                        'encoder_w_q': enc.getParameters()[0], 'multimodal_w': mm.getParameters()[0]})
    lg.setdefaulttensortype('torch.FloatTensor')
    return str(tmp_path / 'lstm.t7')


def run_vqa(tmp_path, monkeypatch, *extra):
    tmp_path.mkdir(exist_ok=True)
    proto, model = vgg_standin(tmp_path, 'relu5_4', 4096, 5)
    path = random_png(tmp_path / 'cat_dog.png', seed=2)
    weights = vqa_files(tmp_path)
    monkeypatch.chdir(tmp_path)   # the script reads VQA_LSTM_CNN/ and writes ques_feat.json where it runs
    return visual_question_answering.main([
        '-proto_file', proto, '-model_file', model, '-input_sz', str(SZ), '-input_image_path', path,
        '-model_path', weights, '-input_encoding_size', str(E), '-rnn_size', str(R), '-rnn_layers', str(L),
        '-common_embedding_size', str(C), '-num_output', str(len(ANSWERS)), '-out_path', str(tmp_path / 'output') + '/',
        *extra])


def test_visual_question_answering_end_to_end(tmp_path, monkeypatch):
    """visual_question_answering.lua: VGG without fc8 and Softmax plus Normalize(2) (a unit 4096-vector), the
    question tokenized by prepro_ques.py (its unknown word as UNK), the predicted answer the argmax, the
    multimodal net's gradient into the image feature, Grad-CAM at relu5_4 equal to a full backward's."""
    r = run_vqa(tmp_path, monkeypatch, '-question', 'What animal is this zebra?')
    assert r['cnn'].type() == 'torch.DoubleTensor' and lg.typename(r['cnn'].modules[-1]) == 'nn.Normalize'
    assert tuple(r['fv_im'].size()) == (4096,) and abs(float(r['fv_im'].norm()) - 1) < 1e-12
    assert r['q_feats']['ques'][:6] == [0, 1, 2, 3, 4, 4] and r['q_feats']['ques_length'] == 6
    k = int(np.argmax(r['scores'].numpy()))
    assert r['answer'] == ANSWERS[k] and r['opt']['answer'] == ANSWERS[k] and r['answer_idx'] == str(k)
    assert tuple(r['dcnn'].size()) == (4096,)
    # dcnn is the chosen answer's score's gradient with respect to the image feature (central differences)
    mm, eps = r['multimodal_net'], 1e-6
    for j in (0, 17, 4095):
        up, down = r['fv_im'].clone(), r['fv_im'].clone()
        up[j] += eps
        down[j] -= eps
        fd = (float(mm.forward([r['tv_q'], up])[0][k]) - float(mm.forward([r['tv_q'], down])[0][k])) / (2 * eps)
        assert abs(fd - float(r['dcnn'][j])) < 1e-7 + 1e-5 * abs(fd)
    assert np.abs(r['dcnn'].numpy()).sum() > 0   # (x:abs() works in place, as in Torch7)
    activations, grads = split_gradient(r['cnn'], 4, r['img'], r['dcnn'])
    check_maps(r, grads, activations, tmp_path, 'vqa', ANSWERS[k])
    check_guided(r, guided_backprop(r['cnn_gb'], r['img'], r['dcnn']), tmp_path, 'vqa', ANSWERS[k])
    assert r['gb_gcam'].type() == 'torch.FloatTensor' and r['gb_viz'].type() == 'torch.DoubleTensor'


def test_visual_question_answering_given_answer(tmp_path, monkeypatch):
    """``-answer dog`` (in the answer vocabulary) sets the map's answer whatever the prediction; an answer out of
    the vocabulary falls back to the predicted one."""
    r = run_vqa(tmp_path, monkeypatch, '-answer', 'dog')
    assert r['answer_idx'] == '1' and r['opt']['answer'] == 'dog'
    np.testing.assert_array_equal(r['doutput'].numpy(), np.eye(len(ANSWERS))[1])
    assert os.path.exists(str(tmp_path / 'output' / 'vqa_gcam_hm_dog.png'))


# ---- the scripts with -gpuid 0 ------------------------------------------------------------------------------

@pytest.mark.gpu
def test_classification_on_the_gpu_matches_the_cpu(tmp_path):
    """classification.lua with ``-gpuid 0``, with loadcaffe's nn and cudnn backends: the nets and the image on the
    GPU, the same label and maps."""
    cpu = run_classification(tmp_path / 'cpu')
    gpu = run_classification(tmp_path / 'gpu', '-gpuid', '0')
    assert gpu['output'].type() == 'torch.CudaTensor' and gpu['opt']['label'] == cpu['opt']['label']
    np.testing.assert_allclose(gpu['gcam'].numpy(), cpu['gcam'].numpy(), rtol=1e-4, atol=1e-5 * cpu['gcam'].numpy().max())
    np.testing.assert_allclose(gpu['gb_gcam'].float().numpy(), cpu['gb_gcam'].numpy(), rtol=1e-3,
                               atol=1e-5 * np.abs(cpu['gb_gcam'].numpy()).max())
    # -backend cudnn: loadcaffe's cudnn.ReLU(true) modules, which utils.guidedbackprop replaces as well
    cudnn = run_classification(tmp_path / 'cudnn', '-gpuid', '0', '-backend', 'cudnn')
    assert lg.typename(cudnn['cnn'].modules[4]) == 'cudnn.ReLU'
    assert [lg.typename(m) for m in cudnn['cnn_gb'].modules].count('nn.GuidedBackpropReLU') == 3
    np.testing.assert_allclose(cudnn['gcam'].numpy(), cpu['gcam'].numpy(), rtol=1e-4, atol=1e-5 * cpu['gcam'].numpy().max())


@pytest.mark.gpu
def test_captioning_and_vqa_on_the_gpu(tmp_path, monkeypatch):
    """captioning.lua and visual_question_answering.lua with ``-gpuid 0`` (the LM, the VQA nets and the
    question's one-hot words on the GPU): the same caption gradient and answer as on the CPU."""
    model = captioning_checkpoint(tmp_path)
    path = random_png(tmp_path / 'cat_dog.png', seed=1)
    args = ['-input_sz', str(SZ), '-layer', '1', '-model_path', model, '-input_image_path', path,
            '-caption', 'a cat', '-out_path', str(tmp_path / 'output') + '/']
    cpu = captioning.main(args)
    gpu = captioning.main(args + ['-gpuid', '0'])
    assert gpu['dcnn'].type() == 'torch.CudaTensor'
    np.testing.assert_allclose(gpu['gcam'].numpy(), cpu['gcam'].numpy(), rtol=1e-3, atol=1e-5 * cpu['gcam'].numpy().max())
    vqa_cpu = run_vqa(tmp_path / 'vc', monkeypatch)
    vqa_gpu = run_vqa(tmp_path / 'vg', monkeypatch, '-gpuid', '0')
    assert vqa_gpu['scores'].type() == 'torch.CudaTensor' and vqa_gpu['answer'] == vqa_cpu['answer']
    np.testing.assert_allclose(vqa_gpu['gcam'].numpy(), vqa_cpu['gcam'].numpy(), rtol=1e-3,
                               atol=1e-5 * vqa_cpu['gcam'].numpy().max())
