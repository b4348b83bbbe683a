"""dpnn's serialisation modes: what ``lg.save`` leaves out of a module (``dpnn_serialEmpty``).

``heavySerial()`` keeps everything, buffers included; ``mediumSerial()`` leaves out the ``dpnn_mediumEmpty``
attributes (``output``, ``gradInput``, the momentum buffers ``momGradParams``, ``dpnn_input``);
``lightSerial()`` leaves out the gradients too (``dpnn_lightEmpty``: ``gradWeight``, ``gradBias``);
``serialMode(names)`` leaves out exactly ``names``. Each sets the mode on the whole tree. ``lg.save``
(legonn/serialization/transient.py) empties the named attributes of a module that has a mode (a tensor becomes
an empty one, a gradient None, a list or dict an empty one); emptying ``output`` or ``gradInput`` empties every
buffer the module's ``clearState`` does, legonn's per-class list of buffers (dpnn lists them per class: a
convolution's ``finput``, BatchNormalization's ``buffer``s). A module without a mode is saved as
``clearState()`` leaves it, which is about what mediumSerial keeps.
"""


class SerialModes:
    """Mixed into Module: dpnn's serialMode, heavySerial, mediumSerial and lightSerial."""

    dpnn_mediumEmpty = ('output', 'gradInput', 'momGradParams', 'dpnn_input')
    dpnn_lightEmpty = ('gradWeight', 'gradBias')

    def serialMode(self, empty):
        """Leave the attributes named in ``empty`` (a list) out of saved files, for this module and every module
        it holds; returns the module."""
        if not isinstance(empty, (list, tuple)):
            raise TypeError(f"{self.shortName()}.serialMode: expected a list of attribute names, got "
                            f"{type(empty).__name__}")
        self._setSerial(lambda m: list(empty))
        return self

    def heavySerial(self):
        """Save everything, buffers included."""
        return self.serialMode([])

    def mediumSerial(self):
        """Leave out each module's ``dpnn_mediumEmpty`` attributes (its buffers)."""
        self._setSerial(lambda m: list(m.dpnn_mediumEmpty))
        return self

    def lightSerial(self):
        """Leave out each module's ``dpnn_mediumEmpty`` and ``dpnn_lightEmpty`` attributes (buffers and
        gradients): a file for inference. A loaded module then has no gradients (None) until given new ones."""
        self._setSerial(lambda m: list(m.dpnn_mediumEmpty) + list(m.dpnn_lightEmpty))
        return self

    def Serial(self, tensortype=None):
        """This module decorated with ``nn.Serial(self, tensortype)`` (dpnn's ``module:Serial()``)."""
        from ...containers.serial import Serial   # containers sit above modules: imported on call, never at import
        return Serial(self, tensortype)

    def _setSerial(self, names_for):
        """Set ``dpnn_serialEmpty = names_for(m)`` on every module ``m`` reachable from this one through
        attributes, lists, tuples and dicts (dpnn's recursiveSerial), each once."""
        from .module import Module   # module.py mixes this class into Module: imported on call
        seen, stack = set(), [self]
        while stack:
            value = stack.pop()
            if not isinstance(value, (Module, list, tuple, dict)) or id(value) in seen:
                continue
            seen.add(id(value))
            if isinstance(value, Module):
                value.dpnn_serialEmpty = names_for(value)
                stack.extend(v for key, v in vars(value).items() if key != 'dpnn_serialEmpty')
            else:
                stack.extend(value.values() if isinstance(value, dict) else value)
