"""facebook/fb.resnet.torch's multi-threaded data loading, ported line by line and run on a tiny image tree:
dataloader.lua (the ``DataLoader`` class, lines 12-127: ``Threads(opt.nThreads, init, main)``, the ``_G`` idiom,
``run()``'s iterator over ``torch.randperm(size)`` cut into batches with ``acceptsjob``/``addjob``/``hasjob``/
``dojob``), datasets/init.lua (``create``, 12-36: the cached dataset info, ``torch.save``/``torch.load``,
``paths.filep``), datasets/imagenet-gen.lua (16-125), datasets/imagenet.lua (17-105), datasets/cifar10.lua
(12-57) and datasets/cifar10-gen.lua (17-67, without its download). The transforms are
tests/porting/test_fbresnet_transforms.py's port of datasets/transforms.lua, imported.

The mechanical edits beyond the porting guide's: Lua's ``require('datasets/' .. opt.dataset)`` and
``paths.dofile(opt.dataset .. '-gen.lua')`` look the port's classes up in ``DATASETS``/``GENERATORS``;
imagenet-gen.lua's ``io.popen('find -L ...')`` is Python's ``os.popen`` with the same command (``f:read('*line')``
is ``f.readline()``, which keeps the newline and gives '' at the end); ``ffi.copy``/``ffi.string`` are
legonn.ffi's; ``_G.dataset`` in a thread is ``threads.local.dataset``; a Lua iterator function ``loop`` used as
``for n, sample in loader:run() do`` is ``iter(loop, None)``; ``collectgarbage()`` is dropped (docs/porting.md).
``init``, ``main`` and the job are module-level functions (``functools.partial`` binds the upvalues) so that
the same loader runs on ``backend='process'`` (legonn's addition, ``opt.backend``), which pickles them.
Class ids and thread ids are 0-based: imagenet-gen's ``classToIdx[class] = #classList`` is
``len(classList) - 1``, cifar10-gen's ``labels:add(1)`` goes, and worker ``idx`` is seeded with
``manualSeed + idx`` from idx 0.
"""
import functools
import math
import os

import numpy as np
import pytest

import legonn as lg
from legonn import ffi, image, paths, threads
from tests.porting.test_fbresnet_transforms import (ColorNormalize, Compose, HorizontalFlip, RandomCrop,
                                                    _loadImage, preprocess)


pytestmark = pytest.mark.usefixtures('sharedserialize')   # Threads.serialization('threads.sharedserialize')


# --- datasets/imagenet-gen.lua ----------------------------------------------------------------------------------

def findClasses(dir):
    dirs = paths.dir(dir)
    dirs.sort()

    classList = []
    classToIdx = {}
    for class_ in dirs:
        if class_ not in classToIdx and class_ != '.' and class_ != '..' and class_ != '.DS_Store':
            classList.append(class_)
            classToIdx[class_] = len(classList) - 1

    return classList, classToIdx


def findImages(dir, classToIdx):
    # Options for the GNU and BSD find command
    extensionList = ['jpg', 'png', 'jpeg', 'JPG', 'PNG', 'JPEG', 'ppm', 'PPM', 'bmp', 'BMP']
    findOptions = ' -iname "*.' + extensionList[0] + '"'
    for i in range(1, len(extensionList)):
        findOptions = findOptions + ' -o -iname "*.' + extensionList[i] + '"'

    # Find all the images using the find command
    f = os.popen('find -L ' + dir + findOptions)

    maxLength = -1
    imagePaths = []
    imageClasses = []

    # Generate a list of all the images and their class
    while True:
        line = f.readline()
        if not line:
            break
        line = line.rstrip('\n')

        className = paths.basename(paths.dirname(line))
        filename = paths.basename(line)
        path = className + '/' + filename

        classId = classToIdx.get(className)
        assert classId is not None, 'class not found: ' + className

        imagePaths.append(path)
        imageClasses.append(classId)

        maxLength = max(maxLength, len(path) + 1)

    f.close()

    # Convert the generated list to a tensor for faster loading
    nImages = len(imagePaths)
    imagePath = lg.CharTensor(nImages, maxLength).zero()
    for i, path in enumerate(imagePaths):
        ffi.copy(imagePath[i].data(), path)

    imageClass = lg.LongTensor(imageClasses)
    return imagePath, imageClass


