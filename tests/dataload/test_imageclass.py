"""ImageClass (ImageClass.lua) and loadImageNet (loadImageNet.lua) with a stand-in image package (legonn.image is
another package): test.lua ``dltest.ImageClass``'s checks (index, size, sample with reused buffers, the ignored
folder) at a small scale, and the crops of sampleTrain/sampleTest against slices written in the test."""
import math
import types

import numpy as np
import pytest

import legonn as lg
from legonn import dataload as dl


def nearest(src, oh, ow):
    """Nearest-neighbour resampling of a c x h x w array to oh x ow (the stand-in's image.scale)."""
    rows = (np.arange(oh) * src.shape[1]) // oh
    cols = (np.arange(ow) * src.shape[2]) // ow
    return src[:, rows][:, :, cols]


def fake_image_package(log):
    """image.load(path, depth, 'float') reads the .npy bytes written under an image name; image.scale(src, '^N')
    scales the smaller side to N as torch/image's init.lua computes the sizes; image.scale(dst, src) fills dst."""
    def load(path, depth, tensortype):
        log.append(('load', path, depth, tensortype))
        arr = np.load(path)
        assert arr.shape[0] == depth
        return lg.FloatTensor(arr)

    def scale(a, b):
        if isinstance(b, str):
            h, w = a.size(1), a.size(2)
            n = int(b[1:])
            return lg.FloatTensor(nearest(a.numpy(), int(h * n / min(h, w)), int(w * n / min(h, w))))
        a.copy(lg.FloatTensor(nearest(b.numpy(), a.size(1), a.size(2))))
        return a

    return types.SimpleNamespace(load=load, scale=scale)


def write_image(path, arr):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'wb') as f:
        np.save(f, arr.astype(np.float32))


@pytest.fixture
def folders(tmp_path):
    """class1 (3 images, and an ignore/ folder of 2), class2 (2), class10 (1), a hidden folder, a text file."""
    rng = np.random.default_rng(0)
    images = {}
    for cls, n in (('class1', 3), ('class2', 2), ('class10', 1)):
        for j in range(n):
            path = tmp_path / cls / f'image{j}.{"png" if j % 2 else "JPG"}'
            images[str(path)] = rng.uniform(size=(1, 8, 10)).astype(np.float32)
            write_image(path, images[str(path)])
    for j in range(2):
        write_image(tmp_path / 'class1' / 'ignore' / f'image{j}.png', rng.uniform(size=(1, 8, 8)))
    write_image(tmp_path / '.hidden' / 'x.png', np.zeros((1, 8, 8)))
    (tmp_path / 'class2' / 'notes.txt').write_text('not an image')
    return tmp_path, images


def test_index_of_classes_and_images(folders):
    """ImageClass.lua's index: classes are the sorted sub-folders (hidden ones left out), every image file
    below them (any case of the extension) a sample, excludeDir's glob leaves the ignore folder out
    (test.lua: ``"*/ignore/*"``); imageClass and classList agree; size() and size(class)."""
    root, images = folders
    ds = dl.ImageClass(str(root), [1, 8, 8], None, None, None, False, None, '*/ignore/*',
                       image=fake_image_package([]))
    assert ds.classes == ['class1', 'class10', 'class2'] and ds.iclasses['class2'] == 2
    assert ds.size() == 6 and ds.size('class1') == 3 and ds.size(1) == 1
    assert sorted(ds.imagePath) == sorted(images)
    for c, members in enumerate(ds.classList):
        for i in members.tolist():
            assert ds.imageClass[i] == c and f'/{ds.classes[c]}/' in ds.imagePath[i]
    with_ignored = dl.ImageClass(str(root), [1, 8, 8], verbose=False, image=fake_image_package([]))
    assert with_ignored.size() == 8
    numeric = dl.ImageClass(str(root), [1, 8, 8], sortfunc=lambda a, b: int(a[5:]) < int(b[5:]), verbose=False,
                            excludeDir='*/ignore/*', image=fake_image_package([]))
    assert numeric.classes == ['class1', 'class2', 'class10']


def test_sub_loads_scales_and_reuses_buffers(folders):
    """ImageClass.lua index with sampleDefault: each image read as a FloatTensor of samplesize[0] channels,
    scaled so its smaller side is min(loadsize h, w) (GraphicsMagick there), then to the sample size; targets
    are the classes; test.lua: ``ds:sample(100, inputs, targets)`` reuses the storages of the buffers."""
    root, images = folders
    log = []
    ds = dl.ImageClass(str(root), [1, 4, 6], [1, 4, 4], verbose=False, excludeDir='*/ignore/*',
                       image=fake_image_package(log))
    inputs, targets, paths = ds.sub(1, 4)
    assert inputs.size() == (4, 1, 4, 4) and targets.tolist() == [int(ds.imageClass[i]) for i in range(1, 5)]
    assert paths == ds.imagePath[1:5] and log[0] == ('load', ds.imagePath[1], 1, 'float')
    for k, path in enumerate(paths):
        loaded = nearest(images[path], 4, int(10 * 4 / 8))   # 8 x 10, its smaller side to min(4, 6)
        np.testing.assert_array_equal(inputs.numpy()[k], nearest(loaded, 4, 4))
    storage = inputs.storage()
    lg.manualSeed(3)
    inputs2, targets2, paths2 = ds.sample(5, inputs, targets)
    assert inputs2 is inputs and inputs.storage() is storage and inputs.size() == (5, 1, 4, 4)
    for k, path in enumerate(paths2):
        assert targets2[k] == ds.iclasses[path.split('/')[-2]]


