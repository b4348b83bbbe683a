"""totem's examples/test_nested_dofile.lua: ``tester:add(dofile('test_nn.lua'), 'nn')`` adds what the example
returns, its ``tester:run()``'s 0, which Torch7's Tester.lua refuses ("Only tables of functions and functions
supported"), as lg.Tester does; the file is kept to show that.

Edit: ``dofile('test_nn.lua')`` is that port's ``main()`` (running a Python file is importing it)."""
from legonn import totem

from . import test_nn, test_simple, test_tensor


def main(arg=None):
    tester = totem.Tester()
    tester.add(test_nn.main(arg), 'nn')
    tester.add(test_simple.main(arg), 'simple')
    tester.add(test_tensor.main(arg), 'tensor')
    return tester.run(arg=arg)