class imagenet_gen:
    @staticmethod
    def exec(opt, cacheFile):
        trainDir = paths.concat(opt['data'], 'train')
        valDir = paths.concat(opt['data'], 'val')
        assert paths.dirp(trainDir), 'train directory not found: ' + trainDir
        assert paths.dirp(valDir), 'val directory not found: ' + valDir

        print("=> Generating list of images")
        classList, classToIdx = findClasses(trainDir)

        print(" | finding all validation images")
        valImagePath, valImageClass = findImages(valDir, classToIdx)

        print(" | finding all training images")
        trainImagePath, trainImageClass = findImages(trainDir, classToIdx)

        info = {
            'basedir': opt['data'],
            'classList': classList,
            'train': {'imagePath': trainImagePath, 'imageClass': trainImageClass},
            'val': {'imagePath': valImagePath, 'imageClass': valImageClass},
        }

        print(" | saving list of images to " + cacheFile)
        lg.save(cacheFile, info)
        return info


# --- datasets/imagenet.lua --------------------------------------------------------------------------------------

class ImagenetDataset:
    def __init__(self, imageInfo, opt, split):
        self.imageInfo = imageInfo[split]
        self.opt = opt
        self.split = split
        self.dir = paths.concat(opt['data'], split)
        assert paths.dirp(self.dir), 'directory does not exist: ' + self.dir

    def get(self, i):
        path = ffi.string(self.imageInfo['imagePath'][i].data())

        image = self._loadImage(paths.concat(self.dir, path))
        class_ = self.imageInfo['imageClass'][i]

        return {'input': image, 'target': class_}

    def _loadImage(self, path):
        return _loadImage(path)     # lines 40-60: image.load, image.decompress when the extension lies

    def size(self):
        return self.imageInfo['imageClass'].size(0)

    def preprocess(self):
        # lines 80-103, the ImageNet meanstd and PCA included
        if self.split not in ('train', 'val'):
            raise ValueError('invalid split: ' + self.split)
        return preprocess(self.split, self.opt['tenCrop'])


# --- datasets/cifar10-gen.lua, datasets/cifar10.lua -------------------------------------------------------------

def convertToTensor(files):
    data, labels = None, None

    for file in files:
        m = lg.load(file, 'ascii')
        if data is None:
            data = m['data'].t()
            labels = m['labels'].squeeze()
        else:
            data = lg.cat(data, m['data'].t(), 0)
            labels = lg.cat(labels, m['labels'].squeeze())

    # (the Lua adds 1 here for CrossEntropyCriterion's 1-based labels; legonn's are 0-based, as the file's)

    return {'data': data.contiguous().view(-1, 3, 32, 32), 'labels': labels}


class cifar10_gen:
    @staticmethod
    def exec(opt, cacheFile):
        # lines 44-46, downloading and unpacking cifar-10-torch.tar.gz into gen/, are left to the test
        print(" | combining dataset into a single file")
        trainData = convertToTensor([
            'gen/cifar-10-batches-t7/data_batch_1.t7',
            'gen/cifar-10-batches-t7/data_batch_2.t7',
            'gen/cifar-10-batches-t7/data_batch_3.t7',
            'gen/cifar-10-batches-t7/data_batch_4.t7',
            'gen/cifar-10-batches-t7/data_batch_5.t7',
        ])
        testData = convertToTensor(['gen/cifar-10-batches-t7/test_batch.t7'])

        print(" | saving CIFAR-10 dataset to " + cacheFile)
        lg.save(cacheFile, {'train': trainData, 'val': testData})


class CifarDataset:
    meanstd = {'mean': [125.3, 123.0, 113.9], 'std': [63.0, 62.1, 66.7]}   # from the entire training set

    def __init__(self, imageInfo, opt, split):
        assert imageInfo.get(split) is not None, split
        self.imageInfo = imageInfo[split]
        self.split = split

    def get(self, i):
        image = self.imageInfo['data'][i].float()
        label = self.imageInfo['labels'][i]
        return {'input': image, 'target': label}

    def size(self):
        return self.imageInfo['data'].size(0)

    def preprocess(self):
        if self.split == 'train':
            return Compose([ColorNormalize(self.meanstd), HorizontalFlip(0.5), RandomCrop(32, 4)])
        elif self.split == 'val':
            return ColorNormalize(self.meanstd)
        else:
            raise ValueError('invalid split: ' + self.split)


