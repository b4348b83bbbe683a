"""legonn.pl.file: file.lua's names for utils', dir's and path's functions, and delete (os.remove)."""
import os

from legonn.pl import file as plfile


def test_read_write_copy_move_delete(tmp_path):
    """file.lua: read/write (utils.readfile/writefile), copy/move (dir.copyfile/movefile), size and times
    (path's), delete (os.remove: nil, message, errno on failure)."""
    a, b, c = (str(tmp_path / n) for n in ('a.txt', 'b.txt', 'c.txt'))
    assert plfile.write(a, 'hello') is True and plfile.read(a) == 'hello' and plfile.size(a) == 5
    assert plfile.modified_time(a) == int(os.stat(a).st_mtime)
    assert plfile.copy(a, b) is True and plfile.read(b) == 'hello'
    assert plfile.move(b, c) is True and not os.path.exists(b)
    assert plfile.delete(c) is True
    failed = plfile.delete(c)
    assert not failed and failed[1] == f"{c}: No such file or directory" and failed[2] == 2
