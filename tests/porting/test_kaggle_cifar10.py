"""nagadomi/kaggle-cifar10-torch7 run through its port, tests/porting/kaggle_cifar10/ (one file per Lua file; the
package's docstring and each file's say what is edited beyond syntax and indices; ccn2.py stands in for
cuda-convnet2.torch).

Data: a tiny synthetic CIFAR-10 in Kaggle's format (32 x 32 PNGs named by id, trainLabels.csv), three classes
told apart by their colour, converted by convert_data.py with its sizes shrunk. train.lua, validate.lua,
predict.lua and predict_averaging.lua are CUDA programs (minibatch_sgd.lua copies batches into
CudaTensors): their tests are GPU tests, run on CuPy's host simulator (``LEGONN_GPU_SIM=1``) and skipped without
CuPy. Training replaces very_deep_model (VGG widths, 2.4M weights in its first fully connected layer) by a
narrow model of the same layer kinds; the four models of the repository are built and run as they are."""
import csv
import os

import numpy as np
import pytest

import legonn as lg
from legonn import image, nn
from tests.checks import assert_jacobian

_THREADS = lg.getnumthreads()
from .kaggle_cifar10 import ccn2, SETTINGS  # noqa: E402
from .kaggle_cifar10.cnn_model import cnn_model  # noqa: E402
from .kaggle_cifar10.inception_model import inception_model  # noqa: E402
from .kaggle_cifar10.lib.SpatialAveragePooling import MySpatialAveragePooling  # noqa: E402
from .kaggle_cifar10.lib.data_augmentation import data_augmentation  # noqa: E402
from .kaggle_cifar10.lib.preprocessing import preprocessing  # noqa: E402
from .kaggle_cifar10.lib.save_images import save_images  # noqa: E402
from .kaggle_cifar10.nin_model import nin_model  # noqa: E402
from .kaggle_cifar10.very_deep_model import very_deep_model  # noqa: E402

# SETTINGS.lua's torch.setnumthreads(4) runs as the package loads: the process-wide count is put back for the
# other tests of the session
SETTINGS_THREADS = lg.getnumthreads()
lg.setnumthreads(_THREADS)

PALETTE = {'frog': (0.2, 0.7, 0.2), 'truck': (0.8, 0.1, 0.1), 'deer': (0.6, 0.5, 0.2)}


def synthetic_image(rng, label):
    """A 3 x 32 x 32 image of the label's colour with a brighter square and noise, values in [0, 1]."""
    img = np.ones((3, 32, 32)) * np.array(PALETTE[label])[:, None, None]
    r, c = rng.integers(0, 20, size=2)
    img[:, r:r + 12, c:c + 12] += 0.2
    return np.clip(img + rng.normal(0, 0.05, img.shape), 0, 1)


def write_kaggle_folder(root, n_train, n_test, seed=0):
    """data/train/<id>.png with data/trainLabels.csv and data/test/<id>.png, ids from 1 as Kaggle's; returns the
    training labels in id order and the test labels (which Kaggle keeps)."""
    rng = np.random.default_rng(seed)
    labels = list(PALETTE)
    os.makedirs(os.path.join(root, 'data', 'train'))
    os.makedirs(os.path.join(root, 'data', 'test'))
    os.makedirs(os.path.join(root, 'models'))
    train_labels = [labels[i % 3] for i in range(n_train)]
    with open(os.path.join(root, 'data', 'trainLabels.csv'), 'w') as f:
        f.write('id,label\n')
        for i, label in enumerate(train_labels):
            image.save(os.path.join(root, 'data', 'train', '%d.png' % (i + 1)),
                       lg.from_numpy(synthetic_image(rng, label)))
            f.write('%d,%s\n' % (i + 1, label))
    test_labels = [labels[(i + 1) % 3] for i in range(n_test)]
    for i, label in enumerate(test_labels):
        image.save(os.path.join(root, 'data', 'test', '%d.png' % (i + 1)), lg.from_numpy(synthetic_image(rng, label)))
    return train_labels, test_labels


@pytest.fixture
def kaggle(tmp_path, monkeypatch):
    """The repository's folder with the synthetic data converted by convert_data.lua (6 training and 4 test
    images), run from there as the scripts are."""
    from .kaggle_cifar10 import convert_data
    train_labels, test_labels = write_kaggle_folder(str(tmp_path), 6, 4)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(convert_data, 'TRAIN_N', 6)
    monkeypatch.setattr(convert_data, 'TEST_N', 4)
    convert_data.main()
    return tmp_path, train_labels, test_labels


