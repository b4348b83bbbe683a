"""tests/test_layers.lua: the repository's totem tests of its layers, a script; ``main()`` runs its main chunk and
returns the tester. ``paths.dofile('../layers/X.lua')`` inside each test becomes an import of the port's class
(the Lua file defines ``nn.X``; here the class is the port's, docs/porting.md's ``local Narrow = nn.Narrow`` row).
``torch.random() % 4`` is ``lg.random() % 4``; ``math.random(3, 10)`` is ``random.randint(3, 10)`` (Python's
generator, seeded by the caller)."""
import math
import random

import legonn as torch
from legonn import graph, nn, totem
from legonn.pl.List import List

from ..layers.Append import Append
from ..layers.CMulList import CMulList
from ..layers.Cos import Cos
from ..layers.CrossProduct import CrossProduct
from ..layers.ExpandAs import ExpandAs
from ..layers.InnerProduct import InnerProduct
from ..layers.InvNormalize import InvNormalize
from ..layers.Normalize import Normalize
from ..layers.PowSum import PowSum
from ..layers.Sin import Sin
from ..layers.VAddTable import VAddTable

graph.setDebug(True)
test = torch.TestSuite()
tester = totem.Tester()


@test
def expandas():
    net = ExpandAs()
    net2 = ExpandAs()
    A = torch.rand(2, 1, 3, 1)
    B = torch.rand(2, 5, 3, 7)
    step = torch.zeros(A.size())
    eps = 1e-10
    num_grad = torch.zeros(A.size())
    gradOutput = torch.randn(B.size())
    out = net.forward([A, B])

    # forward
    tester.assertTensorEq(out, A.expandAs(B), 1e-10)

    net_grad = net.backward([A, B], gradOutput)[0]
    for i in range(A.nElement()):
        step.storage()[i] = eps
        step_p = net.forward([A + step, B])
        step_m = net2.forward([A - step, B])
        num_grad.storage()[i] = (step_p - step_m).dot(gradOutput) / (2 * eps)
        step.storage()[i] = 0

    # backward
    tester.assertTensorEq(num_grad, net_grad, 1e-4)


@test
def vaddtable():
    # forward/backward
    for i in range(10):
        vaddtable = VAddTable()
        A = torch.rand(3, 4)
        BList = []
        _BList = []
        for i in range(5):
            B = torch.rand(3, 4)
            BList.append(B)
            _BList.append(torch.totable(B))
        out = vaddtable.forward([A, BList])
        BTensor = torch.Tensor(_BList)
        g = torch.rand(3, 5, 4)
        addtable = nn.CAddTable()
        _A = A.view(A.size(0), 1, A.size(1)).expand(3, 5, 4)
        _BTensor = BTensor.transpose(0, 1)  # (3, 5, 4)
        correct_out = addtable.forward([_A, _BTensor])
        tester.assertTensorEq(correct_out, out, 1e-9)
        correct_grad = addtable.backward([_A, _BTensor], g)
        grad = vaddtable.backward([A, BList], g)
        tester.assertTensorEq(grad[0], correct_grad[0].sum(1).squeeze(), 1e-9)
        for i in range(5):
            # correct_grad[2] has size (3, 5, 4)
            tester.assertTensorEq(grad[1][i], correct_grad[1][:, i, :], 1e-9)

    # gradient check
    A_node = nn.Identity()()
    BTensor_node = nn.Identity()()
    BSplit = nn.SplitTable(0)(BTensor_node)
    vaddtable = VAddTable()([A_node, BSplit])
    net = nn.gModule([A_node, BTensor_node], [vaddtable])
    A = torch.rand(3, 4)
    B = torch.rand(5, 3, 4)
    totem.nn.checkGradients(tester, net, [A, B])


@test
def powsum():
    # forward/backward
    for i in range(10):
        powsum = PowSum(2, 2)
        A = torch.rand(3, 4, 5)
        out = powsum.forward(A)
        correct_out = torch.norm(A, 2, 2).squeeze(2).pow(2)
        tester.assertTensorEq(correct_out, out, 1e-9)

    # gradient check
    A_node = nn.Identity()()
    powsum = PowSum(2, 2)(A_node)
    net = nn.gModule([A_node], [powsum])
    A = torch.rand(3, 4, 5)
    totem.nn.checkGradients(tester, net, A)


