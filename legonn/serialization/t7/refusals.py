"""The one refusal ``save_lua``'s per-class writers (nn_objects, criterions, wrappers) raise."""


def refuse(where, what):
    """A TypeError for a module whose state Torch7's class cannot hold, naming where it is in the saved object."""
    raise TypeError(f"legonn.save_lua: {where} {what}; lg.save keeps it")
