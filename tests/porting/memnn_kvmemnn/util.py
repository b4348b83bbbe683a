"""KVmemnn/library/util.lua of facebookarchive/MemNN, ported line by line: some useful utility functions.

``string.format('%g', t)`` is Python's ``%`` formatting (the same C conversions); ``os.time()`` is
``int(time.time())`` (whole seconds); ``debug.getinfo(2)`` in ``Log:verbose`` is ``sys._getframe(1)`` (Python
counts the running function as 0, Lua as 1): the function that called verbose, ``Log:info`` or ``Log:debug``
themselves, as in the Lua; ``info.short_src`` is that code's file name. ``util.Log`` is the class ``Log``
(``Log:new(name, level)`` a classmethod).
"""
import math
import re
import sys
import time

import legonn as lg


def shortFloat(t):
    if t > 100 or math.floor(t) == t:
        return '%g' % t
    else:
        return '%.4g' % t


# Log a 'message' the first 'n' times a particular piece of code
# is exectuted, indicated by the string 'code_location'.
log = {}


def log_first_n(n, code_location, message):
    if log.get('code_count') is None:
        log['code_count'] = {}
    if log['code_count'].get(code_location) is None:
        log['code_count'][code_location] = 0
    if log['code_count'][code_location] < n:
        print('[' + code_location + '|' + message + ']')
        log['code_count'][code_location] = log['code_count'][code_location] + 1


def same_tensor(y1, y2):
    if y1.dim() != y2.dim():
        return False
    if y1.size(0) != y2.size(0):
        return False
    if y1.dim() == 2:
        y1 = y1.t()[0]
        y2 = y2.t()[0]
    for i in range(y1.size(0)):
        if y1[i] != y2[i]:
            return False
    return True


def basename(str_):
    name = re.sub(r'^(.*/)(.*)$', r'\2', str_, flags=re.S)
    return name


last_log_time = None


def log_progress(curr_done, total, start_time, log_interval=None, message=None):
    global last_log_time
    now = int(time.time())
    if log_interval:
        if last_log_time is None:
            # this is first call, save the log time and move on
            last_log_time = now
            return
        elif now - last_log_time < log_interval:
            # logged recently--return to caller
            return
        else:
            # logging now, save the time first
            last_log_time = now

    frac = curr_done / total
    total_time = now - start_time
    left_time = (total_time / curr_done * (total - curr_done))

    total_hrs_dec = total_time / 60 / 60
    total_hrs_rnd = math.floor(total_hrs_dec)
    total_min_dec = (total_hrs_dec - total_hrs_rnd) * 60
    total_min_rnd = math.floor(total_min_dec)
    total_sec_dec = (total_min_dec - total_min_rnd) * 60
    total_sec_rnd = math.floor(total_sec_dec)

    left_hrs_dec = left_time / 60 / 60
    left_hrs_rnd = math.floor(left_hrs_dec)
    left_min_dec = (left_hrs_dec - left_hrs_rnd) * 60
    left_min_rnd = math.floor(left_min_dec)
    left_sec_dec = (left_min_dec - left_min_rnd) * 60
    left_sec_rnd = math.floor(left_sec_dec)

    message = message + ' ' if message else ''
    print('%sApprox. %.2f %% done. Time passed: %dh %02dm %02ds. ETA: %dh %02dm %02ds.' % (
        message,
        frac * 100,
        total_hrs_rnd,
        total_min_rnd,
        total_sec_rnd,
        left_hrs_rnd,
        left_min_rnd,
        left_sec_rnd
    ))


class Log:
    """A very simple log: Info and debug correspond to levels 0 and 1
    Messages are printed in the form: log_name:filename:line_number:message"""

    @classmethod
    def new(cls, name, level=None):
        obj = cls()
        obj.name = name
        obj.level = level or 0
        return obj

    def verbose(self, level, message, *args):
        if self.level >= level:
            info = sys._getframe(1)
            print(self.name + ':' + basename(info.f_code.co_filename) + ':' + lg.tostring(info.f_lineno) + ':'
                  + message % args)

    def info(self, message, *args):
        self.verbose(0, message, *args)

    def debug(self, message, *args):
        self.verbose(1, message, *args)
