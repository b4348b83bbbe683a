"""facebookresearch/fairseq-lua (commit 7a6fff0) ported line by line: fairseq/modules/AppendBias.lua,
BeamableMM.lua, CAddTableMulConstant.lua, GradMultiply.lua, LinearizedConvolution.lua, SeqMultiply.lua,
TrainTestLayer.lua, ZipAlong.lua; fairseq/optim/nag.lua; fairseq/text/Dictionary.lua, tokenizer.lua (binarize
and binarizeAlignFreqMap write legonn's torchnet IndexedDataset files) and bleu.lua; search.lua's greedy and
beam searches (the beam without its ``vocab`` restriction); fairseq/models/utils.lua's findAnnotatedNode and
forAllModules; fconv_model.lua's network (make, makeEncoder, makeDecoder, makeDecoderLM, makeAttention, the
conv blocks, makeDecoderFast, setBeamSize and the generationDecode / generationUpdate / generationAttention
steps) without its Model/AvgpoolModel base classes, whose torchnet engine and sample plumbing are not ported;
and model.lua's generate loop (without its timers) and updateMinMaxLenProb.

Index shifts (docs/porting.md): Dictionary ids start at 0 (``<unk>`` 0, ``<pad>`` 1, ``</s>`` 2, the Lua's
1, 2, 3), so the padding row of every LookupTable is 1 and the position of a target's i-th token (0-based)
is ``pad + 1 + i`` (the Lua's ``pad + i`` with i from 1); tensorizeAlignment's ``tonumber(id) + 1`` makes
Lua positions of the file's 0-based ones and keeps no ``+ 1``; tensorize's ``smap`` offsets are 0-based;
dimensions are 0-based (``nn.Narrow(1, 0, -kwidth)``, ``nn.Transpose([0, 1])``, ``WeightNorm(conv, 2)``).

The tbc rock's ``nn.TemporalConvolutionTBC`` (a dependency in rocks/fairseq-scm-1.rockspec) is
``fbnn.TemporalConvolutionTBC``, whose typename is ``nn.TemporalConvolutionTBC`` as fbnn's Lua names it
(fbnn's and tbc's C are the same code). Not ported: CLSTM and CudnnRnnTable (they build on rnnlib, which
legonn does not provide), search.visualize (visdom), fconv's vocabulary selection (aligndict), the C++ clib
(topk, logsoftmax, bleu), lm_corpus.lua, pretty.lua and the torchnet engine pieces.
"""
import math
import re

import legonn as lg
from legonn import fbnn, nn, tds
from legonn import torchnet as tnt


# ----------------------------------------------------------------------------------------- modules/*.lua

class AppendBias(nn.Module):
    """modules/AppendBias.lua: the last dimension extended by one element filled with 1."""

    def updateOutput(self, input):
        dim = input.dim()
        size = list(input.size())
        size[dim - 1] = size[dim - 1] + 1
        self.output.resize(*size)
        # copy input
        self.output.narrow(dim - 1, 0, size[dim - 1] - 1).copy(input)
        # fill new elements with 1
        self.output.select(dim - 1, size[dim - 1] - 1).fill(1)
        return self.output

    def updateGradInput(self, input, gradOutput):
        dim = input.dim()
        size = input.size()
        self.gradInput.resize(*size)
        # don't copy added elements
        self.gradInput.copy(gradOutput.narrow(dim - 1, 0, size[dim - 1]))
        return self.gradInput


lg.register(AppendBias, 'nn.AppendBias')


class BeamableMM(nn.MM):
    """modules/BeamableMM.lua: MM that, at test time with a beam size set, multiplies a single time step's
    ``bsz x 1 x nhu`` queries beam by beam against one copy of the beam-replicated source."""

    def __init__(self, *args):
        super().__init__(*args)
        self.beam = 0

    def updateOutput(self, input):
        if (not (self.train is False)      # test mode
                and (self.beam > 0)         # beam size is set
                and (input[0].dim() == 3)   # only support batched inputs
                and (input[0].size(1) == 1)):  # single time step update
            bsz, beam = input[0].size(0), self.beam

            # bsz x 1 x nhu --> bsz/beam x beam x nhu
            in1 = input[0].select(1, 0).unfold(0, beam, beam).transpose(2, 1)
            # bsz x sz2 x nhu --> bsz/beam x sz2 x nhu
            in2 = input[1].unfold(0, beam, beam).select(3, 0)
            # use non batched operation if bsz = beam
            if in1.size(0) == 1:
                in1, in2 = in1[0], in2[0]

            # forward and restore correct size
            super().updateOutput([in1, in2])
            self.output = self.output.view(bsz, 1, -1)
            return self.output
        else:
            return super().updateOutput(input)

    def setBeamSize(self, beam=None):
        self.beam = beam or 0


lg.register(BeamableMM, 'nn.BeamableMM')


class CAddTableMulConstant(nn.CAddTable):
    """modules/CAddTableMulConstant.lua: CAddTable whose output (and gradients) are scaled by a constant."""

    def __init__(self, constant_scalar):
        super().__init__()
        self.constant_scalar = constant_scalar

    def updateOutput(self, input):
        super().updateOutput(input)
        self.output.mul(self.constant_scalar)
        return self.output

    def updateGradInput(self, input, gradOutput):
        super().updateGradInput(input, gradOutput)
        for i in range(len(self.gradInput)):
            self.gradInput[i].mul(self.constant_scalar)
        return self.gradInput


lg.register(CAddTableMulConstant, 'nn.CAddTableMulConstant')


class GradMultiply(nn.Container):
    """modules/GradMultiply.lua: a container passing ``scale * factor`` to its module's accGradParameters."""

    def __init__(self, module, factor):
        super().__init__()
        self.modules.append(module)
        self.factor = factor

    def updateOutput(self, input):
        return self.modules[0].updateOutput(input)

    def updateGradInput(self, input, gradOutput):
        return self.modules[0].updateGradInput(input, gradOutput)

    def accGradParameters(self, input, gradOutput, scale=None):
        scale = scale or 1
        return self.modules[0].accGradParameters(input, gradOutput, scale * self.factor)

    def accUpdateGradParameters(self, input, gradOutput, lr):
        return self.modules[0].accUpdateGradParameters(input, gradOutput, lr * self.factor)


lg.register(GradMultiply, 'nn.GradMultiply')


class LinearizedConvolution(nn.Linear):
    """modules/LinearizedConvolution.lua: a temporal convolution run one time step at a time (forward only),
    buffering the last ``kw`` input frames of a ``bsz x 1 x nin`` input."""

    def __init__(self):
        super().__init__(1, 1)
        self.kw = 0
        self.weight = self.output.new()
        self.bias = self.output.new()
        self.inputBuffer = self.output.new()
        self.tmpBuffer = self.output.new()

    def updateOutput(self, input):
        assert input.dim() == 3, 'only support batched inputs'
        bsz = input.size(0)
        buf = input

        if self.kw > 1:
            buf = self.inputBuffer
            if buf.nElement() == 0:     # the Lua's buf:dim() == 0 (docs/porting.md: an empty tensor is 1-D)
                buf.resize(bsz, self.kw, input.size(2)).zero()
            buf.select(1, buf.size(1) - 1).copy(input.select(1, input.size(1) - 1))

        super().updateOutput(buf.view(bsz, -1))
        self.output = self.output.view(bsz, 1, -1)
        return self.output

    def resetState(self):
        self.inputBuffer.resize(0)

    def clearState(self):
        return nn.utils.clear(self, 'output', 'gradInput', 'tmp', 'inputBuffer')

    def shiftState(self, reorder=None):
        if self.kw > 1:
            buf = self.inputBuffer
            dst = buf.narrow(1, 0, self.kw - 1)
            src = buf.narrow(1, 1, self.kw - 1)
            tmp = self.tmpBuffer
            tmp.resizeAs(src).copy(src)
            dst.copy(tmp.index(0, reorder) if reorder is not None else tmp)

    def setParameters(self, weight, bias):
        # weights should be nout x kw x nin
        nout, kw, nin = weight.size(0), weight.size(1), weight.size(2)
        self.kw = kw
        self.weight.resize(nout, kw * nin).copy(weight)
        self.bias.resize(bias.size()).copy(bias)

    def updateGradInput(self, input, gradOutput):
        raise RuntimeError('Not supported')

    def accGradParameters(self, input, gradOutput, scale=None):
        raise RuntimeError('Not supported')

    def zeroGradParameters(self):
        raise RuntimeError('Not supported')

    def updateParameters(self, lr):
        raise RuntimeError('Not supported')


