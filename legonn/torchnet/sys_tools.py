"""torchnet's ``tnt.utils.sys`` (utils/sys.lua): reading lists of names from files and folders, and
``mkdir -p``."""
import os

_IMAGE_EXTENSIONS = ('jpeg', 'jpg', 'png')


def mkdir(path):
    """Create the folder ``path`` and its parents (``mkdir -p``)."""
    os.makedirs(path, exist_ok=True)


def loadlist(path, revert=False, maxload=None):
    """The lines of the file ``path`` (at most ``maxload``) as a list, line i at index i (0-based). With
    ``revert``, a dict holding both ``index -> line`` and ``line -> index``, as torchnet's hash does."""
    lines = []
    with open(path) as f:
        for line in f:
            lines.append(line.rstrip('\n'))
            if maxload and len(lines) == maxload:
                break
    if not revert:
        return lines
    table = dict(enumerate(lines))
    table.update((line, idx) for idx, line in enumerate(lines))
    return table


def listimgfiles(path, lst=None):
    """The paths of the .jpg, .jpeg and .png files under the folder ``path`` (searched recursively, names in
    sorted order), appended to the list ``lst`` (a new list by default); other files are printed as ignored."""
    lst = [] if lst is None else lst
    for name in sorted(os.listdir(path)):
        full = f"{path}/{name}"
        if os.path.isdir(full):
            listimgfiles(full, lst)
        elif '.' in name:
            if name.rsplit('.', 1)[1].lower() in _IMAGE_EXTENSIONS:
                lst.append(full)
            else:
                print(f"ignoring <{full}>")
    return lst
