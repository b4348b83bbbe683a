"""main.lua after ``opts.parse``: the model (``models.setup``, here msdnet.createModel), the ParallelCriterion of
one CrossEntropyCriterion per exit (weight 1 each), the Trainer, the ``-testOnly`` anytime evaluation
(anytime_result.t7: single-exit and ensemble top-1 errors on the validation and test sets) and the epoch loop
(train, validate, test when ``-validset``, the per-exit errors written through save2txt, the best ensemble
result saved).

Edits beyond Lua syntax and 0-based indices: the script is ``main(opt, trainLoader, valLoader, testLoader,
target=None)`` with the loaders passed in (DataLoader.create is fb.resnet.torch's dataloader.lua, ported in
tests/porting/test_fbresnet_dataloader.py) and ``target`` standing in for the CudaLongTensor that a CPU run lacks;
it returns the trainer and the four per-epoch tables. Not ported: checkpoints.lua (resuming and
``checkpoints.save``, fb.resnet.torch's checkpointing with fixed file names) and models/init.lua (fb.resnet.torch's
setup, ported in tests/porting/test_resnext.py): the model comes from createModel and no checkpoint is written.
``valSingle[epoch]`` tables are lists appended each epoch; ``math.huge`` is ``math.inf``."""
import math

import legonn as lg
from legonn import nn, paths

from .msdnet import createModel
from .saveTXT import save2txt
from .train_joint import Trainer


def main(opt, trainLoader, valLoader, testLoader, target=None):
    lg.manualSeed(opt['manualSeed'])

    # Create model
    model = createModel(opt)

    # Use parallel criterion for multiple exits
    criterion = nn.ParallelCriterion()
    for i in range(opt['nBlocks']):
        criterion.add(nn.CrossEntropyCriterion().type(opt['tensorType']), 1)

    # The trainer handles the training loop and evaluation on validation set
    trainer = Trainer(model, criterion, opt, None)
    trainer.target = target

    # Test only, need to specify -save and -retrain
    if opt['testOnly']:
        top1ErrValid, top5Err, top1ErrEnsembleValid, top5ErrEnsemble = trainer.test(0, valLoader)
        top1Err, top5Err, top1ErrEnsemble, top5ErrEnsemble = trainer.test(0, testLoader)
        print('results from: ' + opt['save'])
        print('\nval single: \n', top1ErrValid,
              '\n val ensemble: \n', top1ErrEnsembleValid,
              '\n test single:\n', top1Err,
              '\n test ensemble:\n', top1ErrEnsemble)
        lg.save(paths.concat(opt['save'], 'anytime_result.t7'), [top1ErrValid, top1ErrEnsembleValid,
                                                                 top1Err, top1ErrEnsemble])
        return trainer, None

    # Initialize some parameters
    paramsize = trainer.params.size(0)
    print('Parameters:', paramsize)
    valSingle, valEnsemble, testSingle, testEnsemble = [], [], [], []
    startEpoch = opt['epochNumber']
    bestTop1 = math.inf
    bestTop5 = math.inf
    timer = lg.Timer()

    # Training epochs
    for epoch in range(startEpoch, opt['nEpochs'] + 1):

        # Train for a single epoch
        timer.reset()
        trainer.train(epoch, trainLoader)

        # Run model on validation set
        valTop1All, _, valTop1Evolve, _ = trainer.test(epoch, valLoader)
        valSingle.append(valTop1All)
        valEnsemble.append(valTop1Evolve)

        # Run model on test set
        if opt['validset'] == True:
            testTop1All, _, testTop1Evolve, _ = trainer.test(epoch, testLoader)
            testSingle.append(testTop1All)
            testEnsemble.append(testTop1Evolve)

        # Log results to text file
        filename = paths.concat(opt['save'], 'result_')
        save2txt(filename + 'valSingle', valSingle)
        save2txt(filename + 'valEnsemble', valEnsemble)
        if opt['validset'] == True:
            save2txt(filename + 'testSingle', testSingle)
            save2txt(filename + 'testEnsemble', testEnsemble)

        # Checkpoint best model
        if valEnsemble[-1][opt['nBlocks'] - 1] < bestTop1:
            bestTop1 = valEnsemble[-1][opt['nBlocks'] - 1]
            print(' * Best model ', valEnsemble[-1][opt['nBlocks'] - 1])
            lg.save(paths.concat(opt['save'], 'best_result_ensemble.t7'),
                    [valEnsemble[-1], testEnsemble[-1] if opt['validset'] == True else None])

    # Done
    print(' * Finished top1: %6.3f  top5: %6.3f' % (bestTop1, bestTop5))
    return trainer, (valSingle, valEnsemble, testSingle, testEnsemble)
