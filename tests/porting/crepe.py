"""zhangxiangxiao/Crepe ported line by line: data/csv2t7b.lua, train/config.lua, train/data.lua, train/model.lua,
train/train.lua, train/test.lua and train/main.lua's driver. tests/porting/test_crepe.py runs it; its docstring says
what stand-ins are used.

Edits beyond Lua syntax and 0-based indices, each marked where it is made:

* Bytes, not characters (docs/porting.md's ``#s`` of ``ffi.string`` row): Lua's strings are bytes, so ``#s``,
  ``s:sub(i, i)`` and ``s:lower()`` in data.lua's stringToTensor count and lowercase bytes (C locale, ASCII only);
  ``ffi.string`` gives a str decoded as UTF-8, whose ``len``, indexing and ``lower()`` work on code points.
  stringToTensor re-encodes the text and lowercases the bytes; csv2t7b measures ``content[i]:len()`` in bytes.
  csv2t7b reads its file as bytes (``fd:lines()`` keeps a ``\\r``), decoded with surrogateescape so that
  ``ffi.copy`` writes the same bytes back, and trims with Lua's ``%s`` set (C's isspace), not ``str.strip()``,
  which also trims Unicode spaces.
* Labels from 0: csv2t7b's class column stays 1-based in the CSV (the file format) and becomes the 0-based slot of
  ``data['index']``; ``data['index']`` holds 0-based byte offsets into ``content``. train.lua's mask
  ``labels:gt(0)`` ("a label is present", every 1-based label) is ``labels.ge(0)``: ``gt(0)`` would mask out
  class 0 and the training error would ignore it.
* ``Model:createTemporalMaxPooling`` passes ``m.dH`` (always nil) as a third argument, which
  nn.TemporalMaxPooling never reads; legonn refuses unread arguments (docs/porting.md's torch.class row): dropped.
* ``m.module_name`` in changeSequentialDropouts is a field nothing sets (nil in Lua): ``getattr(m, 'module_name',
  None)``.
* config.model is a Lua table with array entries (the layers) and fields (``file``, ``p``, set by main's resume):
  a list subclass with those attributes. Train's ``config.rates or {1e-3}`` is the keyed ``{1: 1e-3}``: rates are
  keyed by epoch counts, which stay 1-based as in the saved file names.
* main.lua:224 saves ``config``, whose ``loss`` is the class nn.ClassNLLCriterion; ``lg.save`` refuses a type, so
  the port saves its Torch7 name (docs/porting.md's row), and the layer list as a plain list.
* Data:iterator declares ``local static`` over its own parameter, so ``static`` is always nil, made true, and the
  batch buffers are the globals ``inputs`` and ``labels``, shared by every Data object; Crepe drains one iterator
  at a time, so the port keeps them in the closure (the same numbers). The last batch of a pass keeps the previous
  batch's rows past ``n``, and Test's error and loss are taken over the whole batch, stale rows included: ported
  as is (a property of Crepe, not of legonn).

* main.lua seeds ``math.randomseed(os.time())`` and ``torch.manualSeed(os.time())`` when loaded; the port leaves
  seeding to its caller (the tests seed), and sets the device (cutorch's 1 is legonn's 0) only for a CudaTensor
  run, where main.lua requires cutorch always. Its ``collectgarbage()`` calls and their log lines are dropped.

Left out: train/mui.lua, scroll.lua and scroll.ui (the Qt model visualisation: ``main.draw``), ``main.show`` and the
eps figures of ``main.save`` (gnuplot; legonn's epsfigure needs the gnuplot program, which CI lacks), and
data.lua's thesaurus replacement (``config.thes``; Crepe's config never sets it and its thesaurus file is not in
the repository). ``prob``, ``padding``, ``scale`` and ``extra`` are stored as data.lua stores them, unused there.
"""
import math
import os
import re
import time

import legonn as lg
from legonn import ffi, nn, paths
from legonn import sys as tsys

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789-,;.!?:'\"/\\|_@#$%^&*~`+-=<>()[]{}"


# ---------------------------------------------------------------- data/csv2t7b.lua

