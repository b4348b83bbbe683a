"""torch/demos' logistic-regression/example-logistic-regression.lua ported line by line (lines 7-532): the CSV
read with csvigo and turned into tensors, ``nn.Linear(2, 3)`` + ``nn.LogSoftMax`` under ClassNLLCriterion,
trained by ``optim.sgd`` one sample per call (``_nidx_``), then reset and trained by ``optim.lbfgs`` with
``optim.lswolfe`` on the whole set, and the table comparing the data's frequencies, the textbook's model
(``predictText``) and ours (``predictOur``).

The CSV (735 rows of brand, female, age in the repository) is written by the test in the same layout (quoted
``num`` and ``brand``, bare ``female`` and ``age``): 80 people whose brand is drawn from the textbook's
model. Brands stay 1 .. 3 where the Lua counts and prints them; the criterion's labels are ``brands - 1``,
and ``maxIndex`` returns 0 .. 2.
"""
import math

import numpy as np

import legonn as lg
from legonn import csvigo, nn, optim


def write_csv(path, n, seed):
    """Rows drawn from the textbook's multinomial logit (predictText's coefficients)."""
    rng = np.random.default_rng(seed)
    lines = ['"num","brand","female","age"']
    for num in range(1, n + 1):
        female, age = int(rng.integers(0, 2)), int(rng.integers(24, 39))
        logits = np.array([0, -11.774655 + 0.523814 * female + 0.368206 * age,
                           -22.721396 + 0.465941 * female + 0.685908 * age])
        p = np.exp(logits - logits.max())
        brand = 1 + int(rng.choice(3, p=p / p.sum()))
        lines.append(f'"{num}","{brand}",{female},{age}')
    path.write_text('\n'.join(lines) + '\n')


