"""deepmind's ``require 'totem'`` (google-deepmind/torch-totem): a test harness built on Torch7's Tester.

Most of deepmind's Torch7 code tests itself with it::

    local tester = totem.Tester()
    local tests = totem.TestSuite()
    function tests.testLinear() totem.nn.checkGradients(tester, nn.Linear(3, 2), torch.randn(4, 3)) end
    tester:add(tests):run()

is, in legonn::

    from legonn import totem
    tester = totem.Tester()
    tests = totem.TestSuite()

    @tests
    def testLinear():
        totem.nn.checkGradients(tester, nn.Linear(3, 2), lg.randn(4, 3))

    tester.add(tests).run()

``totem.Tester`` is ``lg.Tester`` with totem's changes (tensors of other dimensions are never equal,
``eq``/``ne`` take a trailing ``ret``, ``run`` takes Tester.lua's command-line options), ``totem.TestSuite``
is ``lg.TestSuite``, the free functions (``areTensorsEq``, ``assertTableEq``, ...) are asserts.lua's, and
``totem.nn`` holds nn.lua's checks of modules: gradients, minibatches, type casts, serialization.
"""
from ..tensor.naming import snake_aliases
from ..tensor.tester import TestSuite
from . import nn
from .asserts import (areEq, areStoragesEq, areStoragesNe, areTablesEq, areTensorsEq, areTensorsNe, assertStorageEq,
                      assertStorageNe, assertTableEq, assertTableNe, assertTensorEq, assertTensorNe)
from .tester import Tester

__all__ = ['Tester', 'TestSuite', 'nn', 'areEq', 'areStoragesEq', 'areStoragesNe', 'areTablesEq', 'areTensorsEq',
           'areTensorsNe', 'assertStorageEq', 'assertStorageNe', 'assertTableEq', 'assertTableNe', 'assertTensorEq',
           'assertTensorNe']

# are_tensors_eq, assert_table_eq, ...: the aliases every legonn package has
_SNAKE = snake_aliases({name: globals()[name] for name in __all__ if callable(globals()[name])
                        and not isinstance(globals()[name], type)})
globals().update(_SNAKE)
__all__ += list(_SNAKE)
