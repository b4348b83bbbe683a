"""totem's examples/test_storage.lua: assertStorageEq and assertStorageNe of storages of other sizes, types and
values (each test fails one of its two assertions)."""
import legonn as torch
from legonn import totem


def main(arg=None):
    test = totem.TestSuite()

    tester = totem.Tester()

    @test
    def size():
        a = torch.Storage(1)
        b = torch.Storage(2)
        tester.assertStorageEq(a, b, 1e-16, 'a == b')
        tester.assertStorageNe(a, b, 1e-16, 'a ~= b')

    @test
    def type():
        a = torch.DoubleStorage([1, 2, 3])
        b = torch.IntStorage([1, 2, 3])
        tester.assertStorageEq(a, b, 1e-16, 'a == b')
        tester.assertStorageNe(a, b, 1e-16, 'a ~= b')

    @test
    def differentValues():
        a = torch.Storage([1, 2])
        b = torch.Storage([3, 4])
        tester.assertStorageEq(a, b, 1e-16, 'a == b')
        tester.assertStorageNe(a, b, 1e-16, 'a ~= b')

    @test
    def sameValues():
        a = torch.Storage([1, 2])
        b = torch.Storage([1, 2])
        tester.assertStorageEq(a, b, 1e-16, 'a == b')
        tester.assertStorageNe(a, b, 1e-16, 'a ~= b')

    return tester.add(test).run(arg=arg)
