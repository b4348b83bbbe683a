"""lua/Batch.lua: a batch's buffers: ``input`` (batchSize x inputDims, of ``opt['inputTensorType']``),
``target`` (FloatTensor), ``index`` (LongTensor), and the reader's ``readerInput`` (``input`` itself, or a CPU
copy with ``opt['cuda']``, as the reader's workers stay off the GPU); ``reset(dims)`` resizes them for the next
batch, ``finish(n)`` narrows them to the ``n`` items read. ``t[{ {1, n} }]`` is ``t[0:n]``."""
import legonn as torch


def Batch(opt=None):

    opt = opt or {}
    batchSize = opt.get('batchSize') or 32
    assert batchSize > 0

    def applyInputDims(dims):
        assert dims and dims[0]
        ret = [batchSize]
        for d in dims:
            assert d > 0
            ret.append(d)
        return torch.LongStorage(ret)

    inputTensorType = opt.get('inputTensorType') or torch.FloatTensor

    inputDims = applyInputDims(opt.get('inputDims'))
    input = inputTensorType(inputDims)
    target = torch.FloatTensor(inputDims[0])
    index = torch.LongTensor(inputDims[0])

    # always keep the reader/processor threads off of cuda for now
    readerInput = None
    if opt.get('cuda'):
        input = input.cuda()
        target = target.cuda()
        readerInput = inputTensorType(inputDims)
    else:
        readerInput = input

    batch = {
        'batchSize': inputDims[0],
        'inputDims': torch.LongStorage(opt.get('inputDims')),  # does not contain batchSize
        'input': input,
        'target': target,
        'index': index,
        'class': [],
        'item': [],
        'readerInput': readerInput
    }

    def reset(newInputDims=None):
        nonlocal inputDims
        if newInputDims:
            inputDims = applyInputDims(newInputDims or opt.get('inputDims'))
        input.resize(inputDims)
        if opt.get('cuda'):
            readerInput.resize(inputDims)
        batch['input'] = input
        target.resize(inputDims[0])
        batch['target'] = target
        index.resize(inputDims[0])
        batch['index'] = index
        batch['readerInput'] = readerInput
        batch['batchSize'] = batchSize
        batch['class'] = []
        batch['item'] = []
    batch['reset'] = reset

    def finish(n):
        nonlocal inputDims
        assert n >= 0 and n <= batchSize
        if n == 0:
            batch['input'].resize(0)
            batch['target'].resize(0)
            batch['index'].resize(0)
            batch['readerInput'].resize(0)
        elif n == 1 and batchSize == 1:
            inputDims = batch['readerInput'].size()
            c = batch['readerInput'].nDimension() - 1
            batch['inputDims'] = torch.LongStorage(c)
            for i in range(c):
                batch['inputDims'][i] = inputDims[i + 1]
        elif n < batchSize:
            batch['input'] = input[0:n]
            batch['target'] = target[0:n]
            batch['index'] = index[0:n]
            batch['readerInput'] = readerInput[0:n]
        batch['batchSize'] = n
        if opt.get('cuda'):
            input.resize(readerInput.size()).copy(readerInput)
    batch['finish'] = finish

    return batch