def parse_csv_line(line, sep=','):
    """ParseCSVLine (csv2t7b.lua:41-79): quoted fields may hold the separator and ``""`` escapes a quote."""
    res = []
    pos = 0
    while True:
        c = line[pos:pos + 1]
        if c == '':
            break
        if c == '"':
            txt = ''
            while True:
                # '^%b""' from pos: the quote at pos to the next one
                endp = line.index('"', pos + 1)
                txt = txt + line[pos + 1:endp]
                pos = endp + 1
                c = line[pos:pos + 1]
                if c == '"':
                    txt = txt + '"'
                if c != '"':
                    break
            res.append(txt)
            assert c == sep or c == ''
            pos = pos + 1
        else:
            startp = line.find(sep, pos)
            if startp != -1:
                res.append(line[pos:startp])
                pos = startp + len(sep)
            else:
                res.append(line[pos:])
                break
    return res


# Lua's %s: C's isspace in the C locale
_LUA_SPACE = ' \t\n\v\f\r'


def _clean_field(text):
    # content[i]:gsub("\\n", "\n"):gsub("^%s*(.-)%s*$", "%1")
    return text.replace('\\n', '\n').strip(_LUA_SPACE)


def _byte_len(text):
    # content[i]:len(): bytes, as ffi.copy writes them
    return len(text.encode('utf-8', 'surrogateescape'))


def _lines(path):
    # fd:lines(): each line without its '\n', as bytes (decoded so that ffi.copy writes the same bytes back)
    with open(path, 'rb') as fd:
        for raw in fd:
            yield raw.rstrip(b'\n').decode('utf-8', 'surrogateescape')


def csv2t7b(argv, log=print):
    """data/csv2t7b.lua's main chunk: the CSV of ``class,field,...`` rows to the t7b file of ``index``, ``length``
    (per class, a LongTensor of rows x fields) and ``content`` (a ByteTensor of NUL-terminated fields)."""
    config = {}
    config['input'] = 'train.csv'
    config['output'] = 'train.t7b'

    cmd = lg.CmdLine()
    cmd.option('-input', config['input'], 'Input csv file')
    cmd.option('-output', config['output'], 'Output t7b file')
    params = cmd.parse(argv)
    config['input'] = params['input']
    config['output'] = params['output']

    if not paths.filep(config['input']):
        raise RuntimeError('Input file ' + config['input'] + ' does not exist.')
    if paths.filep(config['output']):
        response = input('Output file ' + config['output'] + ' already exists. Do you want to continue? (y/[n]) ')
        if response.strip(_LUA_SPACE) != 'y':
            log('Exited because output file ' + config['output'] + ' already exists.')
            return None

    log('--- PASS 1: Checking file format and counting samples ---')
    count = {}
    n = 0
    bytecount = 0
    nitems = None
    for line in _lines(config['input']):
        n = n + 1
        content = parse_csv_line(line)
        nitems = nitems or len(content)
        if nitems < 2:
            raise RuntimeError('Number of items smaller than 2. Where is the content?')
        if nitems != len(content):
            raise RuntimeError('Inconsistent number of items at line ' + str(n))
        try:
            klass = int(content[0])
        except ValueError:
            raise RuntimeError('First item is not a number at line ' + str(n)) from None
        if klass <= 0:
            raise RuntimeError('Class index smaller than 1 at line ' + str(n))
        count[klass] = count.get(klass, 0) + 1
        for i in range(1, len(content)):
            content[i] = _clean_field(content[i])
            bytecount = bytecount + _byte_len(content[i]) + 1
    log('Number of lines processed: ' + str(n))
    max_class = 1
    for key in count:
        if key > max_class:
            max_class = key
    log('Number of classes: ' + str(max_class))
    for klass in range(1, max_class + 1):
        if count.get(klass, 0) == 0:
            raise RuntimeError('The largest class index is ' + str(max_class) + ' but class ' + str(klass)
                               + ' has no samples.')
        log('Number of samples in class ' + str(klass) + ': ' + str(count[klass]))
    log('Number of bytes needed to store content: ' + str(bytecount))

    log('\n--- PASS 2: Constructing index and data ---')
    data = {'index': [], 'length': [], 'content': lg.ByteTensor(bytecount)}
    progress = {}
    for klass in range(1, max_class + 1):
        progress[klass] = 0
        data['index'].append(lg.LongTensor(count[klass], nitems - 1))
        data['length'].append(lg.LongTensor(count[klass], nitems - 1))
    n = 0
    index = 0
    for line in _lines(config['input']):
        n = n + 1
        content = parse_csv_line(line)
        klass = int(content[0])
        progress[klass] = progress[klass] + 1
        for i in range(1, len(content)):
            content[i] = _clean_field(content[i])
            size = _byte_len(content[i])
            data['index'][klass - 1][progress[klass] - 1][i - 1] = index
            data['length'][klass - 1][progress[klass] - 1][i - 1] = size
            ffi.copy(lg.data(data['content'].narrow(0, index, size + 1)), content[i])
            index = index + size + 1
    log('Number of lines processed: ' + str(n))

    log('Saving to ' + config['output'])
    lg.save(config['output'], data)
    log('Processing done')
    return data


