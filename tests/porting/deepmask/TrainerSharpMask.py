"""TrainerSharpMask.lua: SharpMask's training and testing loop: the refinement modules alone are trained, by
``updateParameters(lr)`` after each batch (the trunk and heads of the trained DeepMask stay fixed). The log is a
Python text file opened for appending (docs/porting.md's DiskFile log row)."""
import legonn as lg
from legonn import cutorch

from .trainMeters import IouMeter, LossMeter


class Trainer:
    typename = 'Trainer'

    # --------------------------------------------------------------------------
    # function: init
    def __init__(self, model, criterion, config):
        # training params
        self.model = model
        self.criterion = criterion
        self.lr = config['lr']

        # allocate cuda tensors
        self.inputs, self.labels = lg.CudaTensor(), lg.CudaTensor()

        # meters
        self.lossmeter = LossMeter()
        self.maskmeter = IouMeter(0.5, config['testmaxload'] * config['batch'])

        # log
        self.modelsv = {'model': model.clone('weight', 'bias'), 'config': config}
        self.rundir = config['rundir']
        self.log = open(self.rundir + '/log', 'a')

    # --------------------------------------------------------------------------
    # function: train
    def train(self, epoch, dataloader):
        self.model.training()
        self.updateScheduler(epoch)
        self.lossmeter.reset()

        timer = lg.Timer()

        for n, sample in dataloader.run():
            # copy samples to the GPU
            self.copySamples(sample)

            # forward/backward
            outputs = self.model.forward(self.inputs)
            lossbatch = self.criterion.forward(outputs, self.labels)

            gradOutputs = self.criterion.backward(outputs, self.labels)
            gradOutputs.mul(self.inputs.size(0))
            self.model.zeroGradParameters()
            self.model.backward(self.inputs, gradOutputs)
            self.model.updateParameters(self.lr)

            # update loss
            self.lossmeter.add(lossbatch)

        # write log
        logepoch = \
            '[train] | epoch %05d | s/batch %04.2f | loss: %07.5f ' % (
                epoch, timer.time()['real'] / dataloader.size(), self.lossmeter.value())
        print(logepoch)
        self.log.write('%s\n' % logepoch)
        self.log.flush()

        # save model
        lg.save('%s/model.t7' % self.rundir, self.modelsv)
        if epoch % 50 == 0:
            lg.save('%s/model_%d.t7' % (self.rundir, epoch),
                    self.modelsv)

    # --------------------------------------------------------------------------
    # function: test
    def test(self, epoch, dataloader):
        global maxacc
        self.model.evaluate()
        self.maskmeter.reset()

        for n, sample in dataloader.run():
            # copy input and target to the GPU
            self.copySamples(sample)

            # infer mask in batch
            outputs = self.model.forward(self.inputs).float()
            cutorch.synchronize()

            self.maskmeter.add(outputs.view(sample['labels'].size()), sample['labels'])

        self.model.training()

        # check if bestmodel so far
        z, bestmodel = self.maskmeter.value('0.7'), None
        if z > maxacc:
            lg.save('%s/bestmodel.t7' % self.rundir, self.modelsv)
            maxacc = z
            bestmodel = True

        # write log
        logepoch = \
            ('[test]  | epoch %05d ' +
             '| IoU: mean %06.2f median %06.2f suc@.5 %06.2f suc@.7 %06.2f ' +
             '| bestmodel %s') % (
                epoch,
                self.maskmeter.value('mean'), self.maskmeter.value('median'),
                self.maskmeter.value('0.5'), self.maskmeter.value('0.7'),
                bestmodel and '*' or 'x')
        print(logepoch)
        self.log.write('%s\n' % logepoch)
        self.log.flush()

    # --------------------------------------------------------------------------
    # function: copy inputs/labels to CUDA tensor
    def copySamples(self, sample):
        self.inputs.resize(sample['inputs'].size()).copy(sample['inputs'])
        self.labels.resize(sample['labels'].size()).copy(sample['labels'])

    # --------------------------------------------------------------------------
    # function: update training schedule according to epoch
    def updateScheduler(self, epoch):
        if self.lr == 0:
            regimes = [
                [1, 50, 1e-3],
                [51, 80, 5e-4],
                [81, 1e8, 1e-4]
            ]

            for _, row in enumerate(regimes):
                if epoch >= row[0] and epoch <= row[1]:
                    self.lr = row[2]


maxacc = 0
