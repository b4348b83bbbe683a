"""datasets/charades-gen.lua: the lists of Charades frames (``<data>/<id>/<id>-NNNNNN.jpg``) and their classes,
saved to ``gen/charades.t7``: ``train`` and ``val`` hold one frame in every GAP (4) that falls inside an action,
labelled with that action's class (``-setup softmax``), ``val2`` 25 evenly spaced frames of each test video
labelled with the video's classes (157 columns).

Edits beyond the package's: ``exec`` takes the module's ``prepare`` as a parameter so that the three other
generators, whose M.exec is this one line for line, call it with their own ``prepare``; the end of prepare
(the lists made tensors), the same in the four generators, is ``toTensors``, and prepare's unused
``local imagePath, imageClass`` are left out; the undefined globals
``trainDir`` and ``Nil`` that ``findClasses(trainDir)`` reads are nil in Lua and ``None`` here; a Lua iterator
``a = string.gmatch(a, '([^ ]+)')`` called as ``a()`` is ``next(a)`` of ``re.finditer``'s words."""
import os
import re

import legonn as lg
from legonn import csvigo, ffi, paths


def parseCSV(filename):
    print('Loading csv: %s' % filename)
    all = csvigo.load({'path': filename, 'mode': 'tidy'})
    ids = all['id']
    actionss = all['actions']
    N = len(ids)
    labels = {}
    for i in range(len(ids)):
        id = ids[i]
        actions = actionss[i]
        label = []
        for a in re.findall(r'[^;]+', actions):   # split on ';'
            a = iter(re.findall(r'[^ ]+', a))   # split on ' '
            label.append({'c': next(a), 's': float(next(a)), 'e': float(next(a))})
        labels[id] = label
    return labels


def toTensors(split, imagePaths, imageClasses, ids, imageClasses2, count):
    """The end of prepare(), which the four generators share line for line."""
    # Convert the generated list to a tensor for faster loading
    nImages = len(imagePaths)
    maxLength = -1
    for p in imagePaths:
        maxLength = max(maxLength, len(p) + 1)
    imagePath = lg.CharTensor(nImages, maxLength).zero()
    for i, path in enumerate(imagePaths):
        ffi.copy(imagePath[i].data(), path)

    maxLength2 = -1
    for p in ids:
        maxLength2 = max(maxLength2, len(p) + 1)
    ids_tensor = lg.CharTensor(nImages, maxLength2).zero()
    for i, path in enumerate(ids):
        ffi.copy(ids_tensor[i].data(), path)

    imageClass = lg.LongTensor(imageClasses)
    if split == 'val_video':
        imageClass = imageClasses2[0:count]
    assert imagePath.size(0) == imageClass.size(0), "Sizes do not match"

    return imagePath, imageClass, ids_tensor


def prepare(opt, labels, split):
    dir = opt['data']
    assert paths.dirp(dir), 'directory not found: ' + dir
    imagePaths, imageClasses, ids = [], [], []
    FPS, GAP, testGAP = 24, 4, 25
    e, count = 0, 0

    # For each video annotation, prepare test files
    imageClasses2 = None
    if split == 'val_video':
        imageClasses2 = lg.IntTensor(4000000, opt['nClasses']).zero()   # allocating memory
    for id, label in labels.items():
        e = e + 1
        if e % 100 == 1:
            print(e)
        iddir = dir + '/' + id
        f = os.popen('find -L %s -iname "*.jpg" ' % iddir)
        if not f:
            print('class not found: ' + id)
            print('find -L %s -iname "*.jpg" ' % iddir)
        else:
            lines = []
            while True:
                line = f.readline()
                if not line:
                    break
                lines.append(line)
            N = len(lines)
            if split == 'val_video':
                target = lg.IntTensor(157, 1).zero()
                for anno in label:
                    target[int(anno['c'][1:])] = 1
                tmp = lg.linspace(1, N, testGAP)
                for ii in range(testGAP):
                    i = lg.floor(tmp[ii])
                    impath = iddir + '/' + id + '-' + '%06d' % i + '.jpg'
                    count = count + 1
                    imagePaths.append(impath)
                    imageClasses2[count - 1].copy(target)
                    ids.append(id)
            elif opt['setup'] == 'softmax':
                if len(label) > 0:
                    for anno in label:
                        for i in range(1, N + 1, GAP):
                            if (anno['s'] < (i - 1) / FPS) and ((i - 1) / FPS < anno['e']):
                                impath = iddir + '/' + id + '-' + '%06d' % i + '.jpg'
                                imagePaths.append(impath)
                                imageClasses.append(int(anno['c'][1:]))
                                ids.append(id)
            elif opt['setup'] == 'sigmoid':
                # TODO
                assert False, 'Invalid opt.setup'
            else:
                assert False, 'Invalid opt.setup'
            f.close()

    return toTensors(split, imagePaths, imageClasses, ids, imageClasses2, count)


def findClasses(dir):
    return None, None


def exec(opt, cacheFile, prepare=prepare):
    # find the image path names
    imagePath = lg.CharTensor()   # path to each image in dataset
    imageClass = lg.LongTensor()  # class index of each image (class index in self.classes)

    filename = opt['trainfile']
    filenametest = opt['testfile']
    labels = parseCSV(filename)
    print('done parsing train csv')
    labelstest = parseCSV(filenametest)
    print('done parsing test csv')

    print("=> Generating list of images")
    classList, classToIdx = findClasses(None)   # trainDir: an undefined global

    print(" | finding all validation2 images")
    val2ImagePath, val2ImageClass, val2ids = prepare(opt, labelstest, 'val_video')

    print(" | finding all validation images")
    valImagePath, valImageClass, valids = prepare(opt, labelstest, 'val')

    print(" | finding all training images")
    trainImagePath, trainImageClass, ids = prepare(opt, labels, 'train')

    info = {
        'basedir': opt['data'],
        'classList': classList,
        'train': {
            'imagePath': trainImagePath,
            'imageClass': trainImageClass,
            'ids': ids,
        },
        'val': {
            'imagePath': valImagePath,
            'imageClass': valImageClass,
            'ids': valids,
        },
        'val2': {
            'imagePath': val2ImagePath,
            'imageClass': val2ImageClass,
            'ids': val2ids,
        },
    }

    print(" | saving list of images to " + cacheFile)
    lg.save(cacheFile, info)
    return info
