#!/usr/bin/python3
"""The table of bench/compare.sh, from the raw lines of one run: compare-table.py OUT_DIR.

Reads OUT_DIR/{header,ceiling,peers,floor,warm,memory}.txt (whichever exist). Each figure is the median of
its runs; ratios use this run's medians only; each row's load is the per-component median of the
load=1m,5m,15m stamps of the runs behind it.
"""
import os
import re
import statistics
import sys

OUT = sys.argv[1]
ROWS = []  # (section, figure, value, goal, runs, load)


def lines(name):
    path = os.path.join(OUT, name)
    return open(path).read().splitlines() if os.path.exists(path) else []


def parse(line):
    return dict(re.findall(r'(\w+)=(\S+)', line))


def num(d, k):
    try:
        return float(d[k])
    except (KeyError, ValueError):
        return float('nan')


def med(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float('nan')


def load(runs):
    loads = [[float(v) for v in r['load'].split(',')] for r in runs if 'load' in r]
    if not loads:
        return ''
    return ' '.join('%.2f' % med([l[i] for l in loads]) for i in range(3))


def goal(text, ok):
    if ok is None:
        return text
    return '%s (%s)' % (text, 'met' if ok else 'NOT met')


def row(section, figure, value, goal_text='', runs=(), n=None):
    ROWS.append((section, figure, value, goal_text, str(len(runs) if n is None else n), load(runs)))


def fmt(x, unit='', digits=0):
    return 'n/a' if x != x else ('{:,.%df}' % digits).format(x).replace(',', ' ') + unit


def good(runs):
    return [r for r in runs if 'rps' in r]


def failures(runs):
    """Failed requests over the runs; a run that printed an error counts all its N."""
    return sum(int(r.get('failed', 0)) if 'rps' in r else int(r.get('n', 1)) for r in runs)


# ceiling
ceil = [parse(l) for l in lines('ceiling.txt') if l.startswith('ceiling=')]
ceiling = float('nan')
if ceil:
    best = max(ceil, key=lambda r: num(r, 'rps'))
    ceiling = num(best, 'rps')
    detail = ', '.join('-t%s %s' % (r['threads'], fmt(num(r, 'rps'))) for r in ceil)
    errs = sum(int(r.get('non2xx', 0)) + int(r.get('socket_errors', 0)) for r in ceil)
    row('ceiling', 'wrk -c256 rps, best of -t1/-t2 (%s)%s' % (detail, '; %d errors' % errs if errs else ''),
        fmt(ceiling), '', [best])

# peers, cold
scen, peers = None, {}
for l in lines('peers.txt'):
    m = re.match(r'# scenario N=(\d+) C=(\d+) delay_ms=(\d+)', l)
    if m:
        scen = m.groups()
        continue
    if l.startswith('peer=') and scen:
        d = parse(l)
        peers.setdefault(scen, {}).setdefault(d['peer'], []).append(d)
lk_cold_2000 = []
for (n, c, delay), by in peers.items():
    sec = 'cold N=%s C=%s%s' % (n, c, ' %s ms delay' % delay if delay != '0' else '')
    for p, runs in by.items():
        ok = good(runs)
        fails = failures(runs)
        value = '%s rps, wall %s ms, p99 %s ms' % (fmt(med(num(r, 'rps') for r in ok)),
                                                 fmt(med(num(r, 'wall_ms') for r in ok)), fmt(med(num(r, 'p99_ms') for r in ok)))
        if fails:
            value += ', %d failed' % fails
        g = ''
        if p == 'loopkit' and delay != '0':
            w = med(num(r, 'wall_ms') for r in ok)
            g = goal('wall ≤ 1 200 ms', w <= 1200 if w == w else None)
            lk_cold_2000 = ok
        row(sec, p, value, g, runs)
    if 'loopkit' in by and delay == '0':
        lk = med(num(r, 'rps') for r in good(by['loopkit']))
        for p, want in (('node-undici', 1.5), ('python-aiohttp', 4.0)):
            if p in by:
                r = lk / med(num(x, 'rps') for x in good(by[p]))
                g = goal('≥ %.1f×' % want, r >= want if r == r else None)
                if failures(by['loopkit']) or failures(by[p]):
                    g = '≥ %.1f× (failures: not comparable)' % want
                row(sec, 'loopkit / %s rps' % p, fmt(r, '×', 2), g, good(by['loopkit']) + good(by[p]), len(by['loopkit']))

# floor
fl = [parse(l) for l in lines('floor.txt') if l.startswith('peer=')]
if fl:
    sec = 'floor N=2000 C=2000 1000 ms delay'
    sf = [r for r in fl if r['peer'] == 'socket-floor' and 'wall_ms' in r]
    lk = [r for r in fl if r['peer'] == 'loopkit' and 'wall_ms' in r]
    # per rep the best of 1 and 2 threads (runs come in pairs, in order)
    best, rep = [], []
    for r in sf:
        rep.append(r)
        if len(rep) == 2 or r is sf[-1]:
            best.append(min(rep, key=lambda x: num(x, 'wall_ms') if int(x.get('failed', 1)) == 0 else 1e18))
            rep = []
    floor_wall = med(num(r, 'wall_ms') for r in best)
    per_t = ', '.join('-t%s %s' % (t, fmt(med(num(r, 'wall_ms') for r in sf if r.get('threads') == t)))
                      for t in ('1', '2'))
    failed = sum(int(r.get('failed', 0)) for r in best)
    row(sec, 'SocketFloor wall ms, best of 1/2 threads (medians: %s)' % per_t,
        fmt(floor_wall) + (', %d failed' % failed if failed else ''), '', best)
    lw = med(num(r, 'wall_ms') for r in lk)
    lkf = sum(int(r.get('failed', 0)) for r in lk) + len([r for r in fl if r['peer'] == 'loopkit']) - len(lk)
    row(sec, 'loopkit wall ms (interleaved with the floor)', fmt(lw) + (', %d failed' % lkf if lkf else ''),
        goal('≤ 1 200 ms', lw <= 1200 if lw == lw else None), lk)
    row(sec, 'loopkit − floor', '%s ms (%s)' % (fmt(lw - floor_wall), fmt(lw / floor_wall, '×', 2)),
        goal('floor ≤ 1 200 ms?', floor_wall <= 1200 if floor_wall == floor_wall else None), best + lk, len(lk))

# warm
wm = {}
for l in lines('warm.txt'):
    if l.startswith('peer='):
        d = parse(l)
        wm.setdefault(d['peer'], []).append(d)
if wm:
    warmup = {r.get('warmup') for runs in wm.values() for r in runs} - {None}
    sec = 'warm N=20000 C=256 after %s' % (','.join(sorted(warmup)) or 'the warm-up')
    for p, runs in wm.items():
        ok = good(runs)
        f = failures(runs)
        row(sec, p + ' rps (runs: %s)' % ' '.join(fmt(num(r, 'rps')) for r in ok),
            fmt(med(num(r, 'rps') for r in ok)) + (', %d failed' % f if f else ''), '', runs)
    lkruns = good(wm.get('loopkit', []))
    lk = med(num(r, 'rps') for r in lkruns)
    if 'node-undici' in wm:
        r = lk / med(num(x, 'rps') for x in good(wm['node-undici']))
        row(sec, 'loopkit / node-undici rps', fmt(r, '×', 2), '', lkruns + good(wm['node-undici']), len(wm.get('loopkit', [])))
    if 'vertx-floor' in wm:
        vf = med(num(x, 'rps') for x in good(wm['vertx-floor']))
        row(sec, 'loopkit / vertx-floor rps (what the bare Vert.x client gets)', fmt(lk / vf, '×', 2), '',
            lkruns + good(wm['vertx-floor']), len(wm.get('loopkit', [])))
        lkcpu = med(num(r, 'cpu_ms') * 1000 / num(r, 'n') for r in lkruns)
        vfcpu = med(num(r, 'cpu_ms') * 1000 / num(r, 'n') for r in good(wm['vertx-floor']))
        row(sec, 'CPU µs per request: loopkit / vertx-floor', '%s / %s' % (fmt(lkcpu), fmt(vfcpu)), '',
            lkruns + good(wm['vertx-floor']), len(wm.get('loopkit', [])))
        if ceil:
            row(sec, 'vertx-floor / wrk ceiling (the floor of any Vert.x client here)', fmt(vf / ceiling, '×', 2), '',
                good(wm['vertx-floor']), len(wm['vertx-floor']))
    if ceil:
        r = lk / ceiling
        g = goal('≥ 0.5×', r >= 0.5 if r == r else None)
        if failures(wm.get('loopkit', [])):
            g = '≥ 0.5× (failures: not comparable)'
        row(sec, 'loopkit / wrk ceiling', fmt(r, '×', 2), g,
            lkruns + [best for best in [max(ceil, key=lambda x: num(x, 'rps'))]], len(wm.get('loopkit', [])))

# memory
mem = [parse(l) for l in lines('memory.txt') if l.startswith('peer=')]
if mem:
    sec = '10 000 in flight, -Xmx256m'
    failed = sum(int(r['failed']) if 'failed' in r else int(r.get('n', 10000)) for r in mem)
    row(sec, 'failed requests, all runs', str(failed), goal('0', failed == 0), mem)
    rss = [num(r, 'peak_rss_kb') / 1024 for r in mem]
    row(sec, 'peak RSS MiB, median (max)', '%s (%s)' % (fmt(med(rss)), fmt(max(rss) if rss else float('nan'))), '', mem)
    row(sec, 'wall ms', fmt(med(num(r, 'wall_ms') for r in mem)), '', mem)

for l in lines('header.txt'):
    print(l)
print('# medians; raw lines in %s; load = 1m 5m 15m from /proc/loadavg as each run ended (median per row)' % OUT)
print()
print('| part | figure | value | goal | runs | load |')
print('|---|---|---|---|---|---|')
for r in ROWS:
    print('| %s |' % ' | '.join(r))
