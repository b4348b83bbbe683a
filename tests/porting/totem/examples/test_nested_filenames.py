"""totem's examples/test_nested_filenames.lua: test files added by name, which Torch7's Tester.lua refuses
("Only tables of functions and functions supported"), as lg.Tester does; the file is kept to show that."""
from legonn import totem


def main(arg=None):
    tester = totem.Tester()
    tester.add('test_nn.lua')
    tester.add('test_simple.lua')
    tester.add('test_tensor.lua')
    return tester.run(arg=arg)
