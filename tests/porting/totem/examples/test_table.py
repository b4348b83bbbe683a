"""totem's examples/test_table.lua: assertTableEq and assertTableNe of (nested) tables (each test fails one of its
two assertions)."""
import legonn as torch
from legonn import totem


def main(arg=None):
    test = totem.TestSuite()

    tester = totem.Tester()

    @test
    def size():
        a = [1]
        b = [1, 2]
        tester.assertTableEq(a, b, 1e-16, 'a == b')
        tester.assertTableNe(a, b, 1e-16, 'a ~= b')

    @test
    def sameValues():
        a = [1, 2, 3]
        b = [1, 2, 3]
        tester.assertTableEq(a, b, 1e-16, 'a == b')
        tester.assertTableNe(a, b, 1e-16, 'a ~= b')

    @test
    def differentValues():
        a = [1, 3]
        b = [1, 2]
        tester.assertTableEq(a, b, 1e-16, 'a == b')
        tester.assertTableNe(a, b, 1e-16, 'a ~= b')

    @test
    def sameValuesNested():
        a = [1, [1, 2]]
        b = [1, [1, 2]]
        tester.assertTableEq(a, b, 1e-16, 'a == b')
        tester.assertTableNe(a, b, 1e-16, 'a ~= b')

    @test
    def differentValuesNested():
        a = [1, [1, 2]]
        b = [1, [1, 3]]
        tester.assertTableEq(a, b, 1e-16, 'a == b')
        tester.assertTableNe(a, b, 1e-16, 'a ~= b')

    @test
    def sameValuesNestedWithOtherTypes():
        a = [1, [1, torch.DoubleTensor(2).zero()]]
        b = [1, [1, torch.DoubleTensor(2).zero()]]
        tester.assertTableEq(a, b, 1e-16, 'a == b')
        tester.assertTableNe(a, b, 1e-16, 'a ~= b')

    @test
    def differentValuesNestedWithOtherTypes():
        a = [1, [1, torch.DoubleTensor(2).zero()]]
        b = [1, [1, torch.FloatTensor(2).zero()]]
        tester.assertTableEq(a, b, 1e-16, 'a == b')
        tester.assertTableNe(a, b, 1e-16, 'a ~= b')

    return tester.add(test).run(arg=arg)
