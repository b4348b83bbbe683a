"""totem's examples/test_simple.lua: a test that passes, one that fails an assertion, one that raises."""
from legonn import totem


def main(arg=None):
    test = totem.TestSuite()

    tester = totem.Tester()

    @test
    def a():
        a = 10
        b = 10
        tester.asserteq(a, b, 'a == b')
        tester.assertne(a, b, 'a ~= b')

    @test
    def b():
        a = 10
        b = 9
        tester.assertgt(a, b, 'a > b')

    @test
    def c():
        raise RuntimeError('Errors are treated differently than failures')

    return tester.add(test).run(arg=arg)