DATASETS = {'imagenet': ImagenetDataset, 'cifar10': CifarDataset}     # require('datasets/' .. opt.dataset)
GENERATORS = {'imagenet': imagenet_gen, 'cifar10': cifar10_gen}      # paths.dofile(opt.dataset .. '-gen.lua')


# --- datasets/init.lua ------------------------------------------------------------------------------------------

def isvalid(opt, cachePath):
    imageInfo = lg.load(cachePath)
    if imageInfo.get('basedir') is not None and imageInfo['basedir'] != opt['data']:
        return False
    return True


def create(opt, split):
    cachePath = paths.concat(opt['gen'], opt['dataset'] + '.t7')
    if not paths.filep(cachePath) or not isvalid(opt, cachePath):
        paths.mkdir('gen')

        script = GENERATORS[opt['dataset']]
        script.exec(opt, cachePath)
    imageInfo = lg.load(cachePath)

    Dataset = DATASETS[opt['dataset']]
    return Dataset(imageInfo, opt, split)


# --- dataloader.lua ---------------------------------------------------------------------------------------------

def _init(opt):
    DATASETS[opt['dataset']]        # require('datasets/' .. opt.dataset)


def _main(dataset, manualSeed, idx):
    if manualSeed != 0:
        lg.manualSeed(manualSeed + idx)
    lg.setnumthreads(1)
    threads.local.dataset = dataset
    threads.local.preprocess = dataset.preprocess()
    return dataset.size()


def _loadBatch(indices, nCrops, cpuType):
    sz = indices.size(0)
    batch, imageSize = None, None
    target = lg.IntTensor(sz)
    for i, idx in enumerate(indices.totable()):
        sample = threads.local.dataset.get(idx)
        input = threads.local.preprocess(sample['input'])
        if batch is None:
            imageSize = input.size().totable()
            if nCrops > 1:
                imageSize.pop(0)
            batch = getattr(lg, cpuType)(sz, nCrops, *imageSize)
        batch[i].copy(input)
        target[i] = sample['target']
    return {'input': batch.view(sz * nCrops, *imageSize), 'target': target}


class DataLoader:
    @staticmethod
    def create(opt):
        # The train and val loader
        loaders = []

        for i, split in enumerate(['train', 'val']):
            dataset = create(opt, split)
            loaders.append(DataLoader(dataset, opt, split))

        return tuple(loaders)

    def __init__(self, dataset, opt, split):
        manualSeed = opt['manualSeed']
        init = functools.partial(_init, opt)
        main = functools.partial(_main, dataset, manualSeed)

        pool, sizes = threads.Threads.new(opt['nThreads'], init, main, backend=opt.get('backend', 'thread'))
        self.nCrops = 10 if (split == 'val' and opt['tenCrop']) else 1
        self.threads = pool
        self.__size = sizes[0][0]
        self.batchSize = math.floor(opt['batchSize'] / self.nCrops)

        def getCPUType(tensorType):
            if tensorType == 'torch.CudaHalfTensor':
                return 'HalfTensor'
            elif tensorType == 'torch.CudaDoubleTensor':
                return 'DoubleTensor'
            else:
                return 'FloatTensor'
        self.cpuType = getCPUType(opt['tensorType'])

    def size(self):
        return math.ceil(self.__size / self.batchSize)

    def run(self):
        pool = self.threads
        size, batchSize = self.__size, self.batchSize
        perm = lg.randperm(size)

        idx, sample = 0, None

        def keep(_sample_):
            nonlocal sample
            sample = _sample_

        def enqueue():
            nonlocal idx
            while idx < size and pool.acceptsjob():
                indices = perm.narrow(0, idx, min(batchSize, size - idx))
                pool.addjob(_loadBatch, keep, indices, self.nCrops, self.cpuType)
                idx = idx + batchSize

        n = 0

        def loop():
            nonlocal n
            enqueue()
            if not pool.hasjob():
                return None
            pool.dojob()
            if pool.haserror():
                pool.synchronize()
            enqueue()
            n = n + 1
            return n, sample

        return iter(loop, None)


