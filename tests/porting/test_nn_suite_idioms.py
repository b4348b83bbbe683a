"""Idioms of torch/nn's own test suite (test.lua, Parallel .. FeatureLPPooling) that legonn lacked or ran
otherwise: each test cites the Torch7 source whose behaviour it checks."""
import legonn as lg
from legonn import nn


def test_size_answers_longstorage_totable_and_size():
    """torch7 Tensor:size() returns a LongStorage (torch7/generic/Storage.c, Storage.lua ``totable``):
    ``x:size():totable()`` is a table of the sizes and ``x:size():size()`` the number of dimensions."""
    x = lg.zeros(2, 3, 4)
    assert x.size().totable() == [2, 3, 4] and type(x.size().totable()) is list
    assert x.size().size() == 3