# ---------------------------------------------------------------- train/config.lua

class ModelConfig(list):
    """config.model: the layers as array entries, with the fields main's resume sets (``file``) and Model reads
    (``p``)."""
    file = None
    p = None


def make_config(cwd):
    """config.lua's table, with paths under ``cwd`` (``paths.cwd()`` in the Lua)."""
    config = {}
    alphabet = ALPHABET

    config['train_data'] = {}
    config['train_data']['file'] = paths.concat(cwd, '../data/train.t7b')
    config['train_data']['alphabet'] = alphabet
    config['train_data']['length'] = 1014
    config['train_data']['batch_size'] = 128

    config['val_data'] = {}
    config['val_data']['file'] = paths.concat(cwd, '../data/test.t7b')
    config['val_data']['alphabet'] = alphabet
    config['val_data']['length'] = 1014
    config['val_data']['batch_size'] = 128

    config['model'] = ModelConfig([
        {'module': 'nn.TemporalConvolution', 'inputFrameSize': len(alphabet), 'outputFrameSize': 256, 'kW': 7},
        {'module': 'nn.Threshold'},
        {'module': 'nn.TemporalMaxPooling', 'kW': 3, 'dW': 3},
        {'module': 'nn.TemporalConvolution', 'inputFrameSize': 256, 'outputFrameSize': 256, 'kW': 7},
        {'module': 'nn.Threshold'},
        {'module': 'nn.TemporalMaxPooling', 'kW': 3, 'dW': 3},
        {'module': 'nn.TemporalConvolution', 'inputFrameSize': 256, 'outputFrameSize': 256, 'kW': 3},
        {'module': 'nn.Threshold'},
        {'module': 'nn.TemporalConvolution', 'inputFrameSize': 256, 'outputFrameSize': 256, 'kW': 3},
        {'module': 'nn.Threshold'},
        {'module': 'nn.TemporalConvolution', 'inputFrameSize': 256, 'outputFrameSize': 256, 'kW': 3},
        {'module': 'nn.Threshold'},
        {'module': 'nn.TemporalConvolution', 'inputFrameSize': 256, 'outputFrameSize': 256, 'kW': 3},
        {'module': 'nn.Threshold'},
        {'module': 'nn.TemporalMaxPooling', 'kW': 3, 'dW': 3},
        {'module': 'nn.Reshape', 'size': 8704},
        {'module': 'nn.Linear', 'inputSize': 8704, 'outputSize': 1024},
        {'module': 'nn.Threshold'},
        {'module': 'nn.Dropout', 'p': 0.5},
        {'module': 'nn.Linear', 'inputSize': 1024, 'outputSize': 1024},
        {'module': 'nn.Threshold'},
        {'module': 'nn.Dropout', 'p': 0.5},
        {'module': 'nn.Linear', 'inputSize': 1024, 'outputSize': 14},
        {'module': 'nn.LogSoftMax'},
    ])

    config['loss'] = nn.ClassNLLCriterion

    config['train'] = {}
    base_rate = 1e-2 * math.sqrt(config['train_data']['batch_size']) / math.sqrt(128)
    config['train']['rates'] = {1: base_rate / 1, 15001: base_rate / 2, 30001: base_rate / 4,
                                45001: base_rate / 8, 60001: base_rate / 16, 75001: base_rate / 32,
                                90001: base_rate / 64, 105001: base_rate / 128, 120001: base_rate / 256,
                                135001: base_rate / 512, 150001: base_rate / 1024}
    config['train']['momentum'] = 0.9
    config['train']['decay'] = 1e-5

    config['test'] = {}
    config['test']['confusion'] = True

    # config.mui (the Qt visualisation's settings) left out with mui.lua

    config['main'] = {}
    config['main']['type'] = 'torch.CudaTensor'
    config['main']['eras'] = 10
    config['main']['epoches'] = 5000
    config['main']['randomize'] = 5e-2
    config['main']['dropout'] = True
    config['main']['save'] = paths.concat(cwd)
    config['main']['details'] = True
    config['main']['device'] = 1
    config['main']['collectgarbage'] = 100
    config['main']['logtime'] = 5
    config['main']['debug'] = False
    config['main']['test'] = True
    return config


