"""utils/symbolsManager.lua: numbers each character (a byte) as it first appears; indices count from 0."""


class SymbolsManager:
    typename = 'SymbolsManager'

    def __init__(self):
        self.symbol2idx = {}
        self.idx2symbol = {}
        self.vocab_size = 0

    def get_symbol_idx(self, c):
        if self.symbol2idx.get(c) is None:
            self.vocab_size = self.vocab_size + 1
            self.symbol2idx[c] = self.vocab_size - 1
            self.idx2symbol[self.vocab_size - 1] = chr(c)
        return self.symbol2idx[c]
