"""datasets/charadessync-gen.lua: charades-gen.lua for models that need a video's frames in order (the LSTM):
each training video gives exactly ``opt.batchSize`` of its (frame, class) pairs, drawn without replacement
and kept in frame order, so that a batch of the synchronous loader is one video (videos with fewer pairs are
left out). parseCSV, the end of prepare and M.exec are charades-gen.lua's, line for line, and imported.

Edits beyond the package's: ``inds = inds:sort()`` keeps sort's first result, ``inds.sort()[0]``
(docs/porting.md's first-result rows); the multinomial's draws are 0-based positions in the local lists."""
import os

import legonn as lg
from legonn import paths

from . import charades_gen
from .charades_gen import parseCSV, toTensors   # noqa: F401 (parseCSV: the module's M.parseCSV)


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
                localimagePaths = []
                localimageClasses = []
                localids = []
                if len(label) > 0:
                    # To generate training data with softmax loss (only one label)
                    # We create a sorted pool with all pairs of (frames,label)
                    # and then randomly select a subset of those according to our batch size
                    # Someone should really figure out how to properly use sigmoid loss for this
                    for i in range(1, N + 1, GAP):
                        for anno in label:
                            if (anno['s'] < (i - 1) / FPS) and ((i - 1) / FPS < anno['e']):
                                impath = iddir + '/' + id + '-' + '%06d' % i + '.jpg'
                                a = int(anno['c'][1:])
                                localimagePaths.append(impath)
                                localimageClasses.append(a)
                                localids.append(id)
                Nex = len(localimagePaths)
                if Nex >= opt['batchSize']:
                    inds = lg.multinomial(lg.Tensor(1, Nex).fill(1), opt['batchSize'])[0]
                    inds = inds.sort()[0]
                    assert inds.size(0) == opt['batchSize']
                    for aa in range(opt['batchSize']):
                        a = inds[aa]
                        imagePaths.append(localimagePaths[a])
                        imageClasses.append(localimageClasses[a])
                        ids.append(localids[a])
            elif opt['setup'] == 'sigmoid':
                # TODO
                assert False, 'Invalid opt.setup'
            else:
                assert False, 'Invalid opt.setup'
            f.close()

    return toTensors(split, imagePaths, imageClasses, ids, imageClasses2, count)


def exec(opt, cacheFile):
    return charades_gen.exec(opt, cacheFile, prepare)