lg.register(LinearizedConvolution, 'nn.LinearizedConvolution')


class SeqMultiply(nn.Module):
    """modules/SeqMultiply.lua: ``input[0]`` times ``slen * sqrt(1 / slen)``, slen = ``input[1].size(1)``;
    ``input[1]`` gets a zero gradient."""

    def __init__(self):
        super().__init__()
        self.scale = 1

    def updateOutput(self, input):
        slen = input[1].size(1)
        self.scale = slen * math.sqrt(1 / slen)
        self.output.resizeAs(input[0])
        self.output.copy(input[0])
        self.output.mul(self.scale)
        return self.output

    def updateGradInput(self, input, gradOutput):
        # Lua's `self.zeroGrads or ...` tests for nil: a tensor's truth is NumPy's (docs/porting.md)
        if getattr(self, 'zeroGrads', None) is None:
            self.zeroGrads = input[1].new()
        self.zeroGrads.resizeAs(input[1]).zero()
        if getattr(self, 'grads', None) is None:
            self.grads = input[0].new()
        self.grads.resizeAs(gradOutput)
        self.grads.copy(gradOutput)
        self.grads.mul(self.scale)
        self.gradInput = [self.grads, self.zeroGrads]
        return self.gradInput


lg.register(SeqMultiply, 'nn.SeqMultiply')


class TrainTestLayer(nn.Container):
    """modules/TrainTestLayer.lua: module 0 in training mode, module 1 in evaluation mode; ``onEvaluate``
    and ``onTrain`` run on the mode switches."""

    def __init__(self, trainModule, evalModule, onTrain, onEvaluate):
        super().__init__()
        self.modules[0:0] = [trainModule, evalModule]
        self.onTrain = onTrain
        self.onEvaluate = onEvaluate
        self.train = True

    def evaluate(self):
        if self.train:
            super().evaluate()
            self.onEvaluate(self.modules[0], self.modules[1])

    def training(self):
        if not self.train:
            super().training()
            self.onTrain(self.modules[0], self.modules[1])

    def updateOutput(self, input):
        i = 0 if self.train else 1
        self.output.set(self.modules[i].updateOutput(input))
        return self.output

    def updateGradInput(self, input, gradOutput):
        assert self.train, 'updateGradInput only in training mode'
        self.gradInput.set(self.modules[0].updateGradInput(input, gradOutput))
        return self.gradInput

    def accGradParameters(self, input, gradOutput, scale=None):
        assert self.train, 'accGradParameters only in training mode'
        self.modules[0].accGradParameters(input, gradOutput, scale)

    def zeroGradParameters(self):
        assert self.train, 'zeroGradParameters only in training mode'
        self.modules[0].zeroGradParameters()

    def updateParameters(self, lr):
        assert self.train, 'updateParameters only in training mode'
        self.modules[0].updateParameters(lr)

    def parameters(self):
        assert self.train, 'TrainTestLayer support parameters in train mode'
        return self.modules[0].parameters()

    def __tostring__(self):
        fmt = 'nn.TrainTestLayer [ %s ; %s ]'
        return fmt % (str(self.modules[0]), str(self.modules[1]))


lg.register(TrainTestLayer, 'nn.TrainTestLayer')


class ZipAlong(nn.Module):
    """modules/ZipAlong.lua: ``[[x1, ..., xn], y]`` -> ``[[x1, y], ..., [xn, y]]``; y's gradient is the sum."""

    # it only moves a table's entries about: test_zipalong.lua hands it tables of plain numbers, which legonn
    # would make tensors of (docs/porting.md)
    keeps_numbers = True

    def __init__(self):
        super().__init__()
        self.output = []
        self.gradInputBase = []

    def updateOutput(self, input):
        base = input[0]
        dup = input[1]
        self.output = []
        for i in range(len(base)):
            self.output.append([base[i], dup])
        return self.output

    def updateGradInput(self, input, gradOutput):
        basein = input[0]
        dupin = input[1]

        self.gradInputBase = []
        self.gradInputDup = _zeroTT(getattr(self, 'gradInputDup', None), dupin)
        for i in range(len(basein)):
            self.gradInputBase.append(gradOutput[i][0])
            _addTT(self.gradInputDup, gradOutput[i][1])

        self.gradInput = [self.gradInputBase, self.gradInputDup]
        return self.gradInput

    def clearState(self):
        return nn.utils.clear(self, 'output', 'gradInputBase', 'gradInputDup', 'gradInput')


def _zeroTT(dest, src):
    if isinstance(src, list):
        if dest is None or not isinstance(dest, list):
            dest = []
        for k, v in enumerate(src):
            # a Lua table grows when an index one past its end is set; the list appends
            if k < len(dest):
                dest[k] = _zeroTT(dest[k], v)
            else:
                dest.append(_zeroTT(None, v))
    else:
        if dest is None or not lg.isTypeOf(dest, src):
            dest = src.new()
        dest.resizeAs(src)
        dest.zero()
    return dest


def _addTT(dest, src):
    if isinstance(src, list):
        for k, v in enumerate(src):
            _addTT(dest[k], v)
    else:
        dest.add(src)


lg.register(ZipAlong, 'nn.ZipAlong')


# ----------------------------------------------------------------------------------------- optim/nag.lua

def nag(opfunc, x, config=None, state=None):
    """optim/nag.lua: fairseq's own Nesterov momentum (Sutskever et al.'s simplified form, with ``l2``)."""
    # (0) get/update state
    config = config if config is not None else {}
    state = state if state is not None else config
    lr = config.get('learningRate') or 1e-3
    l2 = config.get('l2') or 0
    mom = config.get('momentum') or 0
    state['evalCounter'] = state.get('evalCounter') or 0

    # (1) evaluate f(x) and df/dx
    fx, dfdx = opfunc(x)

    if state.get('dfdx') is None:
        state['dfdx'] = lg.Tensor().typeAs(dfdx).resizeAs(dfdx).fill(0)

    # (2) weight decay
    if l2 != 0:
        dfdx.add(l2, x)

    # (3) apply update
    x.add(mom * mom, state['dfdx']).add(-(1 + mom) * lr, dfdx)

    # (4) apply momentum
    state['dfdx'].mul(mom).add(-lr, dfdx)

    # (5) update evaluation counter
    state['evalCounter'] = state['evalCounter'] + 1

    # return x*, f(x) before optimization
    return x, [fx]


