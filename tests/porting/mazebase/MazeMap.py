"""lua/mazebase/MazeMap.lua (lines 8-82): the grid of item lists, empty-cell draws, reachability and the
visibility mask; `to_image` is not ported (it loads PNG sprites the repository does not ship)."""
import legonn as lg


class MazeMap:
    typename = 'MazeMap'

    def __init__(self, opts):
        self.height = opts.get('map_height') or 10
        self.width = opts.get('map_width') or 10

        self.items = {}
        for y in range(self.height):
            self.items[y] = {}
            for x in range(self.width):
                self.items[y][x] = []

        self.visibility_mask = lg.Tensor(self.height, self.width)
        self.visibility_mask.fill(1)

    def add_item(self, item):
        self.items[item.loc['y']][item.loc['x']].append(item)

    def remove_item(self, item):
        l = self.items[item.loc['y']][item.loc['x']]
        for i in range(len(l)):
            if l[i].id == item.id:
                l.pop(i)
                break

    def get_empty_loc(self, fat=None):
        fat = fat or 0
        for i in range(100):
            y = lg.random(fat, self.height - fat)
            x = lg.random(fat, self.width - fat)
            empty = True
            for e in self.items[y][x]:
                if not e.attr.get('_immaterial'):
                    empty = False
            if empty:
                return y, x
        raise RuntimeError('failed 100 times to find empty location')

    def is_loc_reachable(self, y, x):
        if y < 0 or x < 0:
            return False
        elif y > self.height - 1 or x > self.width - 1:
            return False
        l = self.items[y][x]
        is_reachable = True
        for i in range(len(l)):
            is_reachable = is_reachable and l[i].is_reachable()
        return is_reachable

    def is_loc_visible(self, y, x):
        if self.visibility_mask[y][x] == 1:
            return True
        else:
            return False