def run(folder, epochs=1e2):
    lg.setdefaulttensortype('torch.DoubleTensor')
    lg.manualSeed(1)
    print('')
    print('============================================================')
    print('Constructing dataset')
    print('')

    loaded = csvigo.load(str(folder / 'example-logistic-regression.csv'))

    brands = lg.Tensor(loaded['brand'])
    females = lg.Tensor(loaded['female'])
    ages = lg.Tensor(loaded['age'])

    dataset_inputs = lg.Tensor(brands.size()[0], 2)
    dataset_inputs[:, 0] = females
    dataset_inputs[:, 1] = ages

    dataset_outputs = brands - 1           # ClassNLLCriterion's labels are 0-based

    numberOfBrands = lg.max(dataset_outputs) - lg.min(dataset_outputs) + 1

    def summarizeData():
        def p(name, value):
            print('%20s %f' % (name, value))
        p('number of brands', numberOfBrands)
        p('min brand', lg.min(brands))
        p('max brand', lg.max(brands))

        p('min female', lg.min(females))
        p('max female', lg.max(females))

        p('min age', lg.min(ages))
        p('max age', lg.max(ages))
    summarizeData()

    linLayer = nn.Linear(2, 3)
    softMaxLayer = nn.LogSoftMax()

    model = nn.Sequential()
    model.add(linLayer)
    model.add(softMaxLayer)

    criterion = nn.ClassNLLCriterion()

    x, dl_dx = model.getParameters()

    _nidx_ = None

    def feval(x_new):
        nonlocal _nidx_
        if x is not x_new:
            x.copy(x_new)

        _nidx_ = (_nidx_ if _nidx_ is not None else -1) + 1
        if _nidx_ > dataset_inputs.size()[0] - 1:
            _nidx_ = 0

        inputs = dataset_inputs[_nidx_]
        target = dataset_outputs[_nidx_]

        dl_dx.zero()

        loss_x = criterion.forward(model.forward(inputs), target)
        model.backward(inputs, criterion.backward(model.output, target))

        return loss_x, dl_dx

    sgd_params = {
        'learningRate': 1e-3,
        'learningRateDecay': 1e-4,
        'weightDecay': 0,
        'momentum': 0,
    }

    print('')
    print('============================================================')
    print('Training with SGD')
    print('')

    sgd_losses = []
    for i in range(int(epochs)):
        current_loss = 0

        for i in range(dataset_inputs.size()[0]):
            _, fs = optim.sgd(feval, x, sgd_params)
            current_loss = current_loss + fs[0]

        current_loss = current_loss / dataset_inputs.size()[0]
        print('epoch = ' + str(i) + ' of ' + str(epochs) + ' current loss = ' + str(current_loss))
        sgd_losses.append(current_loss)

    model.reset()

    def feval(x_new):
        nonlocal _nidx_, dl_dx
        if x is not x_new:
            x.copy(x_new)

        dl_dx.zero()

        loss_x = 0
        for i in range(dataset_inputs.size()[0]):
            _nidx_ = (_nidx_ if _nidx_ is not None else -1) + 1
            if _nidx_ > dataset_inputs.size()[0] - 1:
                _nidx_ = 0

            inputs = dataset_inputs[_nidx_]
            target = dataset_outputs[_nidx_]

            loss_x = loss_x + criterion.forward(model.forward(inputs), target)
            model.backward(inputs, criterion.backward(model.output, target))

        loss_x = loss_x / dataset_inputs.size()[0]
        dl_dx = dl_dx.div(dataset_inputs.size()[0])

        return loss_x, dl_dx

    lbfgs_params = {
        'lineSearch': optim.lswolfe,
        'maxIter': epochs,
        'verbose': True,
    }

    print('')
    print('============================================================')
    print('Training with L-BFGS')
    print('')

    _, fs, *_ = optim.lbfgs(feval, x, lbfgs_params)

    print('history of L-BFGS evaluations:')
    print(fs)

    print('')
    print('============================================================')
    print('Testing the model')
    print('')

    def maxIndex(a, b, c):
        if a >= b and a >= c:
            return 0
        elif b >= a and b >= c:
            return 1
        else:
            return 2

    def predictText(age, female):
        logit1 = 0
        logit2 = -11.774655 + 0.523814 * female + 0.368206 * age
        logit3 = -22.721396 + 0.465941 * female + 0.685908 * age

        uprob1 = math.exp(logit1)
        uprob2 = math.exp(logit2)
        uprob3 = math.exp(logit3)

        z = uprob1 + uprob2 + uprob3
        prob1 = (1 / z) * uprob1
        prob2 = (1 / z) * uprob2
        prob3 = (1 / z) * uprob3

        return maxIndex(prob1, prob2, prob3), prob1, prob2, prob3

    def predictOur(age, female):
        input = lg.Tensor(2)
        input[0] = female
        input[1] = age
        logProbs = model.forward(input)

        probs = lg.exp(logProbs)

        prob1, prob2, prob3 = probs[0], probs[1], probs[2]
        return maxIndex(prob1, prob2, prob3), prob1, prob2, prob3

    counts = {}

    def makeKey(age, brand, female):
        return '%2d%1d%1f' % (age, brand, female)

    for i in range(brands.size()[0]):
        brand = brands[i]
        female = females[i]
        age = ages[i]
        key = makeKey(age, brand, female)
        counts[key] = counts.get(key, 0) + 1

    def actualProbabilities(age, female):
        def countOf(age, brand, female):
            return counts.get(makeKey(age, brand, female), 0)
        count1 = countOf(age, 1, female)
        count2 = countOf(age, 2, female)
        count3 = countOf(age, 3, female)
        sumCounts = count1 + count2 + count3
        if sumCounts == 0:
            return 0, 0, 0
        else:
            return count1 / sumCounts, count2 / sumCounts, count3 / sumCounts

    print(' ')
    print('summary of data')
    summarizeData()

    print(' ')
    print('training variables')
    for k, v in sgd_params.items():
        print('%20s %f' % (k, v))
    print('%20s %f' % ('epochs', epochs))

    print(' ')
    print('current loss', current_loss)

    print(' ')
    lineFormat = '%-6s %-3s| %-17s | %-17s | %-17s | %-1s %-1s %-1s'
    print(lineFormat % ('', '', 'actual probs', 'text probs', 'our probs', 'best', '', ''))
    choices = 'brnd1 brnd2 brnd3'
    print(lineFormat % ('female', 'age', choices, choices, choices, 'a', 't', 'o'))

    def formatFemale(female):
        return '%1d' % female

    def formatAge(age):
        return '%2d' % age

    def formatProbs(p1, p2, p3):
        return '%5.3f %5.3f %5.3f' % (p1, p2, p3)

    def indexString(p1, p2, p3):
        if p1 < 0.001 and p2 < 0.001 and p3 < 0.001:
            return '-'
        else:
            return '%1d' % (maxIndex(p1, p2, p3) + 1)     # the printed brand numbers are Lua's

    for female in range(0, 2):
        for age in range(int(lg.min(ages)), int(lg.max(ages)) + 1):
            actual1, actual2, actual3 = actualProbabilities(age, female)
            textBrand, textProb1, textProb2, textProb3 = predictText(age, female)
            ourBrand, ourProb1, ourProb2, ourProb3 = predictOur(age, female)
            print(lineFormat % (formatFemale(female), formatAge(age), formatProbs(actual1, actual2, actual3),
                                formatProbs(textProb1, textProb2, textProb3),
                                formatProbs(ourProb1, ourProb2, ourProb3),
                                indexString(actual1, actual2, actual3),
                                indexString(textProb1, textProb2, textProb3),
                                indexString(ourProb1, ourProb2, ourProb3)))
    return dict(model=model, criterion=criterion, inputs=dataset_inputs, outputs=dataset_outputs, fs=fs,
                sgd_losses=sgd_losses, predictText=predictText, predictOur=predictOur, counts=counts,
                numberOfBrands=numberOfBrands)


def test_logistic_regression(tmp_path):
    write_csv(tmp_path / 'example-logistic-regression.csv', 80, 3)
    r = run(tmp_path)
    X, y = r['inputs'].numpy(), r['outputs'].numpy().astype(int)
    assert r['numberOfBrands'] == 3 and X.shape == (80, 2) and set(y) == {0, 1, 2}

    # SGD's mean loss falls; L-BFGS' history of evaluations falls from its reset start
    assert r['sgd_losses'][-1] < r['sgd_losses'][0]
    fs = [float(f) for f in r['fs']]
    assert fs[-1] < fs[0] / 2

    # our model is the maximum-likelihood fit: no worse on this data than the coefficients that drew it
    def nll(predict):
        return -np.mean([math.log(predict(age, female)[1 + b]) for (female, age), b in zip(X, y)])
    assert nll(r['predictOur']) <= nll(r['predictText']) + 1e-3

    # and as accurate as they are, counted with NumPy
    ours = np.array([r['predictOur'](age, female)[0] for female, age in X])
    text = np.array([r['predictText'](age, female)[0] for female, age in X])
    assert np.mean(ours == y) >= np.mean(text == y) - 0.02 and np.mean(ours == y) > 0.6

    # the counts table: every row counted once
    assert sum(r['counts'].values()) == 80
