"""cudnn.torch's ``RNN:packPaddedSequence`` and ``RNN:padPackedSequence`` (cudnn/RNN.lua): the conversion
between a padded batch of sequences of different lengths and cuDNN's packed layout, in which the time steps
follow one another, each holding only the sequences still running at that step."""
from ..tensor.functions import cat


def _lengths_error(fn, lengths, why):
    return ValueError(f"cudnn.RNN.{fn}: lengths must be {why}, got {list(lengths)!r}")


def packPaddedSequence(input, lengths, batchFirst=False):
    """``input`` ``(T, B, *)`` (``(B, T, *)`` with ``batchFirst``) padded, ``lengths`` the B sequence lengths
    sorted in decreasing order (each at least 1) -> ``[packed, batchSizes]``: ``packed`` ``(sum of lengths, *)``
    holds step 0 of every sequence, then step 1 of those longer than 1, and so on; ``batchSizes[t]`` is how
    many sequences run at step t. Steps past T are not read (as the Lua)."""
    if batchFirst:
        input = input.transpose(0, 1)
    lengths = list(lengths)
    steps, bsz = input.size(0), input.size(1)
    if bsz != len(lengths):
        raise ValueError(f"cudnn.RNN.packPaddedSequence: lengths array has incorrect size (expected: {bsz} but "
                         f"found: {len(lengths)})")
    if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in lengths):
        raise _lengths_error('packPaddedSequence', lengths, 'whole numbers of at least 1')
    if any(a < b for a, b in zip(lengths, lengths[1:])):
        raise _lengths_error('packPaddedSequence', lengths, 'sorted in decreasing order')
    bszpts = [sum(n > t for n in lengths) for t in range(min(steps, lengths[0]))]
    batches = [input[t].narrow(0, 0, running) for t, running in enumerate(bszpts)]
    return [cat(batches, 0), bszpts]


def padPackedSequence(seq, batchFirst=False):
    """The inverse of ``packPaddedSequence``: ``[packed, batchSizes]`` -> ``(padded, lengths)``, the padded
    ``(T, B, *)`` tensor (``(B, T, *)`` with ``batchFirst``; zeros past each sequence's end, of ``packed``'s type)
    and the list of B lengths."""
    data, bszpts = seq
    if not bszpts or any(a < b for a, b in zip(bszpts, bszpts[1:])) or sum(bszpts) != data.size(0):
        raise ValueError(f"cudnn.RNN.padPackedSequence: the batch sizes must be a non-empty list in decreasing "
                         f"order summing to the {data.size(0)} packed rows, got {bszpts!r}")
    output = data.new().resize(len(bszpts), bszpts[0], *data.size()[1:]).zero()
    offset = 0
    for t, running in enumerate(bszpts):
        output[t].narrow(0, 0, running).copy(data.narrow(0, offset, running))
        offset += running
    lengths = [sum(running > b for running in bszpts) for b in range(bszpts[0])]
    if batchFirst:
        output = output.transpose(0, 1)
    return output, lengths


def pad_rows(xp, rows, bszpts):
    """The packed rows ``(sum of batch sizes, F)`` as a zero-padded ``(T, B, F)`` array (arrays, not tensors)."""
    padded = xp.zeros((len(bszpts), bszpts[0], rows.shape[1]), rows.dtype)
    offset = 0
    for t, running in enumerate(bszpts):
        padded[t, :running] = rows[offset:offset + running]
        offset += running
    return padded


def pack_rows(xp, padded, bszpts):
    """The inverse of ``pad_rows``: the rows of each step's running sequences, one step after the other."""
    return xp.concatenate([padded[t, :running] for t, running in enumerate(bszpts)])
