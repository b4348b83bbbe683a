"""train.lua: charades-algorithms' Trainer: fb.resnet.torch's training loop with one optim.sgd state per
parameter tensor (learning rates per named layer: ``-conv1LR`` ... ``-fc8LR``), gradients accumulated over
``-accumGrad`` batches, ``test`` (top-1/top-5 error of single frames) and ``test2``, the per-class average
precision over whole videos (the softmax of 25 frames averaged per video; THUMOS'15's AP, with the videos
without any annotation pushed to the end of every class's ranking), written to ``<save>/epochN.txt``.

Edits beyond the package's:

* ``layer_names``'s ``model.modules[i].name or ""``: a module without the field (all but loadcaffe's and the
  ones named here) is ``getattr(m, 'name', None) or ""`` (docs/porting.md's nil-test row: a field never set is
  an AttributeError). ``local mw,_ = m:parameters()``: legonn's ``parameters()`` of a module without parameters
  is two empty lists (Torch7's returns nothing), which the ``if mw`` test reads as false the same way.
* train's synchronous check ``sample.ids[{{i}}]==sample.ids[{{i+1}}]`` indexes the Lua table of ids with a
  table, which is nil for both, so it never fails; Python refuses a list index, and the port compares
  ``sample['ids'][i]`` with ``sample['ids'][i + 1]``, the check the line means (docs/porting.md's table-key row).
* mAP's ``ap = ap/npos`` for a class no video has is Lua's 0/0, NaN: ``math.nan`` where ``npos`` is 0
  (docs/porting.md's ``0/0`` row); the globals ``conf``, ``ap``, ``n2``, ``str`` are locals.
* ``string.find(layername, "conv1")`` as a condition is ``"conv1" in layername`` (docs/porting.md's find row);
  Lua's ``..`` of a number is ``lg.tostring`` (``%.14g``); ``optimState or {...}``'s copy loop ``pairs`` is
  ``.items()`` of the dict; ``self.input or (...)`` of a tensor is ``is not None`` (a tensor's truth is its
  elements' in legonn)."""
import math

import legonn as lg
from legonn import cutorch, optim


# name of the modules in the same order as model:parameters()
# assumes a single nn.Sequential
def layer_names(model):
    w = []
    for i in range(len(model.modules)):
        name = getattr(model.modules[i], 'name', None) or ""
        mw, _ = model.modules[i].parameters()
        if mw:
            for k in range(len(mw)):
                w.append(name)
    return w


