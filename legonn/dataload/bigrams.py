"""buildBigrams (buildBigrams.lua): the next-word distribution of every word of a language-model loader."""
from ..tensor import FloatTensor, LongTensor


def buildBigrams(dataset):
    """``{word id: {'index': LongTensor, 'prob': FloatTensor}}``: for each input word of ``dataset`` (a loader
    whose ``subiter(1)`` yields ``1 x batchsize`` inputs and targets, such as SequenceLoader), the words that
    follow it (in the order first seen) and their frequencies normalised to sum to 1."""
    counts = {}
    for _, inputs, targets in dataset.subiter(1):
        if inputs.dim() != 2 or inputs.size(0) != 1 or targets.dim() != 2 or targets.size(0) != 1:
            raise ValueError(f"dataload.buildBigrams: expected inputs and targets of 1 x batchsize from subiter(1), "
                             f"got {tuple(inputs.size())} and {tuple(targets.size())}")
        for word, following in zip(inputs.tolist()[0], targets.tolist()[0]):
            after = counts.setdefault(word, {})
            after[following] = after.get(following, 0) + 1
    bigrams = {}
    for word, after in counts.items():
        prob = FloatTensor(list(after.values()))
        bigrams[word] = {'index': LongTensor(list(after)), 'prob': prob.div(sum(after.values()))}
    return bigrams