# ------------------------------------------------------------------------------------ text/Dictionary.lua

class Dictionary:
    """text/Dictionary.lua: symbol <-> index mapping, built by addSymbol() calls and finalize(); indices
    0-based (``<unk>`` 0, ``<pad>`` 1, ``</s>`` 2)."""

    typename = 'Dictionary'

    def __init__(self, threshold=0, unk='<unk>', pad='<pad>', eos='</s>'):
        self.symbol_to_index = tds.Hash()
        self.index_to_symbol = tds.Vec()
        self.index_to_freq = tds.Vec()
        self.cutoff = math.inf

        # Pre-populate with unk/pad/eos
        self.unk, self.pad, self.eos = unk, pad, eos
        self.addSymbol(self.unk)
        self.unk_index = self.getIndex(self.unk)
        self.addSymbol(self.pad)
        self.pad_index = self.getIndex(self.pad)
        self.addSymbol(self.eos)
        self.eos_index = self.getIndex(self.eos)
        self.threshold = threshold
        # It's assumed that indices below self.nspecial are occupied by special symbols (the Lua's "until
        # and including": its indices start at 1)
        self.nspecial = 3

    def addSymbol(self, symbol):
        if self.symbol_to_index[symbol] is None:
            index = len(self.index_to_symbol)
            self.symbol_to_index[symbol] = index
            self.index_to_symbol[index] = symbol
            self.index_to_freq[index] = 1
        else:
            index = self.symbol_to_index[symbol]
            self.index_to_freq[index] = self.index_to_freq[index] + 1

    def _applyFrequencyThreshold(self):
        cutoff = math.inf
        for idx, freq in enumerate(self.index_to_freq):
            if idx >= self.nspecial and freq < self.threshold:
                cutoff = idx          # the Lua's idx - 1: the count of symbols kept
                break

        if cutoff == math.inf:
            # No regular symbols above threshold, retain special symbols only
            cutoff = self.nspecial
        return cutoff

    def finalize(self):
        # Sort symbols by frequency in descending order, ignoring special ones.
        def before(i, j):
            idxi = self.symbol_to_index[i]
            idxj = self.symbol_to_index[j]
            if idxi < self.nspecial or idxj < self.nspecial:
                return idxi < idxj
            return self.index_to_freq[idxi] > self.index_to_freq[idxj]
        self.index_to_symbol.sort(before)

        # Update symbol_to_index and index_to_freq mappings
        new_freq = tds.Vec()
        for idx, sym in enumerate(self.index_to_symbol):
            prev = self.symbol_to_index[sym]
            new_freq[idx] = self.index_to_freq[prev]
            self.symbol_to_index[sym] = idx
        self.index_to_freq = new_freq

        if self.threshold > 0:
            self.cutoff = self._applyFrequencyThreshold()
        else:
            self.cutoff = len(self.index_to_symbol)

    def getIndex(self, symbol):
        idx = self.symbol_to_index[symbol]
        # the Lua's idx <= cutoff of a 1-based index and a count
        if idx is not None and idx < self.cutoff:
            return idx
        return self.unk_index

    def getSymbol(self, idx):
        return self.index_to_symbol[idx]

    def size(self):
        assert self.cutoff != math.inf, 'Dictionary not finalized'
        return self.cutoff

    def getUnkIndex(self):
        return self.unk_index

    def getPadIndex(self):
        return self.pad_index

    def getEosIndex(self):
        return self.eos_index

    def getString(self, vec):
        """The string of symbols whose indices are provided in vec."""
        out_tbl = []
        for i in range(vec.size(0)):
            out_tbl.append(self.getSymbol(int(vec[i])))
        return ' '.join(out_tbl)


# ------------------------------------------------------------------------------------- text/tokenizer.lua