# ---------------------------------------------------------------- train/data.lua

class Data:
    """data.lua's Data: random batches (getBatch) and a pass in order (iterator) over a t7b file, each text
    quantised to a one-hot ``#alphabet x length`` frame, read backwards from its last byte."""
    typename = 'Data'

    def __init__(self, config):
        self.alphabet = config.get('alphabet') or ALPHABET
        self.dict = {}
        for i in range(len(self.alphabet)):
            self.dict[self.alphabet[i]] = i

        self.length = config.get('length') or 1014
        self.batch_size = config.get('batch_size') or 128
        self.file = config.get('file')
        self.prob = config.get('prob')
        self.thes = config.get('thes')
        self.padding = config.get('padding')
        self.scale = config.get('scale')
        self.extra = config.get('extra')

        self.config = config
        self.data = lg.load(self.file)

        if self.prob:
            for i in range(len(self.prob) - 1):
                self.prob[i + 1] = self.prob[i] + self.prob[i + 1]

        if self.thes:
            raise NotImplementedError('the thesaurus replacement of data.lua is not ported')

    def nClasses(self):
        return len(self.data['index'])

    def _sample_text(self, data, klass, sample):
        # the sample's fields, last first, joined by spaces (data.lua:67-70 and 141-144)
        row = data['index'][klass][sample]
        s = ffi.string(lg.data(data['content'].narrow(0, int(row[row.size(0) - 1]), 1)))
        for l in range(row.size(0) - 2, -1, -1):
            s = s + ' ' + ffi.string(lg.data(data['content'].narrow(0, int(row[l]), 1)))
        return s

    def getBatch(self, inputs=None, labels=None, data=None, extra=None):
        data = data if data is not None else self.data
        extra = extra if extra is not None else self.extra
        inputs = inputs if inputs is not None else lg.Tensor(self.batch_size, len(self.alphabet), self.length)
        labels = labels if labels is not None else lg.Tensor(inputs.size(0))

        for i in range(inputs.size(0)):
            label = lg.random(len(data['index']))
            input_ = lg.random(data['index'][label].size(0))
            s = self._sample_text(data, label, input_)
            labels[i] = label
            self.stringToTensor(s, self.length, inputs.select(0, i))

        return inputs, labels

    def iterator(self, static=None, data=None):
        i = 0
        j = -1
        data = data if data is not None else self.data
        # data.lua's `local static` hides the parameter: static is always true, the buffers Lua globals
        inputs = lg.Tensor(self.batch_size, len(self.alphabet), self.length)
        labels = lg.Tensor(inputs.size(0))

        def step():
            nonlocal i, j
            if i >= len(data['index']):
                return None

            n = 0
            for k in range(inputs.size(0)):
                j = j + 1
                if j > data['index'][i].size(0) - 1:
                    i = i + 1
                    if i >= len(data['index']):
                        break
                    j = 0
                n = n + 1
                s = self._sample_text(data, i, j)
                self.stringToTensor(s, self.length, inputs.select(0, k))
                labels[k] = i

            return inputs, labels, n
        return step

    def stringToTensor(self, str_, l=None, input_=None, p=None):
        # Lua's s:lower() and #s work on bytes; one char per byte, only ASCII lowercased (module docstring)
        s = str_.encode('utf-8', 'surrogateescape').lower().decode('latin-1')
        l = l or len(s)
        t = input_ if input_ is not None else lg.Tensor(len(self.alphabet), l)
        t.zero()
        for i in range(len(s) - 1, max(len(s) - l, 0) - 1, -1):
            if s[i] in self.dict:
                t[self.dict[s[i]]][len(s) - 1 - i] = 1
        return t


# ---------------------------------------------------------------- train/model.lua

