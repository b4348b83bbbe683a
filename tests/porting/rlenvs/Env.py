"""rlenvs/Env.lua of Kaixhin/rlenvs (MIT licence), ported line by line: the base class of every environment."""
from abc import ABC, abstractmethod


class Env(ABC):
    # Denote interfaces
    @abstractmethod
    def _start(self):
        pass

    @abstractmethod
    def _step(self, action):
        pass

    @abstractmethod
    def getStateSpace(self):
        pass

    @abstractmethod
    def getActionSpace(self):
        pass

    @abstractmethod
    def getRewardSpace(self):
        pass

    def __init__(self, opts):
        # Set max number of steps per episode (default 1000)
        if opts.get('timeStepLimit') is not None and opts.get('maxSteps') is not None:
            self.maxSteps = min(opts['timeStepLimit'], opts['maxSteps'])
        elif opts.get('maxSteps') is not None:
            self.maxSteps = opts['maxSteps']
        elif opts.get('timeStepLimit') is not None:
            self.maxSteps = opts['timeStepLimit']
        else:
            self.maxSteps = 1000
        self.currentStep = 1

        self.qt = None  # nil unless render is asked for
        if opts.get('render'):
            from legonn import image  # noqa: F401  (require 'image')
            # pcall(require, 'qt') fails outside qlua, as here (no window system): the package docstring
            self.qt = False
            if not self.qt:
                print('Was not able to load qt to render, are you using qlua to run the script?')
            self.zoom = opts.get('zoom', 1)

    def step(self, action):
        reward, state, terminal = self._step(action)

        if self.currentStep == self.maxSteps:
            terminal = True
            self.currentStep = 0
        self.currentStep = self.currentStep + 1

        return reward, state, terminal

    def start(self):
        self.currentStep = 1
        state = self._start()
        return state

    def render(self):
        if self.qt and getattr(self, 'getDisplay', None) is not None:
            from legonn import image
            self.window = image.display(image=self.getDisplay(), zoom=self.zoom) \
                if getattr(self, 'window', None) is None else self.window
            image.display(image=self.getDisplay(), zoom=self.zoom, win=self.window)