# --- SETTINGS.lua, convert_data.lua ------------------------------------------------------------------------

def test_settings_ids_are_zero_based_and_invert():
    assert sorted(SETTINGS.LABEL2ID.values()) == list(range(10))
    assert all(SETTINGS.ID2LABEL[i] == SETTINGS.CLASSES[i] and SETTINGS.LABEL2ID[SETTINGS.CLASSES[i]] == i
               for i in range(10))
    assert lg.getdefaulttensortype() == 'torch.FloatTensor' and SETTINGS_THREADS == 4


def test_convert_data_writes_the_tensors(kaggle):
    root, train_labels, _ = kaggle
    x, y = lg.load('data/train_x.bin'), lg.load('data/train_y.bin')
    assert x.size() == (6, 3, 32, 32) and y.size() == (6, 10)
    assert [SETTINGS.ID2LABEL[int(np.argmax(row))] for row in y.numpy()] == train_labels
    assert np.array_equal(y.numpy().sum(1), np.ones(6))
    np.testing.assert_array_equal(x[4].numpy(), image.load(str(root / 'data' / 'train' / '5.png')).numpy())
    test_x = lg.load('data/test_x.bin')
    np.testing.assert_array_equal(test_x[3].numpy(), image.load(str(root / 'data' / 'test' / '4.png')).numpy())


def test_convert_data_split_is_the_lua_pattern():
    from .kaggle_cifar10.convert_data import split
    assert split('12,frog', ',') == ['12', 'frog']
    assert split(',a,,b\\c,', ',') == ['a', 'b', 'c']   # empty fields dropped, a backslash splits too


# --- lib/SpatialAveragePooling.lua and the ccn2 stand-in ----------------------------------------------------

def test_my_spatial_average_pooling_sums_windows_and_never_learns():
    m = MySpatialAveragePooling(2, 2, 2, 2, 2)
    assert np.array_equal(m.weight.numpy(), np.ones(2)) and np.array_equal(m.bias.numpy(), np.zeros(2))
    x = lg.randn(3, 2, 4, 6)
    expected = x.numpy().reshape(3, 2, 2, 2, 3, 2).sum((3, 5))
    np.testing.assert_allclose(m.forward(x).numpy(), expected, rtol=1e-5, atol=1e-5)
    m.zeroGradParameters()
    m.backward(x, lg.randn(3, 2, 2, 3))
    assert not m.gradWeight.numpy().any() and not m.gradBias.numpy().any()
    m.gradWeight.fill(1)
    m.updateParameters(0.5)
    assert np.array_equal(m.weight.numpy(), np.ones(2))
    assert_jacobian(MySpatialAveragePooling(2, 3, 3, 2, 2), lg.randn(2, 2, 7, 7), params=False)


def test_ccn2_standin_sizes_and_checks():
    conv = ccn2.SpatialConvolution(3, 16, 5, 1, 2)
    pool = ccn2.SpatialMaxPooling(3, 2)
    x = lg.randn(3, 24, 24, 32)
    y = conv.forward(x)
    assert y.size() == (16, 24, 24, 32)
    assert pool.forward(y).size() == (16, 12, 12, 32)      # ceil((24 - 3) / 2 + 1)
    direct = nn.SpatialConvolution(3, 16, 5, 5, 1, 1, 2, 2)
    direct.weight.copy(conv.get(1).weight)
    direct.bias.copy(conv.get(1).bias)
    np.testing.assert_allclose(y.numpy(), direct.forward(x.permute(3, 0, 1, 2).contiguous()).permute(1, 2, 3, 0)
                               .numpy(), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match='multiple of 16'):
        ccn2.SpatialConvolution(3, 10, 3)
    with pytest.raises(ValueError, match='input channels'):
        ccn2.SpatialConvolution(6, 16, 3)
    with pytest.raises(ValueError, match='multiple of 32'):
        conv.forward(lg.randn(3, 24, 24, 8))


# --- the models -------------------------------------------------------------------------------------------

