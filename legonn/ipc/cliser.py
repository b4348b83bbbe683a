"""torch-ipc's client/server: ``ipc.server(host, port)`` listens, ``ipc.client(host, port)`` connects, and
either end sends and receives Lua-style values (numbers, strings, booleans, None, lists, dicts), tensors
and storages over a localhost (or any TCP) socket.

One message is a kind byte, an 8-byte length and the payload: a tensor's or storage's raw elements after
its type and sizes (so ``recv(t)`` fills ``t`` in place, checking its dimensions as torch-ipc's cliser.c
does), anything else in legonn's serialization format (which never runs code when read). Every wait (a
connect, ``clients(n, ...)``, a receive) gives up after ``legonn.ipc.DEFAULT_TIMEOUT`` seconds (torch-ipc's
DEFAULT_TIMEOUT_SECONDS; it waits for a message forever) with a TimeoutError saying what it waited for.
"""
import selectors
import socket
import struct
import time

import numpy as np

from legonn import ipc
from legonn.serialization import deserialize, serialize
from legonn.tensor import Storage, Tensor, backend, from_numpy
from legonn.tensor import storage as storages
from legonn.tensor.naming import TorchNamed

DEFAULT_HOST = '127.0.0.1'
CONNECT_RETRY_S = 0.05   # torch-ipc retries a refused connect every second until its timeout

HEADER = struct.Struct('<cQ')
TENSOR, STORAGE, VALUE = b'T', b'S', b'V'


def _encode(value):
    """The message bytes of ``value``."""
    if isinstance(value, (Tensor, Storage)):
        kind = TENSOR if isinstance(value, Tensor) else STORAGE
        array = value.array if kind == TENSOR else value.data
        host = np.ascontiguousarray(backend.to_module(array, np))
        typename = value.type() if kind == TENSOR else type(value).__name__
        meta = f'{typename};{host.dtype.str};{",".join(map(str, host.shape))}'.encode()
        payload = struct.pack('<H', len(meta)) + meta + host.tobytes()
    else:
        kind, payload = VALUE, serialize(value)
    return HEADER.pack(kind, len(payload)) + payload


def _decode_array(payload):
    """(type name, host array) of a tensor or storage message."""
    (n,) = struct.unpack_from('<H', payload)
    typename, dtype, shape = payload[2:2 + n].decode().split(';')
    sizes = tuple(int(s) for s in shape.split(',')) if shape else ()
    return typename, np.frombuffer(payload, dtype=np.dtype(dtype), offset=2 + n).reshape(sizes).copy()


def _sizes_text(sizes):
    return 'x'.join(map(str, sizes)) or 'no dimension'


