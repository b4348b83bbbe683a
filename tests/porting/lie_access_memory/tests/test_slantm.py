"""tests/test_slantm.lua: the repository's totem test of models/slantm.lua's ``mix_keys`` against Rodrigues' rotation
formula, a script; ``main()`` runs its main chunk and returns the tester. ``model.mix_keys(unpack(ins))`` passes
five of its seven arguments: the port's ``mix_keys`` names ``opt`` and ``extra`` with None defaults
(docs/porting.md's fewer-arguments row). Its ``nn.Normalize`` is the repository's (layers/Normalize.lua, which
models/slantm.lua loads before the test runs), the port's Normalize."""
import legonn as torch
from legonn import nn, totem

from ..layers.Normalize import Normalize
from ..models.slantm import slantm as model

test = torch.TestSuite()
tester = totem.Tester()


def randS1(*args):
    return Normalize(2).forward(torch.randn(*args))


def rodrigues(k, cos, sin, v):
    line1 = torch.cmul(v, cos.expandAs(v))
    line2 = torch.cmul(torch.cross(k, v, 1), sin.expandAs(v))
    line3 = torch.cmul(1 - cos.expandAs(v),
                       torch.cmul(k,
                                  nn.DotProduct().forward([k, v]).view(-1, 1).expandAs(k))
                       )
    return line1 + line2 + line3


def mixture(k, k_tm1, gate):
    kpart = torch.cmul(gate.expandAs(k), k)
    ktm1part = torch.cmul((1 - gate).expandAs(k), k_tm1)
    return Normalize(2).forward(kpart + ktm1part)


@test
def mix_keys():
    # mix keys
    ins = []
    # {'key_t', 'key_tm1', 'gate', 'rot_axis', 'rot_trig'}
    for k in range(5):
        ins.append(nn.Identity()())
    out = list(model.mix_keys(*ins))
    net = nn.gModule(ins, out)

    # no mixture; gate = 1
    for j in range(10):
        key_t = randS1(4, 3)
        key_tm1 = randS1(4, 3)
        gate = torch.ones(4, 1)
        rot_axis = randS1(4, 3)
        rot_trig = randS1(4, 2)
        outputs = net.forward([
            key_t,
            key_tm1,
            gate,
            rot_axis,
            rot_trig])
        vrot = rodrigues(rot_axis, rot_trig[:, 0:1], rot_trig[:, 1:2], key_t)
        tester.assertTensorEq(outputs[0], vrot, 1e-7)
        for i in range(3):
            tester.assertTensorEq(outputs[i].norm(2, 1), torch.ones(4, 1), 1e-7)
    # mixture
    for j in range(10):
        key_t = randS1(4, 3)
        key_tm1 = randS1(4, 3)
        gate = torch.rand(4, 1)
        rot_axis = randS1(4, 3)
        rot_trig = randS1(4, 2)
        outputs = net.forward([
            key_t,
            key_tm1,
            gate,
            rot_axis,
            rot_trig])
        mixed = mixture(key_t, key_tm1, gate)
        vrot = rodrigues(rot_axis, rot_trig[:, 0:1], rot_trig[:, 1:2], mixed)
        tester.assertTensorEq(outputs[0], vrot, 1e-7)
        for i in range(3):
            tester.assertTensorEq(outputs[i].norm(2, 1), torch.ones(4, 1), 1e-7)


def main():
    tester.add(test).run()
    return tester
