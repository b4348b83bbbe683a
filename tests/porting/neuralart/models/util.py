"""models/util.lua: ``nn.Module:name``, ``nn.Module:findByName`` and ``nn.Sequential:subnetwork``, methods the
file adds to nn's classes. Python's way of adding them is the same assignment onto the classes; the port keeps
them in ``MODULE_METHODS``/``SEQUENTIAL_METHODS`` and tests/porting/test_neuralart.py installs them for its tests
only (as other ports do), so that legonn's classes stay unchanged for the rest of the suite.

Edit: ``subnetwork`` ends with ``subnet:cuda()`` (the Lua needs cutorch there; main.lua's ``--cpu`` never calls
it, since create_inception refuses the CPU): ``subnet.cuda()`` only when ``CUDA`` is true."""
from legonn import nn

CUDA = False


def name(self, name):
    self._name = name
    return self


def findByName(self, name):
    if getattr(self, '_name', None) == name:
        return self
    if getattr(self, 'modules', None) is not None:
        for i in range(len(self.modules)):
            module = self.modules[i].findByName(name)
            if module is not None:
                return module


def subnetwork(self, name):
    subnet = nn.Sequential()
    for i, module in enumerate(self.modules):
        subnet.add(module)
        if getattr(module, '_name', None) == name:
            break
    if CUDA:
        subnet.cuda()
    return subnet


MODULE_METHODS = {'name': name, 'findByName': findByName}
SEQUENTIAL_METHODS = {'subnetwork': subnetwork}
