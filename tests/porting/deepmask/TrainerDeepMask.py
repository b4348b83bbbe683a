"""TrainerDeepMask.lua: DeepMask's training and testing loop. The trunk is shared by the mask net and the score
net; each batch trains one head, and the trunk's flat parameters take an SGD step with a closure that returns the
trunk's output as its "loss" (sgd.lua never reads it).

The log, ``torch.DiskFile(rundir .. '/log', 'rw'); seekEnd()`` then ``writeString`` and ``synchronize`` per
epoch, is a Python text file opened for appending, written and flushed (docs/porting.md's DiskFile log row)."""
import legonn as lg
from legonn import cutorch, nn, optim

from .trainMeters import BinaryMeter, IouMeter, LossMeter


class Trainer:
    typename = 'Trainer'

    # --------------------------------------------------------------------------
    # function: init
    def __init__(self, model, criterion, config):
        # training params
        self.config = config
        self.model = model
        self.maskNet = nn.Sequential().add(model.trunk).add(model.maskBranch)
        self.scoreNet = nn.Sequential().add(model.trunk).add(model.scoreBranch)
        self.criterion = criterion
        self.lr = config['lr']
        self.optimState = {}
        for k, v in enumerate(['trunk', 'mask', 'score']):
            self.optimState[v] = {
                'learningRate': config['lr'],
                'learningRateDecay': 0,
                'momentum': config['momentum'],
                'dampening': 0,
                'weightDecay': config['wd'],
            }

        # params and gradparams
        self.pt, self.gt = model.trunk.getParameters()
        self.pm, self.gm = model.maskBranch.getParameters()
        self.ps, self.gs = model.scoreBranch.getParameters()

        # allocate cuda tensors
        self.inputs, self.labels = lg.CudaTensor(), lg.CudaTensor()

        # meters
        self.lossmeter = LossMeter()
        self.maskmeter = IouMeter(0.5, config['testmaxload'] * config['batch'])
        self.scoremeter = BinaryMeter()

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

        fevaltrunk = lambda *_: (self.model.trunk.output, self.gt)
        fevalmask = lambda *_: (self.criterion.output, self.gm)
        fevalscore = lambda *_: (self.criterion.output, self.gs)

        for n, sample in dataloader.run():
            # copy samples to the GPU
            self.copySamples(sample)

            # forward/backward
            if sample['head'] == 1:
                model, params = self.maskNet, self.pm
                feval, optimState = fevalmask, self.optimState['mask']
            else:
                model, params = self.scoreNet, self.ps
                feval, optimState = fevalscore, self.optimState['score']

            outputs = model.forward(self.inputs)
            lossbatch = self.criterion.forward(outputs, self.labels)

            model.zeroGradParameters()
            gradOutputs = self.criterion.backward(outputs, self.labels)
            if sample['head'] == 1: gradOutputs.mul(self.inputs.size(0))
            model.backward(self.inputs, gradOutputs)

            # optimize
            optim.sgd(fevaltrunk, self.pt, self.optimState['trunk'])
            optim.sgd(feval, params, optimState)

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
        self.scoremeter.reset()

        for n, sample in dataloader.run():
            # copy input and target to the GPU
            self.copySamples(sample)

            if sample['head'] == 1:
                outputs = self.maskNet.forward(self.inputs)
                self.maskmeter.add(outputs.view(self.labels.size()), self.labels)
            else:
                outputs = self.scoreNet.forward(self.inputs)
                self.scoremeter.add(outputs, self.labels)
            cutorch.synchronize()

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
             '| acc %06.2f | bestmodel %s') % (
                epoch,
                self.maskmeter.value('mean'), self.maskmeter.value('median'),
                self.maskmeter.value('0.5'), self.maskmeter.value('0.7'),
                self.scoremeter.value(), bestmodel and '*' or 'x')
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
                [1, 50, 1e-3, 5e-4],
                [51, 120, 5e-4, 5e-4],
                [121, 1e8, 1e-4, 5e-4]
            ]

            for _, row in enumerate(regimes):
                if epoch >= row[0] and epoch <= row[1]:
                    for k, v in self.optimState.items():
                        v['learningRate'] = row[2]; v['weightDecay'] = row[3]


maxacc = 0