class tokenizer:
    pad = '<pad>'
    eos = '</s>'
    unk = '<unk>'

    @staticmethod
    def tokenize(line):
        # Lua's patterns: %s is \s; gsub's "^%s+" and "%s+$" anchor as in Python's re
        s = re.sub(r'\s+', ' ', re.sub(r'\s+$', '', re.sub(r'^\s+', '', line.replace('\t', ''))))
        # pl.utils.split of '' gives {} where str.split(' ') gives ['']
        return s.split(' ') if s else []

    @staticmethod
    def _addFileToDictionary(filename, dict, tokenize=None):
        tokenize = tokenize or tokenizer.tokenize
        with open(filename, encoding='utf-8') as f:
            for s in f:
                for word in tokenize(s.rstrip('\n')):
                    dict.addSymbol(word)
                dict.addSymbol(dict.eos)

    @staticmethod
    def makeDictionary(threshold=1):
        return Dictionary(threshold=threshold, unk=tokenizer.unk, pad=tokenizer.pad, eos=tokenizer.eos)

    @staticmethod
    def buildDictionary(filename=None, filenames=None, threshold=1, tokenize=None):
        """argcheck's two overloads (``filename`` or ``filenames``) as keyword arguments."""
        dict = tokenizer.makeDictionary(threshold=threshold)
        for fname in ([filename] if filenames is None else filenames):
            tokenizer._addFileToDictionary(fname, dict, tokenize)
        dict.finalize()
        return dict

    @staticmethod
    def _lineCount(fpath):
        with open(fpath, encoding='utf-8') as f:
            return sum(1 for _ in f)

    @staticmethod
    def _lookup(dict, word, replaced):
        """``dict.getIndex(word)`` and 1 when the dictionary maps the word to <unk> (counted in ``replaced``),
        else 0: tensorize's and binarize's loop bodies, which the Lua writes out twice."""
        idx = dict.getIndex(word)
        if idx == dict.unk_index and word != dict.unk:
            if not replaced[word]:
                replaced[word] = 1
            else:
                replaced[word] = replaced[word] + 1
            return idx, 1
        return idx, 0

    @staticmethod
    def tensorize(filename, dict, tokenize=None):
        """The file's sentences as one LongTensor of word ids (each with </s>) and an IntTensor ``smap`` of
        (offset, length) rows, offsets 0-based."""
        tokenize = tokenize or tokenizer.tokenize
        nSequence = tokenizer._lineCount(filename)
        smap = lg.IntTensor(nSequence, 2)
        ids = lg.LongTensor(nSequence * 20)
        nseq, nunk = 0, 0
        woffset = 0
        replaced = tds.Hash()
        with open(filename, encoding='utf-8') as f:
            for s in f:
                words = tokenize(s.rstrip('\n'))
                nwords = len(words)
                smap[nseq][0] = woffset
                smap[nseq][1] = nwords + 1  # +1 for the additional </s> character
                nseq = nseq + 1

                while woffset + nwords + 1 > ids.nElement():
                    ids.resize(math.floor(ids.nElement() * 1.5))

                for word in words:
                    idx, unk = tokenizer._lookup(dict, word, replaced)
                    nunk = nunk + unk
                    ids[woffset] = idx
                    woffset = woffset + 1
                ids[woffset] = dict.eos_index
                woffset = woffset + 1
        smap = smap.narrow(0, 0, nseq).clone()
        ids = ids.narrow(0, 0, woffset).clone()

        return {'smap': smap, 'words': ids}, {'nseq': nseq, 'nunk': nunk, 'ntok': ids.nElement(),
                                               'replaced': replaced}

    @staticmethod
    def binarize(filename, dict, indexfilename, datafilename, tokenize=None):
        """The file's sentences (word ids and </s>) written to a torchnet IndexedDataset pair."""
        tokenize = tokenize or tokenizer.tokenize
        writer = tnt.IndexedDatasetWriter(indexfilename=indexfilename, datafilename=datafilename, type='int')
        nseq, ntok, nunk = 0, 0, 0
        ids = lg.IntTensor()
        replaced = tds.Hash()
        with open(filename, encoding='utf-8') as f:
            for s in f:
                words = tokenize(s.rstrip('\n'))
                nwords = len(words)
                ids.resize(nwords + 1)
                nseq = nseq + 1
                for i, word in enumerate(words):
                    idx, unk = tokenizer._lookup(dict, word, replaced)
                    nunk = nunk + unk
                    ids[i] = idx
                ids[nwords] = dict.eos_index
                writer.add(ids)
                ntok = ntok + ids.nElement()
        writer.close()
        return {'nseq': nseq, 'nunk': nunk, 'ntok': ntok, 'replaced': replaced}

    @staticmethod
    def buildAlignFreqMap(alignfile, srcfile, tgtfile, srcdict, tgtdict, tokenize=None):
        """``freqmap[srcidx][tgtidx]``: how often the alignment files pair the two words (unk left out)."""
        tokenize = tokenize or tokenizer.tokenize
        freqmap = tds.Vec()

        def addalignment(alignment, src, tgt):
            if alignment.nElement() == 0:     # the Lua's alignment:dim() == 0 (an empty tensor is 1-D)
                return

            for i in range(alignment.size(0)):
                srcidx = int(src[int(alignment[i][0])])
                assert srcidx != srcdict.getEosIndex()
                assert srcidx != srcdict.getPadIndex()

                tgtidx = int(tgt[int(alignment[i][1])])
                assert tgtidx != tgtdict.getEosIndex()
                assert tgtidx != tgtdict.getPadIndex()

                if srcidx != srcdict.getUnkIndex() and tgtidx != tgtdict.getUnkIndex():
                    if not freqmap[srcidx]:
                        freqmap[srcidx] = tds.Hash()
                    if not freqmap[srcidx][tgtidx]:
                        freqmap[srcidx][tgtidx] = 1
                    else:
                        freqmap[srcidx][tgtidx] = freqmap[srcidx][tgtidx] + 1

        freqmap.resize(len(srcdict.index_to_symbol))
        with open(alignfile, encoding='utf-8') as aligns, open(srcfile, encoding='utf-8') as srccorp, \
                open(tgtfile, encoding='utf-8') as tgtcorp:
            for line in aligns:
                addalignment(tokenizer.tensorizeAlignment(line.rstrip('\n'), tokenize),
                             tokenizer.tensorizeString(next(srccorp).rstrip('\n'), srcdict, tokenize),
                             tokenizer.tensorizeString(next(tgtcorp).rstrip('\n'), tgtdict, tokenize))
        return freqmap

    @staticmethod
    def binarizeAlignFreqMap(freqmap, srcdict, indexfilename, datafilename, ncandidates, tokenize=None):
        """Per source word (in index order), its ``ncandidates`` most frequent (tgtidx, freq) pairs."""
        writer = tnt.IndexedDatasetWriter(indexfilename=indexfilename, datafilename=datafilename, type='int')
        empty = lg.IntTensor()
        cands = lg.IntTensor()
        npairs = 0
        for srcidx in range(len(srcdict.index_to_symbol)):
            ncands = len(freqmap[srcidx]) if freqmap[srcidx] else 0
            if ncands > 0:
                cands.resize(ncands, 2)
                j = 0
                for tgtidx, freq in freqmap[srcidx].items():
                    cands[j][0] = tgtidx
                    cands[j][1] = freq
                    j = j + 1
                ncands = min(ncands, ncandidates)
                npairs = npairs + ncands
                _, indices = lg.topk(cands.narrow(1, 1, 1), ncands, 0, True, True)
                writer.add(cands.index(0, indices.squeeze(1)))
            else:
                # Add empty tensor if there are no candidates for given srcidx
                writer.add(empty)
        writer.close()
        return {'npairs': npairs}

    @staticmethod
    def tensorizeString(text, dict, tokenize=None):
        words = (tokenize or tokenizer.tokenize)(text)
        ids = lg.LongTensor(len(words) + 1)
        for i, word in enumerate(words):
            ids[i] = dict.getIndex(word)
        ids[len(words)] = dict.getEosIndex()
        return ids

    @staticmethod
    def tensorizeAlignment(text, tokenize=None):
        tokens = (tokenize or tokenizer.tokenize)(text)
        alignment = lg.IntTensor(len(tokens), 2)
        for i, token in enumerate(tokens):
            pair = token.split('-')
            for j, id in enumerate(pair):
                # the file's positions are 0-based; the Lua's + 1 made them Lua indices
                alignment[i][j] = int(id)
        return alignment


# ------------------------------------------------------------------------------------- models/utils.lua

class mutils:
    @staticmethod
    def forAllModules(module, fun):
        fun(module)
        if lg.isTypeOf(module, 'nn.gModule'):
            for node in module.forwardnodes:
                if lg.isTypeOf(node.data.module, 'nn.Module'):
                    mutils.forAllModules(node.data.module, fun)
        elif lg.isTypeOf(module, 'nn.Container'):
            for i in range(len(module.modules)):
                mutils.forAllModules(module.get(i), fun)

    @staticmethod
    def findAnnotatedNode(module, name):
        found = None

        def look(m):
            nonlocal found
            if not lg.isTypeOf(m, 'nn.gModule'):
                return
            for node in m.forwardnodes:
                if node.data.annotations.get('name') == name:
                    found = node.data.module
        mutils.forAllModules(module, look)
        return found


# ------------------------------------------------------------------------------- models/fconv_model.lua

def attentionLayers(nlayer, attnlayers):
    """The set of (0-based) decoder layers with attention: ``attnlayers`` is the option's text of Lua
    (1-based) layer numbers, ``-1`` meaning every layer."""
    numbers = [int(n) for n in attnlayers.split(',')]
    if -1 in numbers:
        return set(range(nlayer))
    return {n - 1 for n in numbers if 1 <= n <= nlayer}


class ConvBlockTrainTestLayer(TrainTestLayer):
    """fconv_model.lua's nn.ConvBlockTrainTestLayer: the training conv block, or a LinearizedConvolution
    given the block's (weight-normalised) weights when switched to evaluation."""

    def __init__(self, trainModule, evalModule):
        nn.Container.__init__(self)
        self.modules[0:0] = [trainModule, evalModule]
        self.train = True

    @staticmethod
    def onTrain(trnMod, testMod):
        pass

    @staticmethod
    def onEvaluate(trnMod, testMod):
        conv = trnMod.get(1).get(0)
        testMod.setParameters(conv.weight.transpose(2, 0).transpose(1, 2), conv.bias)


lg.register(ConvBlockTrainTestLayer, 'nn.ConvBlockTrainTestLayer')


