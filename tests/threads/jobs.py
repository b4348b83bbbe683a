"""Module-level jobs for the pool tests: process workers import them by name."""
import os
import signal
import threading
import time

import numpy as np

import legonn as lg
from legonn import nn, optim, threads

_state = {}


def square(x):
    return x * x


def square_with_id(x):
    return x, x * x, threads.threadid()


def identify():
    return threads.threadid(), os.getpid(), threading.get_ident()


def sleep_then(x, seconds):
    time.sleep(seconds)
    return x


def fail(message):
    raise ValueError(message)


class TwoPartError(Exception):
    """Pickles, but cannot be unpickled: its ``__init__`` wants two arguments and ``args`` holds one."""

    def __init__(self, what, detail):
        super().__init__(f"{what}: {detail}")


def fail_two_part(what, detail):
    raise TwoPartError(what, detail)


def wait_for_event(event, seconds=30):
    """A job that hangs (thread backend) until the test sets ``event``; bounded so a failing test cannot hang."""
    event.wait(seconds)
    return 'released'


def mark_then_sleep(path, seconds):
    """A long job that first leaves a file, so a test knows the worker is busy in it."""
    open(path, 'w').close()
    time.sleep(seconds)


def keep_gradient_buffer(tid):
    """Init function, threadedtrain.lua's per-thread ``gupdate``: each worker's own accumulator."""
    threads.local.gupdate = np.zeros(2)
    threads.local.owner = tid


def accumulate(value):
    """Adds ``value`` to this worker's ``gupdate``; returns who ran it and the buffer so far."""
    threads.local.gupdate += value
    return threads.threadid(), threads.local.owner, threads.local.gupdate.copy()


def local_names():
    return sorted(vars(threads.local))


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def record_init(tensor, tid):
    """Init function: worker ``tid`` marks its slot of a shared tensor."""
    tensor.array[tid] += 1 + tid


def record_init_without_id(tensor):
    """Init function that takes no id (torch/threads' function() require 'torch' end): marks by threadid()."""
    tensor.array[threads.threadid()] += 10


def add_one(tensor):
    tensor.add(1)
    return tensor


def shared_zeros(n):
    return threads.share_memory(lg.zeros(n)).fill(threads.threadid() + 1)


def count_under_mutex(mutex, counter, times):
    for _ in range(times):
        with mutex:
            value = float(counter.array[0])   # read, pause, write: loses updates without the mutex
            time.sleep(0)
            counter.array[0] = value + 1
    return counter


def racy_increment(counter, times):
    """count_under_mutex's read, pause, write without a mutex: what ``threads.safe`` has to make exact."""
    for _ in range(times):
        value = float(counter.array[0])
        time.sleep(0)
        counter.array[0] = value + 1
    return counter


def wait_for_flag(mutex, condition, flag):
    mutex.lock()
    try:
        while float(flag.array[0]) == 0:
            if not condition.wait(mutex, timeout=10):
                return False
        return True
    finally:
        mutex.unlock()


# --- hogwild: logistic regression on two Gaussian blobs --------------------------------
def blobs(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 1, (n, 4)).astype(np.float32) + np.where(y[:, None] == 1, 1.5, -1.5).astype(np.float32)
    return x, y.astype(np.int64)


def classifier():
    return nn.Sequential().add(nn.Linear(4, 2)).add(nn.LogSoftMax())


def adopt_model(model, tid):
    """Init function: this worker's replica of ``model``, sharing its weights and biases (hogwild) but with
    its own gradients and buffers, so that workers running at once never write each other's outputs."""
    _state[tid] = model.clone('weight', 'bias')


def train_shard(model, x, y, steps, lr=0.2, batch=16):
    """Plain SGD without locks on ``model``'s parameters (hogwild); returns the samples seen."""
    if model is None:
        model = _state[threads.threadid()]
    params, grads = model.getParameters()
    criterion = nn.ClassNLLCriterion()
    rng = np.random.default_rng(threads.threadid())
    for _ in range(steps):
        idx = rng.integers(0, len(y), batch)
        inputs, targets = x[idx], y[idx]

        def feval(_):
            grads.zero()
            out = model.forward(inputs)
            loss = criterion.forward(out, targets)
            model.backward(inputs, criterion.backward(out, targets))
            return loss, grads

        optim.sgd(feval, params, {'learningRate': lr})
    return steps * batch


def accuracy(model, x, y):
    return float((model.forward(x).array.argmax(1) == y).mean())


def loss(model, x, y):
    return float(nn.ClassNLLCriterion().forward(model.forward(x), y))


def seed_own_stream(base, tid):
    """fb.resnet.torch's dataloader init: each worker seeds its own generator with base + its id."""
    lg.manualSeed(base + tid)


def draw_uniform(n):
    return threads.threadid(), lg.rand(n).tolist()


def set_default_type(typename):
    """deepmask's DataLoader ``main(idx)``: a worker sets its own default tensor type."""
    lg.setdefaulttensortype(typename)


def default_types():
    """What this worker builds with its default type: the type's name, a tensor's, a new module's weight's."""
    return (threads.threadid(), str(lg.getdefaulttensortype()), lg.Tensor(2).type(),
            nn.Linear(2, 1).weight.type())
