"""w2vutils.lua: loads the word2vec t7 file (converting the binary file first when there is none) and adds the
nearest-neighbour query ``distance`` and the lookup ``word2vec``."""
import legonn as lg
from legonn import paths

from . import bintot7


def require(opt):
    lg.setdefaulttensortype('torch.FloatTensor')

    w2vutils = {}
    if not paths.filep(opt['outfilename']):
        w2vutils = bintot7.main(opt)
    else:
        w2vutils = lg.load(opt['outfilename'])
        print('Done reading word2vec data.')

    def distance(self, vec, k=None):
        k = k or 1
        # self.zeros = self.zeros or torch.zeros(self.M:size(1));
        norm = vec.norm(2)
        vec.div(norm)
        distances = lg.mv(self['M'], vec)
        distances, oldindex = lg.sort(distances, 0, True)
        returnwords = []
        returndistances = []
        for i in range(k):
            returnwords.append(w2vutils['v2wvocab'][oldindex[i]])
            returndistances.append(distances[i])
        return [returndistances, returnwords]

    def word2vec(self, word, throwerror=None):
        throwerror = throwerror or False
        ind = self['w2vvocab'].get(word)
        if throwerror:
            assert ind is not None, 'Word does not exist in the dictionary!'
        if ind is None:
            ind = self['w2vvocab']['UNK']
        return self['M'][ind]

    w2vutils['distance'] = distance
    w2vutils['word2vec'] = word2vec
    return w2vutils
