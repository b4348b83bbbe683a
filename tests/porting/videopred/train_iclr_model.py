"""train_iclr_model.lua: trains the multi-scale generator with the L2 loss plus the adversarial loss of the
multi-scale discriminator (advweight 0 gives L2 alone), alternating trainAdv and trainPred steps with optim.sgd
(or adagrad/adadelta), on UCF101 clips cropped to h x w and pooled into the scale pyramid.

Edits beyond Lua syntax and 0-based indices:

* The script's body is ``main(opt)``: the Lua reads a global ``opt`` a caller may set before ``dofile`` (``opt =
  opt or {}``), the argument here; its globals (``model``, ``advmodel``, ``dataset``, the timers, ...) are
  ``main``'s locals, and ``main`` returns what a test reads (the models, the per-epoch adversarial errors and the
  generator's losses, which the Lua computes in ``feval`` and prints only through optim's return).
* ``cutorch.setDevice(opt.devid)``, ``dataset:cuda()``, ``cutorch.synchronize()`` and ``torch.CudaTensor()`` run
  only on the GPU (``get_model.CUDA``; the Lua requires cutorch): ``_cuda``/``_CudaTensor`` as in get_model.py.
* ``require 'gfx.js'``: legonn has no gfx.js (a browser display server); ``gfx.clear()`` and the final
  ``gfx.image(todisp, ...)`` of each epoch are left out (the ``todisp`` table they show is still built).
* ``opt.modelStruct`` and ``opt.advStruct`` are tables keyed by scale: dicts. ``pairs`` over them gives the keys
  in an order Lua leaves undefined, which ``table.sort`` then fixes (largest first), so ``scaleList`` is the same.
* ``printOpt`` prints with Python's ``print``; ``unpack(v[scale][i])`` of an entry with a nil hole (``{'convp',
  3, nil}``) prints up to the hole in Lua, all entries here (display only).
* ``os.rename(opt.saveName, ...)`` of a file that does not exist yet fails silently in Lua (it returns nil and a
  message): the port renames only an existing file. ``torch.save`` of the table holding the models is
  ``lg.save``. ``modelState``/``advState`` stay nil, so optim keeps its state in the config tables, as in Lua.
* ``adv_forward({input1, input2}, targetAdv)`` passes ``advmodel:forward`` a second argument Module.lua's
  ``forward(input)`` drops; Python refuses it (docs/porting.md's fewer-or-more-arguments row): dropped.
* The donkeys are terminated when ``main`` returns (the Lua script ends the process instead).
"""
import os

import legonn as lg
from legonn import graph, nn, optim, paths, xlua
from tests.porting.videopred import get_model
from tests.porting.videopred.get_model import _cuda, _CudaTensor, getPyrAdv, getPyrModel, getPyrPreprocessor


def opt_defaults():
    return {
        # general
        'devid': 2,                 # GPU id
        'saveName': 'model.t7',  # save file name
        'loadName': '',
        'loadOpt': False,
        'dataset': 'ucf101',        # dataset name
        # training
        'nEpoches': 10000,         # number of "epoches" per training
        'nIters': 100,             # number of minibatches per "epoch"
        'batchsize': 8,            # number of samples per minibatches
        # model
        'h': 32,
        'w': 32,                    # size of the patches
        'modelOptim': 'sgd',        # delta(adadelta), grad(adagrad) or sgd
        'modelConfig': {
            'learningRate': 0.02,
            # learningRateDecay = 0,
            # weightDecay = 0,
            # momentum = 0
        },
        'nInputFrames': 4,          # number of *input* frames (excluding target)
        'nTargetFrames': 1,         # number of frames to predict

        'modelStruct': {
            8: [
                ['convp', 3, 16],
                ['convp', 3, 32],
                ['feature'],
                ['convp', 3, 16],
                ['convp', 3, None]],
            4: [
                ['convp', 5, 16],
                ['convp', 3, 32],
                ['feature'],
                ['convp', 3, 16],
                ['convp', 5, None]],
            2: [
                ['convp', 5, 16],
                ['convp', 3, 32],
                ['convp', 3, 64],
                ['feature'],
                ['convp', 3, 32],
                ['convp', 3, 16],
                ['convp', 5, None]],
            1: [
                ['convp', 7, 16],
                ['convp', 5, 32],
                ['convp', 5, 64],
                ['feature'],
                ['convp', 5, 32],
                ['convp', 5, 16],
                ['convp', 7, None]]},
        # adv
        'advOptim': 'sgd',          # see modelOptim
        'advConfig': {
            'learningRate': 0.02,
        },
        'l2weight': 1,               # L2 weight in the loss
        'advweight': 0.01,              # adversarial weight in the loss
        'advNIter': 1,               # number of adversarial training iterations
        'advExt': 'full',            # extend adv training to fake "real" examples [none|cheap|full]
        'advStruct': {
            8: [
                ['conv', 3, 32],
                ['fc', 256],
                ['fc', 128],
                ['fc', None]],
            4: [
                ['conv', 3, 32],
                ['conv', 3, 32],
                ['conv', 3, 64],
                ['fc', 256],
                ['fc', 128],
                ['fc', None]],
            2: [
                ['conv', 5, 32],
                ['conv', 5, 32],
                ['conv', 5, 64],
                ['fc', 256],
                ['fc', 128],
                ['fc', None]],
            1: [
                ['conv', 7, 32],
                ['conv', 7, 32],
                ['conv', 5, 64],
                ['conv', 5, 128],
                ['maxpool', 2, 2],
                # TODO: shared weights with two last layers
                ['fc', 256],
                ['fc', 128],
                ['fc', None]],
        },
    }


