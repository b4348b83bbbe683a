"""util/misc.lua: misc utilities."""


def clone_list(tensor_list, zero_too=False):
    # utility function. todo: move away to some utils file?
    # takes a list of tensors and returns a list of cloned tensors
    out = []
    for k, v in enumerate(tensor_list):
        out.append(v.clone())
        if zero_too:
            out[k].zero()
    return out
