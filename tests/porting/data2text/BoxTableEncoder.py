"""onmt/modules/BoxTableEncoder.lua of harvardnlp/data2text: the box-score table encoder. Each cell is 4 ids
(value, row name, column name, home/away) looked up in one table and merged (concat: a Linear of the 4 embeddings;
sum: their sum plus a bias), then ReLU or tanh. Outputs, for a source of batchSize*nRows*nCols x 4 ids: one
batchSize x decDim initial state per decoder layer (a Linear of the row means, or maxima, of all rows) and the
attention context batchSize x nRows*nCols x decDim."""
from legonn import nn


class BoxTableEncoder(nn.Container):
    lua_package = 'onmt'

    def __init__(self, args):
        super().__init__()
        self.args = args
        self.network = self._buildModel()
        self.add(self.network)

    def serialize(self):
        """Return data to serialize."""
        return {'modules': self.modules, 'args': self.args}

    def _buildModel(self):
        args = self.args
        x = nn.Identity()()   # batcSize*nRows*srcLen x nFeatures
        lut = nn.LookupTable(args['vocabSize'], args['wordVecSize'])
        self.lut = lut
        if args['feat_merge'] == "concat":
            # concatenates embeddings of all features and applies MLP
            featEmbs = nn.Linear(args['nFeatures'] * args['wordVecSize'], args['encDim'])(
                nn.View(-1, args['nFeatures'] * args['wordVecSize'])(
                    lut(x)))
        else:
            assert args['wordVecSize'] == args['encDim']
            # adds embeddings of all features and applies bias and nonlinearity
            # (i.e., embeds sparse features)
            featEmbs = nn.Add(args['wordVecSize'])(
                nn.Sum(1)(
                    lut(x)))
        featEmbs = nn.ReLU()(featEmbs) if args.get('relu') else nn.Tanh()(featEmbs)
        # featEmbs are batchSize*nRows*nCols x encDim
        for i in range(1, args['nLayers']):
            if args.get('dropout') and args['dropout'] > 0:
                featEmbs = nn.Dropout(args['dropout'])(featEmbs)   # maybe don't want?
            # wrong for summing, but that seems worse anyway
            featEmbs = nn.Linear(args['encDim'], args['encDim'])(featEmbs)
            featEmbs = nn.ReLU()(featEmbs) if args.get('relu') else nn.Tanh()(featEmbs)
        # attn ctx should be batchSize x nRows*nCols x dim
        if args['encDim'] != args['decDim']:
            ctx = nn.View(-1, args['nRows'] * args['nCols'], args['decDim'])(
                nn.Linear(args['encDim'], args['decDim'])(featEmbs))
        else:
            ctx = nn.View(-1, args['nRows'] * args['nCols'], args['encDim'])(featEmbs)
        # for now let's assume we also want row-wise summaries
        byRows = nn.View(-1, args['nCols'], args['encDim'])(featEmbs)   # batchSize*nRows x nCols x dim
        if args['pool'] == "mean":
            byRows = nn.Mean(1)(byRows)
        else:
            byRows = nn.Max(1)(byRows)
        # byRows is now batchSize*nRows x dim
        flattenedByRows = nn.View(-1, args['nRows'] * args['encDim'])(byRows)   # batchSize x nRows*dim
        # finally need to make something that can be copied into an lstm
        self.transforms = []
        outputs = []
        for i in range(args['effectiveDecLayers']):
            lin = nn.Linear(args['nRows'] * args['encDim'], args['decDim'])
            self.transforms.append(lin)
            outputs.append(lin(flattenedByRows))
        outputs.append(ctx)
        mod = nn.gModule([x], outputs)
        # output is a table with an encoding for each layer of the dec, followed by the ctx
        return mod

    def shareTranforms(self):
        for i in range(3, len(self.transforms) + 1):   # i is the 1-based position, as its parity is read
            if i % 2 == 1:
                self.transforms[i - 1].share(self.transforms[0], 'weight', 'gradWeight', 'bias', 'gradBias')
            else:
                self.transforms[i - 1].share(self.transforms[1], 'weight', 'gradWeight', 'bias', 'gradBias')

    def forward(self, batch):
        """(final hidden states: a layer-length table of batchSize x decDim, context batchSize x nRows*nCols x
        encDim)."""
        finalStates = self.network.forward(batch.getSource())
        context = finalStates.pop()   # pops, i think
        return finalStates, context

    def backward(self, batch, gradStatesOutput, gradContextOutput):
        """Backward pass (only called during training); returns the gradInputs of the input network."""
        encGradOut = []
        for i in range(self.args['effectiveDecLayers']):   # ignore input feed (and attn outputs)
            encGradOut.append(gradStatesOutput[i])
        encGradOut.append(gradContextOutput)
        gradInputs = self.network.backward(batch.getSource(), encGradOut)
        return gradInputs
