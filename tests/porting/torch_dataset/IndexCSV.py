"""lua/IndexCSV.lua: an index read from a CSV file (``filename`` column, any ``label*`` columns, optional
``offset`` and ``length``), its URL prefix from ``<name>-meta.csv``'s second line. Lua's ``gmatch('[^,]+')``
is ``re.findall``: empty fields are skipped as in the Lua. ``table.sort(t, less)`` is ``t.sort`` with
``functools.cmp_to_key`` of that comparator."""
import functools
import re
import sys

import legonn as lg
from legonn import paths

from .IndexUtils import IndexUtils


def IndexCSV(url, partition=None, partitions=None, opt=None):

    partition = partition or 0
    assert partition >= 0
    partitions = partitions or 1
    assert partitions >= 1
    assert partition < partitions
    opt = opt or {}
    indexUtils = IndexUtils(opt)
    splitExpr = '[^' + (opt.get('separator') or ",") + ']+'

    def loadURLPrefix(url, isFileBased):
        metaURL = opt.get('metaURL') or (paths.dirname(url) + '/' + paths.basename(url, paths.extname(url))
                                         + '-meta.csv')
        if paths.filep(metaURL):
            lines = open(metaURL).read().splitlines()
            i = 0
            for line in lines:
                if i == 1:
                    return line
                i = i + 1
        elif isFileBased:
            return paths.dirname(url)

    def splitLine(line):
        parts = []
        for part in re.findall(splitExpr, line):
            parts.append(part)
        return parts

    def loadCSV(url):
        lines = open(url).read().splitlines()
        classes = {}
        lineno = 0
        filenamePos = None
        offsetPos = None
        lengthPos = None
        labelPos = []
        for line in lines:
            parts = splitLine(line)
            if lineno == 0:
                for pos, part in enumerate(parts):
                    if part == 'filename':
                        assert filenamePos is None, 'Index CSV can only have one filename column'
                        filenamePos = pos
                    elif part == 'offset':
                        assert offsetPos is None, 'Index CSV can only have one offset column'
                        offsetPos = pos
                    elif part == 'length':
                        assert lengthPos is None, 'Index CSV can only have one length column'
                        lengthPos = pos
                    elif part[0:5] == 'label':
                        labelPos.append(pos)
                    elif not opt.get('ignoreUnknownColumns'):
                        sys.stderr.write('Index CSV unknown column: ' + part + '\n')
                assert filenamePos is not None, 'Index CSV must have a filename column'
            else:
                item = {
                    'filename': parts[filenamePos] if filenamePos < len(parts) else None
                }
                assert item['filename']
                if offsetPos is not None:
                    item['offset'] = int(parts[offsetPos])
                    assert item['offset'] is not None
                if lengthPos is not None:
                    item['length'] = int(parts[lengthPos])
                    assert item['length'] is not None
                if len(labelPos) > 0:
                    for pos in labelPos:
                        label = parts[pos] if pos < len(parts) else None
                        if label is not None:
                            indexUtils['addItem'](classes, item, label)
                else:
                    indexUtils['addItem'](classes, item, '*')
            lineno = lineno + 1
        for _, klass in classes.items():
            klass['items'].sort(key=functools.cmp_to_key(_itemOrder))
        return classes, offsetPos is not None

    def _itemOrder(a, b):   # Lua's table.sort comparator ``a < b``, as a Python comparison
        if a['filename'] == b['filename']:
            if a.get('offset') is not None and a['offset'] != b['offset']:
                return -1 if a['offset'] < b['offset'] else 1
            if a.get('length') is not None:
                return -1 if a['length'] < b['length'] else (1 if b['length'] < a['length'] else 0)
            return 0
        else:
            return -1 if a['filename'] < b['filename'] else 1

    loaded, isFileBased = loadCSV(url)

    urlPrefix = loadURLPrefix(url, isFileBased)
    urlSuffix = None
    if opt.get('urlParams'):
        keys = []
        for k in opt['urlParams']:
            keys.append(k)
        keys.sort()
        for k in keys:
            v = opt['urlParams'][k]
            if urlSuffix:
                urlSuffix = urlSuffix + '&' + lg.tostring(k) + '=' + lg.tostring(v)
            else:
                urlSuffix = lg.tostring(k) + '=' + lg.tostring(v)

    classes, totalItems, labels, labelIndex = indexUtils['downsampleAndGetLabels'](loaded, partition, partitions)

    return {
        'labels': labels,
        'labelIndex': labelIndex,
        'itemCount': indexUtils['itemCount'](classes, totalItems),
        'itemAt': indexUtils['itemAt'](classes, totalItems, labels, urlPrefix, urlSuffix),
        'urlPrefix': urlPrefix,
        'reset': None,
        'indexType': 'CSV'
    }