class Connection(TorchNamed):
    """One end of a socket: ``send(value)``, ``recv([destination])``, ``recvAsync()``, ``close()``."""

    def __init__(self, sock, what):
        self.sock, self.what = sock, what
        self.sock.settimeout(ipc.DEFAULT_TIMEOUT)
        self.stats = {'tx': {'bytes': 0, 'calls': 0, 'seconds': 0.0}, 'rx': {'bytes': 0, 'calls': 0, 'seconds': 0.0}}

    def _count(self, way, nbytes, t0):
        entry = self.stats[way]
        entry['bytes'] += nbytes
        entry['calls'] += 1
        entry['seconds'] += time.perf_counter() - t0

    def _check_open(self, verb):
        if self.sock is None:
            raise ValueError(f"legonn.ipc.{self.what}: cannot {verb} on a closed connection")

    def send(self, value):
        """Send ``value`` (a tensor or storage as its raw elements, anything else serialized)."""
        self._check_open('send')
        t0 = time.perf_counter()
        data = _encode(value)
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise TimeoutError(f"legonn.ipc.{self.what}.send: the peer took no data for {ipc.DEFAULT_TIMEOUT} s")
        self._count('tx', len(data), t0)

    def _read(self, n):
        buf = bytearray(n)
        view, got = memoryview(buf), 0
        while got < n:
            try:
                k = self.sock.recv_into(view[got:])
            except TimeoutError:
                raise TimeoutError(f"legonn.ipc.{self.what}.recv: no message within {ipc.DEFAULT_TIMEOUT} s") from None
            if k == 0:
                raise ConnectionError(f"legonn.ipc.{self.what}.recv: the peer closed the connection")
            got += k
        return bytes(buf)

    def recv(self, destination=None):
        """The next message. A tensor message is written into ``destination`` (a tensor of the same sizes, or
        a storage of the same size, as torch-ipc's ``recv(t)``) when one is given and returned; without one a
        new tensor or storage of the sender's type comes back."""
        self._check_open('recv')
        t0 = time.perf_counter()
        kind, length = HEADER.unpack(self._read(HEADER.size))
        payload = self._read(length)
        self._count('rx', HEADER.size + length, t0)
        if kind == VALUE:
            return deserialize(payload)
        typename, host = _decode_array(payload)
        if destination is None:
            if kind == STORAGE:
                cls = getattr(storages, typename)
                return cls(backend.to_module(host, backend.cupy()) if 'Cuda' in typename else host)
            return from_numpy(host).type(typename)
        return self._fill(destination, kind, host)

    def _fill(self, destination, kind, host):
        where = f"legonn.ipc.{self.what}.recv"
        if isinstance(destination, Storage):
            if kind != STORAGE or host.size != destination.size():
                raise ValueError(f"{where}: expected a storage of {destination.size()} elements, got "
                                 f"{'a storage of ' + str(host.size) if kind == STORAGE else 'a tensor'}")
            destination.data[...] = backend.to_module(host, backend.array_module(destination.data))
            return destination
        if not isinstance(destination, Tensor):
            raise TypeError(f"{where}: expected a tensor or storage to receive into, got {type(destination).__name__}")
        if kind != TENSOR or tuple(destination.size()) != host.shape:
            got = f'a tensor of sizes {_sizes_text(host.shape)}' if kind == TENSOR else 'a storage'
            raise ValueError(f"{where}: expected a tensor of sizes {_sizes_text(destination.size())}, got {got}")
        destination.copy(from_numpy(host))
        return destination

    def recvAsync(self):
        """The next message if one has begun to arrive, else None at once."""
        self._check_open('recvAsync')
        with selectors.DefaultSelector() as sel:
            sel.register(self.sock, selectors.EVENT_READ)
            if not sel.select(0):
                return None
        return self.recv()

    def netStats(self):
        """Bytes, calls and seconds sent (``tx``) and received (``rx``)."""
        return {way: dict(entry) for way, entry in self.stats.items()}

    def close(self):
        """Close the socket (again is harmless)."""
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __del__(self):
        # torch-ipc's __gc closes what Lua code never closed (ipc.Tree's own sockets)
        self.close()


class ServerClient(Connection):
    """A client as its server sees it: a Connection with an ``id`` (orders ``clients``) and a ``tag``."""

    def __init__(self, server, sock):
        super().__init__(sock, 'server.client')
        self.server, self._id, self._tag = server, 0, None

    def id(self, value=None):
        """Set the id when given; returns it."""
        if value is not None:
            self._id = value
        return self._id

    def tag(self, value=None):
        """Set the tag when given; returns it."""
        if value is not None:
            self._tag = value
        return self._tag

    def close(self):
        if self.sock is not None and self in self.server._clients:
            self.server._clients.remove(self)
        super().close()