class FConvModel:
    """fconv_model.lua's FConvModel, its network only: ``FConvModel(config)`` builds ``self.module``."""

    def __init__(self, config):
        self.module = self.make(config)
        self.convStates = None
        self.beamSize = None

        # Store maximum context accessible by the decoder so that generation can skip unnecessary
        # computations.
        decoder = mutils.findAnnotatedNode(self.network(), 'decoder')
        context = 1

        def count(m):
            nonlocal context
            if lg.isTypeOf(m, 'nn.TemporalConvolutionTBC'):
                context = context + m.kw - 1
        decoder.apply(count)
        self.decoderContext = context

    def network(self):
        return self.module

    def makeDecoderFast(self):
        if self.convStates:
            return

        # edit the conv blocks to use LinearizedConvolution at test time
        decoder = mutils.findAnnotatedNode(self.network(), 'decoder')
        i = 1
        while True:
            block = mutils.findAnnotatedNode(decoder, 'convBlock_' + str(i))
            if not block:
                break

            # typecheck
            mismatch = 'type mismatch'
            assert block.size() == 5, mismatch
            layertypes = ['nn.Transpose', 'nn.WeightNorm', 'nn.Transpose', 'nn.Narrow', 'nn.GatedLinearUnit']
            for j in range(5):
                assert lg.isTypeOf(block.get(j), layertypes[j]), mismatch
            conv = block.get(1).get(0)
            assert lg.isTypeOf(conv, 'nn.TemporalConvolutionTBC'), mismatch

            # build a layer to allow different path for train and decode
            trnMod = nn.Sequential().add(block.get(0)).add(block.get(1)).add(block.get(2)).add(block.get(3))
            testMod = LinearizedConvolution()

            # new layers match original type
            trnMod.type(conv.type())
            testMod.type(conv.type())
            trnTest = ConvBlockTrainTestLayer(trnMod, testMod)
            trnTest.type(conv.type())

            # replace first four layer by train/test layer
            for _ in range(4):
                block.remove(0)
            block.insert(trnTest, 0)
            self.convStates = self.convStates or []
            self.convStates.append(testMod)
            i += 1
        # The Lua then runs decoder:apply(function(m) ... return nn.BeamableMM() end) "for old models":
        # Module:apply ignores the function's result, so that line changes nothing and is left out.

    def setBeamSize(self, beam):
        if self.beamSize != beam:  # beam size has changed?
            def set_beam(m):       # change it for all layers that support setting beam size
                if hasattr(m, 'setBeamSize'):
                    m.setBeamSize(beam)
            mutils.forAllModules(self.network(), set_beam)
            self.beamSize = beam

    def makeLookupTable(self, config, nindex, noutput, paddingValue=None):
        lut = nn.LookupTable(nindex, noutput, paddingValue)
        lut.weight.normal(0, 0.1)
        return lut

    def makeEmbedding(self, config, dict, dropout=None):
        maxPosition = 1024
        embedTokens = self.makeLookupTable(config, dict.size(), config['nembed'], dict.getPadIndex())
        embedPositions = self.makeLookupTable(config, maxPosition, config['nembed'], dict.getPadIndex())

        # Expected input: {tokens, positions}
        embed = nn.Sequential()
        embed.add(nn.ParallelTable().add(embedTokens).add(embedPositions))
        embed.add(nn.CAddTable())
        embed.add(self.makeDropout(dropout))
        return embed

    def makeTemporalConv(self, ninput, noutput, kwidth, pad, doin=0):
        # the Lua's cudnnconv branch (cudnn.TemporalConvolution) is the config's other choice; the port
        # builds the nn.TemporalConvolutionTBC one that runs on the CPU
        conv = nn.WeightNorm(fbnn.TemporalConvolutionTBC(ninput, noutput, kwidth, pad), 2)  # outputDim
        conv.v.normal(0, math.sqrt(4 * (1 - doin) / (kwidth * ninput)))
        conv.g.norm(conv.v, 2, 1)
        conv.modules[0].bias.zero()      # Torch7's WeightNorm zeroes it; legonn's keeps it (docs/porting.md)
        return conv

    def makeTranspose(self):
        return nn.Transpose([0, 1])

    def makeEncoderConvBlock(self, ninput, noutput, kwidth, doin=0):
        pad = (kwidth - 1) // 2     # the Lua's (kwidth - 1) / 2 of an odd width
        block = nn.Sequential()
        conv = self.makeTemporalConv(ninput, noutput * 2, kwidth, pad, doin)
        block.add(conv)
        block.add(nn.GatedLinearUnit())
        return block

    def makeDecoderConvBlock(self, ninput, noutput, kwidth, doin=0):
        pad = kwidth - 1
        block = nn.Sequential()
        conv = self.makeTemporalConv(ninput, noutput * 2, kwidth, pad, doin)
        block.add(self.makeTranspose())
        block.add(conv)
        block.add(self.makeTranspose())
        # remove future timestamps
        block.add(nn.Narrow(1, 0, -kwidth))
        block.add(nn.GatedLinearUnit())
        return block

    def makeLinear(self, ninput, noutput, doin=0):
        m = nn.WeightNorm(nn.Linear(ninput, noutput))
        m.v.normal(0, math.sqrt((1 - doin) / ninput))
        m.g.norm(m.v, 2, 1)
        m.modules[0].bias.zero()         # as makeTemporalConv's
        return m

    def makeDropout(self, p=None):
        if not p or p == 0:
            return nn.Identity()
        return nn.Dropout(p)

    def makeEncoderStack(self, config, nhids):
        if len(nhids) == 0:
            return nn.Identity()

        stack = nn.Sequential()
        stack.add(self.makeTranspose())
        for i in range(len(nhids)):
            nhidin = nhids[i - 1] if i > 0 else nhids[i]
            nhidout = nhids[i]
            inpmap = nn.Identity()
            if nhidin != nhidout:
                inpmap = nn.Bottle(self.makeLinear(nhidin, nhidout, config['dropout_hid']))
            # Residual connections
            stack.add(nn.ConcatTable()
                      .add(nn.Sequential()
                           .add(self.makeDropout(config['dropout_hid']))
                           .add(self.makeEncoderConvBlock(nhidin, nhidout, config['kwidths'][i],
                                                          config['dropout_hid'])))
                      .add(inpmap))
            stack.add(CAddTableMulConstant(math.sqrt(0.5)))
        stack.add(self.makeTranspose())
        return stack

    def makeEncoder(self, config):
        sourceIn = nn.Identity()()
        tokens, positions = sourceIn.split(2)
        embed = self.makeEmbedding(config, config['srcdict'], config['dropout_src'])([tokens, positions])

        if len(config['nhids']) > 0:
            cnn = nn.Sequential()
            cnn.add(nn.Bottle(self.makeLinear(config['nembed'], config['nhids'][0], config['dropout_src'])))
            cnn.add(nn.Contiguous())
            cnn.add(self.makeEncoderStack(config, config['nhids']))
            cnn.add(nn.Bottle(self.makeLinear(config['nhids'][-1], config['nembed'])))
        else:
            cnn = nn.Identity()

        # The encoder stack will receive gradients *twice* for each attention pass: dot product and
        # weighted sum.
        nattn = len(attentionLayers(len(config['nlmhids']), config['attnlayers']))
        cnn = GradMultiply(cnn, 1 / (2 * nattn))

        outputA = cnn(embed)
        # Source feeding for weighted sum in attention: add embeddings to CNN output
        outputC = CAddTableMulConstant(math.sqrt(0.5))([outputA, embed])
        return nn.gModule([sourceIn], [outputA, outputC])

    def makeAttention(self, config, index):
        attnIn = nn.Identity()()
        targetEm, decoderState, aencoderOut = attnIn.split(3)
        encoderOutA, encoderOutC = aencoderOut.split(2)

        decProj = nn.Bottle(self.makeLinear(config['nlmhids'][index], config['nembed']))(decoderState)
        decoderRep = CAddTableMulConstant(math.sqrt(0.5))([decProj, targetEm])

        # Compute attention scores using a simple dot product between encoder output and decoder states.
        scores = nn.Bottle(nn.SoftMax())(
            BeamableMM(False, True)([decoderRep, encoderOutA])
        ).annotate(name='attentionScores_' + str(index + 1))

        # Apply attention scores to encoder output and scale output in order to reduce variance shift.
        attnOut = nn.Squeeze(1, 2)(SeqMultiply()([BeamableMM()([scores, encoderOutC]), encoderOutC]))

        return nn.gModule([attnIn], [attnOut])

    def makeDecoder(self, config):
        decoderLM = self.makeDecoderLM(config)

        # Final mapping to output vocab (the port leaves out the aligndict vocabulary selection)
        input = nn.Identity()()
        targetIn, encoderOut = input.split(2)
        targetTokIn, targetPosIn = targetIn.split(2)

        lmOut = decoderLM([nn.Identity()([targetTokIn, targetPosIn]), encoderOut]).annotate(name='convlm')

        outmodule = (nn.Sequential()
                     .add(nn.View(-1, config['nlmhids'][-1]))
                     .add(self.makeLinear(config['nlmhids'][-1], config['noutembed']))
                     .add(self.makeDropout(config['dropout_out'])))
        outmodule.add(self.makeLinear(config['noutembed'], config['dict'].size(), config['dropout_out']))
        outmodIn = lmOut

        output = outmodule(outmodIn).annotate(name='outmodule')
        return nn.gModule([input], [output])

    def makeDecoderLM(self, config):
        input = nn.Identity()()
        targetIn, encoderOut = input.split(2)
        tokens, positions = targetIn.split(2)

        targetEmbed = self.makeEmbedding(config, config['dict'], config['dropout_tgt'])([tokens, positions])

        attnlayers = attentionLayers(len(config['nlmhids']), config['attnlayers'])
        assert len(config['nlmhids']) > 0
        lmOut = nn.Bottle(self.makeLinear(config['nembed'], config['nlmhids'][0],
                                          config['dropout_tgt']))(targetEmbed)
        for i in range(len(config['nlmhids'])):
            nhidin = config['nlmhids'][i - 1] if i > 0 else config['nlmhids'][i]
            nhidout = config['nlmhids'][i]
            inpmap = nn.Identity()
            if nhidin != nhidout:
                inpmap = nn.Bottle(self.makeLinear(nhidin, nhidout, config['dropout_hid']))
            lmIn = inpmap(lmOut)
            # Convolutional layer + GLU
            lmOut = self.makeDecoderConvBlock(nhidin, nhidout, config['klmwidths'][i], config['dropout_hid'])(
                self.makeDropout(config['dropout_hid'])(lmOut)
            ).annotate(name='convBlock_' + str(i + 1))

            # Attention pass
            if i in attnlayers:
                lmOut = CAddTableMulConstant(math.sqrt(0.5))([
                    nn.Bottle(self.makeLinear(config['nembed'], nhidout))(
                        self.makeAttention(config, i)([targetEmbed, lmOut, encoderOut])),
                    lmOut,
                ])

            # residual connection
            lmOut = CAddTableMulConstant(math.sqrt(0.5))([lmIn, lmOut])

        return nn.gModule([input], [lmOut])

    def make(self, config):
        assert len(config['nlmhids']) == len(config['klmwidths'])
        assert len(config['nhids']) == len(config['kwidths'])

        encoder = self.makeEncoder(config)
        decoder = self.makeDecoder(config)

        # Wire up encoder and decoder
        input = nn.Identity()()
        targetIn, sourceIn = input.split(2)
        output = decoder([targetIn, encoder(sourceIn).annotate(name='encoder')]).annotate(name='decoder')

        return nn.gModule([input], [output])

    def generationSetup(self, config, sourceIn):
        """generationSetup's returned function: the evaluation-mode state for one batch."""
        m = self.network()
        m.evaluate()
        state = {'sourceIn': sourceIn, 'inputBuf': [lg.Tensor(), lg.Tensor()]}  # input tokens, positions
        if self.convStates:
            state['convStates'] = self.convStates
            for cs in state['convStates']:
                cs.resetState()
        self.setBeamSize(config['beam'])
        return state

    def generationDecode(self, config):
        """generationDecode's returned function: the softmax of the next token given ``targetIn``."""
        softmax = nn.SoftMax()
        m = self.network()
        convlm = mutils.findAnnotatedNode(m, 'convlm')
        outmodule = mutils.findAnnotatedNode(m, 'outmodule')
        maxContext = self.decoderContext
        pad = config['dict'].getPadIndex()

        def decode(state, targetIn):
            # Prepare decoder input.
            input, inputPos = state['inputBuf']
            if input.nElement() == 0:   # the Lua's input:dim() == 0
                targetInView = targetIn.view(-1, 1)
                input.resize(*targetInView.size()).copy(targetInView)
                inputPos.resizeAs(input).fill(pad + 1)
            elif state.get('convStates'):
                # The convolutional LM has an explicit state; we need only the last (token, position).
                input.copy(targetIn)
                inputPos.add(1)
            else:
                # No explicit state: buffer the relevant past input and run a full forward pass each step.
                nbuf = input.size(1) + 1
                if maxContext and nbuf > maxContext:
                    input.narrow(1, 0, maxContext - 1).copy(input.narrow(1, 1, maxContext - 1))
                    input.narrow(1, maxContext - 1, 1).copy(targetIn)
                    inputPos.add(1)
                else:
                    newIn = lg.cat(input, targetIn.view(-1, 1), 1)
                    input.resizeAs(newIn).copy(newIn)
                    inputPos.resizeAs(newIn)
                    for i in range(inputPos.size(1)):
                        inputPos.narrow(1, i, 1).fill(pad + 1 + i)

            cout = convlm.forward([state['inputBuf'], state['encoderOut']])
            cout = cout.narrow(1, cout.size(1) - 1, 1)  # take last step
            softmaxIn = state.get('softmaxIn')
            softmaxIn = (cout.new() if softmaxIn is None else softmaxIn).resizeAs(cout).copy(cout)  # contiguous
            return softmax.forward(outmodule.forward(softmaxIn))
        return decode

    def generationUpdate(self):
        """generationUpdate's returned function: reorder the buffered hypotheses by ``indexH``."""
        def update(state, indexH):
            state['inputBuf'][0].copy(state['inputBuf'][0].index(0, indexH))
            state['inputBuf'][1].copy(state['inputBuf'][1].index(0, indexH))
            if state.get('convStates'):
                for cs in state['convStates']:
                    cs.shiftState(indexH)
        return update


