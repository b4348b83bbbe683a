"""Hand-built zip archives for the loader's tests: layouts ``zipfile`` would never write (members whose bytes
overlap, foreign flags and versions), assembled from local headers, a central directory and its end record."""
import io
import struct
import zipfile
import zlib

import numpy as np

LOCAL = struct.Struct('<4s5H3L2H')
CENTRAL = struct.Struct('<4s6H3L5H2L')
END = struct.Struct('<4s4H2LH')


def npy(arr):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def npy_header(nbytes):
    """The .npy header of a 1-D uint8 array of ``nbytes`` elements (what precedes its data)."""
    whole = npy(np.zeros(nbytes, np.uint8))
    return whole[:len(whole) - nbytes]


def local_header(name, data, flags=0, version=20):
    raw = name.encode()
    crc = zlib.crc32(data)
    return LOCAL.pack(b'PK\x03\x04', version, flags, 0, 0, 0, crc, len(data), len(data), len(raw), 0) + raw


def central_entry(name, data, offset, flags=0, version=20):
    raw = name.encode()
    crc = zlib.crc32(data)
    return CENTRAL.pack(b'PK\x01\x02', 20, version, flags, 0, 0, 0, crc, len(data), len(data), len(raw), 0, 0, 0,
                        0, 0, offset) + raw


def assemble(body, entries):
    """``body`` (local headers and data) followed by a central directory of ``entries``
    ((name, data, offset, flags, version) tuples) and its end record."""
    directory = b''.join(central_entry(*entry) for entry in entries)
    end = END.pack(b'PK\x05\x06', 0, 0, len(entries), len(entries), len(directory), len(body), 0)
    return body + directory + end


def plain_zip(members, flags=0, version=20):
    """A well-laid-out zip of ``members`` ((name, data) pairs), every member with ``flags`` and ``version``."""
    body, entries = b'', []
    for name, data in members:
        entries.append((name, data, len(body), flags, version))
        body += local_header(name, data, flags, version) + data
    return assemble(body, entries)


def overlapping_chain(manifest_for, links, tail_bytes):
    """A zip whose array members nest: member k's data is an .npy header followed by member k+1's local
    header and data, so ``links`` members declare about ``links`` times the bytes the file holds.
    ``manifest_for(lengths)`` gives the manifest (bytes) naming members ``arrays/<k>.npy`` of those lengths."""
    datas, lengths = [npy(np.zeros(tail_bytes, np.uint8))], [tail_bytes]
    for k in range(links - 1, 0, -1):
        inner = local_header(f'arrays/{k}.npy', datas[0]) + datas[0]
        datas.insert(0, npy_header(len(inner)) + inner)
        lengths.insert(0, len(inner))
    manifest = manifest_for(lengths)
    body = local_header('manifest.json', manifest) + manifest
    entries = [('manifest.json', manifest, 0, 0, 20)]
    offset = len(body)
    for k, data in enumerate(datas):
        entries.append((f'arrays/{k}.npy', data, offset, 0, 20))
        # the next member's local header starts inside this one's data, right after its .npy header
        offset += len(local_header(f'arrays/{k}.npy', data)) + len(data) - lengths[k]
    body += local_header('arrays/0.npy', datas[0]) + datas[0]
    return assemble(body, entries)


def rezip_manifest(original, manifest):
    """The archive ``original`` with its manifest replaced by ``manifest`` (bytes), CRCs and offsets right."""
    with zipfile.ZipFile(io.BytesIO(original)) as zf:
        members = [(name, zf.read(name)) for name in zf.namelist() if name != 'manifest.json']
    return plain_zip([('manifest.json', manifest)] + members)
