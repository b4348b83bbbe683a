"""util/CharSplitLMMinibatchLoader.lua (modified by char-rnn from oxford-cs-ml-2015/practical6: train/val/test
splits). Character codes, split indices (0 = train, 1 = val, 2 = test) and batch pointers are 0-based; a pointer
at -1 is Lua's 0, before the first batch. The text is read as bytes (latin-1, no newline translation), as Lua's
``f:read`` gives them (docs/porting.md's ``#s`` of ``ffi.string`` row)."""
import math

import legonn as lg
from legonn import lfs
from legonn.pl import path


class CharSplitLMMinibatchLoader:

    @staticmethod
    def create(data_dir, batch_size, seq_length, split_fractions):
        # split_fractions is e.g. {0.9, 0.05, 0.05}

        self = CharSplitLMMinibatchLoader()

        input_file = path.join(data_dir, 'input.txt')
        vocab_file = path.join(data_dir, 'vocab.t7')
        tensor_file = path.join(data_dir, 'data.t7')

        # fetch file attributes to determine if we need to rerun preprocessing
        run_prepro = False
        if not (path.exists(vocab_file) or path.exists(tensor_file)):
            # prepro files do not exist, generate them
            print('vocab.t7 and data.t7 do not exist. Running preprocessing...')
            run_prepro = True
        else:
            # check if the input file was modified since last time we
            # ran the prepro. if so, we have to rerun the preprocessing
            input_attr = lfs.attributes(input_file)
            vocab_attr = lfs.attributes(vocab_file)
            tensor_attr = lfs.attributes(tensor_file)
            if input_attr['modification'] > vocab_attr['modification'] or \
                    input_attr['modification'] > tensor_attr['modification']:
                print('vocab.t7 or data.t7 detected as stale. Re-running preprocessing...')
                run_prepro = True
        if run_prepro:
            # construct a tensor with all the data, and vocab file
            print('one-time setup: preprocessing input text file ' + input_file + '...')
            CharSplitLMMinibatchLoader.text_to_tensor(input_file, vocab_file, tensor_file)

        print('loading data files...')
        data = lg.load(tensor_file)
        self.vocab_mapping = lg.load(vocab_file)

        # cut off the end so that it divides evenly
        len_ = data.size(0)
        if len_ % (batch_size * seq_length) != 0:
            print('cutting off end of data so that the batches/sequences divide evenly')
            data = data.sub(0, batch_size * seq_length
                            * math.floor(len_ / (batch_size * seq_length)) - 1)

        # count vocab
        self.vocab_size = 0
        for _ in self.vocab_mapping:
            self.vocab_size = self.vocab_size + 1

        # self.batches is a table of tensors
        print('reshaping tensor...')
        self.batch_size = batch_size
        self.seq_length = seq_length

        ydata = data.clone()
        ydata.sub(0, -2).copy(data.sub(1, -1))
        ydata[-1] = data[0]
        self.x_batches = data.view(batch_size, -1).split(seq_length, 1)  # #rows = #batches
        self.nbatches = len(self.x_batches)
        self.y_batches = ydata.view(batch_size, -1).split(seq_length, 1)  # #rows = #batches
        assert len(self.x_batches) == len(self.y_batches)

        # lets try to be helpful here
        if self.nbatches < 50:
            print('WARNING: less than 50 batches in the data in total? Looks like very small dataset. You probably '
                  'want to use smaller batch_size and/or seq_length.')

        # perform safety checks on split_fractions
        assert split_fractions[0] >= 0 and split_fractions[0] <= 1, \
            'bad split fraction ' + str(split_fractions[0]) + ' for train, not between 0 and 1'
        assert split_fractions[1] >= 0 and split_fractions[1] <= 1, \
            'bad split fraction ' + str(split_fractions[1]) + ' for val, not between 0 and 1'
        assert split_fractions[2] >= 0 and split_fractions[2] <= 1, \
            'bad split fraction ' + str(split_fractions[2]) + ' for test, not between 0 and 1'
        if split_fractions[2] == 0:
            # catch a common special case where the user might not want a test set
            self.ntrain = math.floor(self.nbatches * split_fractions[0])
            self.nval = self.nbatches - self.ntrain
            self.ntest = 0
        else:
            # divide data to train/val and allocate rest to test
            self.ntrain = math.floor(self.nbatches * split_fractions[0])
            self.nval = math.floor(self.nbatches * split_fractions[1])
            # the rest goes to test (to ensure this adds up exactly)
            self.ntest = self.nbatches - self.nval - self.ntrain

        self.split_sizes = [self.ntrain, self.nval, self.ntest]
        self.batch_ix = [-1, -1, -1]

        print('data load done. Number of data batches in train: %d, val: %d, test: %d'
              % (self.ntrain, self.nval, self.ntest))
        return self

    def reset_batch_pointer(self, split_index, batch_index=None):
        batch_index = batch_index if batch_index is not None else -1
        self.batch_ix[split_index] = batch_index

    def next_batch(self, split_index):
        if self.split_sizes[split_index] == 0:
            # perform a check here to make sure the user isn't screwing something up
            split_names = ['train', 'val', 'test']
            print('ERROR. Code requested a batch for split ' + split_names[split_index]
                  + ', but this split has no data.')
            raise SystemExit()  # crash violently (os.exit())
        # split_index is integer: 0 = train, 1 = val, 2 = test
        self.batch_ix[split_index] = self.batch_ix[split_index] + 1
        if self.batch_ix[split_index] > self.split_sizes[split_index] - 1:
            self.batch_ix[split_index] = 0  # cycle around to beginning
        # pull out the correct next batch
        ix = self.batch_ix[split_index]
        if split_index == 1:
            ix = ix + self.ntrain  # offset by train set size
        if split_index == 2:
            ix = ix + self.ntrain + self.nval  # offset by train + val
        return self.x_batches[ix], self.y_batches[ix]

    # *** STATIC method ***
    @staticmethod
    def text_to_tensor(in_textfile, out_vocabfile, out_tensorfile):
        timer = lg.Timer()  # noqa: F841  (the Lua makes it and never reads it)

        print('loading text file...')
        cache_len = 10000
        tot_len = 0
        f = open(in_textfile, 'r', encoding='latin-1', newline='')

        # create vocabulary if it doesn't exist yet
        print('creating vocabulary mapping...')
        # record all characters to a set
        unordered = {}
        rawdata = f.read(cache_len)
        while True:
            for char in rawdata:
                if not unordered.get(char):
                    unordered[char] = True
            tot_len = tot_len + len(rawdata)
            rawdata = f.read(cache_len)
            if not rawdata:
                break
        f.close()
        # sort into a table (i.e. keys become 0..N-1)
        ordered = []
        for char in unordered:
            ordered.append(char)
        ordered.sort()
        # invert `ordered` to create the char->int mapping
        vocab_mapping = {}
        for i, char in enumerate(ordered):
            vocab_mapping[char] = i
        # construct a tensor with all the data
        print('putting data into tensor...')
        data = lg.ByteTensor(tot_len)  # store it into 1D first, then rearrange
        f = open(in_textfile, 'r', encoding='latin-1', newline='')
        currlen = 0
        rawdata = f.read(cache_len)
        while True:
            for i in range(len(rawdata)):
                data[currlen + i] = vocab_mapping[rawdata[i]]  # lua has no string indexing using []
            currlen = currlen + len(rawdata)
            rawdata = f.read(cache_len)
            if not rawdata:
                break
        f.close()

        # save output preprocessed files
        print('saving ' + out_vocabfile)
        lg.save(out_vocabfile, vocab_mapping)
        print('saving ' + out_tensorfile)
        lg.save(out_tensorfile, data)
