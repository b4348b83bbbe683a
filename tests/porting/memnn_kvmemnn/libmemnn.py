"""KVmemnn/library/c/*.c (compiled by setup.sh into ``libmemnn.so``, which the Lua modules ``ffi.load``): the C
functions the Lua calls, pe_transform.c, sum_vecarr.c, wlts.c and data.c, translated into Python line by line.

Each takes what the Lua passes: ``torch.data(t)`` (``lg.data(t)``, a 1-D NumPy view of the storage from the
tensor's first element, written through as the C writes through its pointer) and plain numbers. Not the C's
edits: dictionary indices are 0-based in the port (docs/porting.md's index rules), so wlts.c's ``word = (int)
input[i] - 1`` and ``inputWeights[i] - 1`` are ``int(input[i])`` and ``inputWeights[i]``; and where the C
declares ``float*`` these take a float64 view as well (LuaJIT refuses a ``double*`` there, so in Torch7
PositionalEncoder and WeightedLookupTableSkinny run on FloatTensors only; the port's float64 gradient checks use
that). The C's ``double sum[dim]`` accumulators are Python floats (doubles), as in the C.
"""
import math

import numpy as np


# pe_transform.c
def pe_transform(d, size, input, len, result):
    offset = 0
    for s in range(size):
        j = 0
        while j < len[s]:
            frac = float(j + 1) / len[s]
            add = offset + j * d
            for k in range(d):
                coeff = (1 - frac) - float(k + 1) / d * (1 - 2.0 * frac)
                result[add + k] = input[add + k] * coeff
            j += 1
        offset += j * d


# sum_vecarr.c: sum_doubles and sum_floats are the same loop on two C types
def _sum(data, len, size, dim, result):
    sum_ = [0.0] * dim
    offset = 0
    # break out small cases--not looping over d is much faster for low dims
    if dim == 1:
        for s in range(size):
            sum_[0] = 0.0
            i = 0
            while i < len[s]:
                sum_[0] += float(data[offset + i])
                i += 1
            offset += i
            result[s] = sum_[0]
    elif dim == 2:
        for s in range(size):
            sum_[0] = 0.0
            sum_[1] = 0.0
            i = 0
            while i < int(len[s]) << 1:
                add = offset + i
                sum_[0] += float(data[add])
                sum_[1] += float(data[add + 1])
                i += 2
            offset += i
            mult = s << 1
            result[mult] = sum_[0]
            result[mult + 1] = sum_[1]
    else:
        for s in range(size):
            for d in range(dim):
                sum_[d] = 0.0
            i = 0
            while i < len[s] * dim:
                add = offset + i
                sum_[0] += float(data[add])
                for d in range(1, dim):
                    sum_[d] += float(data[add + d])
                i += dim
            offset += i
            mult = s * dim
            result[mult] = sum_[0]
            for d in range(1, dim):
                result[mult + d] = sum_[d]


def sum_doubles(data, len, size, dim, result):
    """Calculates the sum of each example in data, with lengths specified by len."""
    _sum(data, len, size, dim, result)


def sum_floats(data, len, size, dim, result):
    """Calculates the sum of each example in data, with lengths specified by len."""
    _sum(data, len, size, dim, result)


# grad_doubles and grad_floats: the same loop on two C types
def _grad(gradOutput, len, outputSize, dim, gradInput):
    i = 0
    offset = 0
    # break out small cases--not looping over d is much faster for low dims
    if dim == 1:
        for o in range(outputSize):
            while i < offset + len[o]:
                gradInput[i] = gradOutput[o]
                i += 1
            offset = i
    elif dim == 2:
        for o in range(outputSize):
            while i < offset + len[o] * 2:
                mult = o * 2
                gradInput[i] = gradOutput[mult]
                gradInput[i + 1] = gradOutput[mult + 1]
                i += 2
            offset = i
    else:
        for o in range(outputSize):
            while i < offset + len[o] * dim:
                mult = o * dim
                gradInput[i] = gradOutput[mult]
                for d in range(1, dim):
                    gradInput[i + d] = gradOutput[mult + d]
                i += dim
            offset = i


def grad_doubles(gradOutput, len, outputSize, dim, gradInput):
    """For each entry gradoutput[o], copy it len[o] times into gradinput."""
    _grad(gradOutput, len, outputSize, dim, gradInput)


