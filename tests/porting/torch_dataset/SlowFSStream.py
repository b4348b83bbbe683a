"""lua/SlowFSStream.lua: the records of a SlowFS's part files, one part after the other, through the file
system's ``streamFormat(part, persist)`` (a stream with ``next()`` and ``record()``, and a function to wait
for, or signal, its end). ``stream:next()`` is ``stream['next']()``. The partition (``opt['partition']``,
0-based) keeps every ``partitions``-th part from the ``partition``-th."""


def SlowFSStream(slowFS, allParts, opt=None):
    opt = opt or {}
    maxRecords = opt.get('maxRecords') or 0
    partition = opt.get('partition') or 0
    partitions = opt.get('partitions') or 1

    currentRecord = 0
    stream, wait = None, None
    currentPart = 0
    parts = []
    for i, part in enumerate(allParts):
        if (i % partitions) == partition:
            parts.append(part)
    # TODO: maybe make this automatic based on part sizes?
    if opt.get('mergeParts'):
        parts = [' '.join(parts)]
    # Always persist unless they explicitly state otherwise
    opt['persist'] = True if opt.get('persist') is None else opt['persist']

    def reset(signal=None):
        nonlocal stream, currentPart, currentRecord
        if stream:
            wait(signal)
            stream = None
        currentPart = 0
        currentRecord = 0

    def next():
        nonlocal stream, wait, currentPart, currentRecord
        if maxRecords != 0 and currentRecord == maxRecords:
            reset("TERM")
        else:
            if stream:
                if stream['next']():
                    currentRecord = currentRecord + 1
                    return True
                wait()
                stream = None
                currentPart = currentPart + 1
            if currentPart < len(parts):
                streamx, waitx = slowFS['streamFormat'](parts[currentPart], opt['persist'])
                stream = streamx
                wait = waitx
                if stream['next']():
                    currentRecord = currentRecord + 1
                    return True

    def record():
        return stream['record']()

    def recordPointer():
        return stream['recordPointer']()

    if opt.get('cleanup'):
        for i, part in enumerate(parts):
            cache['evict'](part)  # noqa: F821  (the Lua's global ``cache`` is never set either: an error)

    return {
        'next': next,
        'reset': reset,
        'record': record,
        'recordPointer': recordPointer,
    }
