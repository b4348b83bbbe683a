"""lua/Sampler.lua: the samplers over an index: ``Sampler(kind, index, label, options)`` returns ``(next,
reset)``; ``next()`` gives ``index.itemAt``'s results for the next item, or None past the end of a linear or
permutation pass. Indices are 0-based: ``torch.random(1, n)`` is ``torch.random(0, n)`` (0 .. n-1), a
permutation is ``torch.randperm(n)``'s 0 .. n-1, ``torch.multinomial``'s class is 0-based; the part
samplers' part files and items count from 0 too. ``p[{{1, depth}}]`` is ``p[0:depth]``; ``cond and t or x``
of a tensor ``t`` is ``t if cond else x`` and ``w or d`` of a weight that may be 0 tests for None
(docs/porting.md's rows)."""
import legonn as torch


def LinearSampler(index, label=None):
    assert index['indexType'] != 'SlowFS', \
        "LinearSampler is not supported for SlowFS. Use PartLinearSampler (part-linear)."

    i = -1
    n = index['itemCount'](label)

    def next():
        nonlocal i
        i = i + 1
        if i < n:
            return index['itemAt'](i, label)

    def reset():
        nonlocal i
        i = -1
    return next, reset


def tableCopy(t):
    r = []
    for p in t:
        r.append(p)
    return r


def PartLinearSampler(index):
    assert index['indexType'] == 'SlowFS', \
        "PartLinearSampler is only supported for SlowFS. Type of index passed: " + index['indexType']
    assert index['numFiles'] > 0, "Must have at least one part file in SlowFS index."

    fileCounter = 0
    itemCounter = -1
    numFiles = index['numFiles']
    itemsInCurrentPart = None

    def reset():
        nonlocal fileCounter, itemCounter
        # clear the index
        index['reset']()

        # tell the index to start prefetching
        for partIndex in range(numFiles):
            index['addPartIndex'](partIndex)

        # reset the counters
        fileCounter = 0
        itemCounter = -1

    def next():
        nonlocal fileCounter, itemCounter, itemsInCurrentPart
        itemCounter = itemCounter + 1

        if fileCounter < numFiles:
            # first time file access, trigger finish import and get num items
            if itemCounter == 0:
                itemsInCurrentPart = index['itemsInPart'](fileCounter)

            if fileCounter is not None and itemCounter < itemsInCurrentPart:
                url, offset, length = index['itemAt'](fileCounter, itemCounter)
                return url, '', offset, length
            # ran out of items in this file
            # start next file
            if itemCounter >= itemsInCurrentPart:
                # remove second to last file since the reader may
                # not be done reading fromt the current file
                # (all the files are cleared in reset)
                if fileCounter > 1:
                    index['doneWithPart'](fileCounter - 1)

                fileCounter = fileCounter + 1
                itemCounter = -1
                # try again
                return next()
            return None
    # start the sampler
    reset()

    return next, reset


def UniformSampler(index, label=None):
    assert index['indexType'] != 'SlowFS', "UniformSampler is not supported for SlowFS."

    def next():
        id = torch.random(0, index['itemCount'](label))
        return index['itemAt'](id, label)

    def reset():
        pass  # nothing to do on reset
    return next, reset


def getNewPerm(size, oldPerm=None, depth=None):
    if oldPerm is None:
        return torch.randperm(size)

    depth = (depth and max(2, min(depth, size))) or 2

    # Make sure we have a different distribution
    # when resetting the permutation to make test work.
    oldval = None
    if oldPerm is not None:
        oldval = oldPerm[0:depth].clone() if size >= depth else None

    newval = None
    # Loop til they are different.
    # Prob[k identical values | permSize == n] = (n-k)!/n!,
    # so perfectly fine regarding to memory allocation even for small sizes.
    while newval is None or (oldval is not None and torch.add(newval, -1, oldval).abs().sum() == 0):
        oldPerm = torch.randperm(size)
        newval = oldPerm[0:depth].clone() if size >= depth else True
    return oldPerm


