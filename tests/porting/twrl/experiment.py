"""src/experiment.lua of twitter-archive/torch-twrl (MIT licence, Twitter), ported line by line.

``require 'twrl.binding-lua.gym_http_client'`` is the in-process stand-in gym_http_client.py (see its docstring);
``gymClient.new(server)`` there takes the stand-in's seed as an extra ``opt['gymSeed']``. ``xpcall(run, errorHandle)``
is try/except printing the traceback.
"""
import importlib
import traceback

from . import PKG
from . import gym_http_client as gymClient
from .perf import perf as getPerf
from .util import utilities


def experiment(envName=None, agent=None, nSteps=None, nIterations=None, opt=None):
    util = utilities()
    opt = opt or {}
    gymHttpServer = opt.get('gymHttpServer') or 'http://127.0.0.1:5000'
    client = gymClient.new(gymHttpServer, opt.get('gymSeed', 0))
    instanceID = client.env_create(envName)
    outdir = opt.get('outdir')
    video = opt.get('video')
    force = opt.get('force')
    resume = opt.get('resume')
    renderAllSteps = opt.get('renderAllSteps')
    render = True if renderAllSteps == 'true' else False
    perf = getPerf({'nIterations': nSteps, 'windowSize': opt.get('windowSize')})

    def run():
        client.env_monitor_start(instanceID, outdir, force, resume, video)
        agentOpt = opt or {}
        agentOpt['stateSpace'] = client.env_observation_space_info(instanceID)
        agentOpt['actionSpace'] = client.env_action_space_info(instanceID)
        agentOpt['nIterations'] = nIterations
        agentOpt['model'] = agent['model']
        agentOpt['policy'] = agent['policy']
        agentOpt['learningUpdate'] = agent['learningUpdate']
        agentOpt['envDetails'] = util['getStateAndActionSpecs'](agentOpt['stateSpace'], agentOpt['actionSpace'])

        def randomActionSampler():
            return client.env_action_space_sample(instanceID)
        agentOpt['randomActionSampler'] = randomActionSampler
        agent_ = importlib.import_module(PKG + '.agent.baseAgent').getAgent(agentOpt)
        iterPerformance = {}

        for nIter in range(1, nIterations + 1):
            perf['reset']()
            state = client.env_reset(instanceID)
            action = agent_['selectAction'](client, instanceID, state)
            for i in range(1, nSteps + 1):
                nextState, reward, terminal, _ = client.env_step(instanceID, action, render)
                if i == nSteps:
                    terminal = True
                perf['addReward'](nIter, reward, terminal)
                nextAction = agent_['selectAction'](client, instanceID, nextState)
                agent_['reward']({'state': state, 'action': action, 'reward': reward, 'nextState': nextState,
                                  'nextAction': nextAction, 'terminal': terminal, 'nIter': nIter})
                # update state and action
                state = nextState
                action = nextAction
                if terminal:
                    break
            iterPerformance = perf['getSummary'](nIter)

        # Dump result info to disk and close the Gym monitor
        client.env_monitor_close(instanceID)

        if opt.get('uploadResults') == 'true':
            print('Uploading results, check server for URL')
            # Upload to the scoreboard, OPENAI_GYM_API_KEY must be set
            client.upload(outdir)
        return iterPerformance

    # protect the run call to handle errors
    def errorHandle(error):
        print('Error: Experiment was not successfully run.')
        print(error)
        print(traceback.format_exc())
        return {}
    if instanceID is not None:
        try:
            performance = run()
        except Exception as error:
            performance = errorHandle(error)
            performance = {}
    else:
        print('Error: improper configuration. There may be no Gym server started, or your experiment definition '
              'may be incomplete.')
        print('instanceID is nil')
        performance = {}
    return performance
