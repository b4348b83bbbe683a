"""torch7/doc/timer.md's example and the Timer methods it documents, ported by docs/porting.md's Timer row
(``timer.time()['real']``)."""
import math
import time

import legonn as lg


def test_timer_measures_a_loop():
    """timer.md's example: the timer counts from its construction; ``timer:time()`` has real, user and sys."""
    timer = lg.Timer()
    x = 0
    for _ in range(20000):
        x = x + math.sin(x)
    elapsed = timer.time()
    assert set(elapsed) == {'real', 'user', 'sys'}
    assert elapsed['real'] > 0 and elapsed['user'] >= 0 and elapsed['sys'] >= 0
    message = 'Time elapsed for 1,000,000 sin: ' + str(timer.time()['real']) + ' seconds'
    assert message.startswith('Time elapsed')


def test_stop_resume_and_reset():
    """"stop()" keeps the time counted, "resume()" adds to it, "reset()" sets it to 0 and a stopped timer stays
    stopped; each returns self."""
    timer = lg.Timer()
    time.sleep(0.02)
    assert timer.stop() is timer
    stopped = timer.time()['real']
    time.sleep(0.02)
    assert timer.time()['real'] == stopped >= 0.02
    assert timer.resume() is timer
    time.sleep(0.02)
    assert timer.time()['real'] >= stopped + 0.02
    timer.stop()
    assert timer.reset() is timer and timer.time()['real'] == 0
    time.sleep(0.01)
    assert timer.time()['real'] == 0                          # reset keeps a stopped timer stopped
    timer.resume()
    time.sleep(0.05)
    before = timer.time()['real']
    timer.reset()
    assert timer.time()['real'] < before                      # a running timer restarts from now
