"""What every legonn.inn class shares: it stands for an ``inn.*`` Lua class of szagoruyko/imagine-nn (its
``legonn.typename`` is 'inn.ROIPooling', its repr starts with ``inn.``, files record it under that name)."""
import re


class InnClass:
    """Mixin put before the nn parent: the class is inn.<name> in typenames, reprs and saved files."""

    lua_package = 'inn'

    def __repr__(self):
        # the nn parent's repr, 'nn.SpatialCrossMapLRN(5, ...)', under this class's name
        text = super().__repr__()
        match = re.match(r'nn\.\w+', text)
        return f'inn.{type(self).__name__}{text[match.end():]}' if match else text