class Model:
    """model.lua's Model: an nn.Sequential built from config.model, with its own type switch, Gaussian
    randomisation and dropout switch."""
    typename = 'Model'

    def __init__(self, config):
        if config.file:
            self.sequential = Model.makeCleanSequential(self, lg.load(config.file))
        else:
            self.sequential = Model.createSequential(self, config)
        self.p = config.p or 0.5
        self.tensortype = lg.getdefaulttensortype()

    def getParameters(self):
        return self.sequential.getParameters()

    def forward(self, input_):
        self.output = self.sequential.forward(input_)
        return self.output

    def backward(self, input_, gradOutput):
        self.gradInput = self.sequential.backward(input_, gradOutput)
        return self.gradInput

    def randomize(self, sigma=None):
        w, dw = self.getParameters()
        w.normal().mul(sigma or 1)

    def enableDropouts(self):
        self.sequential = self.changeSequentialDropouts(self.sequential, self.p)

    def disableDropouts(self):
        self.sequential = self.changeSequentialDropouts(self.sequential, 0)

    def type(self, tensortype=None):
        if tensortype is not None:
            self.sequential = self.makeCleanSequential(self.sequential)
            self.sequential.type(tensortype)
            self.tensortype = tensortype
        return self.tensortype

    def cuda(self):
        self.type('torch.CudaTensor')

    def double(self):
        self.type('torch.DoubleTensor')

    def float(self):
        self.type('torch.FloatTensor')

    def changeSequentialDropouts(self, model, p):
        for m in model.modules:
            if getattr(m, 'module_name', None) == 'nn.Dropout' or lg.typename(m) == 'nn.Dropout':
                m.p = p
        return model

    def createSequential(self, model):
        new = nn.Sequential()
        for m in model:
            new.add(Model.createModule(self, m))
        return new

    def clearSequential(self, model):
        for m in model.modules:
            if m.output is not None:
                m.output = lg.Tensor()
            if m.gradInput is not None:
                m.gradInput = lg.Tensor()
            if m.gradWeight is not None:
                m.gradWeight = lg.Tensor()
            if m.gradBias is not None:
                m.gradBias = lg.Tensor()
        return model

    def makeCleanSequential(self, model):
        new = nn.Sequential()
        for i in range(len(model.modules)):
            m = Model.makeCleanModule(self, model.modules[i])
            if m is not None:
                new.add(m)
        return new

    def createModule(self, m):
        if m['module'] == 'nn.Reshape':
            return nn.Reshape(m['size'])
        elif m['module'] == 'nn.Linear':
            return nn.Linear(m['inputSize'], m['outputSize'])
        elif m['module'] == 'nn.Threshold':
            return nn.Threshold()
        elif m['module'] == 'nn.TemporalConvolution':
            return nn.TemporalConvolution(m['inputFrameSize'], m['outputFrameSize'], m['kW'], m.get('dW'))
        elif m['module'] == 'nn.TemporalMaxPooling':
            # the Lua passes m.dH too, which TemporalMaxPooling never reads (module docstring)
            return nn.TemporalMaxPooling(m['kW'], m.get('dW'))
        elif m['module'] == 'nn.Dropout':
            return nn.Dropout(m['p'])
        elif m['module'] == 'nn.LogSoftMax':
            return nn.LogSoftMax()
        else:
            raise RuntimeError('Unrecognized module for creation: ' + str(m.get('module')))

    def makeCleanModule(self, m):
        name = lg.typename(m)
        if name == 'nn.TemporalConvolution':
            new = nn.TemporalConvolution(m.inputFrameSize, m.outputFrameSize, m.kW, m.dW)
            new.weight.copy(m.weight)
            new.bias.copy(m.bias)
            return new
        elif name == 'nn.Threshold':
            return nn.Threshold()
        elif name == 'nn.TemporalMaxPooling':
            return nn.TemporalMaxPooling(m.kW, m.dW)
        elif name == 'nn.Reshape':
            return nn.Reshape(m.size)
        elif name == 'nn.Linear':
            new = nn.Linear(m.weight.size(1), m.weight.size(0))
            new.weight.copy(m.weight)
            new.bias.copy(m.bias)
            return new
        elif name == 'nn.LogSoftMax':
            return nn.LogSoftMax()
        elif name == 'nn.Dropout':
            return nn.Dropout(m.p)
        else:
            raise RuntimeError('Module unrecognized')


# ---------------------------------------------------------------- train/train.lua

def _synchronize(tensortype):
    if tensortype == 'torch.CudaTensor':
        from legonn import cutorch
        cutorch.synchronize()