# --- the tiny ImageNet tree and the checks ----------------------------------------------------------------------

CLASSES = ['n01440764', 'n01443537', 'n01484850']


def _tree(root, per_class={'train': 4, 'val': 2}):
    """``root/{train,val}/<class>/<k>.{png,JPEG}``: 12 training and 6 validation pictures of 3 classes, each its
    own random smooth colours, upright and sideways (both of Scale's branches), PNG and JPEG files."""
    files = {}
    for split, count in per_class.items():
        for c, cls in enumerate(CLASSES):
            os.makedirs(root / split / cls)
            for k in range(count):
                rng = np.random.RandomState(100 * c + 10 * k + len(split))
                h, w = (20, 28) if k % 2 else (28, 20)
                low = rng.uniform(0, 255, (3, 3, 4))
                pixels = np.repeat(np.repeat(low, 7, 1), 7, 2)[:, :h, :w].astype(np.uint8)
                name = f'{cls}_{k}.' + ('png' if k % 2 else 'JPEG')
                image.save(str(root / split / cls / name), lg.ByteTensor(pixels))
                files[split, cls + '/' + name] = c
    return files


def _opt(root, **changes):
    opt = {'dataset': 'imagenet', 'data': str(root), 'gen': 'gen', 'manualSeed': 0, 'nThreads': 2,
           'batchSize': 4, 'tenCrop': False, 'tensorType': 'torch.CudaTensor'}
    opt.update(changes)
    return opt


@pytest.fixture
def tree(tmp_path, monkeypatch):
    pytest.importorskip('PIL')
    monkeypatch.chdir(tmp_path)          # init.lua makes 'gen' in the working directory
    files = _tree(tmp_path / 'imagenet')
    return tmp_path / 'imagenet', files


def _epoch(loader, seed):
    lg.manualSeed(seed)                   # run() draws its permutation from the main thread's generator
    batches = [(n, sample['input'].numpy().copy(), sample['target'].numpy().copy()) for n, sample in loader.run()]
    assert [n for n, _, _ in batches] == list(range(1, len(batches) + 1)) and len(batches) == loader.size()
    return [(inputs, targets) for _, inputs, targets in batches]


def _delivered(batches, expected):
    """The index of the picture each batch row is, matched against ``expected[i]`` (the preprocessed picture i)."""
    seen = []
    for inputs, targets in batches:
        for row, target in zip(inputs, targets):
            errors = [np.abs(row - e).max() for e, _ in expected]
            i = int(np.argmin(errors))
            assert errors[i] < 1e-5 and target == expected[i][1]
            seen.append(i)
    return seen


def test_imagenet_gen_finds_classes_and_images_and_caches_them(tree, capsys):
    """imagenet-gen.lua through init.lua's ``create``: classes sorted, every image found with its 0-based class,
    the paths packed in a CharTensor read back with ffi.string; the cache is reused, rebuilt when missing, and
    rebuilt when it was made for another ``opt.data``."""
    root, files = tree
    opt = _opt(root)
    val = create(opt, 'val')
    assert 'Generating list of images' in capsys.readouterr().out
    info = lg.load('gen/imagenet.t7')
    assert info['classList'] == CLASSES and info['basedir'] == str(root)
    assert info['train']['imagePath'].type() == 'legonn.CharTensor'
    found = {(split, ffi.string(info[split]['imagePath'][i].data())): int(info[split]['imageClass'][i])
             for split in ('train', 'val') for i in range(info[split]['imageClass'].size(0))}
    assert found == files
    assert info['train']['imagePath'].size(1) == max(len(p) for _, p in files) + 1
    assert val.size() == 6 and val.get(0)['input'].size(0) == 3

    stamp = os.stat('gen/imagenet.t7').st_mtime_ns
    train = create(opt, 'train')
    assert train.size() == 12 and 'Generating' not in capsys.readouterr().out
    assert os.stat('gen/imagenet.t7').st_mtime_ns == stamp
    os.remove('gen/imagenet.t7')
    create(opt, 'train')
    assert 'Generating list of images' in capsys.readouterr().out and paths.filep('gen/imagenet.t7')
    os.rename(root, root.parent / 'moved')
    create(_opt(root.parent / 'moved'), 'val')
    assert 'Generating list of images' in capsys.readouterr().out
    assert lg.load('gen/imagenet.t7')['basedir'] == str(root.parent / 'moved')


