"""KVmemnn/library/base_model.lua of facebookarchive/MemNN, ported line by line: the base class of the models
(command line options, init_mlp, the Tensor type, reset, the training worker, serial training, validation while
training, train).

The table ``baseNN`` is the class ``baseNN``; its functions called on the class table itself
(``add_cmdline_options``, ``init_mlp``, ``clone_mlp``, ``create_mlp``) are classmethods, and ``setmetatable(new_mlp,
{__index = self})`` is ``cls()``. Lua's globals ``g_train_data``, ``g_valid_data`` and ``g_eval_class`` are this
module's globals (memnn_model.py reads them here too: one global, as in Lua);
``g_eval_data_set``/``g_eval_save_metrics`` come from eval_lib.lua (not ported), so validation while training is
ported but runs only with ``validData`` set and an eval library in those globals. ``require(opt.dataClass)`` is
cmd.py's ``_require``, and its ``data:create_data`` the module's class ``data``'s classmethod. ``sys.clock()`` (the
sys package's wall clock) is ``time.time()``; ``os.date()`` is ``time.strftime('%c')`` (Lua's default format);
``collectgarbage()`` is ``gc.collect()``; ``io.open`` returning nil is an OSError caught; ``os.execute("rm " ..
fname)`` is ``os.remove(fname)``. The module's ``add_cmdline_options`` is the class's (the Lua's ``return baseNN``,
what cmd.lua's parse_mlp calls). ``math.floor(total_time)`` prints as an integer (Lua 5.1's number formatting).
Options are cmd.py's dict: a field the Lua reads as nil when unset is ``opt.get(name)``.

Not ported: do_hogwild_train (its shared model goes through memnn_model's get_shared and thread_utils.lua's raw
THStorage pointers, not ported; docs/porting.md's threads rows).
"""
import gc
import math
import os
import time
import types

import legonn as lg
from legonn import nn  # noqa: F401  (the Lua's require('nn'))

from . import util
from .cmd import _require

g_train_data = None
g_valid_data = None
g_eval_class = None
g_eval_data_set = None
g_eval_save_metrics = None


