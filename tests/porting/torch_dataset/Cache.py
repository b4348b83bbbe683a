"""lua/Cache.lua: a cache of downloaded files under ``opt['cacheDir']`` (default ``$HOME/.torch/dataset/``),
named by the MurmurHash3 of their remote path, shared by threads and processes through ``ipc.flock`` locks
(one on the LRU list ``.lru`` while it is read and written, one per file while it is downloaded), its files
evicted least recently used first once the directory passes 80 % of ``maxCacheSize``.

``lock(remotePath, localPath, isDir)`` returns ``(cachePath, unlock)``: ``unlock`` is None when the file is
already cached (the caller may read it), else a function the caller calls once it has written
``cachePath`` (it links ``localPath`` to it and puts it first in the LRU list). Lua's ``os.remove`` (which
returns ``nil, message`` rather than raising) is Penlight's ``file.delete``; ``io.open`` of a missing file
(nil) is ``open`` in a try. ``libdataset`` (src/dataset.c) and the ``murmurhash3`` rock are the package's
stand-ins; Twitter's global ``mesos`` (the task's disk) is nil here, as outside Mesos."""


def Cache(opt=None):
    # Cache interfaces are instantiated in threads, so keep requires scoped
    import os
    from legonn import sys
    from legonn import paths
    from legonn import lfs
    from legonn import ipc
    from legonn.pl import file as plfile
    from tests.porting.torch_dataset import libdataset as dataset
    from tests.porting.torch_dataset import murmurhash3 as mmh3

    opt = opt or {}
    root = opt.get('cacheDir') or os.getenv("HOME") + '/.torch/dataset/'
    GB = 1024 * 1024 * 1024
    maxCacheSize = opt.get('maxCacheSize') or (64 * GB)   # (mesos and ((mesos.disk * GB) - (4 * GB))): mesos is nil
    forceEvict = opt.get('forceEvict') or False

    # Start clean?
    if opt.get('clean') is True:
        sys.execute('rm -rf ' + root)

    # Make sure root exists
    def mkdir(path):
        if not lfs.attributes(path):
            mkdir(paths.dirname(path))
            lfs.mkdir(path)
    mkdir(root)

    def loadLRU():
        lfn = paths.concat(root, '.lock')
        flock = ipc.flock(lfn)
        fn = paths.concat(root, '.lru')
        lru = []
        try:
            f = open(fn, 'r')
        except FileNotFoundError:
            f = None
        if f:
            for line in f.read().splitlines():
                lru.append(line)
            f.close()
        return lru, flock

    def saveLRU(lru, lruflock):
        fn = paths.concat(root, '.lru')
        f = open(fn, 'w+')
        for entry in lru:
            f.write(entry + '\n')
        f.close()
        lruflock.close()

    def getCachePath(remotePath):
        return paths.concat(root, mmh3.hash32(remotePath, 1))

    def exists(path, isDir):
        return (isDir and paths.dirp(path)) or paths.filep(path)

    def lock(remotePath, localPath=None, isDir=None):
        # Hash the path
        cachePath = getCachePath(remotePath)
        sfn = cachePath + '.lock'
        # This will become our file lock
        flock, lru, lruflock = None, None, None

        # Create an unlock closure
        def unlock():
            nonlocal lru, lruflock
            # Make sure the cachePath exists
            # The calling function could have failed to populate the file
            if exists(cachePath, isDir):
                if localPath:
                    # Make sure the localPath parent directory is created
                    mkdir(paths.dirname(localPath))
                    # Try and create the link
                    ret = dataset.symlink(cachePath, localPath)
                    if ret != 0:
                        raise RuntimeError('failed (' + str(ret) + ') to create symlink ' + cachePath + ' <- '
                                           + localPath)
                if not lruflock:
                    # Lock and load the cache
                    lru, lruflock = loadLRU()
                    for i, entry in enumerate(lru):
                        if entry == cachePath:
                            # If its already there remove it
                            del lru[i]
                            break
                # Add it to the LRU and unlock it
                lru.insert(0, cachePath)
                saveLRU(lru, lruflock)
            # Unlock and remove the file lock
            if flock:
                plfile.delete(sfn)
                flock.close()
        # Lock and load the cache
        lru, lruflock = loadLRU()
        # If the file exists in the cache, move it up in the LRU, unlock the cache and return it
        for i, entry in enumerate(lru):
            if entry == cachePath:
                # Check if the file actually exists (it could have been manually deleted)
                if paths.filep(cachePath):
                    del lru[i]
                    unlock()
                    return cachePath, None
                else:
                    del lru[i]
                    break
        # It needs to be downloaded, make sure there is room in the cache
        while dataset.dirsize(root) > (80 * maxCacheSize / 100) and len(lru) > 0:
            ok = plfile.delete(lru.pop())   # True, or the Failure (None, err, errno)
            if not ok:
                raise RuntimeError(ok[1])
        # Flush any changes
        saveLRU(lru, lruflock)
        lruflock = None
        # Switch the lock away from the LRU and to the file itself
        # If any other process gets here they will block
        flock = ipc.flock(sfn)
        # If it exists, then we don't need to re-download it
        if exists(cachePath, isDir):
            unlock()
            unlock = None
        # Finally return path and a function to unlock
        return cachePath, unlock

    def get(remotePath, localPath, download, isDir=None):
        cachePath, unlock = lock(remotePath, localPath, isDir)
        if unlock:
            try:
                download(remotePath, cachePath, isDir)
            except Exception:     # noqa: BLE001  (the Lua's pcall)
                plfile.delete(cachePath)
            unlock()
        return cachePath

    def evict(remotePath, localPath=None):
        if localPath:
            plfile.delete(localPath)
        if forceEvict:
            cachePath = getCachePath(remotePath)
            lru, flock = loadLRU()
            for i, entry in enumerate(lru):
                if entry == cachePath:
                    plfile.delete(entry)
                    del lru[i]
                    saveLRU(lru, flock)
                    return
            flock.close()

    return {
        'lock': lock,
        'get': get,
        'evict': evict,
    }