def test_val_epoch_delivers_every_image_once_with_one_and_two_threads(tree):
    """dataloader.lua's ``run()`` on the val split: ``ceil(6 / 4)`` batches of ``4 x 3 x 224 x 224`` and
    ``2 x ...`` FloatTensors (opt.tensorType CudaTensor gives a float batch on the host) with IntTensor targets;
    every picture exactly once; one thread gives them in the permutation's order and two the same batches."""
    root, _ = tree
    opt = _opt(root, nThreads=1)
    before = lg.getnumthreads()
    train, val = DataLoader.create(opt)
    assert lg.getnumthreads() == before       # the workers' torch.setnumthreads(1) is theirs only
    dataset = create(opt, 'val')
    expected = [(preprocess('val')(dataset.get(i)['input']).numpy(), dataset.get(i)['target']) for i in range(6)]
    batches = _epoch(val, 5)
    assert [b[0].shape for b in batches] == [(4, 3, 224, 224), (2, 3, 224, 224)]
    assert all(b[0].dtype == np.float32 and b[1].dtype == np.int32 for b in batches)
    lg.manualSeed(5)
    assert _delivered(batches, expected) == lg.randperm(6).totable()
    assert train.size() == 3 and val.size() == 2

    val.threads.terminate()
    train.threads.terminate()
    two = DataLoader(create(opt, 'val'), _opt(root, nThreads=2), 'val')
    batches2 = _epoch(two, 5)
    two.threads.terminate()
    assert sorted(_delivered(batches2, expected)) == list(range(6))
    key = lambda b: b[1].tolist()
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
               for a, b in zip(sorted(batches, key=key), sorted(batches2, key=key)))


def test_train_epoch_is_seeded_per_worker(tree):
    """The train split's augmentations come from each worker's generator, seeded ``manualSeed + idx`` in
    ``main``: one thread and the same seeds give the same batches, another manualSeed other ones; every
    picture's class comes once per epoch."""
    root, files = tree
    epochs = []
    for manualSeed in (7, 7, 8):
        loader = DataLoader(create(_opt(root), 'train'), _opt(root, nThreads=1, manualSeed=manualSeed), 'train')
        epochs.append(_epoch(loader, 3))
        loader.threads.terminate()
    for batches in epochs:
        assert [b[0].shape for b in batches] == [(4, 3, 224, 224)] * 3
        assert sorted(t for b in batches for t in b[1].tolist()) == sorted(
            c for (split, _), c in files.items() if split == 'train')
    same = lambda e, f: all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(e, f))
    assert same(epochs[0], epochs[1]) and not same(epochs[0], epochs[2])


def test_ten_crop_batches(tree):
    """``opt.tenCrop``: the val loader takes ``floor(batchSize / 10)`` pictures a batch and views their ten crops
    as ``sz * 10`` rows, each picture's crops together, every picture once."""
    root, _ = tree
    opt = _opt(root, tenCrop=True, batchSize=20)
    dataset = create(opt, 'val')
    loader = DataLoader(dataset, opt, 'val')
    assert loader.batchSize == 2 and loader.size() == 3
    batches = _epoch(loader, 11)
    loader.threads.terminate()
    assert [b[0].shape for b in batches] == [(20, 3, 224, 224)] * 3 and [b[1].shape for b in batches] == [(2,)] * 3
    expected = [(preprocess('val', True)(dataset.get(i)['input']).numpy().reshape(-1), dataset.get(i)['target'])
                for i in range(6)]
    assert sorted(_delivered([(inputs.reshape(len(targets), -1), targets) for inputs, targets in batches],
                             expected)) == list(range(6))


