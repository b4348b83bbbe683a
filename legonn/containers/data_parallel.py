"""DataParallelTable: cunn's data parallelism (DataParallelTable.lua) on legonn's one device.

cunn keeps one replica of the module per listed GPU, splits each batch along ``dimension`` into one
chunk per replica, runs the replicas side by side and concatenates their outputs on the first GPU;
backward splits gradOutput alike and sums every replica's parameter gradients into the first
replica's. legonn drives one device, so the replicas run one after the other on it (CPU tensors work
too) and the GPU ids only count and name the replicas: the numbers are those of cunn's towers.
"""
from ..modules.base.errors import input_error
from ..modules.base.module import Module
from ..tensor import Tensor
from ..tensor.indexing import is_whole
from ..tensor.conversion import on_gpu
from ..tensor.introspection import typename as lua_typename
from .container import Container


def _slice_range(n, index, splits):
    """(start, size) of chunk ``index`` (0-based) of ``n`` elements cut into ``splits``: cunn's sliceRange, the
    first ``n % splits`` chunks one element longer than the others."""
    each, extra = divmod(n, splits)
    if index < extra:
        return index * (each + 1), each + 1
    return extra * (each + 1) + (index - extra) * each, each


def _tree_key(count, layers, tensors):
    """What the replicas are made and bound from: the replica count, each layer's class and mode, and where each
    parameter and gradient tensor of the module looks (its type, storage, offset, sizes and strides)."""
    views = tuple((type(t), id(t.storage()), t.storageOffset(), t._size, t.stride()) if isinstance(t, Tensor)
                  else id(t) for t in tensors)
    return count, tuple((type(m), m.train) for m in layers), views


def _has_data(tree):
    if isinstance(tree, Tensor):
        return tree.nElement() != 0
    return any(_has_data(t) for t in tree)