def PermutationSampler(index, label=None):
    assert index['indexType'] != 'SlowFS', "PermutationSampler is not supported for SlowFS."

    n = index['itemCount'](label)
    p = getNewPerm(n, None)
    i = -1

    def next():
        nonlocal i
        i = i + 1
        if i < n:
            return index['itemAt'](p[i], label)

    def reset():
        nonlocal p, i
        p = getNewPerm(n, p)
        i = -1
    return next, reset


def LabelUniformSampler(index):
    assert index['indexType'] != 'SlowFS', "LabelUniformSampler is not supported for SlowFS."

    def next():
        label = index['labels'][torch.random(0, len(index['labels']))]
        return index['itemAt'](torch.random(0, index['itemCount'](label)), label)

    def reset():
        pass  # nothing to do on reset
    return next, reset


def LabelDistributionSampler(index, distribution):
    assert index['indexType'] != 'SlowFS', "LabelDistributionSampler is not supported for SlowFS."
    weights = []
    # if autoFill, set missing class weights to 1.
    autoFill = None
    if distribution.get('autoFill'):
        autoFill = distribution.pop('autoFill')
    for i, klass in enumerate(index['labels']):
        weight = distribution.get(klass)
        if autoFill:
            weight = weight if weight is not None else distribution.get('defaultWeight', 1)
        else:
            assert weight is not None, 'LabelUniformSampler: 2nd arg must be a table [class]=weight'
        weights.append(weight)
    weights = torch.Tensor(weights)

    def getClass():
        return torch.multinomial(weights, 1)[0]

    def next():
        label = index['labels'][getClass()]
        return index['itemAt'](torch.random(0, index['itemCount'](label)), label)

    def reset():
        pass  # nothing to do on reset
    return next, reset


def LabelPermutationSampler(index):
    assert index['indexType'] != 'SlowFS', "LabelPermutationSampler is not supported for SlowFS."
    filePermTable = {}
    nClasses = len(index['labels'])
    classPerm = None
    i = 0
    fidxt = torch.IntTensor(nClasses).fill(0)

    def next():
        nonlocal i, classPerm
        i = i % nClasses
        if i == 0:
            classPerm = getNewPerm(nClasses, classPerm)

        i = i + 1
        cidx = classPerm[i - 1]
        label = index['labels'][cidx]
        n = index['itemCount'](label)
        fidxt[cidx] = fidxt[cidx] % n

        if fidxt[cidx] == 0:
            filePermTable[cidx] = getNewPerm(n, filePermTable.get(cidx))

        fidxt[cidx] = fidxt[cidx] + 1
        fidx = filePermTable[cidx][fidxt[cidx] - 1]

        return index['itemAt'](fidx, label)

    def reset():
        pass  # nothing to do on reset?
    return next, reset


def PartLinearPermutationSampler(index):
    assert index['indexType'] == 'SlowFS', \
        "PartPermutationSampler is only supported for SlowFS. Type of index passed: " + index['indexType']
    assert index['numFiles'] > 0, "Must have at least one part file in SlowFS index."

    fileCounter = 0
    itemCounter = -1
    numFiles = index['numFiles']
    itemsInCurrentPart = None
    itemPerm = None

    def reset():
        nonlocal fileCounter, itemCounter
        # clear the index
        index['reset']()

        # tell the index to start prefetching
        for partIndex in range(numFiles):
            index['addPartIndex'](partIndex)

        # reset the counters
        fileCounter = 0
        itemCounter = -1

    def next():
        nonlocal fileCounter, itemCounter, itemsInCurrentPart, itemPerm
        itemCounter = itemCounter + 1

        if fileCounter < numFiles:
            # first time file access, trigger finish import and get num items
            # create a permutation for items in the file
            if itemCounter == 0:
                itemsInCurrentPart = index['itemsInPart'](fileCounter)
                itemPerm = getNewPerm(itemsInCurrentPart, itemPerm)

            if fileCounter is not None and itemCounter < itemsInCurrentPart:
                url, offset, length = index['itemAt'](fileCounter, itemPerm[itemCounter])
                return url, '', offset, length
            # ran out of items in this file
            # start next file
            if itemCounter >= itemsInCurrentPart:
                # remove second to last file since the reader may
                # not be done reading fromt the current file
                # (all the files are cleared in reset)
                if fileCounter > 1:
                    index['doneWithPart'](fileCounter - 1)

                fileCounter = fileCounter + 1
                itemCounter = -1
                # try again
                return next()
            return None
    # start the sampler
    reset()

    return next, reset