@pytest.mark.parametrize('build', [cnn_model, inception_model, nin_model, very_deep_model])
def test_models_give_class_probabilities(build):
    lg.manualSeed(1)
    model = build()
    model.evaluate()
    y = model.forward(lg.rand(32, 3, 24, 24))
    assert y.size() == (32, 10)
    np.testing.assert_allclose(y.numpy().sum(1), np.ones(32), rtol=1e-5)
    if build is nin_model:
        final = model.findModules('nn.SpatialConvolutionMM')[0][0]
        assert (final.weight.numpy() >= 0).all() and (final.bias.numpy() >= 0).all()


# --- lib/data_augmentation.lua, preprocessing.lua, save_images.lua -------------------------------------------

def test_data_augmentation_crops_scales_and_flips():
    x = lg.rand(2, 3, 32, 32)
    y = lg.zeros(2, 10)
    y[0][3] = 1
    y[1][7] = 1
    new_x, new_y = data_augmentation(x, y)
    assert new_x.size() == (72, 3, 24, 24) and new_y.size() == (72, 10)
    np.testing.assert_array_equal(new_x[0].numpy(), x[0].numpy()[:, 0:24, 0:24])
    np.testing.assert_array_equal(new_x[36 + 5].numpy(), x[1].numpy()[:, 8:32, 4:28])  # {4, 8}: x 4, y 8
    np.testing.assert_array_equal(new_x[18].numpy(), new_x[0].numpy()[:, :, ::-1])
    np.testing.assert_allclose(new_x[9].numpy(), image.scale(x[0][:, 0:28, 0:28], 24, 24, 'bilinear').numpy())
    assert (new_y.numpy()[:36].argmax(1) == 3).all() and (new_y.numpy()[36:].argmax(1) == 7).all()
    single = data_augmentation(x[1])
    np.testing.assert_array_equal(single.numpy(), new_x.numpy()[36:])


