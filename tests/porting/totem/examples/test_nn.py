"""totem's examples/test_nn.lua: checkGradients and checkMinibatch of an nn.Linear.

Edit: ``checkGradients(tester, net())`` hands on both values ``net()`` returns: ``*net()`` (docs/porting.md's
"several values as the last entry of an argument list" row)."""
import legonn as torch
from legonn import nn, totem


def main(arg=None):
    test = totem.TestSuite()

    tester = totem.Tester()

    def net():
        net = nn.Linear(10, 10)
        input = torch.randn(5, 10)
        return net, input

    @test
    def gradients():
        totem.nn.checkGradients(tester, *net())

    @test
    def minibatch():
        totem.nn.checkMinibatch(tester, *net())

    return tester.add(test).run(arg=arg)
