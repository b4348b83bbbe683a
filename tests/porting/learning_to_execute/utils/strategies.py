"""utils/strategies.lua: the curriculum. make_harder raises the length, then the nesting; baseline, naive, mix and
blend say which (length, nesting) the training data is drawn at; current/target_hardness for validation and test.

The Lua's globals ``params``, ``state_train``, ``state_val`` are main.lua's: ``main.params`` and so on.
``random(n)`` (torch.random, 1 .. n) is ``random(1, n + 1)`` (docs/porting.md's row on ``random(b)``).
"""
from .utils import random


def _main():
    from .. import main
    return main


def make_harder():
    main = _main()
    main.state_train['seed'] = main.state_train['seed'] + 1
    main.state_val['seed'] = main.state_val['seed'] + 1
    params = main.params
    if params['current_length'] < params['target_length']:
        params['current_length'] = params['current_length'] + 1
        return True
    else:
        if params['current_nesting'] < params['target_nesting']:
            params['current_length'] = 1
            params['current_nesting'] = params['current_nesting'] + 1
            return True
    return False


def baseline():
    params = _main().params
    return params['target_length'], params['target_nesting']


def naive():
    params = _main().params
    return params['current_length'], params['current_nesting']


def mix():
    params = _main().params
    return random(1, params['target_length'] + 1), random(1, params['target_nesting'] + 1)


def blend():
    params = _main().params
    if random(1, 6) == 1:
        return random(1, params['target_length'] + 1), random(1, params['target_nesting'] + 1)
    else:
        return params['current_length'], params['current_nesting']


def current_hardness():
    params = _main().params
    return params['current_length'], params['current_nesting']


def target_hardness():
    params = _main().params
    return params['target_length'], params['target_nesting']