class Train:
    """train.lua's Train: SGD with momentum and weight decay over the flat parameters,
    ``v = momentum * v - rate * g; w = (1 - rate * decay) * w + v``, the rate looked up by epoch."""
    typename = 'Train'

    def __init__(self, data, model, loss, config=None):
        self.data = data
        self.model = model
        self.loss = loss

        config = config or {}
        self.rates = config.get('rates') or {1: 1e-3}
        self.epoch = config.get('epoch') or 1

        self.params, self.grads = self.model.getParameters()
        self.old_grads = self.grads.clone().zero()

        self.loss.type(self.model.type())

        max_epoch = 1
        self.rate = self.rates[1]
        for i, v in self.rates.items():
            if i <= self.epoch and i > max_epoch:
                max_epoch = i
                self.rate = v

        self.time = {}

        self.momentum = config.get('momentum') or 0
        self.decay = config.get('decay') or 0
        self.normalize = config.get('normalize')
        self.recapture = config.get('recapture')

    def run(self, epoches, logfunc=None):
        if self.recapture:
            self.params, self.grads = None, None
            self.params, self.grads = self.model.getParameters()
        for i in range(1, epoches + 1):
            self.batchStep()
            if logfunc:
                logfunc(self, i)

    def batchStep(self):
        self.clock = tsys.clock()
        self.batch_untyped, self.labels_untyped = self.data.getBatch(getattr(self, 'batch_untyped', None),
                                                                     getattr(self, 'labels_untyped', None))
        if getattr(self, 'batch', None) is None:
            self.batch = self.batch_untyped.transpose(1, 2).contiguous().type(self.model.type())
        if getattr(self, 'labels', None) is None:
            self.labels = self.labels_untyped.type(self.model.type())
        self.batch.copy(self.batch_untyped.transpose(1, 2).contiguous())
        self.labels.copy(self.labels_untyped)
        _synchronize(self.model.type())
        self.time['data'] = tsys.clock() - self.clock

        self.clock = tsys.clock()
        self.output = self.model.forward(self.batch)
        self.objective = self.loss.forward(self.output, self.labels)
        if not isinstance(self.objective, (int, float)):
            self.objective = self.objective[0]
        self.max, self.decision = self.output.double().max(1)
        self.max = self.max.squeeze().double()
        # labels:gt(0) marks every 1-based label: ge(0) from 0 (module docstring)
        self.mask = self.labels.double().ge(0).double()
        self.decision = self.decision.squeeze().double()
        if self.mask.sum() > 0:
            self.error = lg.ne(self.decision, self.labels.double()).double().cmul(self.mask).sum() / self.mask.sum()
        else:
            self.error = 1
        _synchronize(self.model.type())
        self.time['forward'] = tsys.clock() - self.clock

        self.clock = tsys.clock()
        self.grads.zero()
        self.gradOutput = self.loss.backward(self.output, self.labels)
        self.gradBatch = self.model.backward(self.batch, self.gradOutput)
        _synchronize(self.model.type())
        self.time['backward'] = tsys.clock() - self.clock

        self.clock = tsys.clock()
        self.old_grads.mul(self.momentum).add(self.grads.mul(-self.rate))
        self.params.mul(1 - self.rate * self.decay).add(self.old_grads)
        _synchronize(self.model.type())
        self.time['update'] = tsys.clock() - self.clock

        self.epoch = self.epoch + 1
        self.rate = self.rates.get(self.epoch, self.rate)


# ---------------------------------------------------------------- train/test.lua

