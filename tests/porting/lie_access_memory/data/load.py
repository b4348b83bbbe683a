"""data/load.lua: ``loader.load(opt)`` reads ``opt.dataset``'s metadata.json (its fields are copied into ``opt``),
tensor.hdf5's ``train`` and ``valid`` tensors (batch-major rows of 1-based symbol codes, generate.py's
``oneindex``) and str2int.txt (``symbol<TAB>code`` lines): ``train, valid, idx2char, char2idx``. The codes are
data, kept as generate.py wrote them (1-based); idx2char is a dict keyed by them, as the Lua's table.
``read_file`` reads with a Python file (legonn's DiskFile has no ``readString``, as docs/porting.md says)."""
from legonn import cjson, hdf5, paths


def read_file(filepath):
    # torch.DiskFile(filepath, 'r'):readString('*a'): legonn's DiskFile holds objects, a Python file reads text
    # (docs/porting.md's DiskFile row)
    with open(filepath, 'r') as file:
        return file.read()


loader_path = paths.dirname(paths.thisfile())


class loader:

    @staticmethod
    def get_translate(file):
        f = open(file, 'r')
        idx2char = {}
        char2idx = {}
        for line in f:
            c = []
            for w in line.split():
                c.append(w)
            idx2char[int(c[1])] = c[0]
            char2idx[c[0]] = int(c[1])
        return idx2char, char2idx

    @staticmethod
    def load(opt):
        metapath = paths.concat(opt['dataset'], 'metadata.json')
        meta = cjson.decode(read_file(metapath))

        tensorfile = paths.concat(opt['dataset'], 'tensor.hdf5')
        tensors = hdf5.open(tensorfile, 'r')
        train = tensors.read('train').all()
        valid = tensors.read('valid').all()
        tensors.close()

        for k, v in meta.items():
            opt[k] = v
        idx2char, char2idx = loader.get_translate(
            paths.concat(opt['dataset'], 'str2int.txt'))

        return train, valid, idx2char, char2idx
