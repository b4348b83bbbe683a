"""totem's examples/test_tensor.lua: assertTensorEq and assertTensorNe of tensors of other dimensions, sizes, types
and values (each test fails one of its two assertions)."""
import legonn as torch
from legonn import totem


def main(arg=None):
    test = totem.TestSuite()

    tester = totem.Tester()

    @test
    def dimension():
        a = torch.Tensor(1, 2)
        b = torch.Tensor(2)
        tester.assertTensorEq(a, b, 1e-16, 'a == b')
        tester.assertTensorNe(a, b, 1e-16, 'a ~= b')

    @test
    def size():
        a = torch.Tensor(1, 2)
        b = torch.Tensor(2, 2)
        tester.assertTensorEq(a, b, 1e-16, 'a == b')
        tester.assertTensorNe(a, b, 1e-16, 'a ~= b')

    @test
    def tensorsOfDimZero():
        a = torch.Tensor()
        b = torch.Tensor()
        tester.assertTensorEq(a, b, 1e-16, 'a == b')
        tester.assertTensorNe(a, b, 1e-16, 'a ~= b')

    @test
    def type():
        a = torch.DoubleTensor(3).zero()
        b = torch.IntTensor(3).zero()
        tester.assertTensorEq(a, b, 1e-16, 'a == b')
        tester.assertTensorNe(a, b, 1e-16, 'a ~= b')

    @test
    def differentValues():
        a = torch.zeros(1, 2)
        b = torch.ones(1, 2)
        tester.assertTensorEq(a, b, 1e-16, 'a == b')
        tester.assertTensorNe(a, b, 1e-16, 'a ~= b')

    @test
    def sameValues():
        a = torch.zeros(1, 2)
        b = torch.zeros(1, 2)
        tester.assertTensorEq(a, b, 1e-16, 'a == b')
        tester.assertTensorNe(a, b, 1e-16, 'a ~= b')

    @test
    def byteTensor():
        a = torch.zeros(1, 2).byte()
        b = torch.zeros(1, 2).byte()
        tester.assertTensorEq(a, b, 1e-16, 'a == b')
        tester.assertTensorNe(a, b, 1e-16, 'a ~= b')

    return tester.add(test).run(arg=arg)
