"""saveTXT.lua: ``save2txt(filename, data, precision)`` writes a list of numbers, a table of rows (of numbers or
of 1-D tensors: per-epoch error vectors, one per exit), or a 1-D/2-D tensor to ``filename .. '.txt'``, tab
separated, ``precision`` (4) decimals.

Edits beyond Lua syntax and 0-based indices: ``torch.type(data) == 'table'`` is a list test; ``#data[1]`` is
``data[0].size()`` for a tensor row (Lua's ``#`` of a tensor is its size, a LongStorage, whose ``[1]`` the Lua
then reads) and ``len(data[0])`` for a table row; ``io.open``/``file:write`` are Python's ``open``/``write``."""
import legonn as lg


def save2txt(filename, data, precision=None):

    precision = precision or 4

    sz = None
    if isinstance(data, list) and len(data) > 0:
        n = len(data)
        d = data[0].size() if lg.isTensor(data[0]) else len(data[0])
        if not isinstance(d, int):
            d = d[0]
        sz = [n, d]
    elif lg.isTensor(data):
        sz = data.size()
    else:
        print('Input cannot be saved to TXT file')

    if len(sz) == 1:
        with open(filename + '.txt', "w") as file:
            for i in range(sz[0]):
                file.write(('%0.' + str(precision) + 'f\t') % data[i])
                file.write('\n')
    elif len(sz) == 2:
        with open(filename + '.txt', "w") as file:
            for i in range(sz[0]):
                for j in range(sz[1]):
                    file.write(('%0.' + str(precision) + 'f\t') % data[i][j])
                file.write('\n')
    else:
        print('Input cannot be saved to TXT file')
