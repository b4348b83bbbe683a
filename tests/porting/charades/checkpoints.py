"""checkpoints.lua: fb.resnet.torch's checkpoints (``latest`` and ``save``, and ``deepCopy``, ported in
tests/porting/test_resnext.py's ``checkpoint`` and imported from there) with charades-algorithms' score files:
``save`` also writes the epoch's five scores (train top1/top5, test top1/top5, mAP) to ``model_NNN.txt``,
``latest.txt`` and, for the best model, ``model_best.txt``.

Edits beyond the package's: ``latest`` returns ``None, None`` where the Lua's ``return nil`` gives main.lua's
two names nil (docs/porting.md's multiple-assignment row); Lua's ``..`` of a number writes it with ``%.14g``
(``lg.tostring``)."""
import legonn as lg
from legonn import paths
from tests.porting.test_resnext import checkpoint as _fbresnet

deepCopy = _fbresnet.deepCopy


def latest(opt):
    if opt['resume'] == 'none':
        return None, None

    latestPath = paths.concat(opt['resume'], 'latest.t7')
    if not paths.filep(latestPath):
        return None, None

    print('=> Loading checkpoint ' + latestPath)
    latest = lg.load(latestPath)
    optimState = lg.load(paths.concat(opt['resume'], latest['optimFile']))

    return latest, optimState


def modelscore(name, score):
    print('dumping score to file')
    out = open(name, "w")
    out.write("train top1: " + lg.tostring(score[0]) + "\n")
    out.write("train top5: " + lg.tostring(score[1]) + "\n")
    out.write("test top1: " + lg.tostring(score[2]) + "\n")
    out.write("test top5: " + lg.tostring(score[3]) + "\n")
    out.write("mAP: " + lg.tostring(score[4]) + "\n")
    out.close()


def save(epoch, model, optimState, isBestModel, opt, score):
    # don't save the DataParallelTable for easier loading on other machines
    if lg.type(model) == 'nn.DataParallelTable':
        model = model.get(0)

    # create a clean copy on the CPU without modifying the original network
    model = deepCopy(model).float().clearState()

    modelFile = 'model_' + lg.tostring(epoch) + '.t7'
    optimFile = 'optimState_' + lg.tostring(epoch) + '.t7'

    modelscore(paths.concat(opt['save'], "model_%03d.txt" % epoch), score)
    lg.save(paths.concat(opt['save'], modelFile), model)
    lg.save(paths.concat(opt['save'], optimFile), optimState)
    lg.save(paths.concat(opt['save'], 'latest.t7'), {
        'epoch': epoch,
        'modelFile': modelFile,
        'optimFile': optimFile,
    })
    modelscore(paths.concat(opt['save'], 'latest.txt'), score)

    if isBestModel:
        lg.save(paths.concat(opt['save'], 'model_best.t7'), model)
        modelscore(paths.concat(opt['save'], 'model_best.txt'), score)
