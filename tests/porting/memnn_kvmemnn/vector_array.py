"""KVmemnn/library/vector_array.lua of facebookarchive/MemNN, ported line by line: a class for storing an array
of vectors (d x n matrices) efficiently.

The Lua table ``VectorArray`` with ``setmetatable(va, {__index = VectorArray})`` is a Python class whose
``VectorArray:new(...)``, ``:load``, ``:create_from_tds_hash`` and ``:save_atomic_vector`` (called on the class
table) are classmethods. Offsets in ``idx`` are 0-based (Lua's ``offset = self.sz[1] + 1`` is ``self.sz[0]``) and
``get(i)`` takes a 0-based entry; ``create_from_tds_hash`` reads keys 0 .. max_key (Lua's 1 .. max_key).
``x:dim() > 0`` (a test for an empty tensor) is ``x.nElement() != 0`` (docs/porting.md's ``list:dim() ~= 0``
row: legonn's empty tensor has one dimension of size 0). ``save`` writes ``vars(self)`` and ``load`` puts the
loaded fields into an object of the class (docs/porting.md's NAMAS ``torch.save(fname, self)`` row). Not ported:
``get_shared`` and ``new_shared``, which hand raw storage addresses to other threads through thread_utils.lua's
``ffi.cast`` of THStorage structs (Python cannot make a tensor over an address; legonn.threads shares tensors by
sending them).
"""
import math

import legonn as lg