def PartPermutationPermutationSampler(index):
    assert index['indexType'] == 'SlowFS', \
        "PartPermutationPermutationSampler is only supported for SlowFS. Type of index passed: " + index['indexType']
    assert index['numFiles'] > 0, "Must have at least one part file in SlowFS index."

    partIndexOrder = []
    filePerm = []
    currentPartIndex = None
    itemPerm = None
    fileCounter = 0
    itemCounter = -1
    numFiles = index['numFiles']
    itemsInCurrentPart = None

    def reset():
        nonlocal partIndexOrder, filePerm, currentPartIndex, fileCounter, itemCounter
        # clear the index
        index['reset']()

        # permute file order
        partIndexOrder = torch.totable(getNewPerm(numFiles))

        # copy to keep track of what file we're using
        filePerm = tableCopy(partIndexOrder)

        # tell the index to start prefetching
        for partIndex in partIndexOrder:
            index['addPartIndex'](partIndex)
        # get the current part
        currentPartIndex = partIndexOrder.pop(0)

        # reset the counters
        fileCounter = 0
        itemCounter = -1

    def next():
        nonlocal currentPartIndex, fileCounter, itemCounter, itemsInCurrentPart, itemPerm
        itemCounter = itemCounter + 1

        if fileCounter < numFiles:
            # first time file access, trigger finish import and get num items
            # create a permutation for items in the file
            if itemCounter == 0:
                itemsInCurrentPart = index['itemsInPart'](currentPartIndex)
                itemPerm = getNewPerm(itemsInCurrentPart, itemPerm)

            if currentPartIndex is not None and itemCounter < itemsInCurrentPart:
                url, offset, length = index['itemAt'](currentPartIndex, itemPerm[itemCounter])
                return url, '', offset, length
            # ran out of items in this file
            # start next file
            if itemCounter >= itemsInCurrentPart:
                # remove second to last file since the reader may
                # not be done reading fromt the current file
                # (all the files are cleared in reset)
                if fileCounter > 1:
                    index['doneWithPart'](filePerm[fileCounter - 1])

                currentPartIndex = partIndexOrder.pop(0) if partIndexOrder else None

                fileCounter = fileCounter + 1
                itemCounter = -1
                # try again
                return next()
            return None
    # start the sampler
    reset()

    return next, reset


def Sampler(kind, index, label=None, options=None):
    if kind == 'linear':
        return LinearSampler(index, label)
    elif kind == 'part-linear':
        return PartLinearSampler(index)
    elif kind == 'part-linear-permutation':
        return PartLinearPermutationSampler(index)
    elif kind == 'part-permutation-permutation':
        return PartPermutationPermutationSampler(index)
    elif kind == 'uniform':
        return UniformSampler(index, label)
    elif kind == 'permutation':
        return PermutationSampler(index, label)
    elif kind == 'label-uniform':
        return LabelUniformSampler(index)
    elif kind == 'label-permutation':
        return LabelPermutationSampler(index)
    elif kind == 'label-distribution':
        return LabelDistributionSampler(index, options)
    else:
        raise ValueError("Invalid sampler kind: " + str(kind) + ". See go/torch for the list of accepted samplers.")
