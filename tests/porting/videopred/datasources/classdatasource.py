"""datasources/classdatasource.lua: ClassDatasource, the base of the datasources (batch buffers, normalisation
to [-1, 1], the CPU/CUDA result type)."""
import legonn as lg


class ClassDatasource:

    def __init__(self):
        self.tensortype = lg.getdefaulttensortype()
        self.output_cpu, self.labels_cpu = lg.Tensor(), lg.LongTensor()

    def center(self, trainset, sets):
        # unused, TODO move
        raise RuntimeError("shouldn't be used for now")

    def normalize(self, trainset, sets, fullset=None):
        def getminmax(set):
            if fullset or set.size(0) < 100:
                return set.min(), set.max()
            else:
                set = set[0:100]  # :contiguous()
                return set.min(), set.max()
        # scales the data between -1 and 1
        if trainset.dim() == 3:
            # grayscale
            mini, maxi = getminmax(trainset)
            for set in sets.values():
                set.add(-mini).mul(2 / (maxi - mini)).add(-1)
        else:
            # rgb (or multichannel)
            assert trainset.dim() == 4
            for iChannel in range(trainset.size(1)):
                mini, maxi = getminmax(trainset[:, iChannel])
                for set in sets.values():
                    set[:, iChannel].add(-mini).mul(2 / (maxi - mini)).add(-1)

    def typeResults(self, output, labels):
        if self.tensortype == 'torch.CudaTensor':
            self.output_gpu.resize(output.size()).copy(output)
            self.labels_gpu.resize(labels.size()).copy(labels)
            return self.output_gpu, self.labels_gpu
        else:
            return output, labels

    def type(self, typ):
        self.tensortype = typ
        if typ == 'torch.CudaTensor':
            self.output_gpu = lg.CudaTensor()
            self.labels_gpu = lg.CudaTensor()
        else:
            self.output_cpu = self.output_cpu.type(typ)
            self.output_gpu = None
            self.labels_gpu = None

    def cuda(self):
        self.type('torch.CudaTensor')

    def float(self):
        self.type('torch.FloatTensor')

    def double(self):
        self.type('torch.DoubleTensor')