class Trainer:
    typename = 'resnet.Trainer'

    def __init__(self, model, criterion, opt, optimState=None):
        self.model = model
        self.criterion = criterion
        optimState = optimState or {
            'originalLR': opt['LR'],
            'learningRate': opt['LR'],
            'learningRateDecay': 0.0,
            'momentum': opt['momentum'],
            'nesterov': True,
            'dampening': 0.0,
            'weightDecay': opt['weightDecay'],
        }
        self.opt = opt
        self.params, self.gradParams = model.parameters()
        self.L = len(self.params)
        self.LR_decay_freq = opt['LR_decay_freq']
        self.optimState = []
        names = layer_names(self.model)
        assert len(names) == self.L
        for i in range(self.L):
            layername = names[i] or ""
            self.optimState.append({})
            for k, v in optimState.items():
                self.optimState[i][k] = v
            if "conv1" in layername:
                self.optimState[i]['learningRate'] = opt['LR'] * opt['conv1LR']
            if "conv2" in layername:
                self.optimState[i]['learningRate'] = opt['LR'] * opt['conv2LR']
            if "conv3" in layername:
                self.optimState[i]['learningRate'] = opt['LR'] * opt['conv3LR']
            if "conv4" in layername:
                self.optimState[i]['learningRate'] = opt['LR'] * opt['conv4LR']
            if "conv5" in layername:
                self.optimState[i]['learningRate'] = opt['LR'] * opt['conv5LR']
            if "fc8" in layername:
                self.optimState[i]['learningRate'] = opt['LR'] * opt['fc8LR']
        self.input = None
        self.target = None

    def train(self, opt, epoch, dataloader):
        # Trains the model for a single epoch

        timer = lg.Timer()
        dataTimer = lg.Timer()
        LRM = self.learningRateModifier(epoch)
        for l in range(self.L):
            self.optimState[l]['learningRate'] = self.optimState[l]['originalLR'] * LRM

        def feval(i):
            return lambda x=None: (self.criterion.output, self.gradParams[i])

        trainSize = dataloader.size()
        top1Sum, top5Sum, lossSum = 0.0, 0.0, 0.0
        N = 0

        print('=> Training epoch # ' + lg.tostring(epoch))
        # set the batch norm to training mode
        self.model.training()
        self.model.zeroGradParameters()
        for n, sample in dataloader.run():
            dataTime = dataTimer.time()['real']

            # Copy input and target to the GPU
            self.copyInputs(sample)

            output = self.model.forward(self.input).float()
            batchSize = output.size(0)
            loss = self.criterion.forward(self.model.output, self.target)

            if dataloader.synchronous:
                # Double check that dataloader is giving one video per batch
                for i in range(batchSize - 1):  # make sure there is no error in the loader, this should be one video
                    assert sample['ids'][i] == sample['ids'][i + 1], \
                        "Training set batch size and current batch size do not match!"

            self.criterion.backward(self.model.output, self.target)
            self.model.backward(self.input, self.criterion.gradInput)

            if n % opt['accumGrad'] == 0:  # accumulate batches
                for i in range(self.L):  # sgd on invdividual layers
                    optim.sgd(feval(i), self.params[i], self.optimState[i])
                self.model.zeroGradParameters()

            top1, top5 = self.computeScore(output, sample['target'], 1)
            top1Sum = top1Sum + top1 * batchSize
            top5Sum = top5Sum + top5 * batchSize
            lossSum = lossSum + loss * batchSize
            N = N + batchSize

            print('%s | Epoch: [%d][%d/%d]    Time %.3f  Data %.3f  Err %1.4f  top1 %7.3f  top5 %7.3f' % (
                opt['name'], epoch, n, trainSize, timer.time()['real'], dataTime, loss, top1, top5))

            # check that the storage didn't get changed do to an unfortunate getParameters call
            assert self.params[0].storage() == self.model.parameters()[0][0].storage()  # TODO this ok?

            timer.reset()
            dataTimer.reset()

        return top1Sum / N, top5Sum / N, lossSum / N

    def test(self, opt, epoch, dataloader):
        # Computes the top-1 and top-5 err on the validation set

        timer = lg.Timer()
        dataTimer = lg.Timer()
        size = dataloader.size()

        nCrops = 10 if self.opt['tenCrop'] else 1
        top1Sum, top5Sum = 0.0, 0.0
        N = 0

        self.model.evaluate()
        for n, sample in dataloader.run():
            dataTime = dataTimer.time()['real']

            # Copy input and target to the GPU
            self.copyInputs(sample)

            output = self.model.forward(self.input).float()
            batchSize = output.size(0) / nCrops
            loss = self.criterion.forward(self.model.output, self.target)

            top1, top5 = self.computeScore(output, sample['target'], nCrops)
            top1Sum = top1Sum + top1 * batchSize
            top5Sum = top5Sum + top5 * batchSize
            N = N + batchSize

            print('%s | Test: [%d][%d/%d]    Time %.3f  Data %.3f  top1 %7.3f (%7.3f)  top5 %7.3f (%7.3f)' % (
                opt['name'], epoch, n, size, timer.time()['real'], dataTime, top1, top1Sum / N, top5, top5Sum / N))

            timer.reset()
            dataTimer.reset()
        self.model.training()

        print(' * Finished epoch # %d     top1: %7.3f  top5: %7.3f\n' % (
            epoch, top1Sum / N, top5Sum / N))

        return top1Sum / N, top5Sum / N

    def test2(self, opt, epoch, dataloader):
        # Computes the mAP over the whole videos

        timer = lg.Timer()
        dataTimer = lg.Timer()
        size = dataloader.size()

        nCrops = 1
        N = 0
        outputs = lg.Tensor(2000, 157)  # allocate memory
        gt = lg.Tensor(2000, 157)  # allocate memory
        names = []

        frameoutputs, framenr, framenames, nframe = None, None, None, None
        if opt['dumpLocalize']:
            frameoutputs = lg.Tensor(25 * 2000, 157)
            framenames = {}
            framenr = {}
            nframe = 0

        self.model.evaluate()
        n2 = 0
        for n, sample in dataloader.run():
            n2 = n2 + 1
            dataTime = dataTimer.time()['real']

            # Copy input and target to the GPU
            self.copyInputs(sample)

            output = self.model.forward(self.input).float()
            batchSize = 25

            for i in range(25 - 1):  # make sure there is no error in the loader, this should be one video
                assert lg.all(lg.eq(
                    sample['target'][i:i + 1, :],
                    sample['target'][i + 1:i + 2, :]
                ))

            tmp = output.exp()
            tmp = tmp.cdiv(tmp.sum(1).expandAs(output))
            outputs[n2 - 1:n2, :] = tmp.mean(0)
            gt[n2 - 1:n2, :] = sample['target'][0:1, :]
            names.append(sample['ids'][0])

            if opt['dumpLocalize']:
                frameoutputs[nframe:nframe + 25, :] = tmp
                for b in range(1, 26):
                    framenames[nframe + b] = sample['ids'][0]
                    framenr[nframe + b] = b
                nframe = nframe + 25

            print('%s | Test2: [%d][%d/%d]    Time %.3f  Data %.3f' % (
                opt['name'], epoch, n, size, timer.time()['real'], dataTime))

            timer.reset()
            dataTimer.reset()
        self.model.training()
        outputs = outputs[0:n2, :]
        gt = gt[0:n2, :]
        ap = charades_ap(outputs, gt)

        print(' * Finished epoch # %d     mAP: %7.3f\n' % (
            epoch, lg.mean(ap)))

        print('dumping output to file')
        out = open(self.opt['save'] + "/epoch" + lg.tostring(epoch) + ".txt", "w")
        for i in range(outputs.size(0)):
            out.write(names[i] + " " + tensor2str(outputs[i:i + 1, :].view(-1)) + "\n")
        out.close()

        if opt['dumpLocalize']:
            print('dumping localization output to file')
            frameoutputs = frameoutputs[0:nframe, :]
            out = open(self.opt['save'] + "/localize" + lg.tostring(epoch) + ".txt", "w")
            for i in range(frameoutputs.size(0)):
                f = framenr[i + 1]
                vidid = framenames[i + 1]
                out.write(vidid + " " + lg.tostring(f) + " " + tensor2str(frameoutputs[i:i + 1, :].view(-1)) + "\n")
            out.close()

        return ap

    def computeScore(self, output, target, nCrops):
        if nCrops > 1:
            # Sum over crops
            output = output.view(output.size(0) / nCrops, nCrops, output.size(1)) \
                .sum(1).squeeze(1)

        # Coputes the top1 and top5 error rate
        batchSize = output.size(0)

        _, predictions = output.float().sort(1, True)  # descending

        # Find which predictions match the target
        correct = predictions.eq(
            target.long().view(batchSize, 1).expandAs(output))

        # Top-1 score
        top1 = 1.0 - (correct.narrow(1, 0, 1).sum() / batchSize)

        # Top-5 score, if there are at least 5 classes
        len_ = min(5, correct.size(1))
        top5 = 1.0 - (correct.narrow(1, 0, len_).sum() / batchSize)

        return top1 * 100, top5 * 100

    def copyInputs(self, sample):
        # Copies the input to a CUDA tensor, if using 1 GPU, or to pinned memory,
        # if using DataParallelTable. The target is always copied to a CUDA tensor
        self.input = self.input if self.input is not None else (
            lg.CudaTensor() if self.opt['nGPU'] == 1 else cutorch.createCudaHostTensor())
        self.target = self.target if self.target is not None else lg.CudaTensor()

        self.input.resize(sample['input'].size()).copy(sample['input'])
        self.target.resize(sample['target'].size()).copy(sample['target'])

    def learningRateModifier(self, epoch):
        # Training schedule
        decay = 0
        if self.opt['dataset'] == 'charades':
            decay = math.floor((epoch - 1) / self.LR_decay_freq)
        elif self.opt['dataset'] == 'charadesflow':
            decay = math.floor((epoch - 1) / self.LR_decay_freq)
        elif self.opt['dataset'] == 'imagenet':
            decay = math.floor((epoch - 1) / 30)
        elif self.opt['dataset'] == 'cifar10':
            decay = 2 if epoch >= 122 else 1 if epoch >= 81 else 0
        else:
            decay = math.floor((epoch - 1) / self.LR_decay_freq)
        return math.pow(0.1, decay)


