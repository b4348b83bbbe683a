"""lua/mazebase/MazeItem.lua: an item on the map, its attributes a table (here a dict) that `to_sentence` turns
into words."""


class MazeItem:
    typename = 'MazeItem'

    def __init__(self, attr):
        self.type = attr.get('type')
        self.name = attr.get('name')
        self.attr = attr
        self.loc = self.attr.get('loc')
        if self.type == 'block':
            self.is_reachable = lambda: False
        elif self.type == 'door':
            def is_reachable():
                if self.attr.get('open') == 'open':
                    return True
                return False
            self.is_reachable = is_reachable
        else:
            self.is_reachable = lambda: True

    def clone(self):
        attr = {}
        for i, j in self.attr.items():
            if isinstance(j, (int, float, str)):
                attr[i] = j
        if self.attr.get('loc'):
            attr['loc'] = {}
            attr['loc']['x'] = self.attr['loc']['x']
            attr['loc']['y'] = self.attr['loc']['y']
        e = type(self)(attr)
        return e

    def change_owner(self, maze):
        pass

    def to_sentence(self, dy, dx, disable_loc=None):
        s = []
        for k, v in self.attr.items():
            if k == 'loc':
                if not disable_loc:
                    y = self.loc['y'] - dy
                    x = self.loc['x'] - dx
                    s.append('y' + str(y) + 'x' + str(x))
            elif isinstance(k, str) and k[0:1] == '_':
                pass
            else:
                s.append(v)
        return s
