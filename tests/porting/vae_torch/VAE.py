"""VAE.lua of y0ast/VAE-Torch (MIT licence, Joost van Amersfoort), ported line by line. ``mean_logvar`` is a global
in the Lua (no ``local``); nothing reads it outside these functions, so it is a local here."""
from legonn import nn


def get_encoder(input_size, hidden_layer_size, latent_variable_size):
    # The Encoder
    encoder = nn.Sequential()
    encoder.add(nn.Linear(input_size, hidden_layer_size))
    encoder.add(nn.ReLU(True))

    mean_logvar = nn.ConcatTable()
    mean_logvar.add(nn.Linear(hidden_layer_size, latent_variable_size))
    mean_logvar.add(nn.Linear(hidden_layer_size, latent_variable_size))

    encoder.add(mean_logvar)

    return encoder


def get_decoder(input_size, hidden_layer_size, latent_variable_size, continuous):
    # The Decoder
    decoder = nn.Sequential()
    decoder.add(nn.Linear(latent_variable_size, hidden_layer_size))
    decoder.add(nn.ReLU(True))

    if continuous:
        mean_logvar = nn.ConcatTable()
        mean_logvar.add(nn.Linear(hidden_layer_size, input_size))
        mean_logvar.add(nn.Linear(hidden_layer_size, input_size))
        decoder.add(mean_logvar)
    else:
        decoder.add(nn.Linear(hidden_layer_size, input_size))
        decoder.add(nn.Sigmoid())  # nn.Sigmoid(true): Sigmoid.lua reads no argument (docs/porting.md)

    return decoder
