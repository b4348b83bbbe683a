"""engines/fboptimengine.lua: ``tnt.FBOptimEngine``, torchnet's SGDEngine loop stepping each module's
parameters with its own optim state through nn.Optim (engines/Optim.lua, fbnn's: ``fbnn.Optim`` here)."""
import legonn as lg
from legonn import torchnet as tnt
from legonn import fbnn
from legonn.torchnet.engines import State


class FBOptimEngine(tnt.SGDEngine):

    def __init__(self):
        super().__init__()

    def train(self, network, criterion, iterator, maxepoch=1000, optimMethod=None, config=None):
        state = State(
            network=network,
            criterion=criterion,
            iterator=iterator,
            maxepoch=maxepoch,
            optimMethod=optimMethod,
            optimizer=fbnn.Optim(network, config),
            config=config,
            sample={},
            epoch=0,  # epoch done so far
            t=0,  # samples seen so far
            training=True,
        )

        self.hooks("onStart", state)
        while state.epoch < state.maxepoch:
            state.network.training()

            self.hooks("onStartEpoch", state)
            for sample in state.iterator():
                state.sample = sample
                self.hooks("onSample", state)

                state.network.forward(sample.input)
                self.hooks("onForward", state)
                state.criterion.forward(state.network.output, sample.target)
                self.hooks("onForwardCriterion", state)

                state.network.zeroGradParameters()
                if getattr(state.criterion, 'zeroGradParameters', None):
                    state.criterion.zeroGradParameters()

                state.criterion.backward(state.network.output, sample.target)
                self.hooks("onBackwardCriterion", state)
                state.network.backward(sample.input, state.criterion.gradInput)
                self.hooks("onBackward", state)

                state.optimizer.updateParameters(state.optimMethod, criterion.output)
                state.t = state.t + 1
                self.hooks("onUpdate", state)
            state.epoch = state.epoch + 1
            self.hooks("onEndEpoch", state)
        self.hooks("onEnd", state)


lg.register(FBOptimEngine, 'tnt.FBOptimEngine')
