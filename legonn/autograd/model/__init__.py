"""autograd.model: standard models as ``(f, params, ...)``, ``f(params, input, ...)`` differentiable by autograd
(torch-autograd's model/)."""
from .alexnet import AlexNet
from .neural_network import NeuralNetwork
from .recurrent_fw_network import RecurrentFWNetwork
from .recurrent_gru_network import RecurrentGRUNetwork
from .recurrent_lstm_network import RecurrentLSTMNetwork
from .recurrent_network import RecurrentNetwork
from .spatial_network import SpatialNetwork

__all__ = ['AlexNet', 'NeuralNetwork', 'RecurrentFWNetwork', 'RecurrentGRUNetwork', 'RecurrentLSTMNetwork',
           'RecurrentNetwork', 'SpatialNetwork']