def generationAttention(model, config):
    """fconv_model.lua's generationAttention: the last step's attention scores, averaged over the layers."""
    m = model.network()
    n = len(config['nlmhids']) if config.get('nlmhids') else 20
    attnscores = []
    for i in range(n):
        attn = mutils.findAnnotatedNode(m, 'attentionScores_' + str(i + 1))
        if attn:
            attnscores.append(attn)
    if len(attnscores) == 0:
        return None
    total = lg.Tensor()

    def attention(state):
        nonlocal total
        # The decoder processes past steps in parallel during generation. Select the attention scores for the
        # last step only.
        for i, attn in enumerate(attnscores):
            as_ = attn.output          # `as` is a Python keyword
            as_ = as_.select(1, as_.size(1) - 1)
            if i == 0:
                total = total.resize(*as_.size()).zero().type(as_.type())
            total.add(total, as_)
        return total.div(len(attnscores))
    return attention


def updateMinMaxLenProb(ldist, dict, step, minlen, maxlen):
    """model.lua's Model:updateMinMaxLenProb; ``step`` is 0-based (the Lua's ``step + 1``)."""
    eos = dict.getEosIndex()
    # Up until we reach minlen, EOS should never be selected: its log-probability becomes -inf
    if step + 1 <= minlen:
        ldist.narrow(1, eos, 1).fill(-math.inf)

    # After reaching maxlen, we need to make sure EOS is selected: everything else becomes -inf
    if step + 1 > maxlen:
        vocabsize = ldist.size(1)
        ldist.narrow(1, 0, eos).fill(-math.inf)
        ldist.narrow(1, eos + 1, vocabsize - eos - 1).fill(-math.inf)


