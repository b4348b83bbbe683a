"""AskingQuestions/supervised/train_supervised.lua: parse the options, build the memory network, train it.

The script's chunk is ``main(arg)``; it returns ``model:train()``'s (final test accuracy, best dev accuracy) and
the model. ``require "cunn"`` is left out and ``cutorch.manualSeed(123)`` is ``lg.manualSeed(123)`` (the CPU
tests run without CUDA; the memnn_hitl package's ``cuda`` does the ``:cuda()`` calls on the gpu test)."""
import legonn as lg

from .memmnet import memmnet as model
from .parse import parse


def main(arg):
    params = parse(arg)
    lg.manualSeed(123)
    # cutorch.setDevice(params.gpu_index)
    model.Initial(params)
    return model.train(), model