def test_the_process_backend_delivers_the_same_batches(tree):
    """The same loader on legonn's process backend (``opt.backend``; its workers get pickled copies of the
    dataset and the module-level init, main and job) delivers the thread backend's val batches."""
    root, _ = tree
    opt = _opt(root)
    dataset = create(opt, 'val')
    batches = {}
    for backend in ('thread', 'process'):
        loader = DataLoader(dataset, dict(opt, backend=backend), 'val')
        batches[backend] = _epoch(loader, 11)
        loader.threads.terminate()
    key = lambda b: b[1].tolist()
    assert len(batches['process']) == 2 and all(
        np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        for a, b in zip(sorted(batches['thread'], key=key), sorted(batches['process'], key=key)))


def test_a_failing_job_is_reported_not_hung(tree):
    """A picture deleted after the cache was made: the job's error comes out of ``run()``'s ``dojob`` as a
    JobError naming the file, within the pool's timeout, and the pool still terminates."""
    root, files = tree
    opt = _opt(root)
    dataset = create(opt, 'val')
    missing = next(p for (split, p) in files if split == 'val')
    os.remove(root / 'val' / missing)
    loader = DataLoader(dataset, opt, 'val')
    loader.threads.timeout = 30
    with pytest.raises(threads.JobError, match=r'(?s)_loadBatch.*' + missing.split('/')[1]):
        for _ in loader.run():
            pass
    loader.threads.terminate()
    assert not loader.threads.isrunning()


def _cifar_files(n=3):
    """cifar-10-torch's layout: ``data`` a 3072 x n ByteTensor (one picture a column), ``labels`` 1 x n,
    in Torch7's ascii encoding; five training batches and a test batch."""
    os.makedirs('gen/cifar-10-batches-t7')
    rng = np.random.RandomState(0)
    pictures = {}
    for name in ['data_batch_%d' % k for k in range(1, 6)] + ['test_batch']:
        data = rng.randint(0, 256, (3072, n)).astype(np.uint8)
        labels = rng.randint(0, 10, (1, n)).astype(np.uint8)
        lg.save_lua(f'gen/cifar-10-batches-t7/{name}.t7',
                    {'data': lg.ByteTensor(data), 'labels': lg.ByteTensor(labels)}, 'ascii')
        pictures[name] = (data.T.reshape(n, 3, 32, 32), labels[0])
    return pictures


def test_cifar10_loader(tmp_path, monkeypatch):
    """cifar10-gen.lua on synthetic ascii .t7 batches (5 x 3 training and 3 test pictures), then the loaders:
    val batches are ColorNormalize of the pictures the permutation puts in them, with their labels, train batches
    ``3 x 32 x 32`` crops of the padded pictures."""
    monkeypatch.chdir(tmp_path)
    pictures = _cifar_files()
    opt = _opt(tmp_path, dataset='cifar10', batchSize=2)
    train, val = DataLoader.create(opt)
    info = lg.load('gen/cifar10.t7')
    assert info['train']['data'].size() == (15, 3, 32, 32) and info['train']['data'].type() == 'legonn.ByteTensor'
    assert np.array_equal(info['train']['data'][3].numpy(), pictures['data_batch_2'][0][0])
    assert np.array_equal(info['val']['labels'].numpy(), pictures['test_batch'][1])
    assert (train.size(), val.size()) == (8, 2)

    batches = _epoch(val, 2)
    lg.manualSeed(2)
    order = lg.randperm(3).totable()
    data, labels = pictures['test_batch']
    mean, std = np.array([125.3, 123.0, 113.9]), np.array([63.0, 62.1, 66.7])
    expected = [((data[i] - mean[:, None, None]) / std[:, None, None], labels[i]) for i in range(3)]
    delivered = [sorted(_delivered([b], expected)) for b in batches]        # two workers: batches in any order
    assert sorted(delivered) == sorted([sorted(order[:2]), order[2:]])
    batches = _epoch(train, 4)
    assert sorted(b[0].shape for b in batches) == [(1, 3, 32, 32)] + [(2, 3, 32, 32)] * 7
    assert sorted(t for b in batches for t in b[1].tolist()) == sorted(
        info['train']['labels'].numpy().tolist())
    train.threads.terminate()
    val.threads.terminate()
