"""The idioms jcjohnson/torch-rnn's sample.lua relies on, written anew: a language model written on
nn.Module around a Sequential that starts with a LookupTable, moved to the GPU with ``:cuda()``, then fed
the host LongTensors that ``encode_string`` builds and that ``torch.multinomial`` draws from the scores
taken back to the host with ``:double()`` (LanguageModel.lua's sample)."""
import numpy as np
import pytest

import legonn as lg
from legonn import nn


class TinyLM(nn.Module):
    """Scores ``(N, T, V)`` for codes ``(N, T)``: an embedding, then one linear map per position."""

    def __init__(self, V, D):
        super().__init__()
        self.lut = nn.LookupTable(V, D)
        self.view1 = nn.View(1, 1, -1).setNumInputDims(3)
        self.view2 = nn.View(1, -1).setNumInputDims(2)
        self.net = nn.Sequential().add(self.lut).add(self.view1).add(nn.Linear(D, V)).add(self.view2)

    def updateOutput(self, input):
        N, T = input.size(0), input.size(1)
        self.view1.resetSize(N * T, -1)
        self.view2.resetSize(N, T, -1)
        self.output = self.net.forward(input)
        return self.output

    def parameters(self):
        return self.net.parameters()


def _sample(model, start, length):
    """LanguageModel.lua's sampling loop: seed with ``start``, then draw ``length`` codes one at a time."""
    x = lg.LongTensor(start).view(1, -1)
    sampled = lg.LongTensor(1, x.size(1) + length)
    sampled[:, 0:x.size(1)].copy(x)
    scores = model.forward(x)[:, x.size(1) - 1:x.size(1)]
    for t in range(x.size(1), x.size(1) + length):
        probs = lg.div(scores, 0.8).double().exp().squeeze()
        probs.div(lg.sum(probs))
        next_char = lg.multinomial(probs, 1).view(1, 1)
        sampled[:, t:t + 1].copy(next_char)
        scores = model.forward(next_char)
    return sampled


@pytest.mark.gpu
def test_a_cuda_model_samples_from_host_codes():
    lg.manualSeed(4)
    cpu = TinyLM(7, 5)
    gpu = cpu.clone().cuda()
    codes = lg.LongTensor([[0, 3, 6, 2]])
    out = gpu.forward(codes)
    assert out.is_cuda
    np.testing.assert_allclose(out.float().numpy(), cpu.forward(codes).numpy(), rtol=1e-5, atol=1e-6)
    lg.manualSeed(9)
    on_cpu = _sample(cpu, [1, 2], 12)
    lg.manualSeed(9)
    on_gpu = _sample(gpu, [1, 2], 12)
    assert on_gpu.type() == 'torch.LongTensor'
    assert on_gpu.tolist() == on_cpu.tolist()
