"""lib/minibatch_sgd.lua: one epoch of optim.sgd over shuffled minibatches (CudaTensors) of the one-hot
targets, the criterion applied image by image, a ConfusionMatrix of the predictions returned. The last
incomplete batch is skipped, as the Lua's ``break`` does. ``xlua.progress`` takes the 0-based index;
``collectgarbage`` calls are dropped (docs/porting.md); ``config or {}`` tests for nil (``is None``: an empty
dict is false in Python, an empty table true in Lua)."""
import legonn as lg
from legonn import optim, xlua


def minibatch_sgd(model, criterion,
                  train_x, train_y,
                  classes, config=None):
    parameters, gradParameters = model.getParameters()
    confusion = optim.ConfusionMatrix(classes)
    config = config if config is not None else {}
    batch_size = config.get('xBatchSize') or 12
    shuffle = lg.randperm(train_x.size(0))
    c = 1
    inputs = lg.CudaTensor(batch_size,
                           train_x.size(1),
                           train_x.size(2),
                           train_x.size(3))
    targets = lg.CudaTensor(batch_size,
                            train_y.size(1))
    for t in range(0, train_x.size(0), batch_size):
        if t + batch_size > train_x.size(0):
            break
        xlua.progress(t, train_x.size(0))
        for i in range(batch_size):
            inputs[i].copy(train_x[shuffle[t + i]])
            targets[i].copy(train_y[shuffle[t + i]])

        def feval(x):
            if x is not parameters:
                parameters.copy(x)
            gradParameters.zero()
            f = 0
            output = model.forward(inputs)
            df_do = lg.Tensor(output.size(0), targets.size(1))
            for k in range(output.size(0)):
                err = criterion.forward(output[k], targets[k])
                f = f + err
                df_do[k].copy(criterion.backward(output[k], targets[k]))
                confusion.add(output[k], targets[k])
            model.backward(inputs, df_do.cuda())
            gradParameters.div(inputs.size(0))
            f = f / inputs.size(0)
            return f, gradParameters
        optim.sgd(feval, parameters, config)

        c = c + 1
    xlua.progress(train_x.size(0), train_x.size(0))

    return confusion
