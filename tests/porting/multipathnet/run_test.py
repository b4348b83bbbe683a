"""run_test.lua: evaluation of a saved model (options from the environment, ``xlua.envparams``) through
test_runner.lua, saving the boxes and results where asked. The script is ``main()``, returning the
evaluation's result (``nil`` in the Lua when ``test_just_save_boxes``)."""
import legonn as lg
from legonn import paths, xlua

from . import test_runner as test_runner_lua
from . import utils


def main():
    opt = {
        'dataset': 'pascal',
        'year': '2007',
        'proposals': 'deepmask',
        'proposal_dir': './data/proposals',
        'transformer': 'RossTransformer',
        'scale': 600,
        'max_size': 1000,
        'test_nGPU': 4,
        'test_set': 'test',
        'test_nsamples': -1,  # all samples
        'test_data_offset': -1,  # ignore the first "offset" samples
        'test_model': './data/models/caffenet_fast_rcnn_iter_40000.t7',
        'test_best_proposals_number': 500,
        'test_load_aboxes': '',
        'test_save_res_prefix': '',
        'test_save_res': '',
        'test_save_raw': '',
        'test_num_iterative_loc': 1,
        'disable_memory_efficient_forward': False,
        'test_add_nosoftmax': False,  # for backwards compatibility with szagoruyko's experiments ONLY
        'test_use_rbox_scores': False,
        'test_bbox_voting': False,
        'test_bbox_voting_score_pow': 1,
        'test_augment': False,
        'test_just_save_boxes': False,
        'test_min_proposal_size': 2,
        'test_nms_threshold': 0.3,
        'test_bbox_voting_nms_threshold': 0.5,
    }
    opt = xlua.envparams(opt)
    print(opt)
    test_runner_lua.opt = opt
    test_runner = test_runner_lua.TestRunner()

    dataset_name = opt['dataset'] + '_' + opt['test_set'] + opt['year']
    folder_name = ('VOC' + opt['year']) if opt['dataset'] == 'pascal' else 'coco'
    proposals_path = utils.makeProposalPath(opt['proposal_dir'], folder_name, opt['proposals'], opt['test_set'])

    print('dataset:', dataset_name)
    print('proposals_path:', proposals_path)

    test_runner.setup(opt['test_nGPU'], dataset_name, proposals_path)

    if opt['test_load_aboxes'] == '':
        aboxes = test_runner.computeBBoxes()
    else:
        aboxes = lg.load(opt['test_load_aboxes'])

    dir = opt['test_save_res']
    if opt['test_data_offset'] != -1:
        dir = opt['test_data_offset']
        dir = opt['test_save_res_prefix'] + lg.tostring(dir)

    if dir != '':
        print("Saving boxes to " + dir)
        paths.mkdir(dir)
        lg.save('%s/boxes.t7' % dir, aboxes)

    res = None
    if not opt['test_just_save_boxes']:
        res = test_runner.evaluateBoxes(aboxes)

        if dir != '':
            lg.save(dir + '/results.t7', res)
    return res
