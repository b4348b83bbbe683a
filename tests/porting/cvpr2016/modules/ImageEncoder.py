"""modules/ImageEncoder.lua: the image side of the joint embedding, a gModule that is the identity (``noop == 1``:
the precomputed GoogLeNet features are the embedding) or one Linear(input_size, hid_size)."""
from legonn import nn


def enc(input_size, hid_size, noop):
    inputs = []
    inputs.append(nn.Identity()())  # Image
    x = inputs[0]
    outputs = []

    if noop == 1:
        outputs.append(x)
    else:
        h = nn.Linear(input_size, hid_size)(x)
        outputs.append(h)
    return nn.gModule(inputs, outputs)
