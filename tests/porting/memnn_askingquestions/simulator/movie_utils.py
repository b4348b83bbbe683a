"""AskingQuestions/simulator/movie_utils.lua: the simulator's file readers (questions and answers, question
entities, relations and templates, the knowledge base with each entity's facts, synonyms, typos, hints) and the
supporting-fact search.

The Lua's module table ``movie_utils`` is the object ``movie_utils``. ``s:find(e)`` of an entity or a relation
name, which Lua reads as a pattern, is Python's plain ``s.find(e)``: the same for names without Lua's magic
characters (``^$()%.[]*+-?``), as the test's names are (docs/porting.md's ``s:find(p)`` row). Positions from
``find`` are 0-based (-1 for nil); a fact index ``cnt`` is 0-based."""
import legonn as lg
from legonn import tds
from legonn.pl import stringx
from legonn.pl import utils as pl_utils

from .Set import Set


def _lines(fname):
    """``while true do local s = f:read("*line") if s == nil then break end ... end``."""
    f = open(fname)
    lines = f.read().splitlines()
    f.close()
    return lines


class _movie_utils:

    def transform(self, entity):
        w = pl_utils.split(stringx.strip(entity), " ")
        string = w[0]
        for i in range(1, len(w)):
            string = string + "_" + w[i]
        return string

    def load_dataset_teacher(self, fname, CopyAllAnswers):
        dataset = []
        for s in _lines(fname):
            if s != "":
                i1 = s.find(' ')
                id_ = s[:i1]  # noqa: F841
                s = s[i1 + 1:]
                w = pl_utils.split(s, '\t')
                question = w[0]
                if w[1].find(',') != -1:  # if there are multiple answers
                    ww = pl_utils.split(w[1], ',')
                    # cleanup the punctuations
                    for i in range(len(ww)):
                        if ww[i][0:1] == ' ':
                            ww[i] = ww[i][1:]
                    if CopyAllAnswers:
                        ww = [ww[0]]
                else:
                    ww = [w[1]]
                answer_set = Set(ww)
                for i in range(answer_set.size()):
                    dataset.append([question,
                                    answer_set.get(i),
                                    answer_set, w[1]])
        return dataset

    def load_questionEntity(self, fnameData, fnameEntity, frameRelation, framePattern, CopyAllAnswers):
        # each line in fnameEntity contains the entity the question
        # is asking about
        f_entity = iter(_lines(fnameEntity))
        f_relation = iter(_lines(frameRelation))
        f_pattern = iter(_lines(framePattern))
        question_entitys = []
        question_relations = []
        patterns = []
        categories = []
        for s in _lines(fnameData):
            question_entity = stringx.strip(next(f_entity))
            question_relation = stringx.strip(next(f_relation))
            question_pattern = stringx.strip(next(f_pattern))
            question_patterns = pl_utils.split(question_pattern, "\t")
            if s != "":
                i1 = s.find(' ')
                _id = s[:i1]  # noqa: F841
                s = s[i1 + 1:]
                w = pl_utils.split(s, '\t')
                _question = w[0]  # noqa: F841
                if w[1].find(',') != -1:  # if there are multiple answers
                    ww = pl_utils.split(w[1], ',')
                    # cleanup the punctuations
                    for i in range(len(ww)):
                        if ww[i][0:1] == ' ':
                            ww[i] = ww[i][1:]
                    if CopyAllAnswers:
                        ww = [ww[0]]
                else:
                    ww = [w[1]]
                answer_set = Set(ww)
                for i in range(answer_set.size()):
                    question_entitys.append(question_entity)
                    question_relations.append(question_relation)
                    patterns.append(question_patterns[0])
                    categories.append(question_patterns[1] if len(question_patterns) > 1 else None)
        return question_entitys, question_relations, patterns, categories

    def load_movie_sfs(self, fname, rels, rels_hint, hints):
        cnt = -1
        kb = tds.Hash()
        msfs = tds.Hash()

        def add(e, ind):
            if msfs[e] is None:
                msfs[e] = lg.Tensor([ind])
            else:
                msfs[e] = lg.cat(msfs[e], lg.Tensor([ind]))
        for s in _lines(fname):
            if len(s) == 0:
                s = '1 blah'
            i1 = s.find(' ')
            s = s[i1 + 1:]
            i1 = s.find(" ")
            e1 = s[:i1]
            s1 = s[i1 + 1:]
            i1 = s1.find(" ")
            relation = s1[:i1]
            e2s = s1[i1 + 1:]
            rel_ind = -1
            for i in range(len(rels)):
                i1 = relation.find(rels[i])
                if i1 != -1:
                    rel_ind = i
                    break
            if rel_ind != - 1:
                cnt = cnt + 1
                kb[cnt] = s
                e1 = self.transform(e1)
                w = pl_utils.split(e2s, ', ')
                add(e1, cnt)
                for i in range(len(w)):
                    e2 = w[i]
                    e2 = self.transform(e2)
                    if e2[-1:] == "?" and rels[rel_ind] == "has_tags":
                        e2 = e2[:-1]
                    if e2[0:1] == ' ':
                        e2 = e2[1:]
                    if e2[-1:] == ' ':
                        e2 = e2[:-1]
                    add(e2, cnt)
            if ((cnt + 1) % 100000) == 0:
                print(cnt + 1)
        return kb, msfs

    def load_synonyms(self, question_template_file):
        synonyms = {}
        synonyms['str2category'] = tds.Hash()
        synonyms['category2strs'] = tds.Hash()
        synonyms['categoryindex2str'] = tds.Hash()
        category = None
        for s in _lines(question_template_file):
            if s.find(":") != -1:
                t = s.find(":")
                category = s[t + 1:]
                synonyms['category2strs'][category] = tds.Hash()
                synonyms['categoryindex2str'][len(synonyms['categoryindex2str'])] = category
            elif s.find("X") != -1:
                synonyms['str2category'][s] = category
                synonyms['category2strs'][category][len(synonyms['category2strs'][category])] = s
        return synonyms

    def loadTypo(self, fname):
        typo = {}
        typo_reverse = []
        typo_dev = {}
        for s in _lines(fname):
            split = stringx.split(s, " ")
            typo[split[0]] = split[1]
            typo_reverse.append(split[0])
            typo_dev[split[0]] = split[2]
        return typo, typo_reverse, typo_dev

    def gen_no_list(self):
        no_list = [
            "No, that is incorrect.",
            "No, that's wrong.",
            "Wrong.",
            "Sorry, that's not it.",
            "Sorry, wrong.",
            "No."
        ]
        return no_list

    def gen_yes_list(self):
        yes_list = [
            "Yes, that is correct!",
            "Yes, that's right.",
            "Correct!",
            "That's right.",
            "That's correct.",
            "Yes!"
        ]
        return yes_list

    def load_movie_answers(self, fname):
        answers = []
        for s in _lines(fname):
            w = pl_utils.split(s, '\t')
            answers.append(w[0])
        print("loaded " + str(len(answers)) + " answers")
        return answers

    def load_movie_hints(self, fname):
        rels, rels_hint, hint = [], [], {}
        rels.append('directed_by'); rels_hint.append('director')  # noqa: E702
        rels.append('written_by'); rels_hint.append('writer')  # noqa: E702
        rels.append('starred_actors'); rels_hint.append('actor')  # noqa: E702
        rels.append('release_year'); rels_hint.append('year')  # noqa: E702
        rels.append('has_genre'); rels_hint.append('genre')  # noqa: E702
        rels.append('has_imdb_votes'); rels_hint.append('popularity')  # noqa: E702
        rels.append('has_tags'); rels_hint.append('tag')  # noqa: E702
        rels.append('in_language'); rels_hint.append('language')  # noqa: E702

        for s in _lines(fname):
            if len(s) == 0:
                s = '1 blah'
            i1 = s.find(' ')
            s = s[i1 + 1:]
            rel_ind = -1
            for i in range(len(rels)):
                i1 = s.find(rels[i])
                i2 = i1 + len(rels[i]) - 1
                if i1 != -1:
                    rel_ind = i
                    break
            if rel_ind != - 1:
                e1 = s[:i1 - 1]
                e2 = s[i2 + 1:]
                hint[e1] = 'movie'
                w = pl_utils.split(e2, ',')
                for i in range(len(w)):
                    e = w[i]
                    if e[0:1] == ' ':
                        e = e[1:]
                    if e[-1:] == ' ':
                        e = e[:-1]
                    if hint.get(e) is None:
                        hint[e] = rels_hint[rel_ind]
                    else:
                        h = rels_hint[rel_ind]
                        if hint[e].find(h) == -1:
                            hint[e] = hint[e] + ', ' + h
        print("loaded all hints")
        return rels, rels_hint, hint

    def load_dataset_student(self, fname):
        dataset = {}
        for s in _lines(fname):
            if s != "":
                i1 = s.find(' ')
                id_ = s[:i1]  # noqa: F841
                s = s[i1 + 1:]
                w = pl_utils.split(s, '\t')
                question = w[0]
                if w[1].find(',') != -1:  # if there are multiple answers
                    ww = pl_utils.split(w[1], ',')
                    # cleanup the punctuations
                    for i in range(len(ww)):
                        if ww[i][0:1] == ' ':
                            ww[i] = ww[i][1:]
                else:
                    ww = [w[1]]
                answer_set = Set(ww)
                if dataset.get(question) is None:
                    dataset[question] = answer_set
        return dataset

    def get_supporting_facts(self, qst, ans, msfs, kb, rels):
        sfs_hist = []
        sfs = []
        msf = msfs[ans]
        if msf is not None:
            for i in range(msf.size(0)):
                k = kb[int(msf[i])]
                es = self.extract_entities(k, ans, rels)
                for j in range(len(es)):
                    if qst.find(es[j]) != -1:
                        sfs_hist.append(k)
                        sfs.append(len(sfs))
        return sfs_hist, sfs

    def extract_entities(self, str_, omit_entity, rels):
        es = []

        def add(e):
            if e != omit_entity:
                es.append(e)
        rel_ind = -1
        for i in range(len(rels)):
            i1 = str_.find(rels[i])
            i2 = i1 + len(rels[i]) - 1
            if i1 != -1:
                rel_ind = i
                break
        if rel_ind != - 1:
            e1 = str_[:i1 - 1]
            add(e1)
            e2s = str_[i2 + 1:]
            w = pl_utils.split(e2s, ',')
            for i in range(len(w)):
                e2 = w[i]
                if e2[0:1] == ' ':
                    e2 = e2[1:]
                if e2[-1:] == ' ':
                    e2 = e2[:-1]
                add(e2)
        return es


movie_utils = _movie_utils()
