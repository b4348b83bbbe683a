"""datasets/charadesflow-gen.lua: charades-gen.lua over optical flow frames (``<id>-NNNNNNx.jpg`` and ``...y.jpg``,
two files a frame, hence ``N = floor(#lines/2)``), each listed frame the first of the 10 frames of flow
charadesflow.lua stacks, so only frames with ``flowframes`` frames after them are kept. parseCSV, the end of
prepare and M.exec are charades-gen.lua's, line for line, and imported."""
import os

import legonn as lg
from legonn import paths

from . import charades_gen
from .charades_gen import parseCSV, toTensors   # noqa: F401 (parseCSV: the module's M.parseCSV)


def prepare(opt, labels, split):
    dir = opt['data']
    assert paths.dirp(dir), 'directory not found: ' + dir
    imagePaths = []
    imageClasses = []
    ids = []
    FPS = 24
    GAP = 4
    testGAP = 25
    flowframes = 10

    e = 0
    count = 0

    # For each video annotation, prepare test files
    imageClasses2 = None
    if split == 'val_video':
        imageClasses2 = lg.IntTensor(4000000, opt['nClasses']).zero()
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
            N = lg.floor(len(lines) / 2)   # to account for x and y
            if split == 'val_video':
                target = lg.IntTensor(157, 1).zero()
                for anno in label:
                    target[int(anno['c'][1:])] = 1
                tmp = lg.linspace(1, N - flowframes - 1, testGAP)   # -1 so we don't get bad flow
                for ii in range(testGAP):
                    i = lg.floor(tmp[ii])
                    impath = iddir + '/' + id + '-' + '%06d' % i + 'x' + '.jpg'
                    count = count + 1
                    imagePaths.append(impath)
                    imageClasses2[count - 1].copy(target)
                    ids.append(id)
            elif opt['setup'] == 'softmax':
                if len(label) > 0:
                    for anno in label:
                        for i in range(1, N + 1, GAP):
                            if (anno['s'] < (i - 1) / FPS) and ((i - 1) / FPS < anno['e']):
                                if i + flowframes + 1 < N:
                                    impath = iddir + '/' + id + '-' + '%06d' % i + 'x' + '.jpg'
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


def exec(opt, cacheFile):
    return charades_gen.exec(opt, cacheFile, prepare)