@test
def invnormalize():
    def get_net(norm=None, eps=None):
        in_ = nn.Identity()()
        p = torch.random() % 4
        eps = eps if eps is not None else 1e-10
        out = InvNormalize(p, eps)(in_)
        net = nn.gModule([in_], [out])
        size = [3, 2]
        norm = norm if norm is not None else 1
        a = torch.rand(*size).mul(norm)
        return net, a, p

    # compare naive forward
    for i in range(3):
        net, a, p = get_net(1, 1e-10)
        naive = torch.ones(a.size()).cdiv(a)
        naive.pow(p)
        naive = naive.cdiv(torch.norm(naive, 1, 1).expandAs(naive))
        b = net.updateOutput(a)
        tester.assertTensorEq(naive, b, 1e-5)

    # gradient check
    net, a, _ = get_net(1, 0)
    totem.nn.checkGradients(tester, net, a)


@test
def cmullist():

    def get_tensor_net():
        inlist = nn.Identity()()
        split = nn.SplitTable(1)(inlist)
        intensor = nn.Identity()()
        cmullist = CMulList()([split, intensor])
        net = nn.gModule([inlist, intensor], [cmullist])
        return net
    # forward
    cmullist = CMulList()
    in1 = []
    for i in range(4):
        in1.append(torch.rand(3, 1))
    in2 = torch.rand(3, 4)
    cat = torch.cat(in1, 1)
    cnet = nn.CMulTable()
    tester.assertTensorEq(
        cmullist.forward([in1, in2]), cnet.forward([cat, in2]))
    g = torch.rand(3, 4)
    g1 = cmullist.backward([in1, in2], g)
    g2 = cnet.backward([cat, in2], g)
    tester.assertTensorEq(torch.cat(g1[0], 1), g2[0])
    tester.assertTensorEq(g2[1], g2[1])

    # backward
    net = get_tensor_net()
    correct_net = nn.CMulTable()
    for i in range(5):
        in1 = torch.rand(3, 4)
        in2 = torch.rand(3, 4)
        tester.assertTensorEq(net.forward([in1, in2]), correct_net.forward([in1, in2]))
        grad = torch.rand(3, 4)
        gradIn = net.backward([in1, in2], grad)
        correct_gradIn = correct_net.backward([in1, in2], grad)
        tester.assertTensorEq(gradIn[0], correct_gradIn[0])
        tester.assertTensorEq(gradIn[1], correct_gradIn[1])

    # gradient
    net = get_tensor_net()
    in1 = torch.rand(3, 4)
    in2 = torch.rand(3, 4)
    totem.nn.checkGradients(tester, net, List([in1, in2]))


@test
def append():
    net = Append()
    a = [torch.rand(3, 4, 5)]
    b = torch.rand(3, 2, 5)
    p = torch.rand(3)
    c = net.forward([a, b, [p]])
    tester.assert_(c[0] is a[0])
    tester.assert_(c[1] is b)
    tester.assert_(c is not a)
    d = [torch.rand(3, 4, 5), torch.rand(3, 2, 5)]
    e = net.backward([a, b, [p]], d)
    da, db = e[0], e[1]
    tester.assert_(d[0] is da[0])
    tester.assert_(d[1] is db)
    tester.assertTensorEq(e[2][0], torch.zeros(3), 1e-16)
    tester.assert_(len(e[2]) == 1)
    tester.assert_(len(a) == 1)


@test
def crossproduct():
    net = CrossProduct()
    for i in range(10):
        a = torch.randn(3)
        b = torch.randn(3)
        tester.assertTensorEq(net.forward([a, b]), torch.cross(a, b, 0), 1e-16)
        totem.nn.checkGradients(tester, net, [a, b])
    for i in range(10):
        a = torch.randn(5, 3)
        b = torch.randn(5, 3)
        tester.assertTensorEq(net.forward([a, b]), torch.cross(a, b, 1), 1e-16)
        totem.nn.checkGradients(tester, net, [a, b])


