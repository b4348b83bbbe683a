"""models/skip_noise_4.lua of DmitryUlyanov/online-neural-doodle, ported line by line as ``model()`` (the Lua file's
body, which ``require`` runs and whose return value is the model): an encoder-decoder of five levels with skip
connections and noise planes, fed by NoiseFill. It reads the globals ``params``, ``n_colors`` and
``net_input_depth`` (set here by feedforward_neural_doodle) and ``conv``/``bn`` of src/utils."""
from legonn import nn

from ..src.utils import GenNoise, NoiseFill, bn, conv

params = None
n_colors = None
net_input_depth = None


def model():
    global deeper_main, k
    # Decoder-encoder like model with skip-connections
    # and additional noise inputs.

    nums_3x3down = [4, 4, 4, 4, 4]
    nums_1x1 = [4, 4, 4, 4, 4]
    nums_noise = [16, 16, 16, 16, 16]
    nums_3x3up = [16, 32, 64, 128, 128]

    def act():
        return nn.LeakyReLU(None, True)

    model = nn.Sequential().add(NoiseFill(params['num_noise_channels'], params['num_mask_noise_times'], n_colors))
    model_tmp = model

    input_depth = net_input_depth
    for i in range(len(nums_3x3down)):

        deeper = nn.Sequential()
        skip = nn.Sequential()
        skip_part = nn.Sequential()

        model_tmp.add(nn.Concat(1).add(skip).add(deeper))

        skip_part.add(conv(input_depth, nums_1x1[i], 1))

        skip.add(nn.Concat(1).add(GenNoise(nums_noise[i])).add(skip_part))

        deeper.add(conv(input_depth, nums_3x3down[i], 3, 2))
        deeper.add(bn(nums_3x3down[i]))
        deeper.add(act())

        deeper.add(conv(nums_3x3down[i], nums_3x3down[i], 3))
        deeper.add(bn(nums_3x3down[i]))
        deeper.add(act())

        deeper_main = nn.Sequential()

        # k = nil
        if i == len(nums_3x3down) - 1:
            k = nums_3x3down[i]
        else:
            deeper.add(deeper_main)
            k = nums_3x3up[i + 1]

        deeper.add(nn.SpatialUpSamplingNearest(2))

        deeper.add(bn(k))
        skip_part.add(bn(nums_1x1[i]))

        model_tmp.add(conv(nums_1x1[i] + k + nums_noise[i], nums_3x3up[i], 3))
        model_tmp.add(bn(nums_3x3up[i]))
        model_tmp.add(act())

        model_tmp.add(conv(nums_3x3up[i], nums_3x3up[i], 1))
        model_tmp.add(bn(nums_3x3up[i]))
        model_tmp.add(act())

        input_depth = nums_3x3down[i]
        model_tmp = deeper_main
    model.add(conv(nums_3x3up[0], 3, 1, 1))

    return model
