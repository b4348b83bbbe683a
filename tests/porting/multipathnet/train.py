"""train.lua: Fast R-CNN training with torchnet's FBOptimEngine: options from the environment
(``xlua.envparams``), the model file ``models/<opt.model>``, the training iterator of data.lua, a
CrossEntropy + BBoxRegression ParallelCriterion, a json log line per epoch, a snapshot and a validation
(Tester_FRCNN and the COCO evaluation) every ``snapshot`` epochs and at the end. The script is ``main()``,
returning ``opt`` and the logged dicts; its local functions are module-level (``validate`` reads the module's
``opt``, the Lua's global), its hooks closures of ``main``.

Edits beyond syntax and 0-based indices (each a docs/porting.md row or the Lua's own semantics):
* ``paths.dofile('models/'..opt.model..'.lua')`` is ``importlib.import_module`` of ``models.<name>`` and its
  ``build(opt)``; ``require 'data'`` is ``data.load(opt)``, whose ``g_mean_std`` is the Lua's global.
* ``trainLoss:value()`` in a table constructor keeps the first of its two values: ``value()[0]``.
* ``optim[opt.method]`` is ``getattr(optim, opt['method'])``.
* onStart's ``checkpoint`` (a global the file never defines, read only with ``opt.checkpoint``) is left out
  with its branch (``opt.checkpoint`` false).
* ``cutorch.synchronize(); collectgarbage()`` are kept as ``cutorch.synchronize()``."""
import importlib

import legonn as lg
from legonn import nn, optim, xlua, cjson as json, cutorch, paths
from legonn import torchnet as tnt

from . import utils
from . import data
from .DataSetJSON import DataSetCOCO
from .Tester_FRCNN import Tester_FRCNN
from .engines.fboptimengine import FBOptimEngine
from .models import model_utils
from .modules.BBoxRegressionCriterion import BBoxRegressionCriterion

opt = None
model_opt = {}
transformer = None
dataset_name = None
test_proposals_path = None
logged = []


def json_log(t):
    logged.append(t)
    print('json_stats: ' + json.encode(t))


def save(model, state, epoch):
    opt['test_model'] = 'model_' + str(epoch) + '.t7'
    opt['test_state'] = 'optimState_' + str(epoch) + '.t7'
    model_path = paths.concat(opt['save_folder'], opt['test_model'])
    state_path = paths.concat(opt['save_folder'], opt['test_state'])

    print("Saving model to " + model_path)
    lg.save(model_path, utils.checkpoint(model))
    print("Saving state to " + state_path)
    lg.save(state_path, state)


def validate(model):
    if opt['test_nGPU'] > 1:
        raise NotImplementedError('test_runner.lua (test_nGPU > 1: one tester thread per GPU) is not ported')
    else:
        print("test_nGPU == 1, running tester in main thread")
        model.evaluate()
        ds = DataSetCOCO().create(dataset_name, test_proposals_path, opt['test_nsamples'])
        ds.loadROIDB(opt['test_best_proposals_number'])
        tester = Tester_FRCNN(model, transformer, ds, [opt['scale']], opt['max_size'], opt)
        res = tester.test()
        model.training()
        return res


