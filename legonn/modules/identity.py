"""Identity: output = input, gradInput = gradOutput (no copies); CopyGrad, whose gradInput is a copy (rnn)."""
from ..tensor import Tensor
from .base.module import Module


class Identity(Module):
    """Passes its input (any tensor or table) through unchanged; handy as a placeholder or a
    graph's input node. ``output`` is the input object itself, as in Torch7."""
    input_dtypes = 'any'  # moves values without arithmetic, so any element type
    empty_inputs = True   # and any size: densecap's recognition network passes empty ground truth at test time
    # and from either device: Identity.lua:3-6 checks nothing, and a CUDA graph's input node hands host codes to
    # the module that copies them over (char-rnn's sample.lua feeds a FloatTensor to its CUDA LSTM's OneHot);
    # the modules that compute still check the device
    any_device = True

    def updateOutput(self, input):
        self.output = input
        return self.output

    def updateGradInput(self, input, gradOutput):
        # an empty tensor is Torch7's "no gradient" (what a module without updateGradInput, such as
        # char-rnn's OneHot, gives back): it passes through like any other; everything else must match in
        # structure and sizes. Not in type: Identity.lua hands on whatever comes, and facebookresearch/MIXER's
        # step net ends in an Identity over {sampled words (a FloatTensor), log-probabilities, ...} whose
        # gradient tables are DoubleTensors. A host input may take a CUDA gradient, as forward takes either: a
        # CUDA graph's input node of host codes gets back the CUDA gradInput its module made
        # (wojciechz/learning_to_execute's Embedding resizes its CUDA gradInput to the codes' size), which
        # Identity.lua passes on; a host gradient for a CUDA input is still refused
        if not (isinstance(gradOutput, Tensor) and 0 in gradOutput._size):   # nElement() == 0, read in place
            self.checkGradTree(gradOutput, input, types=False, host_takes_cuda=True)
        self.gradInput = gradOutput
        return self.gradInput

    def clearState(self, *names):
        # output/gradInput are the caller's objects: drop the references, never empty them
        self.output, self.gradInput = self.output.new() if hasattr(self.output, 'new') else [], \
            self.gradInput.new() if hasattr(self.gradInput, 'new') else []
        return super().clearState(*names)


class CopyGrad(Identity):
    """Identity forward (the input tensor itself); backward hands back a copy of gradOutput, which the caller
    may then change without touching gradOutput (rnn's CopyGrad.lua; its NormStabilizer adds a cost's
    gradient into it). Tensors only."""
    input_kind = 'tensor'

    def updateGradInput(self, input, gradOutput):
        self.checkTensor(gradOutput, what='gradOutput')
        self.checkGradTree(gradOutput, input)
        self.bufferLike('gradInput', gradOutput)[...] = gradOutput.array
        return self.gradInput
