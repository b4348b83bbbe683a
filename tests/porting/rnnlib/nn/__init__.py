"""rnnlib/nn/: the classes and constructors rnnlib adds to Lua's ``nn`` table (SequenceTable, RecurrentTable,
WrappedCudnnRnn, ReverseTable, ZipTable, and the nn.LSTM / nn.GRU / nn.RNN constructors), one file each. The port
keeps them in this package: assigning them into legonn's ``nn`` would replace legonn's own nn.LSTM, nn.GRU,
nn.ReverseTable and nn.ZipTable for every other user in the process (docs/porting.md's rows on ``function
torch.find`` and on ``torch.class`` of a name legonn's nn already has)."""