class DataParallelTable(Container):
    """``output`` = the outputs of the replicas on their chunks of the batch, concatenated along ``dimension``
    (0-based); ``gradInput`` likewise, or not made at all when set to None (``dpt.gradInput = nil``).

    ``add(module, gpus)`` holds ``module`` and one replica per GPU id in ``gpus``. Replica i gets chunk i of
    every tensor of the input (a tensor or nested table of them), the first ``batch % n`` chunks one row
    longer; with a batch smaller than the replica count the last replicas sit idle, as in cunn. The
    replicas share the module's parameters and gradients: cunn copies the first replica's parameters to
    the others before each forward that follows a backward, and sums their gradients into the first's
    after it, which sharing does exactly (each replica adds its chunk's gradient in turn, in cunn's order).
    Everything else is the replica's own, as on a real GPU: a BatchNormalization normalises by its
    chunk's statistics and keeps its own running averages. Replicas are made from the module at the first
    forward (and again after ``apply`` or a change to the module's layers, as cunn re-clones); they follow
    the module's train/evaluate modes. ``flattenParams`` packs the parameters into one storage at the first
    forward (``getParameters``); ``usenccl`` is accepted and changes nothing (the sum is the same).
    """
    # a host input of a module on the GPU is copied there chunk by chunk, as cunn's (see _on_module_device); any
    # other device mismatch is refused by the replica that gets the chunk
    any_device = True

    def __init__(self, dimension=None, flattenParams=False, usenccl=False):
        super().__init__()
        if not isinstance(dimension, int) or isinstance(dimension, bool):
            raise TypeError(f"DataParallelTable: must specify a dimension (an integer, 0-based), got {dimension!r}")
        if usenccl and not flattenParams:
            raise ValueError("DataParallelTable: cannot use nccl without flattenParams")
        self.dimension = dimension
        self.flattenParams = bool(flattenParams)
        self.usenccl = bool(usenccl)
        self.gpuAssignments = []
        self._replicas = []   # the copies of modules[0] for gpuAssignments[1:]

    def add(self, module, gpus=None):
        """Hold ``module`` on the GPU ids ``gpus`` (a list, given once), or append one GPU id (an integer; the
        module is kept only by the first such call), as cunn; returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"{self.shortName()}.add: expected an nn module, got {type(module).__name__}")
        if isinstance(gpus, (int, float)) and not isinstance(gpus, bool):
            ids = [gpus]
        elif isinstance(gpus, (list, tuple)) and gpus:
            if self.modules:
                raise ValueError(f"{self.shortName()}.add: add should only be called once with a table of GPU "
                                 f"assignments (it holds {len(self.gpuAssignments)} already)")
            ids = list(gpus)
        else:
            raise TypeError(f"{self.shortName()}.add: expected a GPU id or a non-empty list of GPU ids, got {gpus!r}")
        # Lua numbers: lg.range(0, n - 1).totable() gives whole floats
        if not all(is_whole(g) and g >= 0 for g in ids):
            raise ValueError(f"{self.shortName()}.add: expected GPU ids (whole numbers from 0), got {gpus!r}")
        ids = [int(g) for g in ids]
        if not self.modules:
            self.modules.append(module)
        self.gpuAssignments.extend(ids)
        return self

    def threads(self, initFunc=None, syncCopies=None):
        """cunn runs the replicas on one thread per GPU, each set up by ``initFunc`` (``require 'cudnn'``); legonn
        runs them in turn on its one device and its modules need no per-thread setup, so ``initFunc`` is
        called once, here, and ``syncCopies`` changes nothing. Returns self."""
        if initFunc is not None:
            initFunc()
        return self

    def replica(self, index):
        """The module that handles chunk ``index`` (0-based): the module itself for 0 (cunn's ``impl.modules``)."""
        return self._synced_replicas()[index]

    # --- replicas ------------------------------------------------------------------
    def _synced_replicas(self):
        """[modules[0], its replicas], made or refreshed so that each replica has the module's layers, views
        the module's parameters and gradients (``getParameters`` and ``type`` rebind them) and is in the same
        train/evaluate mode, layer by layer. The replicas are kept, as cunn keeps its clones, and looked at
        again only when one of those may have changed (a layer of another class, a tensor rebound or retyped,
        a mode switched)."""
        if not self.modules:
            raise input_error(self, "a module added with add(module, gpus) before forward", "none")
        first = self.modules[0]
        layers = first.listModules()
        params, grads = first.parameters()
        key = _tree_key(len(self.gpuAssignments), layers, params + grads)
        synced = self.__dict__.get('_synced')
        if synced is not None and synced[0] == key:
            return [first] + self._replicas

        def layout(module, tensors):
            return [type(m) for m in module.listModules()], [(type(t), t._size) for t in tensors]

        wanted = layout(first, params)
        if len(self._replicas) != len(self.gpuAssignments) - 1 or \
                any(layout(r, r.parameters()[0]) != wanted for r in self._replicas):
            self._replicas = [first.sharedClone() for _ in self.gpuAssignments[1:]]
        for replica in self._replicas:
            for mine, theirs in zip(replica.parameters(), (params, grads)):
                for t, source in zip(mine, theirs):
                    if isinstance(t, Tensor) and isinstance(source, Tensor) and (
                            t.storage() is not source.storage() or t.storageOffset() != source.storageOffset()
                            or t.stride() != source.stride()):
                        t.set(source)
            for m, source in zip(replica.listModules(), layers):
                m.train = source.train
        # the storages are held so that the ids in the key stay theirs
        self._synced = (key, [t.storage() for t in params + grads if isinstance(t, Tensor)])
        return [first] + self._replicas

    def syncParameters(self):
        """Make every replica view the module's parameters (cunn copies them from the first GPU); returns self."""
        self._synced_replicas()
        return self

    def flattenParameters(self):
        """Pack the module's parameters into one storage (``getParameters``), which the replicas then view."""
        self.modules[0].getParameters()
        self.flattenParams = True
        self._synced_replicas()

    def getParameters(self):
        self.flattenParameters()
        return self.modules[0].getParameters()

    # --- splitting and joining --------------------------------------------------------
    def _dim(self, t, what):
        d = self.dimension + t.dim() if self.dimension < 0 else self.dimension
        if not 0 <= d < t.dim():
            raise input_error(self, f"every tensor of the {what} to have a dimension {self.dimension} to split",
                              f"a {t.dim()}-D tensor of size {tuple(t.size())}")
        return d

    def _chunk(self, tree, index, what):
        """Chunk ``index`` of every tensor of ``tree`` along the dimension (views)."""
        if isinstance(tree, (list, tuple)):
            return [self._chunk(t, index, what) for t in tree]
        if not isinstance(tree, Tensor):
            raise input_error(self, f"a tensor or table of tensors as {what}", f"a {type(tree).__name__}", TypeError)
        if tree.nElement() == 0:
            return tree.new()
        d = self._dim(tree, what)
        start, size = _slice_range(tree.size(d), index, len(self.gpuAssignments))
        return self._on_module_device(tree.narrow(d, start, size)) if size else tree.new()

    def _on_module_device(self, chunk):
        """cunn's _distributeTensorRecursive copies each chunk of a Float input to its replica's GPU, so
        ``nn.DataParallelTable(1):add(model:cuda(), gpus)`` (e-lab/ENet's encoder.lua, never itself converted)
        takes host or CUDA batches: a host chunk of a module on the GPU is copied there, with its element type.
        (A gradOutput reaches here only once updateGradInput has checked it is the output's type.)"""
        if self.modules[0]._type.startswith('legonn.Cuda') and not chunk._cuda:
            return on_gpu(chunk)
        return chunk

    def _chunks(self, tree, what):
        """The chunks of ``tree`` for the leading replicas that get data (cunn's maxUsedGpu)."""
        chunks = []
        for i in range(len(self.gpuAssignments)):
            chunk = self._chunk(tree, i, what)
            if not _has_data(chunk):
                break
            chunks.append(chunk)
        if not chunks:
            raise input_error(self, f"a non-empty {what} to split along dimension {self.dimension}",
                              "no elements")
        return chunks

    def _concat(self, dst, parts, what):
        """``parts`` (the replicas' tensors, or tables of them) joined along the dimension into ``dst``, reused
        when it has the type."""
        if isinstance(parts[0], (list, tuple)):
            dst = dst if isinstance(dst, list) and len(dst) == len(parts[0]) else [None] * len(parts[0])
            return [self._concat(dst[k], [p[k] for p in parts], f"{what}[{k}]") for k in range(len(parts[0]))]
        full = [p for p in parts if p.nElement() > 0]
        if not full:
            return dst if type(dst) is type(parts[0]) else parts[0].new()
        d = self._dim(full[0], what)
        sizes = list(full[0].size())
        sizes[d] = sum(p.size(d) for p in full)
        for p in full:
            if p.dim() != len(sizes) or any(a != b for k, (a, b) in enumerate(zip(p.size(), sizes)) if k != d):
                raise input_error(self, f"the replicas' {what} chunks to agree in size outside dimension {d}",
                                  f"sizes {tuple(full[0].size())} and {tuple(p.size())}")
        if type(dst) is not type(full[0]):
            dst = full[0].new()
        dst.resize(*sizes)
        offset = 0
        for p in full:
            dst.narrow(d, offset, p.size(d)).copy(p)
            offset += p.size(d)
        return dst

    def _run(self, method, *args):
        """``method`` on each replica that gets data, with its chunks of ``args`` (input, gradOutput)."""
        replicas = self._synced_replicas()
        chunks = [self._chunks(a, what) for a, what in zip(args, ('input', 'gradOutput'))]
        extra = (args[2],) if len(args) > 2 else ()
        return [self.run_module(replicas[i], f"DataParallelTable[replica {i}]", method,
                                *(c[i] for c in chunks), *extra) for i in range(len(chunks[0]))]

    # --- the contract -----------------------------------------------------------------
    def updateOutput(self, input):
        if self.flattenParams and self.modules and len({id(p.storage()) for p in self.modules[0].parameters()[0]}) > 1:
            self.flattenParameters()
        self.output = self._concat(self.output, self._run('updateOutput', input), 'output')
        return self.output

    def updateGradInput(self, input, gradOutput):
        self.checkGradTree(gradOutput, self.output)   # split like the output, or the chunks would not line up
        grads = self._run('updateGradInput', input, gradOutput)
        if self.gradInput is not None:
            self.gradInput = self._concat(self.gradInput, grads, 'gradInput')
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=1):
        # cunn accumulates from the chunks its forward and updateGradInput kept, so a forward comes first; every
        # replica checks its chunks before any adds into the shared gradients, so a refused call changes none
        self.checkForwardInput(input)
        self._run('checkAccumulation', input, gradOutput)
        self._run('accGradParameters', input, gradOutput, scale)

    def accUpdateGradParameters(self, input, gradOutput, lr):
        raise NotImplementedError(f"{self.shortName()}: accUpdateGradParameters not supported for DataParallelTable")

    def share(self, mlp, *names):
        raise NotImplementedError(f"{self.shortName()}: share not supported for DataParallelTable")

    def clone(self, *names):
        if names:
            raise NotImplementedError(f"{self.shortName()}: sharing not supported for DataParallelTable")
        return super().clone()

    def clearState(self, *names):
        super().clearState(*names)
        self.__dict__.pop('_synced', None)   # references to the module's storages, no state to save
        for replica in self._replicas:
            replica.clearState()
        return self

    def apply(self, fn):
        """``fn`` on this container and the module's tree; the replicas are made afresh from the module at the
        next forward (cunn's applyChanges)."""
        super().apply(fn)
        self._replicas = []
        self.__dict__.pop('_synced', None)
        return self

    def type(self, typename=None, cache=None):
        self.__dict__.pop('_synced', None)   # the tensors it names are about to be replaced
        return super().type(typename, cache)

    def validateState(self):
        super().validateState()
        if not isinstance(self.gpuAssignments, list) or not all(type(g) is int and g >= 0
                                                                 for g in self.gpuAssignments):
            raise TypeError(f"{self.shortName()}: gpuAssignments must be a list of GPU ids, got "
                            f"{self.gpuAssignments!r}")
        if type(self.dimension) is not int:
            raise TypeError(f"{self.shortName()}: dimension must be an integer, got {self.dimension!r}")
        if not isinstance(self._replicas, list) or not all(isinstance(r, Module) for r in self._replicas):
            raise TypeError(f"{self.shortName()}: its replicas must be a list of modules")
        return self

    def __repr__(self):
        shown = repr(self.modules[0]) if self.modules else 'nil'
        return f"{lua_typename(self)}: {len(self.gpuAssignments)} x {shown}"
