"""onmt/data/BoxDataset2.lua of harvardnlp/data2text: box-score tables (``srcData.words``: one list per table row
of every example's row tensor) and summaries, in batches of consecutive examples (BoxBatch3; BoxSwitchBatch for
-switch, not ported)."""
from .BoxBatch3 import BoxBatch3


class BoxDataset2:
    def __init__(self, srcData, tgtData, colStartIdx, nFeatures, copyGenerate, version=None, tripV=None,
                 switch=None, multilabel=None):
        self.srcs = srcData['words']
        self.srcFeatures = srcData['features']
        self.srcTriples = srcData.get('triples')
        self.tripV = tripV
        self.switch = switch
        self.multilabel = multilabel
        if tgtData is not None:
            self.tgt = tgtData['words']
            self.tgtFeatures = tgtData['features']
            self.pointers = switch and tgtData['pointers']
        # source length(s) don't change (and we'll pad line scores...)
        self.maxSourceLength = self.srcs[0][0].size(0)
        self.nSourceRows = len(self.srcs)
        self.colStartIdx = colStartIdx   # idx after vocab where stuff starts
        self.nFeatures = nFeatures
        self.copyGenerate = copyGenerate
        self.version = version

    def setBatchSize(self, maxBatchSize):
        """Setup up the training data to respect ``maxBatchSize``."""
        self.batchRange = []
        self.maxTargetLength = 0
        # Prepares batches in terms of range within self.src and self.tgt.
        offset = 0
        batchSize = 1
        for i in range(len(self.tgt)):
            # All sources are the same size; there are rarely enough targets of same length
            # to really batch, so will have padding on targets, as usual
            if batchSize == maxBatchSize or i == 0:
                if i > 0:
                    self.batchRange.append({"begin": offset, "end": i - 1})
                offset = i
                batchSize = 1
            else:
                batchSize = batchSize + 1
            # Target contains <s> and </s>.
            targetSeqLength = self.tgt[i].size(0) - 1
            self.maxTargetLength = max(self.maxTargetLength, targetSeqLength)
        # catch last thing
        self.batchRange.append({"begin": offset, "end": len(self.tgt) - 1})

    def batchCount(self):
        if getattr(self, 'batchRange', None) is None:
            return 1
        return len(self.batchRange)

    def getBatch(self, idx=None):
        """``Batch`` number ``idx`` (0-based)."""
        assert idx is not None and getattr(self, 'batchRange', None) is not None
        rangeStart = self.batchRange[idx]["begin"]
        rangeEnd = self.batchRange[idx]["end"]
        srcs = [[] for _ in range(len(self.srcs))]
        tgt = []
        triples = []
        pointers = []
        srcFeatures = []
        tgtFeatures = []
        for i in range(rangeStart, rangeEnd + 1):
            for j in range(len(self.srcs)):
                srcs[j].append(self.srcs[j][i])
            tgt.append(self.tgt[i])
            if self.srcTriples is not None:   # a table, empty or not, is true in Lua
                triples.append(self.srcTriples[i].long())
            if self.switch:
                pointers.append(self.pointers[i])
            if i < len(self.srcFeatures) and self.srcFeatures[i] is not None:
                srcFeatures.append(self.srcFeatures[i])
            if i < len(self.tgtFeatures) and self.tgtFeatures[i] is not None:
                tgtFeatures.append(self.tgtFeatures[i])
        assert not self.switch, 'BoxSwitchBatch.lua (-switch) is not ported'
        return BoxBatch3(srcs, srcFeatures, tgt, tgtFeatures, self.maxSourceLength, self.colStartIdx,
                         self.nFeatures, triples, self.tripV)