def test_preprocessing_is_gcn_then_zca():
    rng = np.random.default_rng(0)
    data = rng.uniform(0, 1, size=(40, 3, 4, 4)).astype(np.float32)
    x = lg.from_numpy(data.copy())
    params = preprocessing(x)
    flat = data.reshape(40, 48).astype(np.float64)
    gcn = (flat - flat.mean(0)) / flat.std(0, ddof=1)
    e, v = np.linalg.eigh(np.cov(gcn, rowvar=False))
    P = v @ np.diag(1 / np.sqrt(e + 0.01)) @ v.T
    np.testing.assert_allclose(x.numpy().reshape(40, 48), (gcn - gcn.mean(0)) @ P, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(params['zca_p'].numpy() @ params['zca_invp'].numpy(), np.eye(48), atol=1e-3)
    fresh = lg.from_numpy(data[:5].copy())
    assert preprocessing(fresh, params) is params                  # the test set reuses the parameters
    np.testing.assert_allclose(fresh.numpy(), x.numpy()[:5], rtol=1e-4, atol=1e-4)


def test_save_images_tiles_nine_to_a_row(tmp_path):
    x = lg.rand(20, 3, 8, 8)
    save_images(x, 11, str(tmp_path / 'jitter.png'))
    grid = image.load(str(tmp_path / 'jitter.png'))
    assert grid.size() == (3, 2 * (8 + 2), 9 * (8 + 2))
    # symmetric: the grid (its background filled with the maximum) is mapped from [-M, M] to [0, 1], M its
    # largest magnitude (image.lua's minmax with symm)
    M = float(np.abs(x.narrow(0, 0, 11).numpy()).max())
    np.testing.assert_allclose(grid.numpy()[:, 11:19, 11:19], (x[10].numpy() + M) / (2 * M), atol=1 / 255 + 1e-6)
    np.testing.assert_allclose(grid.numpy()[:, 0, 0], 1.0)


# --- train.lua, validate.lua, predict.lua, predict_averaging.lua (CUDA programs) --------------------------

def narrow_model():
    """very_deep_model's layer kinds, narrow: ccn2 convolutions and poolings on C x H x W x N, dropout, a
    1 x 1 SpatialConvolutionMM classifier, Reshape and SoftMax."""
    model = nn.Sequential()
    model.add(nn.Transpose([0, 3], [0, 2], [0, 1]))
    model.add(ccn2.SpatialConvolution(3, 16, 3, 1, 1)).add(nn.ReLU()).add(ccn2.SpatialMaxPooling(2, 2))
    model.add(nn.Dropout(0.25))
    model.add(ccn2.SpatialConvolution(16, 16, 3, 1, 1)).add(nn.ReLU()).add(ccn2.SpatialMaxPooling(2, 2))
    model.add(ccn2.SpatialMaxPooling(2, 2))
    model.add(ccn2.SpatialConvolution(16, 32, 3, 1, 0)).add(nn.ReLU())
    model.add(nn.Transpose([3, 0], [3, 1], [3, 2]))
    model.add(nn.SpatialConvolutionMM(32, 10, 1, 1)).add(nn.Reshape(10)).add(nn.SoftMax())
    return model


@pytest.fixture
def gpu():
    if not lg.gpu_available():
        pytest.skip('needs CuPy and a CUDA GPU')


def mse_on(model, x, y):
    """The MSE of ``model``'s outputs on the first 192 images (ccn2 takes batches of a multiple of 32)."""
    crit = nn.MSECriterion()
    return crit.forward(model.float().forward(x.narrow(0, 0, 192)), y.narrow(0, 0, 192))


@pytest.mark.gpu
def test_train_predict_and_average(gpu, kaggle, monkeypatch):
    """train.lua for 4 epochs (models saved each epoch, the preprocessing parameters once): the MSE of the
    saved models on the preprocessed augmented training set falls epoch after epoch; predict.lua writes the
    submission from the last model (renamed very_deep_20.model, as predict.lua loads it), whose labels are the
    argmax of the outputs summed over each image's 36 views; predict_averaging.lua over six copies of it writes
    the same labels."""
    from .kaggle_cifar10 import predict, predict_averaging, train
    root, train_labels, _ = kaggle
    monkeypatch.setattr(train, 'very_deep_model', narrow_model)
    monkeypatch.setattr(train, 'MAX_EPOCH', 4)
    train.main(['-seed', '11'])
    assert sorted(os.listdir('models')) == ['preprocessing_params.bin'] + ['very_deep_%d.model' % e
                                                                           for e in (1, 2, 3, 4)]
    params = lg.load('models/preprocessing_params.bin')
    x, y = data_augmentation(lg.load('data/train_x.bin'), lg.load('data/train_y.bin'))
    preprocessing(x, params)
    losses = [mse_on(lg.load('models/very_deep_%d.model' % e), x, y) for e in (1, 2, 3, 4)]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:])), losses

    os.rename('models/very_deep_4.model', 'models/very_deep_20.model')
    monkeypatch.setattr(predict, 'BATCH_SIZE', 2)
    predict.main()
    rows = list(csv.reader(open('submission.txt')))
    assert rows[0] == ['id', 'label'] and [r[0] for r in rows[1:]] == ['1', '2', '3', '4']
    model = lg.load('models/very_deep_20.model', device='cpu')   # the labels recomputed on the CPU
    model.evaluate()
    test_x = lg.load('data/test_x.bin')
    expected = []
    for i in range(4):
        views = data_augmentation(test_x[i])
        preprocessing(views, params)
        pad = lg.zeros(64, 3, 24, 24)
        pad.narrow(0, 0, 36).copy(views)
        expected.append(SETTINGS.ID2LABEL[int(model.forward(pad).numpy()[:36].sum(0).argmax())])
    assert [r[1] for r in rows[1:]] == expected

    for node in range(1, 7):
        os.makedirs('ec2/node%d' % node)
        lg.save('ec2/node%d/very_deep_20.model' % node, model)
    lg.save('ec2/node1/preprocessing_params.bin', params)
    monkeypatch.setattr(predict_averaging, 'BATCH_SIZE', 4)
    predict_averaging.main()
    assert open('submission_6model.txt').read() == open('submission.txt').read()


@pytest.mark.gpu
def test_validate_reports_train_and_test_confusions(gpu, kaggle, monkeypatch):
    """validate.lua on 4 training and 2 held-out images for 1 epoch: its training confusion counts the
    full batches of augmented images (2 of 64 of the 144), its test confusion the 2 held-out images."""
    from .kaggle_cifar10 import validate
    monkeypatch.setattr(validate, 'very_deep_model', narrow_model)
    for name, value in (('TRAIN_SIZE', 4), ('TEST_SIZE', 2), ('MAX_EPOCH', 1)):
        monkeypatch.setattr(validate, name, value)
    confusions = validate.main()
    assert len(confusions) == 1
    for train_confusion, test_confusion in confusions:
        assert int(train_confusion.mat.sum()) == 2 * 64
        assert int(test_confusion.mat.sum()) == 2
