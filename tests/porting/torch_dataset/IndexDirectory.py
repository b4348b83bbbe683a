"""lua/IndexDirectory.lua: an index of a directory's files, each subdirectory a label (its files, at any depth,
that label's items), the files at the top unlabelled."""
from legonn import lfs

from .IndexUtils import IndexUtils


def IndexDirectory(url, partition=None, partitions=None, opt=None):

    partition = partition or 0
    assert partition >= 0
    partitions = partitions or 1
    assert partitions >= 1
    assert partition < partitions
    opt = opt or {}
    indexUtils = IndexUtils(opt)

    def orderedDirWalk(dir, f):
        fns = []
        for fn in lfs.dir(dir):
            fns.append(fn)
        fns.sort()
        for fn in fns:
            f(fn)

    def loadDirectory(root):
        classes = {}

        def rcsvLoad(dn, label):
            def visit(fn):
                if fn[0:1] != '.':
                    dfn = dn + '/' + fn
                    mode = lfs.attributes(root + '/' + dfn)['mode']
                    if mode == 'file':
                        indexUtils['addItem'](classes, {'filename': dfn}, label)
                    elif mode == 'directory':
                        rcsvLoad(dfn, label)
            orderedDirWalk(root + '/' + dn, visit)

        def visitTop(fn):
            if fn[0:1] != '.':
                mode = lfs.attributes(root + '/' + fn)['mode']
                if mode == 'file':
                    indexUtils['addItem'](classes, {'filename': fn}, '*')
                elif mode == 'directory':
                    rcsvLoad(fn, fn)
        orderedDirWalk(root, visitTop)
        return classes

    loaded = None
    urlPrefix = url
    loaded = loadDirectory(urlPrefix)

    classes, totalItems, labels, labelIndex = indexUtils['downsampleAndGetLabels'](loaded, partition, partitions)

    return {
        'labels': labels,
        'labelIndex': labelIndex,
        'itemCount': indexUtils['itemCount'](classes, totalItems),
        'itemAt': indexUtils['itemAt'](classes, totalItems, labels, urlPrefix),
        'urlPrefix': urlPrefix,
        'reset': None,
        'indexType': 'Directory'
    }
