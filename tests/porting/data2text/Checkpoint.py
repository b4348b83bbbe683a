"""onmt/train/Checkpoint.lua of harvardnlp/data2text: saves the flat parameters, the options, the training
status and the dictionaries (not the modules) at the end of an epoch or in the middle of one."""
import os

import legonn as lg


class Checkpoint:
    def __init__(self, options, model, flatParams, optim, dataset):
        self.options = options
        self.model = model
        self.optim = optim
        self.dataset = dataset
        self.flatParams = flatParams
        self.savePath = self.options['save_model']

    def save(self, filePath, info):
        info['learningRate'] = self.optim.getLearningRate()
        info['optimStates'] = self.optim.getStates()
        data = {
            'flatParams': self.flatParams,
            'options': self.options,
            'info': info,
            'dicts': self.dataset['dicts'],
        }
        lg.save(filePath, data)

    def saveIteration(self, iteration, epochState, batchOrder, verbose):
        """Save the model and data in the middle of an epoch sorting the iteration."""
        info = {}
        info['iteration'] = iteration + 1
        info['epoch'] = epochState.epoch
        info['epochStatus'] = epochState.getStatus()
        info['batchOrder'] = batchOrder
        filePath = '%s_checkpoint.t7' % self.savePath
        if verbose:
            print('Saving checkpoint to \'' + filePath + '\'...')
        # Succeed serialization before overriding existing file
        self.save(filePath + '.tmp', info)
        os.rename(filePath + '.tmp', filePath)

    def saveEpoch(self, validPpl, epochState, verbose):
        info = {}
        info['validPpl'] = validPpl
        info['epoch'] = epochState.epoch + 1
        info['iteration'] = 1
        info['trainTimeInMinute'] = epochState.getTime() / 60
        filePath = '%s_epoch%d_%.2f.t7' % (self.savePath, epochState.epoch, validPpl)
        if verbose:
            print('Saving checkpoint to \'' + filePath + '\'...')
        self.save(filePath, info)

    def deleteEpoch(self, validPpl, epoch):
        filePath = '%s_epoch%d_%.2f.t7' % (self.savePath, epoch, validPpl)
        try:   # os.remove of a missing file returns nil and an error message, which the Lua ignores
            os.remove(filePath)
        except FileNotFoundError:
            pass