def generate(model, config, sourceIn, search):
    """model.lua's Model.generate, without its timers and the sample plumbing of generationSetup: ``sourceIn``
    is the encoder's ``[tokens, positions]`` of ``bsz * beam`` rows."""
    dict = config['dict']
    minlen = config['minlen']
    maxlen = config['maxlen']
    bbsz = sourceIn[0].size(0)
    bsz = bbsz // config['beam']
    state = model.generationSetup(config, sourceIn)
    # AvgpoolModel's generationEncode
    state['encoderOut'] = mutils.findAnnotatedNode(model.network(), 'encoder').forward(state['sourceIn'])
    decode, update = model.generationDecode(config), model.generationUpdate()
    attention = generationAttention(model, config)

    # <eos> is used as a start-of-sentence marker
    targetIn = lg.LongTensor(bbsz).fill(dict.getEosIndex())
    sourceLen = sourceIn[0].size(1)
    attnscores = lg.zeros(bbsz, sourceLen)

    search['init'](bsz, {'source': sourceIn[0].t()})
    # We do maxlen + 1 steps to give model a chance to predict EOS
    for step in range(maxlen + 1):
        softmax = decode(state, targetIn)
        logsoftmax = softmax.log()
        if attention:
            attnscores.copy(attention(state))
        updateMinMaxLenProb(logsoftmax, dict, step, minlen, maxlen)
        pruned = search['prune'](step, logsoftmax.view(bbsz, -1), attnscores)
        targetIn.copy(pruned['nextIn'])
        update(state, pruned['nextHid'])
        if pruned['eos']:
            break
    return search['results']()


# ------------------------------------------------------------------------------------------ search.lua

class search:
    @staticmethod
    def greedy(ttype, dict, maxlen):
        """search.lua's greedy search: at each step, select the symbol with the highest log-probabilities."""
        logprobs = lg.Tensor().type(ttype)
        lengths = lg.Tensor().type(ttype)
        notEos = lg.Tensor().type(ttype)
        nextHid = lg.LongTensor()
        outs = lg.Tensor().type(ttype)
        ascores = []
        sourcelen = None
        f = {}

        def init(bsz, sample):
            nonlocal ascores, sourcelen
            logprobs.resize(bsz).fill(0)
            lengths.resize(bsz).fill(0)
            notEos.resize(bsz).fill(1)
            outs.resize(maxlen + 1, bsz)
            ascores = []
            sourcelen = sample['source'].size(0)
            # Propagation of hidden states is fixed since there's only one active hypothesis per sentence.
            nextHid.resize(bsz).copy(lg.range(0, bsz - 1))
        f['init'] = init

        maxScores = lg.Tensor().type(ttype)
        maxIndices = lg.LongTensor()
        isEos = lg.ByteTensor()

        def prune(step, ldist, attnscores):
            nonlocal maxScores, maxIndices, isEos
            maxScores, maxIndices = lg.topk(maxScores, maxIndices, ldist, 1, 1, True)
            maxScoresV = maxScores.view(-1)
            maxIndicesV = maxIndices.view(-1)

            logprobs.add(lg.cmul(notEos, maxScoresV))
            lengths.add(notEos)

            isEos = lg.eq(isEos, maxIndicesV, dict.getEosIndex())   # the Lua's maxIndicesV.eq(isEos, ...)
            notEos.maskedFill(isEos, 0)

            outs.narrow(0, step, 1).copy(maxIndices)
            as_ = lg.FloatTensor(*attnscores.size()).copy(attnscores)
            ascores.append(as_)
            return {'nextIn': maxIndices, 'nextHid': nextHid, 'eos': notEos.sum() < 1}
        f['prune'] = prune

        def results():
            bsz = logprobs.nElement()
            hypotheses = []
            attentions = []
            for i in range(bsz):
                n = int(lengths[i])    # a float tensor's element as a count (docs/porting.md)
                hypotheses.append(lg.LongTensor(n))
                hypotheses[i].copy(outs.sub(0, n - 1, i, i))
                attentions.append(lg.FloatTensor(n, sourcelen))
                for j in range(n):
                    attentions[i].narrow(0, j, 1).copy(ascores[j].narrow(0, i, 1))
            return hypotheses, lg.cdiv(logprobs, lengths), attentions
        f['results'] = results
        return f


    @staticmethod
    def beam(ttype, dict, srcdict, beam, lenPenalty=1.0, unkPenalty=0, subwordPenalty=0, coveragePenalty=0,
             subwordContSuffix='|'):
        """search.lua's beam search: keep ``beam`` hypotheses per sentence, move finished ones (eos) out of the
        beam and stop once there are ``beam`` finished hypotheses per sentence. The ``vocab`` restriction (and
        its backtraceWord) is not ported. ``step`` is 0-based: the Lua's step is ``step + 1``."""
        hscores = lg.Tensor().type(ttype)
        ones = lg.Tensor(dict.size()).type(ttype).fill(1)
        st = {'notEos': 0, 'outs': [], 'ascores': [], 'backp': [], 'finalized': [], 'sourcelen': None,
              'hidOffsets': None, 'bpenalties': None, 'hscores': hscores}
        f = {}

        swcLen = len(subwordContSuffix)

        # The penalty tensor is added to the log-probs produced by the model.
        penalties = lg.Tensor(dict.size()).type(ttype).fill(0)
        penalties[dict.getEosIndex()] = 0
        penalties[dict.getUnkIndex()] = -unkPenalty
        for i in range(dict.size()):
            if dict.getSymbol(i)[-swcLen:] == subwordContSuffix:
                penalties[i] = -subwordPenalty

        def init(bsz, sample):
            st['hscores'].resize(bsz * beam).fill(0)
            # e.g. for beam = 4: 000044448888... (the Lua's 111155559999...)
            st['hidOffsets'] = lg.range(0, (bsz * beam) - 1).long().div(beam).mul(beam)
            st['outs'], st['ascores'] = [], []
            st['backp'], st['finalized'] = [], [[] for _ in range(bsz)]
            st['notEos'] = bsz
            st['sourcelen'] = sample['source'].size(0)
            st['bpenalties'] = lg.expand(penalties.view(1, -1), bsz * beam, dict.size())
        f['init'] = init

        def coverageP(attn):
            # Coverage penalty according to https://arxiv.org/abs/1609.08144; attn is a hypo X source tensor.
            return attn.sum(0).clamp(0, 1).log().sum()

        def selectHypos(step, bsz, scores, indices, ds):
            selScores = lg.FloatTensor(bsz, beam)
            selIndices = lg.LongTensor(bsz, beam)
            eos = dict.getEosIndex()
            outs, backp, ascores, finalized = st['outs'], st['backp'], st['ascores'], st['finalized']
            for i in range(bsz):
                scoresI, indicesI = scores[i], indices[i]
                selScoresI, selIndicesI = selScores[i], selIndices[i]
                maxk = scoresI.size(0)
                j, k = 0, 0
                while j < beam and k < maxk:
                    if int(indicesI[k]) % ds != eos:     # the Lua's indicesI[k] % ds + 1 ~= eos
                        # Not eos: select for next round
                        selScoresI[j], selIndicesI[j] = scoresI[k], indicesI[k]
                        j = j + 1
                    elif len(finalized[i]) < beam:
                        # Eos: backtrace and store in finalized
                        bp = math.floor(int(indicesI[k]) / ds) + i * beam
                        # scores contains the sum of logprobs for all words in the hypothesis.
                        score = float(scoresI[k]) / math.pow(step + 1, lenPenalty)
                        hypo = lg.LongTensor(step + 1)
                        attn = lg.FloatTensor(step + 1, st['sourcelen'])
                        hypo[step] = eos
                        # the Lua reads row (i-1) * beam + j here, j its next free slot (1-based), not the
                        # eos hypothesis' own row bp: kept as written
                        attn.narrow(0, step, 1).copy(ascores[step].narrow(0, i * beam + j, 1))
                        for l in range(step - 1, -1, -1):
                            hypo[l] = outs[l][bp]
                            attn.narrow(0, l, 1).copy(ascores[l].narrow(0, bp, 1))
                            bp = int(backp[l][bp])
                        score = score + coveragePenalty * float(coverageP(attn))
                        finalized[i].append({'hypo': hypo, 'score': score, 'attn': attn})

                        if len(finalized[i]) == beam:
                            # The list of finalized hypotheses for this sentence is full, so consider this
                            # sentence as done. It will still be part of future mini-batches, though.
                            st['notEos'] = st['notEos'] - 1
                    k = k + 1

                # Not enough non-finalized hypotheses to fill the search beam or there's a sufficient number of
                # finalized hypotheses already: simply clone the worst candidate hypothesis (hack).
                while j < beam:
                    selScoresI[j], selIndicesI[j] = scoresI[k - 1], indicesI[k - 1]
                    j = j + 1
            return selScores, selIndices

        topScores = lg.Tensor().type(ttype)
        topIndices = lg.LongTensor()

        def prune(step, ldist, attnscores):
            nonlocal topScores, topIndices
            as_ = lg.FloatTensor(*attnscores.size()).copy(attnscores)
            st['ascores'].append(as_)

            vocabsize = ldist.size(1)
            ldistp = ldist.add(st['bpenalties'].narrow(1, 0, vocabsize)).t()

            # Add log-probs of hypotheses at the previous time-step so ldistp will represent the total
            # log-probability for each new hypothesis.
            ldistp.addr(1, ones.narrow(0, 0, vocabsize), st['hscores'])
            ldistp = ldistp.t()
            bsz = ldistp.size(0) // beam

            # Select candidate hypotheses from a (bsz X beam * vocabsize) view: a top index's symbol is
            # index % vocabsize and the beam entry it extends index // vocabsize (0-based both).
            if step == 0:
                # For the first step, all hypotheses are equal (they start from the same token) so we simply
                # select candidates from the first one in the beam.
                bdist = ldistp.unfold(0, 1, beam).squeeze(2)
            else:
                bdist = ldistp.contiguous().view(bsz, ldistp.size(1) * beam)
            # clib.topk's indices are 1-based (the Lua's topIndices:add(-1) follows); legonn's topk's are 0-based
            topScores, topIndices = lg.topk(topScores, topIndices, bdist, beam * 2, 1, True, True)
            selScores, selIndices = selectHypos(step, bsz, topScores.float(), topIndices.float(), vocabsize)

            # Determine actual dictionary indices and hidden state propagation indices.
            selIndices1 = selIndices.view(-1)
            nextIn = lg.remainder(selIndices1, vocabsize)
            nextHid = lg.div(selIndices1, vocabsize)
            nextHid = nextHid + st['hidOffsets']
            st['hscores'] = lg.Tensor().type(ttype).resize(selScores.nElement()).copy(selScores.view(-1))

            st['outs'].append(nextIn)
            st['backp'].append(nextHid)
            return {'nextIn': nextIn, 'nextHid': nextHid, 'eos': st['notEos'] <= 0}
        f['prune'] = prune

        def results():
            hypos, scores, attns = [], [], []
            for v in st['finalized']:
                assert len(v) == beam, "beam search didn't return enough hypotheses: %d" % len(v)
                v.sort(key=lambda h: -h['score'])
                for j in range(beam):
                    hypos.append(v[j]['hypo'])
                    scores.append(v[j]['score'])
                    attns.append(v[j]['attn'])
            return hypos, lg.FloatTensor(scores), attns
        f['results'] = results
        return f


