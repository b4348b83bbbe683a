"""main.lua: parse the options, seed, load the latest checkpoint, make the three loaders, the model and the
Trainer, then per epoch train, compute the whole-video mAP (test2) and the frame errors (test) and save a
checkpoint (``-testOnly``: test2 alone).

Edits beyond the package's: the script is ``main(arg)`` and returns the trainer and each epoch's scores
(``{trainTop1, trainTop5, testTop1, testTop5, mAP}`` and the train loss), or test2's AP with ``-testOnly``;
``local Trainer`` assigned from ``require 'train'`` is the imported class; ``print`` of several values
separates them with tabs and writes numbers with ``tostring`` (docs/porting.md's print row)."""
import math

import legonn as lg
from legonn import cutorch

from . import checkpoints, opts
from .dataloader import DataLoader
from .models import init as models


def main(arg):
    lg.setdefaulttensortype('torch.FloatTensor')
    lg.setnumthreads(1)

    opt = opts.parse(arg)
    lg.manualSeed(opt['manualSeed'])
    cutorch.manualSeedAll(opt['manualSeed'])

    from .train import Trainer

    # Load previous checkpoint, if it exists
    checkpoint, optimState = checkpoints.latest(opt)

    # Data loading
    print('Creating Data Loader')
    trainLoader, valLoader, val2Loader = DataLoader.create(opt)

    # Create model
    model, criterion = models.setup(opt, checkpoint)

    # The trainer handles the training loop and evaluation on validation set
    print('Creating Trainer')
    trainer = Trainer(model, criterion, opt, optimState)

    if opt['testOnly']:
        # local top1Err, top5Err = trainer:test(opt, 0, valLoader)
        # print(string.format(' * Results top1: %6.3f  top5: %6.3f', top1Err, top5Err))

        AP = trainer.test2(opt, 0, val2Loader)
        mAP = AP.mean()
        print(' * Results mAP: %6.3f' % mAP)

        return {'trainer': trainer, 'AP': AP}

    startEpoch = checkpoint['epoch'] + 1 if checkpoint else opt['epochNumber']
    bestTop1 = math.inf
    bestTop5 = math.inf
    bestmAP = 0
    results = []
    for epoch in range(startEpoch, opt['nEpochs'] + 1):
        # Train for a single epoch
        trainTop1, trainTop5, trainLoss = trainer.train(opt, epoch, trainLoader)

        # Run model on validation set evaluating on the whole video
        AP = trainer.test2(opt, epoch, val2Loader)
        mAP = AP.mean()

        # Run model on validation set
        testTop1, testTop5 = trainer.test(opt, epoch, valLoader)

        bestModel = False
        if testTop1 < bestTop1:
            bestModel = True
            bestTop1 = testTop1
            bestTop5 = testTop5
            bestmAP = mAP
            print(' * Best model ', lg.tostring(testTop1), lg.tostring(testTop5), lg.tostring(mAP), sep='\t')

        score = [trainTop1, trainTop5, testTop1, testTop5, mAP]
        checkpoints.save(epoch, model, trainer.optimState, bestModel, opt, score)
        results.append({'score': score, 'trainLoss': trainLoss, 'AP': AP})

    print(' * Finished top1: %6.3f  top5: %6.3f  mAP: %6.3f' % (bestTop1, bestTop5, bestmAP))
    return {'trainer': trainer, 'results': results}