class VectorArray:

    @classmethod
    def new(cls, maxsz, maxcnt, n=None, useDoubles=None):
        """Create an array of vectors.
        Arguments:
        maxsz: maximum amount of floats/doubles to be stored.
        maxcnt: maximum number of vectors in the array.
        n: size(2) of the vectors, i.e. each vector is d x n, where d is
         variable, but n is fixed (usually set to 1 or 2).
        useDoubles: true=double or false=float (default)."""
        va = cls()
        va.n = n or 1
        va.useDoubles = useDoubles or False
        if useDoubles:
            va.storage = 'DoubleStorage*'
        else:
            va.storage = 'FloatStorage*'
        # Contains all the data.
        va.data = va.Tensor(maxsz, n)
        # Tells us where to point inside idata to get the i-th entry.
        va.idx = lg.DoubleTensor(maxcnt)
        # The dimensions of the i-th entry.
        va.len = lg.DoubleTensor(maxcnt)
        # Right now there are no entries.
        va.cnt = lg.DoubleTensor(1)
        va.sz = lg.DoubleTensor(1)
        va.clear()
        return va

    def resize(self, len=None, items=None):
        """resizes if necessary, ensuring at least enough extra space for 'items' more
        additions of length 'len'"""
        items = items or 1
        len = len or items
        currcnt = int(self.cnt[0])
        maxcnt = self.len.size(0)
        currsz = self.sz[0]
        maxsz = self.data.size(0)

        GROWTH_FACTOR = (1 + math.sqrt(5)) / 2  # golden ratio
        # add more indices if you're full
        chk1 = chk2 = None
        if maxcnt - currcnt < items:
            if currcnt > 0:
                chk1 = self.idx[0]
                chk2 = self.idx[currcnt - 1]
            self.idx.resize(math.ceil((maxcnt + items) * GROWTH_FACTOR))
            # safety checks
            if currcnt > 0:
                assert self.idx[0] == chk1
                assert self.idx[currcnt - 1] == chk2
                chk1 = self.len[0]
                chk2 = self.len[currcnt - 1]
            self.len.resize(math.ceil((maxcnt + items) * GROWTH_FACTOR))
            if currcnt > 0:
                assert self.len[0] == chk1
                assert self.len[currcnt - 1] == chk2
        # add more space if you're full
        if maxsz - currsz < len:
            if currcnt > 0:
                chk1 = self.get(0)
                chk2 = self.get(currcnt - 1)
            if self.n > 1:
                self.data.resize(math.ceil((maxsz + len) * GROWTH_FACTOR), self.n)
            else:
                self.data.resize(math.ceil((maxsz + len) * GROWTH_FACTOR))
            if currcnt > 0:
                assert self.get(0).eq(chk1).sum() == chk1.numel()
                assert self.get(currcnt - 1).eq(chk2).sum() == chk2.numel()

    def clip(self):
        """Clip tensors to the current sizes, this is used when
        the data will not get any bigger to save memory."""
        curr_cnt = int(self.cnt[0])
        chk1 = chk2 = None

        if curr_cnt > 0:
            chk1 = self.idx[0]
            chk2 = self.idx[curr_cnt - 1]
        self.idx.resize(curr_cnt)
        # safety checks
        if curr_cnt > 0:
            assert self.idx[0] == chk1
            assert self.idx[curr_cnt - 1] == chk2
            chk1 = self.len[0]
            chk2 = self.len[curr_cnt - 1]
        self.len.resize(curr_cnt)
        if curr_cnt > 0:
            assert self.len[0] == chk1
            assert self.len[curr_cnt - 1] == chk2

            chk1 = self.get(0)
            chk2 = self.get(curr_cnt - 1)
        if self.n > 1:
            self.data.resize(int(self.sz[0]), self.n)
        else:
            self.data.resize(int(self.sz[0]))
        if curr_cnt > 0:
            assert self.get(0).eq(chk1).sum() == chk1.numel()
            assert self.get(curr_cnt - 1).eq(chk2).sum() == chk2.numel()

    def Tensor(self, d, n=None):
        if n is None:
            n = 1
        if self.useDoubles:
            if n > 1:
                return lg.DoubleTensor(d, self.n)
            else:
                return lg.DoubleTensor(d)
        else:
            if n > 1:
                return lg.FloatTensor(d, self.n)
            else:
                return lg.FloatTensor(d)

    def clear(self):
        self.cnt[0] = 0
        self.sz[0] = 0

    def size(self):
        return self.cnt[0]

    def get(self, i):
        # A narrow gives us the data with no copy.
        return self.data.narrow(0, int(self.idx[i]), int(self.len[i]))

    def check_and_resize(self, len, items):
        """ensures enough space is available for new items"""
        if self.sz[0] + len > self.data.size(0) or self.cnt[0] + items > self.idx.size(0):
            self.resize(len, items)

    def add(self, x):
        if self.useDoubles:
            if lg.typename(x) != 'torch.DoubleTensor':
                raise ValueError('expected torch.DoubleTensor')
        else:
            if lg.typename(x) != 'torch.FloatTensor':
                raise ValueError('expected torch.FloatTensor')
        len = x.size(0)  # Size of the current entry.
        self.check_and_resize(len, 1)  # resize if more space is needed
        offset = int(self.sz[0])  # Where are we now inside data.
        # Copy the data.
        self.data.narrow(0, offset, len).copy(x)

        cnt = int(self.cnt[0]) + 1
        self.idx[cnt - 1] = offset
        self.len[cnt - 1] = len
        self.sz[0] = self.sz[0] + len
        self.cnt[0] = cnt
        return True

    def add_vecarr(self, va):
        if not va:
            return False
        len = int(va.sz[0])
        items = int(va.cnt[0])
        self.check_and_resize(len, items)  # resize if more space is needed
        data_offset = int(self.sz[0])  # Where are we now inside data.
        otherData = va.data.narrow(0, 0, int(va.sz[0]))
        self.data.narrow(0, data_offset, len).copy(otherData)

        cnt_offset = int(self.cnt[0])
        otherIdx = va.idx.narrow(0, 0, int(va.cnt[0]))
        otherLen = va.len.narrow(0, 0, int(va.cnt[0]))
        self.idx.narrow(0, cnt_offset, items).copy(otherIdx).add(data_offset)
        self.len.narrow(0, cnt_offset, items).copy(otherLen)
        self.sz[0] = self.sz[0] + len
        self.cnt[0] = self.cnt[0] + items
        return True

    @classmethod
    def load(cls, filename):
        print("[loading VectorArray: " + filename + "]")
        va = cls()
        vars(va).update(lg.load(filename))
        return va

    def save(self, filename):
        print('[saving VectorArray:' + filename + ']')
        lg.save(filename, vars(self))
        return True

    @classmethod
    def create_from_tds_hash(cls, hash):
        max_key = -1
        for i, k in hash.items():
            if i > max_key:
                max_key = i
        maxcnt = max_key + 1
        assert maxcnt > 0

        maxsz = 0
        for i in range(maxcnt):
            if hash[i] is not None and hash[i].nElement() != 0:
                maxsz = maxsz + hash[i].size(0)
            else:
                maxsz = maxsz + 1
        n = 1
        useDoubles = False
        for i in range(maxcnt):
            if hash[i] is not None and hash[i].nElement() != 0:
                if hash[i].dim() == 2:
                    n = hash[i].size(1)
                useDoubles = getattr(hash[i], '__typename') == 'torch.DoubleTensor'
                break
        holder = cls.new(maxsz, maxcnt, n, useDoubles)

        for i in range(maxcnt):
            if hash[i] is not None and hash[i].nElement() != 0:
                holder.add(hash[i])
            else:
                if useDoubles:
                    tmpvec = lg.DoubleTensor([0])
                else:
                    tmpvec = lg.FloatTensor([0])
                holder.add(tmpvec)
        return holder

    @classmethod
    def save_atomic_vector(cls, filename, atom_vec):
        assert len(atom_vec) > 0
        maxcnt = len(atom_vec)
        maxsz = 0
        for i in range(maxcnt):
            if atom_vec[i].nElement() != 0:
                maxsz = maxsz + atom_vec[i].size(0)
            else:
                maxsz = maxsz + 1
        n = atom_vec[0].size(1)
        useDoubles = getattr(atom_vec[0], '__typename') == 'torch.DoubleTensor'

        holder = cls.new(maxsz, maxcnt, n, useDoubles)
        for i in range(maxcnt):
            if atom_vec[i].nElement() != 0:
                holder.add(atom_vec[i])
            else:
                if useDoubles:
                    tmpvec = lg.DoubleTensor(1, n)
                else:
                    tmpvec = lg.FloatTensor(1, n)
                tmpvec[0][0] = i
                holder.add(tmpvec)
        holder.save(filename)