@test
def Normalize_():
    jac = nn.Jacobian
    precision = 1e-5
    # compare forward against torch implementation
    # and check gradient
    for p in [1, 2, 3, 4, 1.5]:
        ini = random.randint(3, 10)
        input = torch.randn(ini)
        module = Normalize(p)
        out = module.forward(input)
        expected = torch.div(input, input.norm(p))
        tester.assertTensorEq(out, expected, 1e-7,
                              torch.typename(module) + ' (' + str(p) + ') - forward err ')

        err = jac.testJacobian(module, input, -2, 2)
        tester.assertlt(err, precision, 'error norm ' + str(p) + ' on state ')

    # batch mode
    for p in [1, 2, 3, 4, torch.uniform() * random.randint(1, 10)]:
        ini = random.randint(3, 5)
        inj = random.randint(3, 5)
        input = torch.Tensor(inj, ini).zero()

        module = Normalize(p)

        err = jac.testJacobian(module, input, -2, 2)
        tester.assertlt(err, precision, 'error norm ' + str(p) + ' on state ')

    # test IO correctness
    ini = random.randint(3, 5)
    inj = random.randint(3, 5)
    input = torch.Tensor(inj, ini).zero()

    module = Normalize(2)

    ferr, berr = jac.testIO(module, input, 0.1, 2)
    tester.eq(ferr, 0, torch.typename(module) + ' - i/o forward err ', precision)
    tester.eq(berr, 0, torch.typename(module) + ' - i/o backward err ', precision)

    # test large eps
    for p in [1, 2, 3, 4, 1.5]:
        ini = random.randint(3, 10)
        input = torch.randn(ini)
        module = Normalize(p, 1)
        err = jac.testJacobian(module, input, -2, 2)
        tester.assertlt(err, precision, 'error norm ' + str(p) + ' on state ')

    # batch mode
    for p in [1, 2, 3, 4, torch.uniform() * random.randint(1, 10)]:
        ini = random.randint(3, 5)
        inj = random.randint(3, 5)
        input = torch.Tensor(inj, ini).zero()

        module = Normalize(p, 1)

        err = jac.testJacobian(module, input, -2, 2)
        tester.assertlt(err, precision, 'error norm ' + str(p) + ' on state ')


test['Normalize'] = test._tests.pop('Normalize_')


@test
def cos():
    for i in range(10):
        # forward
        cos = Cos()
        in_ = torch.rand(10, 13) * 2 * math.pi
        tester.assertTensorEq(cos.forward(in_), torch.cos(in_), 1e-9)
        # backward
        totem.nn.checkGradients(tester, cos, in_)


@test
def sin():
    for i in range(10):
        # forward
        sin = Sin()
        in_ = torch.rand(10, 13) * 2 * math.pi
        tester.assertTensorEq(sin.forward(in_), torch.sin(in_), 1e-9)
        # backward
        totem.nn.checkGradients(tester, sin, in_)


@test
def innerproduct():
    # forward/backward
    for i in range(100):
        innerproduct = InnerProduct()
        A = torch.rand(3, 4)
        BList = []
        _BList = []
        for i in range(5):
            B = torch.rand(3, 4)
            BList.append(B)
            _BList.append(torch.totable(B))
        out = innerproduct.forward([A, BList])
        BTensor = torch.Tensor(_BList)
        # (3, 1, 4) x (3, 4, 5)
        g = torch.rand(3, 5)
        mm = nn.MM()
        _A = A.view(A.size(0), 1, A.size(1))
        _BTensor = BTensor.transpose(0, 1).transpose(1, 2)
        correct_out = mm.forward([_A, _BTensor]).view(A.size(0), len(BList))
        tester.assertTensorEq(correct_out, out, 1e-9)
        correct_grad = mm.backward([_A, _BTensor], g.view(3, 1, 5))
        grad = innerproduct.backward([A, BList], g)
        tester.assertTensorEq(grad[0], correct_grad[0].view(3, 4), 1e-9)
        for i in range(5):
            # correct_grad[2] has size (3, 4, 5)
            tester.assertTensorEq(grad[1][i], correct_grad[1][:, :, i], 1e-9)

    # grad check
    A_node = nn.Identity()()
    BTensor_node = nn.Identity()()
    BSplit = nn.SplitTable(0)(BTensor_node)
    innerproduct = InnerProduct()([A_node, BSplit])
    net = nn.gModule([A_node, BTensor_node], [innerproduct])
    A = torch.rand(3, 4)
    B = torch.rand(5, 3, 4)
    totem.nn.checkGradients(tester, net, [A, B])


def main():
    tester.add(test).run()
    return tester
