"""lua/IndexSlowFS.lua: an index over the part files under a slow file system's URL (a SlowFS scheme such as
``viewfs://``), partitioned by part file; each part file is fetched and its items' offsets read in the
background (``ipc.BackgroundTaskPool(1)``), one part after the other as the part samplers ask for them.
Part files and their items count from 0: ``itemAt(partIndex, index)``, ``itemsInPart(partIndex)``,
``addPartIndex``, ``doneWithPart``, the ``partition``."""
import sys

from legonn import ipc

from . import SlowFS
from .Cache import Cache


def IndexSlowFS(url, partition=None, partitions=None, opt=None):

    partition = partition or 0
    assert partition >= 0
    partitions = partitions or 1
    assert partitions >= 1
    assert partition < partitions
    opt = opt or {}
    maxParts = opt.get('maxParts')
    verbose = opt.get('verbose') or False
    cache = Cache(opt)
    slowFS = SlowFS.find(url)(cache, opt)

    totalItems = 0  # total item counter, updated as we parse part files

    # keep track of the permutation of part files
    # there can be repeats in this queue
    queue = []

    # handler on the background file importer
    importer = ipc.BackgroundTaskPool(1)

    # what part files are currently resident (by part index)
    resident = {}

    # files in this partition
    partitionFiles = None

    # ----------- Index construction --------------

    def addFile(files, file):
        files.append(file)

    def loadSlowFSFiles(root):
        files = []  # all part files in this partition
        parts = slowFS['parts'](root)

        for i, part in enumerate(parts):
            if maxParts and i >= maxParts:
                break
            addFile(files, part[len(root) + 1:])

        return files

    def downsample(t, partition, partitions):
        assert partition >= 0
        assert partitions >= 1
        assert partition < partitions
        assert len(t) >= partitions, 'number of part files (' + str(len(t)) + ') must be >= number of partitions (' \
            + str(partitions) + '): ' + url

        if partitions == 1:
            return t
        else:
            ret = []
            for i, item in enumerate(t):
                if ((i + 1) % partitions) == partition + 1:
                    ret.append(item)
                elif ((i + 1) % partitions) == 0 and partition + 1 == partitions:
                    # last items goes to the last partition
                    ret.append(item)
            return ret

    def makeFileIndex(fileName, url, opt, idx, SlowFS):
        cache = None  # the Lua's Cache(opt): not made on this background worker, which can outlive a test's
        # $HOME (Cache's folder is $HOME/.torch/dataset/); the tests' MockHDFS never reads its cache
        slowFS = SlowFS(cache, opt)
        fileURL = url + '/' + fileName
        fpath = slowFS['get'](fileURL)
        offsets = slowFS['fileOffsets'](fpath)
        return {
            'url': url,
            'fileName': fileName,
            'filePath': fpath,
            'itemCount': offsets.size(0) // 2,
            'offsets': offsets,
            'idx': idx,
        }

    # ----------- Index access --------------

    # item at the actual part index
    # return filePath, offset, length of the item
    def innerItemAt(offsets, fp, fileName, url):
        def at(i):
            k = 2 * i
            offset = offsets[k]
            length = offsets[k + 1]
            return fp, offset, length
        return at

    # ----------- File import and cache  --------------

    def startNextImport():
        assert len(queue) > 0, "must have at least one file to import"
        idx = queue.pop(0)
        if verbose:
            sys.stderr.write("[INFO:] Starting import of file " + url + '/' + partitionFiles[idx] + '\n')
        importer.addTask(makeFileIndex, partitionFiles[idx], url, opt, idx, SlowFS.find(url))

    def addPartIndex(partIndex):
        assert partIndex < len(partitionFiles) and partIndex >= 0, "index of part file must be valid"
        queue.append(partIndex)
        if not importer.hasTask():
            startNextImport()

    def finishFileImport():
        partIndex = importer.getResult()
        partIndex['itemAt'] = innerItemAt(partIndex['offsets'],
                                          partIndex['filePath'],
                                          partIndex['fileName'],
                                          partIndex['url'])
        return partIndex

    # -------------- MAIN -----------------

    allFiles = loadSlowFSFiles(url)
    partitionFiles = downsample(allFiles, partition, partitions)
    urlPrefix = url  # noqa: F841  (as the Lua, unused)

    numFiles = len(partitionFiles)

    # initial estimate of num items: at least one record/file
    totalItems = len(partitionFiles)

    # start by loading one part file
    assert len(partitionFiles) > 0, "Must have at least 1 part files per partition..."

    # -------------- Index functions -------------

    def itemAt(partIndex, index):
        # it better be resident, itemsInPart called first!
        assert resident.get(partIndex)
        # get the item at index out of the part
        if index < 0 or index >= resident[partIndex]['itemCount']:
            assert index >= 0 and index < resident[partIndex]['itemCount'], \
                'itemAt(' + str(partIndex) + ', ' + str(index) + ') out of range: [0,' \
                + str(resident[partIndex]['itemCount']) + ')'
        return resident[partIndex]['itemAt'](index)

    def doneWithPart(partIndex):
        assert resident.get(partIndex), "part must be present to remove it"
        if len(partitionFiles) > 1:
            slowFS['evict'](url + '/' + resident[partIndex]['fileName'])
        resident[partIndex] = None

    def reset():
        nonlocal totalItems
        if importer.hasTask():
            part = finishFileImport()
            resident[part['idx']] = part
        totalItems = len(partitionFiles)
        # evict all the resident files
        keys = []
        for i, v in resident.items():
            if v is not None:
                keys.append(i)
        for i in keys:
            doneWithPart(i)

    def itemsInPart(partIndex):
        nonlocal totalItems
        if not resident.get(partIndex):
            # finish the import
            part = finishFileImport()
            if verbose:
                sys.stderr.write('[INFO:] Finishing import of ' + url + '/' + part['fileName'] + ' into cache.\n')
            assert partIndex == part['idx']
            resident[partIndex] = part
            # update the total items we know about so far
            totalItems = totalItems - 1 + resident[partIndex]['itemCount']
            # start the next import if more parts in queue
            if len(queue) > 0:
                startNextImport()
        return resident[partIndex]['itemCount']

    def itemCount(label=None):
        return totalItems

    # needed for tests...
    def partFileName(partIndex):
        assert resident.get(partIndex), "part index needs to be resident"
        return resident[partIndex]['fileName']

    return {
        'itemCount': itemCount,
        'itemAt': itemAt,
        'itemsInPart': itemsInPart,
        'partFileName': partFileName,
        'labelIndex': {},
        'numFiles': numFiles,
        'reset': reset,
        'doneWithPart': doneWithPart,
        'addPartIndex': addPartIndex,
        'indexType': 'SlowFS'
    }
