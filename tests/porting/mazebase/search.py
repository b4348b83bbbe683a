"""lua/mazebase/search.lua: Dijkstra over a cost map (`dsearch`, returning the distance and each cell's
predecessor) and `backtrack` of the path from the start to the goal, coordinates 0-based."""
import math

import legonn as lg


def unhb(nh, nw, ch, cw, prev, dists, M):
    sum = dists[ch][cw] + M[nh][nw]
    if sum < dists[nh][nw]:
        dists[nh][nw] = sum
        prev[nh][nw][0] = ch
        prev[nh][nw][1] = cw


def dsearch(M, sh, sw, dh, dw):
    H = M.size(0)
    W = M.size(1)
    dmax = M.sum()
    visited = lg.zeros(H, W)
    dists = lg.ones(H, W).mul(dmax)
    nmap = lg.ones(H, W).mul(dmax)
    ch = sh
    cw = sw
    dists[sh][sw] = 0
    visited[sh][sw] = 1
    prev = lg.zeros(H, W, 2)
    while visited.min() == 0:
        if ch < H - 1 and visited[ch + 1][cw] == 0:
            unhb(ch + 1, cw, ch, cw, prev, dists, M)
        if cw < W - 1 and visited[ch][cw + 1] == 0:
            unhb(ch, cw + 1, ch, cw, prev, dists, M)
        if ch > 0 and visited[ch - 1][cw] == 0:
            unhb(ch - 1, cw, ch, cw, prev, dists, M)
        if cw > 0 and visited[ch][cw - 1] == 0:
            unhb(ch, cw - 1, ch, cw, prev, dists, M)
        visited[ch][cw] = 1

        nmap.copy(visited).mul(dmax).add(dists)
        ju, juu = nmap.view(H * W).min(0)
        ch = math.floor(juu[0] / W)
        cw = juu[0] - ch * W
        if ch == dh and cw == dw:
            return dists[dh][dw], prev


def backtrack(sh, sw, dh, dw, prev):
    H = prev.size(0)
    W = prev.size(1)
    path = lg.zeros(H * W, 2)
    count = 1
    ch = dh
    cw = dw
    path[count - 1][0] = ch
    path[count - 1][1] = cw
    while ch != sh or cw != sw:
        count = count + 1
        tch = ch
        ch = int(prev[ch][cw][0])
        cw = int(prev[tch][cw][1])
        path[count - 1][0] = ch
        path[count - 1][1] = cw
    path = path.narrow(0, 0, count)
    tr = lg.range(1, count).mul(-1).add(count).long()
    path = path.index(0, tr)
    return path
