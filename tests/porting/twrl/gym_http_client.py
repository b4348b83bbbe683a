"""STAND-IN, not a port: src/gym-http-api/binding-lua/gym_http_client.lua (a git submodule of torch-twrl) is an HTTP
client of OpenAI's gym-http-api server. This module gives experiment.lua the same methods, answered in process by
two small environments, so no network and no Gym are needed:

* ``'CartPole-v0'``: the cart-pole balancing task (4 state numbers, 2 actions, reward 1 per step, the episode ends
  when the pole passes 12 degrees or the cart leaves +-2.4, or after 200 steps), with the classic equations of
  motion (Barto, Sutton and Anderson 1983) written here from their published form;
* ``'Reach-v0'``: a continuous task for the Box (normal policy) path: each of an episode's ``steps`` steps (5; 1
  for ``'Reach1-v0'``) shows a number s in [-1, 1], the action a in [-2, 2] is rewarded ``-(a - s)^2``.

Spaces are described as the server's JSON answers (``name``, ``n`` or ``shape``/``low``/``high``), and an instance id
is a string, as the server's. Randomness comes from a ``random.Random`` seeded by ``new(server, seed)``.
"""
import math
import random


class CartPole:
    gravity, masscart, masspole, length, force_mag, tau = 9.8, 1.0, 0.1, 0.5, 10.0, 0.02
    theta_threshold = 12 * 2 * math.pi / 360
    x_threshold = 2.4
    max_steps = 200
    observation_space = {'name': 'Box', 'shape': [4],
                         'high': [4.8, 3.4028234663852886e+38, 0.41887902047863906, 3.4028234663852886e+38],
                         'low': [-4.8, -3.4028234663852886e+38, -0.41887902047863906, -3.4028234663852886e+38]}
    action_space = {'name': 'Discrete', 'n': 2}

    def __init__(self, rng):
        self.rng = rng

    def sample_action(self):
        return self.rng.randrange(2)

    def reset(self):
        self.state = [self.rng.uniform(-0.05, 0.05) for _ in range(4)]
        self.steps = 0
        return list(self.state)

    def step(self, action):
        if action not in (0, 1):
            raise ValueError('CartPole stand-in: expected an action 0 or 1, got %r' % (action,))
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        total_mass = self.masspole + self.masscart
        polemass_length = self.masspole * self.length
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + polemass_length * theta_dot ** 2 * sintheta) / total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta ** 2 / total_mass))
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        x, x_dot = x + self.tau * x_dot, x_dot + self.tau * xacc
        theta, theta_dot = theta + self.tau * theta_dot, theta_dot + self.tau * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        self.steps += 1
        done = (abs(x) > self.x_threshold or abs(theta) > self.theta_threshold or self.steps >= self.max_steps)
        return list(self.state), 1.0, done, {}


class Reach:
    steps = 5
    observation_space = {'name': 'Box', 'shape': [1], 'high': [1.0], 'low': [-1.0]}
    action_space = {'name': 'Box', 'shape': [1], 'high': [2.0], 'low': [-2.0]}

    def __init__(self, rng):
        self.rng = rng

    def sample_action(self):
        return [self.rng.uniform(-2.0, 2.0)]

    def reset(self):
        self.state = [self.rng.uniform(-1.0, 1.0)]
        self.t = 0
        return list(self.state)

    def step(self, action):
        a = action[0] if isinstance(action, list) else action
        reward = -(a - self.state[0]) ** 2
        self.state = [self.rng.uniform(-1.0, 1.0)]
        self.t += 1
        return list(self.state), reward, self.t >= self.steps, {}


class Reach1(Reach):
    steps = 1


ENVS = {'CartPole-v0': CartPole, 'Reach-v0': Reach, 'Reach1-v0': Reach1}


class Client:
    def __init__(self, remote_base, seed=0):
        self.remote_base = remote_base
        self.rng = random.Random(seed)
        self.envs = {}
        self.monitor = {}

    def env_create(self, env_id):
        if env_id not in ENVS:
            return None                      # the server answers an error; the Lua client returns nil
        instance_id = '%08x' % len(self.envs)
        self.envs[instance_id] = ENVS[env_id](self.rng)
        return instance_id

    def env_reset(self, instance_id):
        return self.envs[instance_id].reset()

    def env_step(self, instance_id, action, render=False):
        return self.envs[instance_id].step(action)

    def env_action_space_info(self, instance_id):
        return self.envs[instance_id].action_space

    def env_observation_space_info(self, instance_id):
        return self.envs[instance_id].observation_space

    def env_action_space_sample(self, instance_id):
        return self.envs[instance_id].sample_action()

    def env_monitor_start(self, instance_id, directory, force=False, resume=False, video_callable=False):
        self.monitor[instance_id] = 'started'

    def env_monitor_close(self, instance_id):
        self.monitor[instance_id] = 'closed'

    def upload(self, training_dir, algorithm_id=None, api_key=None):
        raise RuntimeError('gym_http_client stand-in: no leaderboard to upload to')


def new(remote_base, seed=0):
    return Client(remote_base, seed)