def grad_floats(gradOutput, len, outputSize, dim, gradInput):
    """For each entry gradoutput[o], copy it len[o] times into gradinput."""
    _grad(gradOutput, len, outputSize, dim, gradInput)


# wlts.c
def wlts_updateOutput(dims, sizes, input_dim, input, weight, output):
    size = int(sizes[0])
    data_len = 1
    for d in range(1, dims):
        data_len *= int(sizes[d])
    if input_dim == 2:
        # normal setting: input = (word_index, weight) pairs
        for i in range(size):
            i2 = i << 1
            word = int(input[i2])
            coeff = input[i2 + 1]
            out_off = i * data_len
            wgt_off = word * data_len
            for j in range(data_len):
                output[out_off + j] = weight[wgt_off + j] * coeff
    else:
        # no weight for each word_index
        for i in range(size):
            word = int(input[i])
            out_off = i * data_len
            wgt_off = word * data_len
            for j in range(data_len):
                output[out_off + j] = weight[wgt_off + j]


def wlts_accGradParameters(scale, size, dims, sizes, input_dim, inputs, input, gradOutput, gradWeight,
                           inputWeights):
    gradWeight_size = int(sizes[0])
    data_len = 1
    for d in range(1, dims):
        data_len *= int(sizes[d])
    for i in range(size):
        i_dim = i * input_dim
        k = int(input[i_dim])
        if inputs[0] < gradWeight_size:
            ind_off = int(inputs[0])
            index = ind_off + 1
            inputs[0] = index
            inputWeights[ind_off] = k
            grd_wgt_off = ind_off * data_len
            grd_out_off = i * data_len
            if input_dim == 2:
                # normal setting: input = (word_index, weight) pairs
                coeff = scale * input[i_dim + 1]
            else:
                # no weight for each word_index
                coeff = scale
            for j in range(data_len):
                gradWeight[grd_wgt_off + j] = coeff * gradOutput[grd_out_off + j]
        else:
            # break and request resize
            return 1
    # return success
    return 0


def wlts_accUpdateGradParameters(lr, size, dims, sizes, input_dim, input, gradOutput, weight):
    data_len = 1
    for d in range(1, dims):
        data_len *= int(sizes[d])
    for i in range(size):
        if input_dim == 2:
            # normal setting: input = (word_index, weight) pairs
            i2 = i << 1
            word = int(input[i2])
            coeff = lr * input[i2 + 1]
        else:
            # no weight for each word_index
            word = int(input[i])
            coeff = lr
        grd_off = i * data_len
        wgt_off = word * data_len
        for j in range(data_len):
            weight[wgt_off + j] -= coeff * gradOutput[grd_off + j]


def wlts_updateParameters(lr, inputs, dims, sizes, weight, gradWeight, inputWeights):
    data_len = 1
    for d in range(1, dims):
        data_len *= int(sizes[d])
    for i in range(int(inputs)):
        word = int(inputWeights[i])
        word_off = word * data_len
        grd_wgt_off = i * data_len
        for j in range(data_len):
            weight[word_off + j] -= lr * gradWeight[grd_wgt_off + j]


# data.c (data.lua's ffi.load): 0-based dictionary indices, so ``freqs[ind - 1]`` is ``freqs[ind]``
def addTFIDF(inp, out, size, tfpow, freqs):
    sum_ = 0.0
    for i in range(size):
        i2 = i << 1
        ind = int(inp[i])
        out[i2] = ind
        freq = float(np.float32(freqs[ind]))   # C: float freq
        power = float(np.float32(1 / math.pow(freq + 10, tfpow))) if tfpow > 0 else 1.0
        out[i2 + 1] = power
        sum_ += power * power
    norm = float(np.float32(math.sqrt(sum_)))
    if norm > 0.00001:
        for i in range(1, size << 1, 2):
            out[i] /= norm


def resolveMinOcc(dim, dictMinOcc, sizes, x, index_to_freq):
    size = int(sizes[0])
    data_len = 1
    for d in range(1, dim):
        data_len *= int(sizes[d])
    for i in range(0, size * data_len, data_len):
        word = int(x[i])   # C: (int) x[i] - 1
        if index_to_freq[word] < dictMinOcc:
            x[i] = 2   # C: 3, the 1-based UNK symbol
