"""lua/IndexTensor.lua: an index over a tensor of items (or ``{'x': items, 'y': labels}``), optionally shuffled
by ``opt['perm']`` (0-based, as ``lg.randperm``'s) and cut to partition ``partition`` of ``partitions`` (every
``partitions``-th item from the ``partition``-th, 0-based). ``torch[name]`` is ``getattr(lg, name)``;
``opt.perm or torch.randperm(n)`` tests the tensor for None (docs/porting.md's `x = x or torch.Tensor()` row)."""
import legonn as torch


def IndexTensor(tensorOrTable, partition=None, partitions=None, opt=None):

    partition = partition or 0
    assert partition >= 0
    partitions = partitions or 1
    assert partitions >= 1
    assert partition < partitions
    opt = opt or {}

    def downsample(input):
        if partitions > 1:
            n = input.size(0) // partitions
            m = input.size(0) % partitions
            if partition < m:
                n = n + 1
            dims = [n]
            for i in range(1, input.nDimension()):
                dims.append(input.size(i))
            TT = getattr(torch, torch.typename(input).split(".")[1])
            output = TT(*dims)
            j = partition
            for i in range(n):
                if len(dims) > 1:
                    output[i].copy(input[j])
                else:
                    output[i] = input[j]
                j = j + partitions
            return output
        return input

    def shuffle(input, perm):
        output = input.clone()
        for i in range(input.size(0)):
            if input.nDimension() > 1:
                output[i].copy(input[perm[i]])
            else:
                output[i] = input[perm[i]]
        return output

    items = None
    itemLabels = None
    classes = {}
    labels = []
    totalItems = 0

    if isinstance(tensorOrTable, dict):
        assert tensorOrTable.get('x') is not None, 'IndexTensor requires "x" table entry for items'
        assert tensorOrTable.get('y') is not None, 'IndexTensor requires "y" table entry for labels'
        items = tensorOrTable['x']
        itemLabels = tensorOrTable['y']
        if opt.get('shuffle'):
            perm = opt['perm'] if opt.get('perm') is not None else torch.randperm(items.size(0))
            items = shuffle(items, perm)
            itemLabels = shuffle(itemLabels, perm)
        items = downsample(items)
        itemLabels = downsample(itemLabels)
        seen = {}

        def count(label):
            nonlocal totalItems
            if not seen.get(label):
                labels.append(label)
                seen[label] = 1
            else:
                seen[label] = seen[label] + 1
            totalItems = totalItems + 1
        itemLabels.apply(count)
        for label in labels:
            classes[label] = torch.LongTensor(seen[label])
        seen = {}
        i = 0

        def place(label):
            nonlocal i
            seen[label] = (seen.get(label) and seen[label] + 1) or 1
            classes[label][seen[label] - 1] = i
            i = i + 1
        itemLabels.apply(place)
        classes['*'] = items
    else:
        items = tensorOrTable
        if opt.get('shuffle'):
            perm = opt['perm'] if opt.get('perm') is not None else torch.randperm(items.size(0))
            items = shuffle(items, perm)
        items = downsample(items)
        totalItems = items.size(0)

    if opt.get('cuda'):
        items = items.cuda()

    labels.sort()
    labelIndex = {}
    for i, v in enumerate(labels):
        if v != '*':
            labelIndex[v] = i

    def itemCount(label=None):
        if label is not None:
            return classes[label].size(0)
        else:
            return totalItems

    def itemAt(index, label=None):
        if label is not None:
            return items[classes[label][index]], label
        else:
            return items[index], itemLabels[index] if itemLabels is not None else None

    return {
        'labels': labels,
        'labelIndex': labelIndex,
        'itemCount': itemCount,
        'itemAt': itemAt,
        'indexType': 'Tensor'
    }
