"""test_runner.lua: evaluates a saved model (``opt.test_model``) over a dataset, in ``nThreads`` worker threads
(one per GPU, the 'donkey' pattern) or, for one, in the calling thread through a table with the pool's
``addjob``/``synchronize``. ``paths.dofile('test_runner.lua')`` (a fresh table each time) is ``TestRunner()``.

The Lua's globals ``ds`` and ``tester``, set by ``_setup`` in the main Lua state and in each worker's, are
``threads.local.ds`` and ``threads.local.tester`` (docs/porting.md's thread-globals row: each thread, the main
one too, has its own); ``opt``, the Lua's global, is this module's, set by run_test.py (the workers' ``opt =
_opt`` assigns the same table). Devices are 0-based (the worker's ``idx % count``, its Lua ``dev == 0 and
count or dev``). Not ported: ``nn.ModelParallelTable.deserializeNGPUs = ...`` (modules/ModelParallelTable.lua
is not ported: see the package's docstring). ``collectgarbage()`` calls are dropped, the jobs that only called
it kept."""
import legonn as lg
from legonn import nn, tds, cutorch, threads
from legonn import threads as Threads

from . import utils
from .DataSetJSON import DataSetCOCO
from .Tester_FRCNN import Tester_FRCNN
from .models import model_utils

opt = None


def _setup(dataset_name, proposals_path):
    nn.DataParallelTable.deserializeNGPUs = cutorch.getDeviceCount()

    transformer = getattr(model_utils, opt['transformer'])()
    model = model_utils.load(opt['test_model']).cuda()
    if opt['test_nGPU'] > 1:
        utils.removeDataParallel(model)
    utils.removeDataParallel(model)  # TODO: see why it complains

    model.evaluate()
    if opt['test_add_nosoftmax']:
        print("Setting noSoftMax=true")
        model.noSoftMax = True
    # patch to use inplace dropout everywhere
    for v in model.findModules('nn.Dropout')[0]:
        v.inplace = True
    threads.local.ds = DataSetCOCO().create(dataset_name, proposals_path, opt['test_nsamples'],
                                            opt['test_data_offset'])
    threads.local.ds.setMinProposalArea(opt['test_min_proposal_size'])
    threads.local.ds.loadROIDB(opt['test_best_proposals_number'])
    threads.local.tester = Tester_FRCNN(model, transformer, threads.local.ds, [opt['scale']], opt['max_size'], opt)


class _Serial:
    """The Lua's ``{addjob = function(self, f1, f2) ... end, synchronize = function() end}``."""

    def addjob(self, f1, f2=None):
        if f2:
            return f2(*f1())
        else:
            f1()

    def synchronize(self):
        pass


class TestRunner:

    def setup(self, nThreads, dataset_name, proposals_path):
        self.nThreads = nThreads
        if self.nThreads > 1:
            _setup(dataset_name, proposals_path)

            def init(idx):
                threads.local.thread_idx = idx
                dev = idx % cutorch.getDeviceCount()
                cutorch.setDevice(dev)
                _setup(dataset_name, proposals_path)

            self.threads = Threads.Threads(self.nThreads, lambda *_: None, init)
        else:
            self.threads = _Serial()
            _setup(dataset_name, proposals_path)
        return self

    # go over all images in the dataset and the proposals and extract the
    # classes and bbox predictions
    def computeBBoxes(self):
        aboxes_t = {}
        raw_output = tds.Hash()
        raw_bbox_pred = tds.Hash()
        timer = lg.Timer()
        for i in range(threads.local.ds.size()):
            def endcallback(res, raw_res, i=i):
                aboxes_t[i] = res
                if opt['test_save_raw'] != '':
                    raw_output[i] = raw_res[0].float()
                    raw_bbox_pred[i] = raw_res[1].float()
            self.threads.addjob(lambda i=i: threads.local.tester.testOne(i), endcallback)
        self.threads.synchronize()
        print("Finished with images in " + lg.tostring(timer.time()['real']) + " s")

        if opt['test_save_raw'] != '':
            lg.save(opt['test_save_raw'], [raw_output, raw_bbox_pred])
            print('Saved raw bboxes at: ', opt['test_save_raw'])

        for i in range(self.nThreads):
            self.threads.addjob(lambda: None)
        self.threads.synchronize()
        self.threads = None
        print("Thread garbage collected")
        aboxes_t = threads.local.tester.keepTopKPerImage(aboxes_t, 100)  # coco only accepts 100/image
        aboxes = threads.local.tester.transposeBoxes(aboxes_t)
        aboxes_t = None
        return aboxes

    # validation only function
    def evaluateBoxes(self, aboxes):
        return threads.local.tester.computeAP(aboxes)

    def test(self):
        aboxes = self.computeBBoxes()
        return self.evaluateBoxes(aboxes)
