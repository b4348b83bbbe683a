"""AskingQuestions/reinforce/train_RL.lua: parse the options, build the reinforcement learner, train it.

The script's chunk is ``main(arg)`` returning the model; ``params`` is a global in the Lua, a local here (no other
file reads it). ``require "cunn"`` is left out and ``cutorch.manualSeed(123)`` is ``lg.manualSeed(123)`` (as in
supervised/train_supervised.py)."""
import legonn as lg

from .parse import parse
from .RL_memmnet import RL_memmnet as model


def main(arg):
    params = parse(arg)
    lg.manualSeed(123)
    # cutorch.setDevice(params.gpu_index)
    model.Initial(params)
    model.train()
    return model
