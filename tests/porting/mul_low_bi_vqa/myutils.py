"""myutils.lua (all). ``paths.numfiles``, ``table.keys`` / ``values`` / ``intersect`` / ``inverse`` / ``merge``
and ``string.trim``, which the Lua adds to Lua's own tables, are this module's functions (legonn's paths is not
extended for every user: docs/porting.md's ``function torch.find`` row)."""
import re

from legonn import cjson, paths


# ------------------------------------------------------------------------
# Write to / Read from Json file
# ------------------------------------------------------------------------
def writeAll(file, data):
    f = open(file, 'w')
    f.write(data)
    f.close()


def readAll(file, verbose=None):
    if verbose:
        print('reading ' + file + ' ...')
    f = open(file, 'r')
    text = f.readline()   # f:read() reads one line
    f.close()
    json_file = cjson.decode(text)
    return json_file


def saveJson(fname, t):
    return writeAll(fname, cjson.encode(t))


def readFileAll(path):
    f = open(path)
    b = f.read()
    f.close()
    return b


def numfiles(s, regex):
    cnt = 0
    for f in paths.iterfiles(s):
        if re.search(regex, f):   # f:find(regex), a Lua pattern
            cnt = cnt + 1
    return cnt


def keys(tab):
    keys = []
    for k, v in tab.items():
        keys.append(k)
    return keys


def values(tab, unique=None):
    values = []
    if unique:
        seen = {}
        for k, v in tab.items():
            seen[v] = 1
        return keys(seen)
    else:
        for k, v in tab.items():
            values.append(v)
        return values


def intersect(a, b):
    union = []
    for i in range(len(b)):
        for j in range(len(a)):
            if b[i] == a[j]:
                union.append(a[j])
                break
    return union


def inverse(tab):
    _tab = {}
    for k, v in tab.items():
        _tab[v] = k
    return _tab


def merge(a, b):  # for lists
    for v in b:
        a.append(v)
    return a


def trim(self):
    return re.sub(r'\s+$', '', re.sub(r'^\s+', '', self))
