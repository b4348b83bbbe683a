"""modules/SequentialSplitBatch.lua: an nn.Sequential whose forward runs a batch larger than ``batch_size`` in
chunks of ``batch_size`` rows (for a table input, chunks of its second entry, the rois); forward only.
``x:size()`` edited in place is ``list(x.size())`` (legonn's size is a tuple, docs/porting.md)."""
import legonn as lg
from legonn import nn


class SequentialSplitBatch(nn.Sequential):

    def __init__(self, size):
        super().__init__()
        self.batch_size = size

    def updateOutput(self, input):
        if lg.type(input) != 'table':
            assert input.dim() == 2 or input.dim() == 4
            batch_size = input.size(0)
            if batch_size <= self.batch_size:
                return super().updateOutput(input)
            else:
                # propagate small batch to determine output size
                output_size = list(super().updateOutput(input.narrow(0, 0, 1)).size())
                output_size[0] = batch_size
                if getattr(self, 'output_', None) is None:
                    self.output_ = input.new()
                if getattr(self, 'parent_output', None) is None:
                    self.parent_output = input[0].new()
                self.output.set(self.parent_output)
                self.output_.resize(output_size)
                input_split = input.split(self.batch_size, 0)
                output_split = self.output_.split(self.batch_size, 0)
                for i, v in enumerate(input_split):
                    output_split[i].copy(super().updateOutput(v))
                self.output.set(self.output_)
                return self.output
        elif lg.type(input) == 'table':
            # only 1-nested tables supported
            # only tensor output so far
            input_sizes = []
            for i, v in enumerate(input):
                assert v.dim() == 2 or v.dim() == 4
                input_sizes.append(v.size(0))
            batch_size = input_sizes[1]

            if batch_size <= self.batch_size:
                return super().updateOutput(input)
            else:
                # propagate small batch
                subinput = []
                for i, v in enumerate(input):
                    subinput.append(v.narrow(0, 0, 1))
                output_size = list(super().updateOutput(subinput).size())
                output_size[0] = batch_size
                if getattr(self, 'output_', None) is None:
                    self.output_ = input[0].new()
                if getattr(self, 'parent_output', None) is None:
                    self.parent_output = input[0].new()
                self.output.set(self.parent_output)
                self.output_.resize(output_size)
                output_split = self.output_.split(self.batch_size, 0)
                per_input_splits = []
                for i, v in enumerate(input):
                    per_input_splits.append(v.split(self.batch_size, 0))

                assert self.output_.storage() is not self.output.storage()
                for k, u in enumerate(output_split):
                    subinput = [input[0], per_input_splits[1][k]]
                    u.copy(super().updateOutput(subinput))
                self.output.set(self.output_)
                return self.output


# for updateGradInput, accGradParameters, etc do not do anything.
lg.register(SequentialSplitBatch, 'nn.SequentialSplitBatch')
