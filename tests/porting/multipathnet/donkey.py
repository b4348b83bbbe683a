"""donkey.lua: ``loadDataSet(opt)`` (the training DataSetCOCO with its proposal files) and
``createTrainLoader(opt, roidb, scoredb, loader_idx)`` (a BatchProviderROI over it sharing the loaded
proposals). ``loader_idx`` is 0-based (the integral loss's ``(loader_idx - 1) / 20`` is ``loader_idx / 20``)."""
import legonn as lg

from . import utils
from .BatchProviderROI import BatchProviderROI
from .DataSetJSON import DataSetCOCO


def loadDataSet(opt):
    dataset_name = opt['dataset'] + '_' + opt['train_set'] + opt['year']
    folder_name = ('VOC' + opt['year']) if opt['dataset'] == 'pascal' else 'coco'
    proposals_path = utils.makeProposalPath(opt['proposal_dir'], folder_name, opt['proposals'], opt['train_set'],
                                            opt['imagenet_classes'] != '', opt)

    ds = DataSetCOCO().create(dataset_name, proposals_path, opt['train_nsamples'])
    if opt['imagenet_classes'] != '':
        ds.allowMissingProposals(True)  # workaround

    ds.sample_n_per_box = opt['sample_n_per_box']
    ds.sample_sigma = opt['sample_n_per_box']

    ds.setMinProposalArea(opt['train_min_proposal_size'])
    # ds:loadROIDB(opt.best_proposals_number)
    ds.setMinArea(opt['train_min_gtroi_size'])
    return ds


def createTrainLoader(opt, roidb, scoredb, loader_idx):
    ds = loadDataSet(opt)
    ds.roidb, ds.scoredb = roidb, scoredb
    transformer = lg.load(opt['transformer'])

    if opt['integral']:
        threshold = opt['bg_threshold_max'] + loader_idx / 20
        bg_threshold = [opt['bg_threshold_min'], threshold]
        fg_threshold = threshold
    else:
        bg_threshold = [opt['bg_threshold_min'], opt['bg_threshold_max']]
        fg_threshold = opt['fg_threshold']

    bp = BatchProviderROI(ds, opt['images_per_batch'], opt['scale'], opt['max_size'], transformer, fg_threshold,
                          bg_threshold)

    bp.batch_size = opt['batchSize']
    bp.class_specific = opt.get('train_class_specific')

    return bp