class baseNN:

    modelClass = 'library.base_model'

    @classmethod
    def add_cmdline_options(cls, opt):
        # Model
        opt.option('modelFilename',
                   None,
                   "file name where we save the model, " +
                   "if it exists we load it before training.", 'model')
        opt.option('continueTraining', False,
                   'if true, allows to load a model, and continue training '
                   + 'otherwise training exits if the training log already exists',
                   'model')
        opt.option('initModelFile',
                   None,
                   "file name of a model we initialize *our* model with"
                   + "when we first begin training.", 'model', True)
        opt.option('useDoubles', False, 'use doubles or floats', 'model',
                   True)
        opt.option('numThreads', 1, 'number of threads; must be >= 1.', 'model')

        # Dictionary
        opt.option('dictFile', '', 'Dictionary file mapping symbols to indices',
                   'dict')
        opt.option('dictClass', 'library.dict',
                   'dictionary class', 'dict', True)
        opt.option('dictFullLoading', True,
                   'Whether to load the dictionary word to index map'
                   + '(takes a little extra memory)',
                   'dict')
        opt.option('dictSave', False, 'save dictionary with model', 'dict', True)
        opt.option('dictSort', True, 'sort dictionary', 'dict', True)

        # Training and Logs
        opt.option('allowLoading', True, 'allow loading', 'model')
        opt.option('allowSaving', True, 'allow saving', 'model')
        opt.option('maxTrainTime', 60 * 60 * 24 * 30,  # default : one month
                   'maximum training time in secs',
                   'model')
        opt.option('maxTrainEpochs', 60 * 24 * 30,  # default: epoch/min for 1 month
                   'maximum number of training examples to consider',
                   'model')
        opt.option('logEveryNSecs', 60, 'log training stats every N secs', 'log',
                   True)
        opt.option('saveEveryNSecs', 60 * 15, 'save model every N secs', 'log',
                   True)
        opt.option('logTrainingFile', True,
                   'log training stats to <modelFilename>.log',
                   'log', True)
        opt.option('debugMode', False,
                   'prints out various debugging information, '
                   + 'larger values print more',
                   'log', True)
        opt.option('profi', False, 'profile using ProFi', 'log', False)

        # Validation options.
        opt.option('evalClass',
                   'library.eval_lib',
                   'evaluation class to use', 'valid', True)
        opt.option('testData', None, 'test data file', 'valid', True)
        opt.option('evalFileSuffix', '', 'appended to eval filename',
                   'valid', 'true')
        opt.option('evalIgnoreMissingModelFile', False, '', 'valid', True)
        opt.option('evalDataClass', None,
                   'data class to use for validation', 'valid')
        opt.option('testWithCandidateLabels', False,
                   'run validation using the candidates attached to examples',
                   'eval', True)
        opt.option('onlyTestWithExWithCandidates', False,
                   'if true, only compute eval '
                   + 'on examples with candidate labels', 'valid', True)
        opt.option('onlyTestOnIndex', False,
                   'if true, only compute eval '
                   + 'on question with given index', 'valid', True)
        opt.option('evalMaxTestEx', False,
                   'max number of test examples to eval on',
                   'valid', True)
        opt.option('candidateFile', None,
                   'if specified used as a set of negatives for ranking loss',
                   'valid')
        opt.option('addLabelAsLastCandidate', True, 'when a candidateFile is ' +
                   'used add the label as the last candidate',
                   'valid')
        opt.option('validData',
                   None,
                   "filename of validation data, uses train data if set to 'train'",
                   'valid', True)
        opt.option('validEveryNSecs', 60 * 30,
                   'validate model every N secs', 'valid', True)
        opt.option('validMetric', 'p1',
                   'name of metric to measure for validation', 'valid', True)
        opt.option('validOptMetric', 'max',
                   'whether we are maximizing of minimizing the metric', 'valid',
                   True)
        opt.option('printEveryNEvals', 10000,
                   'print a log of the eval metrics every N examples', 'valid',
                   True)
        opt.option('robustFileIO', False,
                   'if true, try to carry on if file IO is failing', 'data',
                   True)
        opt.option('sweeper', False, 'print json logs to be read by aisweeper',
                   'valid', True)
        opt.option('logPredictions', False, 'save the predictions to a file',
                   'valid')
        opt.option('logResponses', False,
                   'during evaluation, save question<tab>answer<model reply> ' +
                   'triplets to file for each test example', 'valid')

    @classmethod
    def init_mlp(cls, options):
        if options.get('modelFilename') is None:
            new_mlp = cls.create_mlp(options)
        else:
            new_mlp = cls()
            new_mlp.opt = options
            # Possibly load a previous checkpoint.
            if not new_mlp.load(options['modelFilename']):
                print("[couldn't find mlp at '" + options['modelFilename'] + "']")
                if options.get('initModelFile') is None:
                    print('[so, start training mlp from scratch.]')
                    new_mlp = cls.create_mlp(options)
                else:
                    print('[trying to initialize with: ' +
                          options['initModelFile'] + ']')
                    if new_mlp.load(options['initModelFile']):
                        print('[..done]')
                    else:
                        raise RuntimeError('failed to initialize')
        return new_mlp

    def Tensor(self, *args):
        if self.opt.get('useDoubles'):
            return lg.DoubleTensor(*args)
        else:
            return lg.FloatTensor(*args)

    @classmethod
    def clone_mlp(cls, shared_mlp, options):
        return baseNN.create_mlp(options)

    @classmethod
    def create_mlp(cls, options):
        raise NotImplementedError('not defined!')

    # Reset gets called on the model after being created, cloned or loaded
    def reset(self):
        lg.setdefaulttensortype("torch.FloatTensor")
        self.NULL = types.SimpleNamespace()
        self.NULL.x = lg.Tensor([0])  # special NULL character.
        self.NULL.index = 0
        self.log = util.Log.new('model', self.opt.get('debugMode'))

    # Train one worker, can be used for hogwild training
    # or single-threaded.
    def do_train_worker(self):
        exs_processed = 0
        its = 0
        loss = {}
        batch = 0
        start_time = time.time()
        last_save_time = time.time()
        last_log_time = time.time()
        last_valid_time = time.time()
        best_valid_metric = None
        last_valid_metric = None
        while True:
            # Train on an example.
            ex = g_train_data.get_random_example()
            exs_processed = exs_processed + 1
            if ex is not None:
                update_loss = self.update(ex)
                if update_loss is not None:
                    for i, k in update_loss.items():
                        if loss.get(i) is None:
                            loss[i] = 0
                        loss[i] = loss[i] + k
                    batch = batch + 1
            # Logging of various types follows.
            time_ = time.time()
            total_time = time_ - start_time
            if self.opt.get('maxTrainTime') is not None:
                if total_time > self.opt['maxTrainTime']:
                    break
            num_epochs = exs_processed / g_train_data.num_loaded_examples()
            if self.opt.get('maxTrainEpochs') is not None:
                if num_epochs > self.opt['maxTrainEpochs']:
                    break
            # Save the model every N seconds.
            save_time = time_ - last_save_time
            if (self.my_threadidx == 1 and self.opt.get('saveEveryNSecs') is not None and
                    save_time >= self.opt['saveEveryNSecs']):
                if self.opt.get('modelFilename') is not None:
                    self.save_all(self.opt['modelFilename'])
                last_save_time = time.time()

            last_valid_time, best_valid_metric, last_valid_metric = \
                self.validate_while_training(
                    g_valid_data, best_valid_metric, last_valid_metric,
                    time_, last_valid_time)

            # Log training error every N seconds.
            log_time = time_ - last_log_time
            if log_time >= self.opt['logEveryNSecs']:
                its = its + batch
                thread_string = ''
                doPrint = True
                if self.opt['numThreads'] > 1:
                    thread_string = 'thread:' + lg.tostring(self.my_threadidx) + ' '
                    if not self.opt.get('debugMode') and self.my_threadidx > 1:
                        doPrint = False
                if doPrint:
                    log_string = ('[' + thread_string
                                  + 'exs:' + lg.tostring(its)
                                  + ' epoch:' + util.shortFloat(num_epochs))
                    if loss.get('hinge_loss'):
                        log_string = (log_string + ' hinge_loss:'
                                      + util.shortFloat(loss['hinge_loss'] / batch))
                    if loss.get('r'):
                        log_string = (log_string + ' resp_loss:'
                                      + util.shortFloat(loss['r'] / batch))
                    if loss.get('rank_loss'):
                        log_string = (log_string + ' rank_loss:'
                                      + util.shortFloat(loss['rank_loss'] / batch))
                    if loss.get('neg_sample_errs'):
                        log_string = (log_string + ' neg_errs:'
                                      + util.shortFloat(loss['neg_sample_errs'] / batch))
                    if loss.get('mean_rank'):
                        log_string = (log_string + ' mean_rank:'
                                      + util.shortFloat(loss['mean_rank'] / batch))
                    log_string = (log_string
                                  + ' time:' + lg.tostring(math.floor(total_time)) + 's'
                                  + ' data:' + lg.tostring(g_train_data.num_loaded_examples()))
                    if loss.get('mems'):
                        log_string = (log_string + ' mems:'
                                      + util.shortFloat(loss['mems'] / batch))
                    if last_valid_metric:
                        log_string = (log_string
                                      + ' last_valid:' + util.shortFloat(last_valid_metric))
                    if best_valid_metric:
                        log_string = (log_string
                                      + ' best_valid:' + util.shortFloat(best_valid_metric))
                    log_string = log_string + "]"
                    print(log_string)
                    if (self.opt.get('logTrainingFile') and self.opt.get('modelFilename') and
                            self.opt.get('allowSaving')):
                        log_file = self.opt['modelFilename'] + ".log"
                        try:
                            f = open(log_file, "a")
                        except OSError:
                            f = None
                        if f is not None:
                            f.write(time.strftime('%c') + ":" + log_string + "\n")
                            f.close()
                        else:
                            if not self.opt.get('robustFileIO'):
                                raise RuntimeError('writing log: ' + log_file + ' failed!')
                gc.collect()
                loss = {}
                batch = 0
                last_log_time = time.time()
        return loss, batch

    # Main training loop for serial (non-hogwild) trainer.
    def do_serial_train(self):
        # Create the NN, and possibly load a previous checkpoint.
        print('[training...]')
        self.my_threadidx = 1
        start_time = time.time()
        # The actual training.
        loss, batch = self.do_train_worker()
        # Now print some metrics, and save.
        total_time = time.time() - start_time
        print('[total time: ' + lg.tostring(total_time) + 's]')
        if self.opt.get('modelFilename') is not None:
            self.save_all(self.opt['modelFilename'])
        ave_loss = {}
        for k, v in loss.items():
            ave_loss[k] = v / batch
        return ave_loss

    def validate_while_training(self, g_valid_data, best_valid_metric, last_valid_metric,
                                time_, last_valid_time):
        # Compute validation error every N seconds.
        valid_time = time_ - last_valid_time
        if (self.my_threadidx == 1 and self.opt.get('validEveryNSecs') is not None and
                self.opt.get('validData') is not None and
                valid_time >= self.opt['validEveryNSecs']):
            print('[running validation...]')
            if not getattr(self, 'firstValid', None):
                # Delete valid_eval file as this is the first time.
                self.firstValid = True
                fname = self.opt['modelFilename'] + '.best_valid_eval'
                try:
                    f = open(fname, 'r')
                except OSError:
                    f = None
                if f is not None:
                    f.close()
                    os.remove(fname)   # Lua: os.execute("rm " .. fname)
            # Temporarily keep the weights frozen.
            if not getattr(self, 'freeze_weights', None):
                print('Need to implement freeze_weights to validate during '
                      + 'training, or set validEveryNSecs=nil.')
                raise RuntimeError('freeze_weights not implemented')
            self.freeze_weights()

            metrics = g_eval_data_set(None, g_valid_data, self)
            metric = metrics[self.opt['validMetric']]
            if self.opt['validOptMetric'] == 'min':
                metric = -metric
            if best_valid_metric is None or metric > best_valid_metric:
                best_valid_metric = metric
                # Save out the model, as this is the best we have found.
                print('[best validation so far with metric '
                      + self.opt['validMetric'] + ':'
                      + lg.tostring(metrics[self.opt['validMetric']]) + ']')
                if self.opt.get('modelFilename') is not None:
                    g_eval_save_metrics(
                        None, metrics, self.opt['modelFilename'] + '.best_valid_eval',
                        '*', self.opt['validMetric'])
                    self.save_all(self.opt['modelFilename'] + '.best_valid_model')
            else:
                print('[not as good as best metric ' + self.opt['validMetric']
                      + ':' + lg.tostring(best_valid_metric) + ' vs. '
                      + lg.tostring(metrics[self.opt['validMetric']]) + ']')
                if self.opt.get('modelFilename') is not None:
                    g_eval_save_metrics(
                        None, metrics, self.opt['modelFilename'] + '.best_valid_eval',
                        None, self.opt['validMetric'])

            # Put the weights back to the shared ones for hogwild, etc.
            self.unfreeze_weights()
            last_valid_time = time.time()
            last_valid_metric = metric

        return last_valid_time, best_valid_metric, last_valid_metric

    def train(self):
        global g_train_data, g_valid_data, g_eval_class
        if not self.opt.get('continueTraining') and self.opt.get('modelFilename'):
            # Check if the model log file already exists.
            # If it does, we do not continue training.
            log_file = self.opt['modelFilename'] + '.log'
            try:
                f = open(log_file)
            except OSError:
                f = None
            if f is not None:
                f.close()
                print('[log file ' + log_file +
                      ' already exists: NOT training]')
                return 0
        data = _require(self.opt['dataClass'])
        last_err = None
        if self.opt['numThreads'] == 1:
            g_train_data = data.data.create_data(self.opt['trainData'], None, self.opt,
                                                 self.dict)
            if (self.opt.get('validEveryNSecs') is not None and
                    self.opt.get('validData') is not None):
                if self.opt.get('evalDataClass'):
                    eval_data = _require(self.opt['evalDataClass'])
                else:
                    eval_data = _require(self.opt['dataClass'])
                g_eval_class = _require(self.opt['evalClass'])
                g_valid_data = eval_data.data.create_data(self.opt['validData'], None,
                                                          self.opt, self.dict)
            last_err = self.do_serial_train()
        else:
            raise NotImplementedError('do_hogwild_train is not ported (thread_utils.lua)')
        return last_err


# Lua's ``return baseNN``: what cmd.lua's parse_mlp calls on the required table
add_cmdline_options = baseNN.add_cmdline_options
