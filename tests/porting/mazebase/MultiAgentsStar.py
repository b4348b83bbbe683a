"""lua/mazebase/MultiAgentsStar.lua: agents with health and a cooldown shoot StarEnemies (an action per enemy);
enemies shoot back; a dead agent pays costs.killed once; success is any agent alive with every enemy dead."""
import legonn as lg

from . import shooting_utils as su
from .MazeBase import MazeBase
from .StarEnemy import StarEnemy


class MultiAgentsStar(MazeBase):
    typename = 'MultiAgentsStar'

    def __init__(self, opts, vocab):
        super().__init__(opts, vocab)
        self.agent_range = opts.get('agent_range')
        self.enemy_range = opts.get('enemy_range')
        self.restrict_actions = True
        self.enemy_speed = opts.get('enemy_speed') or 1
        if opts.get('restrict_actions') == 0:
            self.restrict_actions = False
        self.max_possible_enemies = 5
        self.eno = lg.randperm(self.max_possible_enemies)
        self.nenemy = opts['nenemy']
        for i in range(self.nenemy):
            enemy = self.place_item_rand({'_factory': StarEnemy, 'name': 'enemy' + str(self.eno[i] + 1)})
            enemy.action_noise = opts['enemy_action_noise']
            enemy.health = opts['enemy_health']  # starting health. each hit from agent decreases by 1
            enemy.killed = False  # alive/dead
            enemy.pMiss = opts['enemy_pMiss']  # change of shoot & miss
            enemy.cooldown = 0  # current cooldown
            enemy.cooldown_max = opts['enemy_cooldown_max']  # value after firing gun
            enemy.range = opts.get('enemy_range')
            enemy.speed = opts.get('enemy_speed') or 1
        self.add_default_items()
        for agent in self.agents:
            agent.pMiss = opts['agent_pMiss']  # miss probability when shooting
            agent.cooldown = 0  # current cooldown
            agent.cooldown_max = opts['agent_cooldown_max']  # cooldown after shooting gun
            agent.health = opts['agent_health']  # starting health
            agent.killed = False  # alive to start with
        if opts.get('cover_map') == 1:
            self.cover_map = lg.zeros(self.map.height, self.map.width)
            bks = self.items_bytype.get('block')
            if bks:
                for j in bks:
                    self.cover_map[j.loc['y']][j.loc['x']] = 1
        self.update_text()
        self.add_shoot_action()

    def add_shoot_action(self):
        for agent in self.agents:
            for i in range(self.nenemy):
                eid = self.eno[i] + 1
                enemyName = 'enemy' + str(eid)
                agent.add_action('shoot_enemy' + str(eid), su.build_shoot_action(enemyName))
            if not self.restrict_actions:
                for i in range(self.nenemy, self.max_possible_enemies):
                    enemyName = 'enemy' + str(self.eno[i] + 1)
                    agent.add_action('shoot_enemy' + str(self.eno[i] + 1), lambda *_: None)

    def update(self):
        self.map.enemy_shots_d = None
        if getattr(self.map, 'enemy_shots', None):
            self.map.enemy_shots_d = {}
            for s in range(len(self.map.enemy_shots)):
                self.map.enemy_shots_d[s] = self.map.enemy_shots[s]
        self.map.agent_shots_d = None
        if getattr(self.map, 'agent_shots', None):
            self.map.agent_shots_d = {}
            for s in range(len(self.map.agent_shots)):
                self.map.agent_shots_d[s] = self.map.agent_shots[s]
        self.map.enemy_shots = None
        self.map.agent_shots = None
        super().update()
        self.enemies_alive = 0
        for enemy in self.items_bytype['StarEnemy']:
            if not enemy.killed:
                self.enemies_alive = self.enemies_alive + 1
        self.agents_alive = 0
        for agent in self.agents:
            if not agent.killed:
                if agent.health == 0:
                    agent.killed = True
                    agent.finished = True
                    agent.attr['_invisible'] = True
                else:
                    agent.cooldown = max(agent.cooldown - 1, 0)
                    if self.enemies_alive == 0:
                        agent.finished = True
                    self.agents_alive = self.agents_alive + 1
        self.update_text()

    def update_text(self):
        for agent in self.agents:
            agent.attr['health'] = 'health' + str(agent.health)
            agent.attr['cooldown'] = 'cooldown' + str(agent.cooldown)
        for enemy in self.items_bytype['StarEnemy']:
            enemy.attr['health'] = 'health' + str(enemy.health)
            enemy.attr['cooldown'] = 'cooldown' + str(enemy.cooldown)

    def get_reward(self, is_last=None):
        if self.agent.killed:
            if not getattr(self.agent, 'killed_cost_paid', None):
                self.agent.killed_cost_paid = True  # pay once
                return -self.costs['killed']
            else:
                return 0
        else:
            return super().get_reward(is_last)

    def is_active(self):
        if getattr(self.agent, 'finished', None):
            return False
        else:
            return True

    def is_success(self):
        if self.agents_alive > 0 and self.enemies_alive == 0:
            return True
        else:
            return False