def test_sample_draws_a_class_then_an_image(folders):
    """ImageClass.lua sample: class = torch.random(1, #classes), then an image of it uniformly (balanced
    classes), here with legonn's generator and 0-based draws."""
    root, _ = folders
    ds = dl.ImageClass(str(root), [1, 8, 8], [1, 8, 8], verbose=False, excludeDir='*/ignore/*',
                       image=fake_image_package([]))
    lg.manualSeed(9)
    _, targets, paths = ds.sample(6)
    lg.manualSeed(9)
    for k in range(6):
        cls = lg.random(0, 3)
        members = ds.classList[cls]
        assert targets[k] == cls and paths[k] == ds.imagePath[int(members[lg.random(0, members.nElement())])]


def test_sample_train_and_test_crops(folders):
    """ImageClass.lua sampleTrain: a crop at (ceil(uniform(0, iH-oH)), ceil(uniform(0, iW-oW))), flipped when
    uniform() > 0.5; sampleTest: the centre and four corner crops, each followed by its flip."""
    root, images = folders
    ds = dl.ImageClass(str(root), [1, 8, 8], [1, 6, 6], 'sampleTrain', verbose=False, excludeDir='*/ignore/*',
                       image=fake_image_package([]))
    path = ds.imagePath[0]
    img = nearest(images[path], 8, 10)
    lg.manualSeed(4)
    got = ds.sampleTrain(path).numpy()
    lg.manualSeed(4)
    top, left = math.ceil(lg.uniform(0, 2)), math.ceil(lg.uniform(0, 4))
    crop = img[:, top:top + 6, left:left + 6]
    np.testing.assert_array_equal(got, crop[:, :, ::-1] if lg.uniform() > 0.5 else crop)
    tests = ds.sampleTest(path).numpy()
    assert tests.shape == (10, 1, 6, 6)
    for k, (t, l) in enumerate([(1, 2), (0, 0), (0, 4), (2, 0), (2, 4)]):
        np.testing.assert_array_equal(tests[2 * k], img[:, t:t + 6, l:l + 6])
        np.testing.assert_array_equal(tests[2 * k + 1], img[:, t:t + 6, l:l + 6][:, :, ::-1])
    inputs, targets, _ = ds.index(lg.LongTensor([0, 3]), None, None, 'sampleTest')
    assert inputs.size() == (20, 1, 6, 6)
    assert targets.tolist() == [int(ds.imageClass[0])] * 10 + [int(ds.imageClass[3])] * 10


def test_load_imagenet_behind_async_iterators(tmp_path):
    """loadImageNet.lua: ImageClasses of ILSVRC2012_img_train (sampleTrain) and ILSVRC2012_img_val (sampleTest),
    classes sorted by number, behind AsyncIterators (test.lua dltest.loadImageNet: async subiter sums equal the
    synchronous ones); classInfo.th7 set when present."""
    rng = np.random.default_rng(5)
    for folder in ('ILSVRC2012_img_train', 'ILSVRC2012_img_val'):
        for cls in ('n10', 'n9'):
            for j in range(3):
                write_image(tmp_path / folder / cls / f'{j}.JPEG', rng.uniform(size=(3, 5, 5)))
    image = fake_image_package([])
    train, valid = dl.loadImageNet(str(tmp_path), 2, [3, 5, 5], [3, 4, 4], False, image)
    try:
        assert train.dataset.classes == ['n9', 'n10'] and valid.dataset.samplefunc == 'sampleTest'
        sums = [(float(i.sum()), float(t.sum())) for _, i, t, _ in valid.subiter(2, 6)]
        valid.dataset.reset()
        expected = [(float(i.sum()), float(t.sum())) for _, i, t, _ in valid.dataset.subiter(2, 6)]
        assert sums == expected and len(sums) == 3
        assert [k for k, *_ in train.sampleiter(4, 8)] == [4, 8]
    finally:
        train.terminate()
        valid.terminate()


def test_bad_input_names_the_class(tmp_path):
    """ImageClass.lua asserts a table of paths and sizes and errors on a class without images."""
    with pytest.raises(ValueError, match="ImageClass: datapath must be a folder or a list of folders"):
        dl.ImageClass(str(tmp_path / 'none'), [1, 2, 2])
    with pytest.raises(TypeError, match=r"ImageClass: loadsize must be a list of 3 sizes \(channels, height, "
                                        r"width\), got \[2, 2\]"):
        dl.ImageClass(str(tmp_path), [2, 2])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match="ImageClass: class 'empty' has no image"):
        dl.ImageClass(str(tmp_path), [1, 2, 2], verbose=False)
    with pytest.raises(ValueError, match="dataload.loadImageNet: expected the folder of the ILSVRC2012 data"):
        dl.loadImageNet(str(tmp_path / 'none'))