def main():
    global opt, transformer, dataset_name, test_proposals_path
    logged.clear()
    opt = {
        'epoch': 1,
        'dataset': 'pascal',
        'train_set': 'trainval',
        'test_set': 'test',
        'model': 'alexnet',
        'year': '2007',
        'proposal_dir': 'data/proposals/',
        'proposals': 'deepmask',
        'images_per_batch': 2,
        'scale': 600,
        'max_size': 1000,
        'learningRate': 1e-3,
        'dampening': 0,
        'weightDecay': 0.0005,
        'momentum': 0.9,
        'learningRateDecay': 0,
        'nEpochs': 400,
        'epochSize': 100,
        'nDonkeys': 4,
        'batchSize': 128,
        'manualSeed': 555,
        'step': 300,
        'best_proposals_number': 1000,
        'snapshot': 100,
        'criterion': 'ce',
        'decay': 0.1,
        'bbox_regression': 1,
        'retrain': 'no',
        'train_min_gtroi_size': 0,
        'train_remove_dropouts': False,
        'retrain_mean_std': '',
        'train_nGPU': 1,
        'test_nGPU': 1,
        'train_nsamples': -1,  # all samples
        'test_nsamples': -1,  # all samples
        'test_best_proposals_number': 500,
        'disable_memory_efficient_forward': False,
        'checkpoint': False,
        'resume': '',
        'extra_proposals_file': '',
        'method': 'sgd',
        'sample_n_per_box': 0,
        'sample_sigma': 1,
        'train_min_proposal_size': 0,
        'integral': False,
        'imagenet_classes': '',
        'test_num_per_image': 100,
        'save_folder': '',

        'phase2_epoch': -1,
        'phase2_learningRate': -1,
        'phase2_step': -1,
        'phase2_decay': -1,

        'fg_threshold': -1,  # if -1, then set to bg_threshold_max
        'bg_threshold_min': 0.1,
        'bg_threshold_max': 0.5,
    }
    opt = xlua.envparams(opt)

    if opt['fg_threshold'] < 0:
        opt['fg_threshold'] = opt['bg_threshold_max']
    if opt['manualSeed'] == -1:  # random
        opt['manualSeed'] = lg.random(1, 10001)
    print(opt)

    import random
    random.seed(opt['manualSeed'])
    cutorch.manualSeedAll(opt['manualSeed'])
    lg.manualSeed(opt['manualSeed'])

    # ---------------------------------------------------------------------------------------
    # model
    # ---------------------------------------------------------------------------------------
    assert opt['images_per_batch'] % opt['train_nGPU'] == 0, "images_per_batch must be a multiple of train_nGPU"
    opt['num_classes'] = 21 if opt['dataset'] == 'pascal' else 81

    model_data = importlib.import_module(__package__ + '.models.' + opt['model']).build(opt)
    model, transformer, *info = model_data

    if opt['train_remove_dropouts']:
        model_utils.removeDropouts(model)

    # serialize transformer for donkeys and to be loaded for testing
    opt['transformer'] = paths.concat(opt['save_folder'], 'transformer.t7')
    lg.save(opt['transformer'], transformer)

    if opt['retrain'] != 'no':
        print('Loading a retrain model:' + opt['retrain'])
        model = lg.load(opt['retrain'])
        transformer = lg.load(opt['transformer'])

    getIterator = data.load(opt)
    iterator = getIterator()

    integral_switches = None
    if opt['integral']:
        if opt['retrain'] == 'no':
            integral_switches = model_utils.integral(model, opt)
        else:
            switch = model.findModules('nn.ModeSwitch')[0][0]
            integral_switches = switch.get(0).findModules('nn.SelectTable')[0]

    model.cuda()

    if not opt.get('bbox_mask_1d'):
        model_utils.addBBoxNorm(model, data.g_mean_std)

    model_utils.testModel(model, opt)

    # set up testing
    test_year = '2007' if (opt['year'] == '2007,2012') else opt['year']
    dataset_name = opt['dataset'] + '_' + opt['test_set'] + test_year
    test_folder_name = ('VOC' + test_year) if opt['dataset'] == 'pascal' else 'coco'
    test_proposals_path = utils.makeProposalPath(opt['proposal_dir'], test_folder_name, opt['proposals'],
                                                 opt['test_set'], None, opt)

    # --------------------------------------------------------------------------
    # training
    # --------------------------------------------------------------------------

    samples = []

    def createCriterion():
        criterion = (nn.ParallelCriterion()
                     .add(nn.CrossEntropyCriterion(), 1)
                     .add(BBoxRegressionCriterion(), opt['bbox_regression']))
        return criterion.cuda()

    dataTimer = tnt.TimeMeter()
    timer, batchTimer = tnt.TimeMeter(unit=True), tnt.TimeMeter()
    trainLoss = tnt.AverageValueMeter()
    primary_loss = tnt.AverageValueMeter()
    bboxregr_loss = tnt.AverageValueMeter()

    engine = FBOptimEngine()

    # -----------------------------------------------------------------------------

    def log(state, extra):
        info = {
            'epoch': state.epoch + 1,
            'learningRate': state.learningRate,
            'decay': state.decay,
            'train_time': timer.timer.time()['real'],
            'train_loss': trainLoss.value()[0],
            'primary_loss': primary_loss.value()[0],
            'bboxregr_loss': bboxregr_loss.value()[0],
        }
        json_log(utils.merge_table([opt, model_opt, extra, info]))

    def onStart(state):
        state.learningRate = opt['learningRate']
        state.decay = opt['decay']
        state.step = opt['step']
        utils.cleanupOptim(state)

    def onStartEpoch(state):
        epoch = state.epoch + 1
        if epoch == opt['phase2_epoch']:
            print("switching to phase 2")
            if getattr(state.network, 'setPhase2', None):
                state.network.setPhase2()
            if opt['phase2_learningRate'] >= 0:
                print("setting learning rate to " + lg.tostring(opt['phase2_learningRate']))
                state.learningRate = opt['phase2_learningRate']

                optimizer = state.optimizer
                for k, v in optimizer.modulesToOptState.items():
                    if v[0]:
                        for i, u in enumerate(v):
                            if u.get('dfdx') is not None:
                                u['dfdx'].zero()
                                u['learningRate'] = state.learningRate
            if opt['phase2_step'] >= 0:
                print("setting step to " + lg.tostring(opt['phase2_step']))
                state.step = opt['phase2_step']
            if opt['phase2_decay'] >= 0:
                print("setting decay to " + lg.tostring(opt['phase2_decay']))
                state.decay = opt['phase2_decay']

        print("Training epoch " + str(epoch) + "/" + str(opt['nEpochs']))
        trainLoss.reset()
        primary_loss.reset()
        bboxregr_loss.reset()
        timer.reset()
        state.n = 0

    def onSample(state):
        cutorch.synchronize()
        dataTimer.stop()

        utils.recursiveCast(samples, state.sample, 'torch.CudaTensor')

        if opt['integral']:
            assert samples[1][2] is not None
            for i, v in enumerate(integral_switches):
                v.index = samples[1][2]
                v.gradInput = []

        state.sample.input = samples[0]
        state.sample.target = samples[1]

    def onUpdate(state):
        cutorch.synchronize()
        state.n = state.n + 1

        err = state.criterion.output
        trainLoss.add(err)
        primary_loss.add(state.criterion.criterions[0].output)
        bboxregr_loss.add(state.criterion.criterions[1].output)

        timer.incUnit()

        print(('Epoch: [%d][%d/%d]\tTime %.3f (%.3f) DataTime %.3f Err %.4f') % (
            state.epoch + 1, state.n, opt['epochSize'], batchTimer.value(), timer.value(), dataTimer.value(), err))

        dataTimer.reset()
        dataTimer.resume()
        batchTimer.reset()

    def onEndEpoch(state):
        epoch = state.epoch + 1
        if epoch % state.step == 0:
            print('Dropping learning rate')
            state.learningRate = state.learningRate * state.decay
            optimizer = state.optimizer
            for k, v in optimizer.modulesToOptState.items():
                if v[0]:
                    for i, u in enumerate(v):
                        if u.get('dfdx') is not None:
                            u['dfdx'].mul(state.decay)
                            u['learningRate'] = u['learningRate'] * state.decay
        log(state, {'finished': 0, 'voc_metric': 0, 'coco_metric': 0})
        if epoch % opt['snapshot'] == 0:
            save(state.network, state.optimizer, epoch)
            res = validate(state.network)
            log(state, {
                'voc_metric': res[1],
                'coco_metric': res[0],
            })

    def onEnd(state):
        print("Done training. Running final validation")

        save(state.network, state.optimizer, 'final')

        opt['test_nsamples'] = 4952

        res = validate(state.network)
        log(state, {
            'voc_metric': res[1],
            'coco_metric': res[0],
        })

    engine.hooks.onStart = onStart
    engine.hooks.onStartEpoch = onStartEpoch
    engine.hooks.onSample = onSample
    engine.hooks.onUpdate = onUpdate
    engine.hooks.onEndEpoch = onEndEpoch
    engine.hooks.onEnd = onEnd

    engine.train(
        network=model,
        criterion=createCriterion(),
        config=opt,
        maxepoch=opt['nEpochs'],
        optimMethod=getattr(optim, opt['method']),
        iterator=iterator,
    )
    return opt, logged