class Server(TorchNamed):
    """A listening socket and the clients it accepted (torch-ipc's ``ipc.server``)."""

    def __init__(self, host=None, port=None):
        self.host, self._clients = host or DEFAULT_HOST, []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.sock.bind((self.host, int(port or 0)))
            self.sock.listen(1024)
        except OSError as err:
            self.close()
            raise OSError(err.errno, f"legonn.ipc.server: cannot listen on {self.host}:{port or 0}: "
                                     f"{err.strerror}") from err
        self.port = self.sock.getsockname()[1]

    def _accept(self, n):
        deadline = time.monotonic() + ipc.DEFAULT_TIMEOUT
        while len(self._clients) < n:
            left = deadline - time.monotonic()
            self.sock.settimeout(max(left, 0))
            try:
                sock, _ = self.sock.accept()
            except TimeoutError:
                raise TimeoutError(f"legonn.ipc.server.clients: {len(self._clients)} of {n} clients connected "
                                   f"within {ipc.DEFAULT_TIMEOUT} s") from None
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._clients.append(ServerClient(self, sock))

    def clients(self, *args):
        """``clients(n, fn)``: wait until ``n`` clients are connected, then call ``fn(client)`` on each;
        ``clients(fn, [tag], [invert])``: call it on each connected client (with that tag), in ascending id
        order, descending when ``invert`` is true (1). Returns how many were called."""
        if args and callable(args[0]):
            fn, rest = args[0], list(args[1:])
            tag = rest.pop(0) if rest and isinstance(rest[0], str) else None
            invert = bool(rest[0]) if rest else False
        else:
            if len(args) != 2 or not isinstance(args[0], int) or not callable(args[1]):
                raise TypeError("legonn.ipc.server.clients: expected (n, fn) or (fn, [tag], [invert]), got "
                                f"({', '.join(type(a).__name__ for a in args)})")
            n, fn = args
            tag, invert = None, False
            self._accept(n)
        chosen = [c for c in self._clients if tag is None or c.tag() == tag]
        chosen.sort(key=lambda c: c.id(), reverse=invert)
        for client in chosen:
            fn(client)
        return len(chosen)

    def broadcast(self, value, tag=None):
        """Send ``value`` to every client (with ``tag``), in ascending id order."""
        for client in sorted(self._clients, key=lambda c: c.id()):
            if tag is None or client.tag() == tag:
                client.send(value)

    def recvAny(self, tag=None):
        """The first message any client (with ``tag``) sends, and that client."""
        chosen = [c for c in self._clients if tag is None or c.tag() == tag]
        if not chosen:
            raise ValueError("legonn.ipc.server.recvAny: no client connected" + (f" with tag {tag!r}" if tag else ''))
        with selectors.DefaultSelector() as sel:
            for client in chosen:
                sel.register(client.sock, selectors.EVENT_READ, client)
            ready = sel.select(ipc.DEFAULT_TIMEOUT)
        if not ready:
            raise TimeoutError(f"legonn.ipc.server.recvAny: no client sent within {ipc.DEFAULT_TIMEOUT} s")
        client = ready[0][0].data
        return client.recv(), client

    def netStats(self):
        """Bytes, calls and seconds over every connected client."""
        total = {way: {'bytes': 0, 'calls': 0, 'seconds': 0.0} for way in ('tx', 'rx')}
        for client in self._clients:
            for way, entry in client.stats.items():
                for key, v in entry.items():
                    total[way][key] += v
        return total

    def close(self):
        """Close every client's connection and the listening socket (again is harmless)."""
        for client in list(self._clients):
            client.close()
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def __del__(self):
        self.close()


def server(host=None, port=None):
    """Listen on ``host`` (default 127.0.0.1) and ``port`` (default: a free one); returns ``(server, port)``
    (Lua's two results)."""
    s = Server(host, port)
    return s, s.port


def client(host_or_port=None, port=None):
    """Connect to ``host, port`` (or ``port`` on 127.0.0.1), retrying a refused connect until the server
    listens or ``DEFAULT_TIMEOUT`` passes (torch-ipc's testSlowStart). Returns the Connection."""
    if isinstance(host_or_port, str) and port is not None:
        host = host_or_port
    else:
        host, port = DEFAULT_HOST, host_or_port
    deadline = time.monotonic() + ipc.DEFAULT_TIMEOUT
    while True:
        try:
            sock = socket.create_connection((host, int(port)), timeout=ipc.DEFAULT_TIMEOUT)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"legonn.ipc.client: nothing listened on {host}:{port} within "
                                   f"{ipc.DEFAULT_TIMEOUT} s") from None
            time.sleep(CONNECT_RETRY_S)
        except OSError as err:
            raise OSError(err.errno, f"legonn.ipc.client: cannot connect to {host}:{port}: {err.strerror}") from err
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Connection(sock, 'client')
