"""lua/mazebase/MazeAgent.lua: the agent item and its actions (ids 0-based: up, down, left, right, stop,
toggle, then breadcrumb and the pushes where the game enables them)."""
from .MazeItem import MazeItem


class MazeAgent(MazeItem):
    typename = 'MazeAgent'

    def __init__(self, attr, maze):
        attr['type'] = 'agent'
        super().__init__(attr)
        self.maze = maze
        self.map = maze.map

        self.action_names = {}  # id -> name
        self.action_ids = {}    # name -> id
        self.actions = {}       # id -> func
        self.nactions = 0
        self.add_move_actions()
        self.add_toggle_action()
        if maze.crumb_action == 1:
            self.add_breadcrumb_action()
        if maze.push_action == 1:
            self.add_push_actions()

    def clone(self):
        attr = {}
        attr['type'] = 'agent'
        attr['name'] = self.attr.get('name')
        attr['loc'] = {}
        attr['loc']['x'] = self.attr['loc']['x']
        attr['loc']['y'] = self.attr['loc']['y']
        e = type(self)(attr, self.maze)
        return e

    def change_owner(self, maze):
        self.maze = maze
        self.map = maze.map

    def add_action(self, name, f):
        if self.action_ids.get(name) is None:
            self.action_names[self.nactions] = name
            self.actions[self.nactions] = f
            self.action_ids[name] = self.nactions
            self.nactions = self.nactions + 1
        else:
            self.actions[self.action_ids[name]] = f

    def add_move_actions(self):
        def up(self):
            if self.map.is_loc_reachable(self.loc['y'] - 1, self.loc['x']):
                self.map.remove_item(self)
                self.loc['y'] = self.loc['y'] - 1
                self.map.add_item(self)
        self.add_action('up', up)

        def down(self):
            if self.map.is_loc_reachable(self.loc['y'] + 1, self.loc['x']):
                self.map.remove_item(self)
                self.loc['y'] = self.loc['y'] + 1
                self.map.add_item(self)
        self.add_action('down', down)

        def left(self):
            if self.map.is_loc_reachable(self.loc['y'], self.loc['x'] - 1):
                self.map.remove_item(self)
                self.loc['x'] = self.loc['x'] - 1
                self.map.add_item(self)
        self.add_action('left', left)

        def right(self):
            if self.map.is_loc_reachable(self.loc['y'], self.loc['x'] + 1):
                self.map.remove_item(self)
                self.loc['x'] = self.loc['x'] + 1
                self.map.add_item(self)
        self.add_action('right', right)

        def stop(self):
            pass
        self.add_action('stop', stop)

    def add_toggle_action(self):
        def toggle(self):
            l = self.map.items[self.loc['y']][self.loc['x']]
            for e in l:
                if e.type == 'switch':
                    c = e.attr['_c']
                    c = (c % e.attr['_cn']) + 1
                    e.attr['_c'] = c
                    e.attr['color'] = 'color' + str(c)
        self.add_action('toggle', toggle)

    def add_breadcrumb_action(self):
        def breadcrumb(self):
            e = {'type': 'crumb'}
            self.maze.place_item(e, self.loc['y'], self.loc['x'])
        self.add_action('breadcrumb', breadcrumb)

    def add_push_actions(self):
        def push(dy, dx):
            def f(self):
                y = self.loc['y']
                x = self.loc['x']
                if self.map.is_loc_reachable(y + 2 * dy, x + 2 * dx):
                    for j in self.map.items[y + dy][x + dx]:
                        if getattr(j, 'pushable', None):
                            j.pushed = True
                            j.agent_y = y
                            j.agent_x = x
            return f
        self.add_action('push_up', push(-1, 0))
        self.add_action('push_down', push(1, 0))
        self.add_action('push_left', push(0, -1))
        self.add_action('push_right', push(0, 1))

    def act(self, action_id):
        f = self.actions.get(action_id)
        if f is None:
            print('Available actions are: ')
            for k in self.actions:
                print(k)
            raise RuntimeError('Could not find action for action_id: ' + str(action_id))
        f(self)