# Torch port of THUMOSeventclspr in THUMOS'15
def mAP(conf, gt):
    so, sortind = lg.sort(conf, 0, True)  # desc order
    tp = gt.index(0, sortind.view(-1)).eq(1).int()
    fp = gt.index(0, sortind.view(-1)).eq(0).int()
    npos = lg.sum(tp)

    fp = lg.cumsum(fp)
    tp = lg.cumsum(tp)
    rec = tp.float() / npos
    prec = lg.cdiv(tp.float(), (fp + tp).float())

    ap = 0
    tmp = gt.index(0, sortind.view(-1)).eq(1).view(-1)
    for i in range(conf.size(0)):
        if tmp[i] == 1:
            ap = ap + prec[i]
    ap = ap / npos if npos != 0 else math.nan   # Lua's 0/0

    return rec, prec, ap


def charades_ap(outputs, gt):
    # approximate version of the charades evaluation function
    # For precise numbers, use the submission file with the official matlab script
    conf = outputs.clone()
    # This is to match the official matlab evaluation code. This omits videos with no annotations
    conf[gt.sum(1).eq(0).expandAs(conf)] = -math.inf
    ap = lg.Tensor(157, 1)
    for i in range(157):
        _, _, ap[i:i + 1, :] = mAP(conf[:, i:i + 1], gt[:, i:i + 1])
    return ap


def tensor2str(x):
    str_ = ""
    for i in range(x.size(0)):
        if i == x.size(0) - 1:
            str_ = str_ + lg.tostring(x[i])
        else:
            str_ = str_ + lg.tostring(x[i]) + " "
    return str_