class Test:
    """test.lua's Test: one pass over a Data's iterator, the running error ``e`` and loss ``l`` weighted by the
    batch counts, and the confusion matrix (rows: true class, columns: decision) divided by the sample count."""
    typename = 'Test'

    def __init__(self, data, model, loss, config=None):
        config = config or {}
        self.data = data
        self.model = model
        self.loss = loss
        self.loss.type(model.type())
        self.time = {}
        self.confusion = None
        if config.get('confusion'):
            self.confusion = lg.zeros(data.nClasses(), data.nClasses())
        self.normalize = config.get('normalize')

    def run(self, logfunc=None):
        self.e = 0
        self.l = 0
        self.n = 0
        if self.confusion is not None:
            self.confusion.zero()

        self.clock = tsys.clock()
        for batch, labels, n in iter(self.data.iterator(), None):
            if getattr(self, 'batch', None) is None:
                self.batch = batch.transpose(1, 2).contiguous().type(self.model.type())
            if getattr(self, 'labels', None) is None:
                self.labels = labels.type(self.model.type())
            self.batch.copy(batch.transpose(1, 2).contiguous())
            self.labels.copy(labels)
            _synchronize(self.model.type())
            self.time['data'] = tsys.clock() - self.clock

            self.clock = tsys.clock()
            self.output = self.model.forward(self.batch)
            self.objective = self.loss.forward(self.output, self.labels)
            if not isinstance(self.objective, (int, float)):
                self.objective = self.objective[0]
            self.max, self.decision = self.output.double().max(1)
            self.max = self.max.squeeze().double()
            self.decision = self.decision.squeeze().double()
            self.err = lg.ne(self.decision, self.labels.double()).sum() / self.labels.size(0)
            _synchronize(self.model.type())
            self.time['forward'] = tsys.clock() - self.clock

            self.clock = tsys.clock()
            self.e = self.e * (self.n / (self.n + n)) + self.err * (n / (self.n + n))
            self.l = self.l * (self.n / (self.n + n)) + self.objective * (n / (self.n + n))
            if self.confusion is not None:
                for i in range(n):
                    row, col = int(labels[i]), int(self.decision[i])
                    self.confusion[row][col] = self.confusion[row][col] + 1
            self.n = self.n + n
            _synchronize(self.model.type())
            self.time['accumulate'] = tsys.clock() - self.clock

            if logfunc:
                logfunc(self)

            self.clock = tsys.clock()
        if self.confusion is not None and self.n != 0:
            self.confusion.div(self.n)


# ---------------------------------------------------------------- train/main.lua

