"""misc/mhdf5.lua (all): an in-memory cache of the first N image features read from an h5 file."""
import legonn as lg


class mhdf5:
    def __init__(self, hdf5, dims, N):
        self.hdf5 = hdf5
        self.N = N
        self.data = lg.Tensor(N, *dims)
        self.index = {}
        self.numCached = 0
        self.verbose = False

    def get(self, key):
        if not self.index.get(key):
            d = self.hdf5.read(key).all()
            if self.numCached >= self.N:
                if self.verbose:
                    print('missed ' + key)
                return d
            self.numCached = self.numCached + 1
            self.index[key] = self.numCached
            self.data.select(0, self.numCached - 1).copy(d)
            if self.verbose:
                print('cached ' + key)
        else:
            if self.verbose:
                print('hit ' + key)
        return self.data[self.index[key] - 1]