def main(opt=None, nDonkeys=8):
    """The script; ``nDonkeys`` is the Lua's ``{nDonkeys = 8}`` (a test's machine has two cores)."""
    graph.setDebug(False)
    lg.setnumthreads(2)
    lg.manualSeed(1)

    opt_default = opt_defaults()
    opt = opt or {}
    for k, v in opt_default.items():
        if opt.get(k) is None:
            opt[k] = v
    modelState = None
    advState = None
    assert (opt['advweight'] == 0) != (opt['advNIter'] != 0)  # if not, it's probably a mistake

    if get_model.CUDA:
        lg.cutorch.setDevice(opt['devid'])

    model = advmodel = None
    loaded = {}
    if opt['loadName'] != '':
        loaded = lg.load(opt['loadName'])
        model = loaded['model']
        advmodel = loaded['advmodel']
        if loaded['opt']['h'] != opt['h']:
            advmodel = None
    if opt['loadOpt'] is True:
        raise NotImplementedError("loadOpt reads the global opt_override, which the Lua never defines")

    w, h = opt['h'], opt['w']
    if opt['dataset'] == 'sports1m':
        raise RuntimeError("no sports1m dataset")
    elif opt['dataset'] == 'ucf101':
        from tests.porting.videopred.datasources.thread import ThreadedDatasource
        optt = opt  # need local var, opt is global

        def getDatasource():
            from tests.porting.videopred.datasources.augment import AugmentDatasource
            from tests.porting.videopred.datasources.ucf101 import UCF101Datasource
            ucfdataset = UCF101Datasource({
                'nInputFrames': optt['nInputFrames'] + optt['nTargetFrames']
            })
            return AugmentDatasource(ucfdataset, {'crop': [h, w]})
        dataset = ThreadedDatasource(getDatasource, {'nDonkeys': nDonkeys})
        if get_model.CUDA:
            dataset.cuda()
    else:
        raise RuntimeError("Unknown dataset " + opt['dataset'])

    opt['scaleList'] = []
    for k, v in opt['modelStruct'].items():
        opt['scaleList'].append(k)
    opt['scaleList'].sort(reverse=True)

    def printOpt(opt):
        for k, v in opt.items():
            if k == 'modelStruct' or k == 'advStruct':
                print(k + ':')
                for j in range(len(opt['scaleList'])):
                    scale = opt['scaleList'][j]
                    print('', '' + str(scale) + ': ===============')
                    for i in range(len(v[scale])):
                        print('', '', *v[scale][i])
            else:
                print(k, ':', v)
    printOpt(opt)

    # --------------------------------------------------------------------------------
    #   Options are processed.
    #   Creating the networks and losses (if necessary)
    # --------------------------------------------------------------------------------

    if model is None:
        if loaded.get('gen') is not None:
            print("TODO: cleanup ---------------------------------")
            model = getPyrModel(opt, dataset, loaded['gen'])[0]
        else:
            model = getPyrModel(opt, dataset)[0]
    else:
        print("====================================================================")
        print("================= RESTARTING FROM CURRENT MODEL ====================")
        print("====================================================================")

    if advmodel is None:
        advmodel = getPyrAdv(opt, dataset)
    else:
        print("====================================================================")
        print("============== RESTARTING FROM CURRENT ADVERSARIAL =================")
        print("====================================================================")

    preprocessInput = getPyrPreprocessor(opt, dataset)
    preprocessTarget = getPyrPreprocessor(opt, dataset)

    l2criterion = nn.ParallelCriterion()
    advcriterion = nn.ParallelCriterion()
    for i in range(len(opt['scaleList'])):
        l2criterion.add(nn.MSECriterion())
        advcriterion.add(nn.BCECriterion())
    _cuda(l2criterion)
    _cuda(advcriterion)

    # --------------------------------------------------------------------------------
    #   Everything is created and initialized.
    #   Training/timing routines
    # --------------------------------------------------------------------------------

    enable_timers = True
    timers = {
        'model_fprop': lg.Timer(),
        'model_bprop': lg.Timer(),
        'adv_fprop': lg.Timer(),
        'adv_bprop': lg.Timer(),
        'data': lg.Timer(),
        'total': lg.Timer()
    }

    def reset_timers():
        for k, v in timers.items():
            v.reset()
            v.stop()

    def print_timers():
        for k, v in timers.items():
            print(k, v.time()['real'])

    def synchronize():
        if get_model.CUDA:
            lg.cutorch.synchronize()

    def time_run(f, timer, *args):
        if enable_timers:
            synchronize()
            timer.resume()
            output = f(*args)
            synchronize()
            timer.stop()
        else:
            output = f(*args)
        return output

    def model_forward(*args):
        return time_run(model.forward, timers['model_fprop'], *args)

    def model_updateGradInput(*args):
        return time_run(model.updateGradInput, timers['model_bprop'], *args)

    def model_accGradParameters(*args):
        return time_run(model.accGradParameters, timers['model_bprop'], *args)

    def adv_forward(*args):
        return time_run(advmodel.forward, timers['adv_fprop'], *args)

    def adv_updateGradInput(*args):
        return time_run(advmodel.updateGradInput, timers['adv_bprop'], *args)

    def adv_accGradParameters(*args):
        return time_run(advmodel.accGradParameters, timers['adv_bprop'], *args)

    input_g, target_g = _CudaTensor(), _CudaTensor()

    def getBatch(set):
        batch, label = \
            time_run(lambda: [*dataset.nextBatch(opt['batchsize'], set)],
                     timers['data'])
        input_g.resize(opt['batchsize'], opt['nInputFrames'], dataset.nChannels,
                       batch.size(3), batch.size(4))
        input_g.copy(batch.narrow(1, 0, opt['nInputFrames']))
        target_g.resize(opt['batchsize'], opt['nTargetFrames'], dataset.nChannels,
                        batch.size(3), batch.size(4))
        target_g.copy(batch.narrow(1, opt['nInputFrames'], opt['nTargetFrames']))
        return preprocessInput.forward(input_g), preprocessTarget.forward(target_g)

    def fevaladv(input1, input2, targetAdv):
        advout = adv_forward([input1, input2])  # the Lua also passes targetAdv, which forward never reads
        adverr = advcriterion.forward(advout, targetAdv)
        return adverr

    def fevalfull(input, targetL2, targetAdv):
        output = model_forward(input)
        pred, features = output[0], output[1]
        l2err = l2criterion.forward(pred, targetL2)
        adverr = 0
        if targetAdv is not None:
            adverr = fevaladv(input, pred, targetAdv)
        return l2err, adverr

    def bevaladv(input, targetAdv, scaleAdv):
        dadverr_dadvo = \
            advcriterion.updateGradInput(advmodel.output, targetAdv)
        dadverr_dpred = adv_updateGradInput([input, model.output[0]], dadverr_dadvo)
        if scaleAdv != 0:
            adv_accGradParameters([input, model.output[0]], dadverr_dadvo, scaleAdv)
        return dadverr_dpred

    derr_dfeatures = []
    for i in range(len(opt['scaleList'])):
        derr_dfeatures.append(_CudaTensor())

    def bevalfull(input, targetL2, targetAdv, scalePred, scaleAdv):
        dl2err_dpred = l2criterion.backward(model.output[0], targetL2)
        for i in range(len(dl2err_dpred)):
            dl2err_dpred[i].mul(opt['l2weight'])
        derr_dpred = dl2err_dpred
        if targetAdv is not None:
            dadverr_dpred = bevaladv(input, targetAdv, scaleAdv)[1]
            for i in range(len(dadverr_dpred)):
                dadverr_dpred[i].mul(opt['advweight'])
                derr_dpred[i] = dl2err_dpred[i].add(dadverr_dpred[i])
        features = model.output[1]
        for i in range(len(opt['scaleList'])):
            derr_dfeatures[i].resizeAs(features[i]).zero()
        derr_di = model_updateGradInput(input, [derr_dpred, derr_dfeatures])
        if scalePred != 0:
            model_accGradParameters(input, [derr_dpred, derr_dfeatures], scalePred)
        return derr_di

    modelW, modelDW = model.getParameters()
    advW, advDW = advmodel.getParameters()

    advZeros0 = _cuda(lg.Tensor(opt['batchsize'])).fill(0)
    advZeros = [advZeros0, advZeros0, advZeros0, advZeros0]
    advOnes0 = _cuda(lg.Tensor(opt['batchsize'])).fill(1)
    advOnes = [advOnes0, advOnes0, advOnes0, advOnes0]

    losses = []

    def trainPred():
        input, target = getBatch('train')

        def feval(x):
            assert x is modelW
            model.zeroGradParameters()
            l2err, adverr = fevalfull(input, target, advOnes)
            bevalfull(input, target, advOnes, 1, 0)
            return opt['l2weight'] * l2err + opt['advweight'] * adverr, modelDW
        if opt['modelOptim'] == 'delta':
            _, fx = optim.adadelta(feval, modelW, opt['modelConfig'], modelState)
        elif opt['modelOptim'] == 'grad':
            _, fx = optim.adagrad(feval, modelW, opt['modelConfig'], modelState)
        else:
            _, fx = optim.sgd(feval, modelW, opt['modelConfig'], modelState)
        losses.append(fx[0])

    input_adv_tmp = []

    def trainAdv():
        input, target = getBatch('train')
        err = 0

        def feval(x):
            nonlocal err
            assert x is advW
            advmodel.zeroGradParameters()
            _, err1 = fevalfull(input, target, advZeros)
            bevaladv(input, advZeros, 1)
            err2 = fevaladv(input, target, advOnes)
            bevaladv(input, advOnes, 1)
            err = (err1 + err2) / 2
            if opt['advExt'] == 'full':
                input_, target_ = getBatch('train')
                err1 = fevaladv(input_, target_, advOnes)
                bevaladv(input_, advOnes, 1)
                for i in range(len(input_)):
                    if i == len(input_adv_tmp):
                        input_adv_tmp.append(_CudaTensor())
                    input_adv_tmp[i].resizeAs(input_[i]).copy(input_[i])
                input_, target_ = getBatch('train')
                err2 = fevaladv(input_adv_tmp, target_, advZeros)
                bevaladv(input_, advZeros, 1)
                err = err / 2 + (err1 + err2) / 4
            elif opt['advExt'] == 'cheap':
                assert False  # TODO
            return err, advDW
        if opt['advOptim'] == 'delta':
            optim.adadelta(feval, advW, opt['advConfig'], advState)
        elif opt['advOptim'] == 'grad':
            optim.adagrad(feval, advW, opt['advConfig'], advState)
        else:
            optim.sgd(feval, advW, opt['advConfig'], advState)
        return err

    advErrs = []
    for iEpoch in range(1, opt['nEpoches'] + 1):
        reset_timers()
        synchronize()
        timers['total'].resume()
        sumAdvErr = 0
        for iIter in range(1, opt['nIters'] + 1):
            xlua.progress(iIter, opt['nIters'])
            if opt['advweight'] != 0:
                for iAdv in range(opt['advNIter']):
                    sumAdvErr = sumAdvErr + trainAdv() / opt['advNIter']
            trainPred()
        avgAdvErr = sumAdvErr / (opt['nIters'] * opt['batchsize'])
        print("adv training: " + str(avgAdvErr))
        advErrs.append(avgAdvErr)

        synchronize()
        print_timers()

        if iEpoch % 10 == 0:
            printOpt(opt)

        if paths.filep(opt['saveName'] + '.backup'):
            os.remove(opt['saveName'] + '.backup')
        if paths.filep(opt['saveName']):
            os.rename(opt['saveName'], opt['saveName'] + '.backup')
        lg.save(opt['saveName'], {'model': model, 'advmodel': advmodel, 'opt': opt,
                                  'modelState': modelState, 'advState': advState})

        # display
        input, target = getBatch('test')
        pred = model.forward(input)[0]
        predFull = pred[-1].clone()
        predFull = predFull.view(predFull.size(0),
                                 opt['nTargetFrames'], dataset.nChannels,
                                 predFull.size(2), predFull.size(3))
        inputFull = input[-1]
        inputFull = inputFull.view(inputFull.size(0),
                                   opt['nInputFrames'], dataset.nChannels,
                                   inputFull.size(2),
                                   inputFull.size(3))
        targetFull = target[-1]
        targetFull = targetFull.view(targetFull.size(0),
                                     opt['nTargetFrames'], dataset.nChannels,
                                     targetFull.size(2),
                                     targetFull.size(3))
        todisp = []
        for i in range(opt['nInputFrames']):
            for j in range(opt['batchsize']):
                todisp.append(inputFull[j][i])
        for i in range(opt['nTargetFrames']):
            for j in range(opt['batchsize']):
                todisp.append(predFull[j][i])

    dataset.donkeys.terminate()
    return {'model': model, 'advmodel': advmodel, 'losses': losses, 'advErrs': advErrs, 'todisp': todisp,
            'targetFull': targetFull, 'predFull': predFull, 'dataset': dataset}