class Main:
    """main.lua's ``main`` namespace over a config table: argparse (resume), new, run, save and the log
    functions. The Qt visualisation (mui, ``main.draw``) and the gnuplot figures (``main.show``) are left out."""

    def __init__(self, config, log=print):
        self.config = config
        self.log = log

    def main(self, argv=()):
        config = self.config
        if config['main'].get('device') is not None and config['main']['type'] == 'torch.CudaTensor':
            from legonn import cutorch
            # cutorch's devices count from 1, legonn's from 0
            cutorch.setDevice(config['main']['device'] - 1)
            self.log('Device set to ' + str(config['main']['device']))
        self.clock = {'log': 0}
        self.argparse(list(argv))
        self.new()
        self.run()

    def argparse(self, argv):
        config = self.config
        cmd = lg.CmdLine()
        cmd.option('-resume', 0, 'Resumption point in epoch. 0 means not resumption.')
        cmd.text()
        opt = cmd.parse(argv)
        if opt['resume'] > 0:
            files = self.findFiles(paths.concat(config['main']['save'], 'main_' + str(opt['resume']) + '_*.t7b'))
            if len(files) != 1:
                raise RuntimeError('Found ' + str(len(files)) + ' main resumption point.')
            config['main']['resume'] = files[0]
            self.log('Using main resumption point ' + config['main']['resume'])
            files = self.findFiles(paths.concat(config['main']['save'],
                                                'sequential_' + str(opt['resume']) + '_*.t7b'))
            if len(files) != 1:
                raise RuntimeError('Found ' + str(len(files)) + ' model resumption point.')
            config['model'].file = files[0]
            self.log('Using model resumption point ' + config['model'].file)
            config['train']['epoch'] = int(opt['resume']) + 1
            self.log('Next training epoch resumed to ' + str(config['train']['epoch']))
            if config['main'].get('randomize'):
                config['main']['randomize'] = None
                self.log('Disabled randomization for resumption')
        return opt

    def new(self):
        config = self.config
        self.log('Loading datasets...')
        self.train_data = Data(config['train_data'])
        self.val_data = Data(config['val_data'])

        self.log('Loading the model...')
        self.model = Model(config['model'])
        if config['main'].get('randomize'):
            self.model.randomize(config['main']['randomize'])
            self.log('Model randomized.')
        self.model.type(config['main']['type'])
        self.log('Current model type: ' + self.model.type())

        self.log('Loading the trainer...')
        self.train = Train(self.train_data, self.model, config['loss'](), config['train'])

        self.log('Loading the tester...')
        self.test_train = Test(self.train_data, self.model, config['loss'](), config['test'])
        self.test_val = Test(self.val_data, self.model, config['loss'](), config['test'])

        self.record = []
        if config['main'].get('resume'):
            self.log('Loading main record...')
            resume = lg.load(config['main']['resume'])
            self.record = resume['record']
            if resume.get('momentum') is not None:
                self.train.old_grads.copy(resume['momentum'])

    def run(self):
        config = self.config
        for i in range(1, config['main']['eras'] + 1):
            if config['main']['dropout']:
                self.log('Enabling dropouts')
                self.model.enableDropouts()
            else:
                self.log('Disabling dropouts')
                self.model.disableDropouts()
            self.log('Training for era ' + str(i))
            self.train.run(config['main']['epoches'], self.trainlog)

            self.log('Disabling dropouts')
            self.model.disableDropouts()
            self.log('Testing on training data for era ' + str(i))
            self.test_train.run(self.testlog)

            if config['main'].get('test') is None or config['main']['test'] is True:
                self.log('Disabling dropouts')
                self.log('Testing on test data for era ' + str(i))
                self.test_val.run(self.testlog)

            self.log('Recording on era ' + str(i))
            self.record.append({'train_error': self.test_train.e, 'train_loss': self.test_train.l,
                                'val_error': self.test_val.e, 'val_loss': self.test_val.l})
            if config['test']['confusion']:
                self.record[-1]['train_confusion'] = self.test_train.confusion.clone()
                self.record[-1]['val_confusion'] = self.test_val.confusion.clone()
            # main.show() and main.draw() (gnuplot, Qt) left out
            self.log('Saving data')
            self.save()

    def save(self):
        config = self.config
        config['train']['epoch'] = self.train.epoch
        stamp = int(time.time())
        lg.save(paths.concat(config['main']['save'], 'main_' + str(self.train.epoch - 1) + '_' + str(stamp) + '.t7b'),
                {'config': _saveable(config), 'record': self.record, 'momentum': self.train.old_grads.double()})
        lg.save(paths.concat(config['main']['save'],
                             'sequential_' + str(self.train.epoch - 1) + '_' + str(stamp) + '.t7b'),
                self.model.clearSequential(self.model.makeCleanSequential(self.model.sequential)))

    def trainlog(self, train, i=None):
        config = self.config
        if (time.time() - self.clock['log']) >= _logtime(config):
            msg = ''
            if config['main']['details']:
                msg = (msg + 'epo: ' + str(train.epoch - 1) + ', rat: ' + '%.2e' % train.rate
                       + ', err: ' + '%.2e' % train.error + ', obj: ' + '%.2e' % train.objective
                       + ', dat: ' + '%.2e' % train.time['data'] + ', fpp: ' + '%.2e' % train.time['forward']
                       + ', bpp: ' + '%.2e' % train.time['backward'] + ', upd: ' + '%.2e' % train.time['update'])
            if config['main']['debug']:
                # the batch, weight, gradient and momentum statistics (main.draw, the Qt view, left out)
                for tag, t in (('b', train.batch), ('p', train.params), ('g', train.grads), ('o', train.old_grads)):
                    msg = (msg + ', ' + tag + 'mn: ' + '%.2e' % t.mean() + ', ' + tag + 'sd: ' + '%.2e' % t.std()
                           + ', ' + tag + 'mi: ' + '%.2e' % t.min() + ', ' + tag + 'mx: ' + '%.2e' % t.max())
            if config['main']['details'] or config['main']['debug']:
                self.log(msg)
            self.clock['log'] = time.time()

    def testlog(self, test):
        config = self.config
        if not config['main']['details']:
            return
        if (time.time() - self.clock['log']) >= _logtime(config):
            self.log('n: ' + str(test.n) + ', e: ' + '%.2e' % test.e + ', l: ' + '%.2e' % test.l
                     + ', err: ' + '%.2e' % test.err + ', obj: ' + '%.2e' % test.objective
                     + ', dat: ' + '%.2e' % test.time['data'] + ', fpp: ' + '%.2e' % test.time['forward']
                     + ', acc: ' + '%.2e' % test.time['accumulate'])
            self.clock['log'] = time.time()

    def findFiles(self, pattern):
        out = tsys.execute('ls ' + pattern)
        return re.findall('[^\n]+', out)


def _logtime(config):
    # (config.main.logtime or 1): Lua's `or` keeps a 0 (docs/porting.md's `a or b` row)
    logtime = config['main'].get('logtime')
    return logtime if logtime is not None else 1


def _saveable(config):
    # torch.save writes config.loss, a class table; lg.save refuses a type: its Torch7 name is saved instead
    out = dict(config)
    out['loss'] = lg.typename(config['loss']())
    out['model'] = list(config['model'])
    return out