# -------------------------------------------------------------------------------------------- text/bleu.lua

class bleu:
    @staticmethod
    def _countNGrams(tokens, order):
        ngramCounts = {}
        orderString = str(order)
        n = len(tokens)
        for i in range(n - order + 1):
            ngram = orderString
            for j in range(order):
                ngram = ngram + ' ' + str(tokens[i + j])
            ngramCounts[ngram] = ngramCounts.get(ngram, 0) + 1
        return ngramCounts

    @staticmethod
    def scorer(maxOrder=None):
        maxOrder = maxOrder or 4
        totals = {'sys': 0, 'ref': 0, 'sents': 0}
        allCounts, correctCounts = [0] * maxOrder, [0] * maxOrder
        f = {}

        def update(sys, ref):
            refNGrams = {}
            for i in range(1, maxOrder + 1):
                for ngram, count in bleu._countNGrams(ref, i).items():
                    refNGrams[ngram] = count

            for i in range(1, maxOrder + 1):
                for ngram, count in bleu._countNGrams(sys, i).items():
                    allCounts[i - 1] = allCounts[i - 1] + count
                    if ngram in refNGrams:
                        correctCounts[i - 1] = correctCounts[i - 1] + min(count, refNGrams[ngram])

            totals['sys'] = totals['sys'] + len(sys)
            totals['ref'] = totals['ref'] + len(ref)
            totals['sents'] = totals['sents'] + 1
        f['update'] = update

        def results():
            precision = []
            psum = 0
            for i in range(maxOrder):
                precision.append(correctCounts[i] / allCounts[i] if allCounts[i] > 0 else 0)
                # Lua's math.log(0) is -inf, where Python's raises (docs/porting.md)
                psum = psum + (math.log(precision[i]) if precision[i] > 0 else -math.inf)

            brevPenalty = 1
            if totals['sys'] < totals['ref']:
                # Lua's 1 - ref / 0 is -inf, whose exp is 0
                brevPenalty = math.exp(1 - totals['ref'] / totals['sys']) if totals['sys'] > 0 else 0.0

            score = brevPenalty * math.exp(psum / maxOrder) * 100
            return {'bleu': score, 'precision': precision, 'brevPenalty': brevPenalty,
                    'totalSys': totals['sys'], 'totalRef': totals['ref']}
        f['results'] = results

        def resultString():
            r = results()
            s = 'BLEU%d = %.2f, ' % (maxOrder, r['bleu'])
            s = s + '/'.join('%.1f' % (p * 100) for p in r['precision'])
            s = s + ' (BP=%.3f, ratio=%.3f, sys_len=%d, ref_len=%d)' % (
                r['brevPenalty'], r['totalRef'] / r['totalSys'], r['totalSys'], r['totalRef'])
            return s
        f['resultString'] = resultString
        return f
