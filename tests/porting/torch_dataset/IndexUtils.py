"""lua/IndexUtils.lua: the classes of an index (label -> its items), their partition, labels and item lookup.
Partitions and indices are 0-based. The Lua keeps item i (from 1) of a class in partition p (from 1) when
``i % partitions == p - 1``: its number enters the remainder, so it stays ``i + 1`` of the 0-based i
(partition 0 holds the partitions-th, 2 partitions-th, ... items, as the Lua's partition 1 does)."""


def IndexUtils(opt=None):

    opt = opt or {}

    def startsWith(s, p):
        return s[:len(p)] == p

    def addItem(classes, item, label):
        klass = classes.get(label)
        if not klass:
            klass = {'label': label, 'numItems': 0, 'items': []}
            classes[label] = klass
        klass['numItems'] = klass['numItems'] + 1
        klass['items'].append(item)

    def downsampleLabelled(classes, partition, partitions):
        assert partition >= 0
        assert partitions >= 1
        assert partition < partitions

        if partitions == 1:
            return classes
        else:
            ret = {}
            for _, klass in classes.items():
                nc = {'label': klass['label'], 'numItems': 0, 'items': []}
                ret[klass['label']] = nc
                for i, item in enumerate(klass['items']):
                    if ((i + 1) % partitions) == partition:
                        nc['numItems'] = nc['numItems'] + 1
                        nc['items'].append(item)
            return ret

    def withPrefix(filename, urlPrefix, urlSuffix):
        ret = filename
        if urlPrefix is not None:
            ret = urlPrefix + '/' + ret
        if urlSuffix is not None:
            ret = ret + '?' + urlSuffix
        return ret

    def itemFromClassAt(klass, label, index, urlPrefix, urlSuffix):
        assert index < klass['numItems']
        item = klass['items'][index]
        return withPrefix(item['filename'], urlPrefix, urlSuffix), label, item.get('offset'), item.get('length')

    def downsampleAndGetLabels(loaded, partition, partitions):
        classes = downsampleLabelled(loaded, partition, partitions)
        labels = []
        totalItems = 0
        for _, klass in classes.items():
            if klass['label'] != '*':
                labels.append(klass['label'])
            totalItems = totalItems + klass['numItems']
        labels.sort()
        labelIndex = {}
        for i, v in enumerate(labels):
            if v != '*':
                labelIndex[v] = i
        return classes, totalItems, labels, labelIndex

    def itemCount(classes, totalItems):
        def count(label=None):
            if label is not None:
                return classes[label]['numItems']
            else:
                return totalItems
        return count

    def itemAt(classes, totalItems, labels, urlPrefix, urlSuffix=None):
        def at(index, label=None):
            assert index >= 0
            if label is not None:
                return itemFromClassAt(classes[label], label, index, urlPrefix, urlSuffix)
            else:
                assert index < totalItems
                for v in labels:
                    n = classes[v]['numItems']
                    if index < n:
                        return itemFromClassAt(classes[v], v, index, urlPrefix, urlSuffix)
                    else:
                        index = index - n
                unlabeled = classes.get('*')
                if unlabeled is not None and index < unlabeled['numItems']:
                    return itemFromClassAt(unlabeled, '', index, urlPrefix, urlSuffix)
            raise RuntimeError('Unreachable')
        return at

    return {
        'addItem': addItem,
        'itemFromClassAt': itemFromClassAt,
        'downsampleAndGetLabels': downsampleAndGetLabels,
        'itemCount': itemCount,
        'itemAt': itemAt,
    }
