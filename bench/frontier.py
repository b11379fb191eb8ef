"""Time-to-purity frontier of MPCC on the 5,000 shipped MNIST digits: purity, Hungarian accuracy and NMI on all 5,000
digits against iterations and against minutes, per setting (the paper's `mnist` network and cheaper neighbours), seeds,
and CPU kind; k-means on the raw pixels as the reference line.

    # 1) seconds per iteration of every setting, side by side in one process (interleaved rounds, 2 threads, median)
    python bench/frontier.py --time                                 # native ISA, precision 'auto' (bf16 on AMX/AVX-512-BF16)
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python bench/frontier.py --time --precision fp32   # (or --isa avx2)
    # 2) learning curves (resumable: one JSONL per run; a finished run is skipped, an interrupted one continues exactly)
    python bench/frontier.py --train --settings S1 S2 --seeds 0 --iters 2000 --eval_every 100 --threads 1
    # 3) k-means on the raw [-1, 1] 32x32 pixels (KMeans(10, n_init=10), seeds 0-2; --kmeans_full DIR: the full MNIST, 1 seed)
    python bench/frontier.py --kmeans [--kmeans_full /path/to/mnist]
    # 4) table, figure and JSON from what is there (default when no mode is given); --timing FILE: other s/iteration
    python bench/frontier.py --report [--timing bench/results/frontier_timing.json] [--ref_run runs/ref_mnist]
    python bench/frontier.py --tiny --out /tmp/frontier_tiny        # all of the above, tiny, in seconds (tests)

Minutes are iterations x s/iteration, the s/iteration of each setting coming from the timing pass (or `--timing`), not
from the training runs' wall clocks: the curves are then valid on a shared, loaded machine, where the training runs
(1 thread, niced, beside other jobs) take longer than the step does; the load average is saved beside every figure.
Settings are overrides of `preset('mnist', dataset='mnist5k')` (see SETTINGS); EMA fields do not enter purity
(`Trainer.predict` uses E and the prior), they are set for all settings alike. OpenMP's wait: the package's default (`00a_init`) unless set.
"""
import argparse, json, math, os, statistics, sys, time
HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, 'results')

COMMON = dict(dataset='mnist5k', ema_start=300, ema_decay=0.999)   # on top of preset('mnist'); the rest is the paper's
SETTINGS = {
    'S1_c12_d4e4_b50': dict(ch=12, d_steps=4, e_steps=4, batch_size=50),   # the paper's `mnist` preset
    'S2_c8_d4e4_b50':  dict(ch=8, d_steps=4, e_steps=4, batch_size=50),
    'S3_c8_d2e2_b50':  dict(ch=8, d_steps=2, e_steps=2, batch_size=50),
    'S4_c6_d4e4_b50':  dict(ch=6, d_steps=4, e_steps=4, batch_size=50),
    'S5_c12_d2e2_b64': dict(ch=12, d_steps=2, e_steps=2, batch_size=64),
    'S6_c4_d1e1_b64':  dict(ch=4, d_steps=1, e_steps=1, batch_size=64),    # the mnist5k_cpu network and steps
}
TINY = {'T1_c4_d1e1_b16': dict(ch=4, d_steps=1, e_steps=1, batch_size=16),
        'T2_c4_d2e2_b16': dict(ch=4, d_steps=2, e_steps=2, batch_size=16)}

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split('\n\n', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    m = p.add_argument_group('modes (several may be given; none: --report)')
    m.add_argument('--time', action='store_true', help='timing pass: s/iteration of every setting, side by side')
    m.add_argument('--train', action='store_true', help='learning curves of --settings x --seeds')
    m.add_argument('--kmeans', action='store_true', help='k-means on raw pixels (cached in the results folder)')
    m.add_argument('--report', action='store_true', help='frontier.json, frontier.md, frontier.png from the results folder')
    m.add_argument('--tiny', action='store_true', help='two tiny settings, a few iterations on 300 digits, all modes, into --out')
    p.add_argument('--settings', nargs='+', default=None, help='setting names or prefixes (S1 ...; default: all)')
    p.add_argument('--seeds', nargs='+', type=int, default=[0])
    p.add_argument('--iters', type=int, default=2000, help='train: iterations per run (a larger value continues a run)')
    p.add_argument('--eval_every', type=int, default=100, help='train: evaluate on all digits every this many iterations')
    p.add_argument('--threads', type=int, default=None, help='torch threads (default: 2 for --time, 1 for --train)')
    p.add_argument('--precision', default='auto', help="'auto' (bf16 where the CPU has bf16 units), 'fp32' or 'bf16'")
    p.add_argument('--isa', default='native', choices=('native', 'avx2'), help="'avx2': emulate an AVX2-only CPU")
    p.add_argument('--time_iters', type=int, default=4, help='time: timed iterations per setting per round')
    p.add_argument('--rounds', type=int, default=3, help='time: interleaved rounds over the settings')
    p.add_argument('--warmup', type=int, default=2, help='time: untimed iterations per setting first')
    p.add_argument('--timing', nargs='+', default=[], help='report: JSON files of s/iteration (a --time output, or {kind: {setting: s}}), '
                   'drawn first; the timing passes in the results folder follow')
    p.add_argument('--kmeans_full', default=None, metavar='DIR', help='kmeans: also the full MNIST from this data root (1 seed)')
    p.add_argument('--ref_run', default=None, metavar='DIR', help="report: a run directory whose log.jsonl to include (the paper's run on the full MNIST)")
    p.add_argument('--minutes', nargs='+', type=float, default=[5, 10, 15, 20], help='report: table columns')
    p.add_argument('--out', default=RESULTS, help='results folder (JSONL per run, timing, k-means, report files)')
    p.add_argument('--ckpt_dir', default=os.path.join(HERE, '..', 'runs', 'frontier'), help='train: checkpoints for resuming')
    a = p.parse_args(argv)
    if not (a.time or a.train or a.kmeans or a.report or a.tiny): a.report = True
    return a

def set_isa(isa):
    "Emulate an AVX2-only CPU: must happen before torch is imported."
    import mpcc_nbdev   # the package's OpenMP wait default (00a_init), before torch loads libgomp
    if isa == 'avx2': os.environ.update(ATEN_CPU_CAPABILITY='avx2', ONEDNN_MAX_CPU_ISA='AVX2')

def load(): return round(os.getloadavg()[0], 2)

def machine():
    "torch version, CPU model, torch CPU capability, ISA variables, threads, cpus."
    import torch
    from _common import cpu_model     # bench/_common.py; imported late: torch must not load before set_isa
    return dict(torch=torch.__version__, cpu=cpu_model(), capability=torch.backends.cpu.get_cpu_capability(),
                ATEN_CPU_CAPABILITY=os.environ.get('ATEN_CPU_CAPABILITY'), ONEDNN_MAX_CPU_ISA=os.environ.get('ONEDNN_MAX_CPU_ISA'),
                OMP_WAIT_POLICY=os.environ.get('OMP_WAIT_POLICY'), GOMP_SPINCOUNT=os.environ.get('GOMP_SPINCOUNT'), threads=torch.get_num_threads(), cpus=os.cpu_count())

def kind_of(a):
    "'<precision>_<isa>', the precision resolved ('auto' -> bf16 or fp32 here), e.g. 'bf16_native', 'fp32_avx2'."
    from mpcc_nbdev.device import resolve_precision, resolve_device
    isa = 'avx2' if os.environ.get('ATEN_CPU_CAPABILITY') == 'avx2' else a.isa
    return f"{resolve_precision(a.precision, resolve_device('cpu'))}_{isa}"

def make_cfg(settings, name, a, **kw):
    from mpcc_nbdev.config import preset
    return preset('mnist', **{**COMMON, **settings[name], 'precision': a.precision, 'device': 'cpu', **kw})

def pick(settings, names):
    "Setting names from full names or prefixes ('S1')."
    if not names: return list(settings)
    out = []
    for n in names:
        hit = [s for s in settings if s == n or s.split('_')[0] == n]
        if not hit: sys.exit(f"frontier: error: unknown setting {n!r}; valid: {', '.join(settings)}")
        out += hit
    return out

def write_json(path, obj):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f: json.dump(obj, f, indent=1)
    os.replace(tmp, path)

# ---------------------------------------------------------------- timing pass
def run_time(a, settings, names, data):
    "Median s/iteration of `Trainer.step` per setting: all built in one process, interleaved rounds; saved per kind."
    import torch
    from mpcc_nbdev.train import Trainer
    ts = {n: Trainer(make_cfg(settings, n, a), data, progress=False) for n in names}
    for t in ts.values():
        for _ in range(a.warmup): t.step()
    times, l0 = {n: [] for n in names}, load()
    for _ in range(a.rounds):
        for n, t in ts.items():
            for _ in range(a.time_iters):
                t0 = time.perf_counter(); t.step(); times[n].append(time.perf_counter() - t0)
    kind, l1 = kind_of(a), load()
    rec = dict(kind=kind, when=time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime()), precision=next(iter(ts.values())).cfg.precision,
               load_before=l0, load_after=l1, rounds=a.rounds, iters_per_round=a.time_iters, machine=machine(),
               s_per_it={n: round(statistics.median(v), 4) for n, v in times.items()},
               s_per_it_min={n: round(min(v), 4) for n, v in times.items()})
    with open(os.path.join(a.out, 'frontier_timing_history.jsonl'), 'a') as f: f.write(json.dumps(rec) + '\n')
    path = os.path.join(a.out, 'frontier_timing.json')       # per kind: the pass with the lowest load (others in the history)
    allt = json.load(open(path)) if os.path.exists(path) else {}
    busy = lambda r: max(r['load_before'], r['load_after'])
    if kind not in allt or (set(allt[kind]['s_per_it']) <= set(rec['s_per_it']) and busy(rec) <= busy(allt[kind])):
        allt[kind] = rec; write_json(path, allt)
    for n in names:
        c = ts[n].cfg
        print(f"{kind:12} {n:16} ch {c.ch:2} D{c.d_steps} E{c.e_steps} batch {c.batch_size:3}: {rec['s_per_it'][n]:.3f} s/it "
              f"(median of {len(times[n])}, min {rec['s_per_it_min'][n]:.3f}); {torch.get_num_threads()} threads, "
              f"capability {rec['machine']['capability']}, {rec['machine']['cpu']}, load {l0}->{l1}", flush=True)
    return rec

# ---------------------------------------------------------------- training runs
def evaluate(t, data):
    "purity, Hungarian accuracy and NMI of `Trainer.predict` on all of `data`, and how many clusters are used."
    import torch
    from mpcc_nbdev.metrics import cluster_purity, cluster_accuracy, nmi
    pred = t.predict(data)
    return dict(purity=round(float(cluster_purity(data.y, pred)), 4), acc=round(float(cluster_accuracy(data.y, pred)), 4),
                nmi=round(float(nmi(data.y, pred)), 4), n_used=int((torch.bincount(pred, minlength=10) > 0).sum()))

def read_jsonl(path):
    if not os.path.exists(path): return []
    out = []
    for line in open(path):
        try: out.append(json.loads(line))
        except ValueError: break                       # a line cut by a crash: everything after it is dropped
    return out

def run_one(a, settings, name, seed, data, kind):
    "One (setting, seed, kind) run, evaluated every `eval_every` iterations; continued from its checkpoint when present."
    import torch
    from mpcc_nbdev.train import Trainer
    tag = f"{name}_{kind}_s{seed}"
    path, ck = os.path.join(a.out, 'curves', tag + '.jsonl'), os.path.join(a.ckpt_dir, tag + '.pt')
    os.makedirs(os.path.dirname(path), exist_ok=True); os.makedirs(a.ckpt_dir, exist_ok=True)
    recs = read_jsonl(path)
    evals = [r for r in recs if r.get('type') == 'eval']
    if evals and evals[-1]['it'] >= a.iters: print(f"{tag}: done already (iteration {evals[-1]['it']}), skipped"); return
    cfg = make_cfg(settings, name, a, seed=seed, n_iters=max(a.iters, 1))
    if evals and os.path.exists(ck):
        t = Trainer.load(ck, data=data, progress=False); t.out_dir = None
        evals = [r for r in evals if r['it'] <= t.it]      # records past the checkpoint are measured again
        print(f"{tag}: continuing from iteration {t.it}", flush=True)
    else:
        t, evals = Trainer(cfg, data, progress=False), []
    head = dict(type='run', setting=name, overrides=settings[name], common=COMMON, seed=seed, kind=kind,
                config=json.loads(t.cfg.to_json()), machine=machine(), data=dict(name=data.name, n=len(data)))
    def rewrite():
        with open(path + '.tmp', 'w') as f:
            for r in [head] + evals: f.write(json.dumps(r) + '\n')
        os.replace(path + '.tmp', path)
    def record(acc, n, train_s):
        t0 = time.perf_counter(); m = evaluate(t, data); eval_s = time.perf_counter() - t0
        r = dict(type='eval', it=t.it, **m, train_s=round(train_s, 2), eval_s=round(eval_s, 2), load=load(),
                 when=time.strftime('%H:%M:%S', time.gmtime()),
                 **({k: round(float(v), 4) for k, v in zip(Trainer.losses, (acc / n).tolist())} if n else {}))
        evals.append(r); rewrite()
        if t.it > 0: t.save(ck)
        print(f"{tag} it {t.it:5} ({train_s:7.1f} s training, load {r['load']}): purity {m['purity']:.3f} acc {m['acc']:.3f} "
              f"nmi {m['nmi']:.3f} clusters {m['n_used']}" + (f" | d {r['d_loss']:.3f} g {r['g_loss']:.3f} nll {r['e_nll']:.3f}" if n else ''),
              flush=True)
        if n and not all(math.isfinite(r[k]) for k in Trainer.losses): raise SystemExit(f"{tag}: non-finite losses at {t.it}")
    train_s = evals[-1]['train_s'] if evals else 0.0
    if not evals: record(None, 0, 0.0)
    while t.it < a.iters:
        acc, n, t0 = torch.zeros(len(Trainer.losses)), 0, time.perf_counter()
        while n < a.eval_every and t.it < a.iters:
            acc += t.step().float().cpu(); n += 1
        train_s += time.perf_counter() - t0
        record(acc, n, train_s)

def run_train(a, settings, names, data):
    kind = kind_of(a)
    for seed in a.seeds:
        for n in names: run_one(a, settings, n, seed, data, kind)

# ---------------------------------------------------------------- k-means
def kmeans_scores(x, y, seed, n_init=10):
    "purity / Hungarian accuracy / NMI of sklearn KMeans(10, n_init) on the flattened pixels, and its seconds."
    from sklearn.cluster import KMeans
    from mpcc_nbdev.metrics import cluster_purity, cluster_accuracy, nmi
    t0 = time.perf_counter()
    pred = KMeans(10, n_init=n_init, random_state=seed).fit_predict(x.reshape(len(x), -1).numpy())
    return dict(seed=seed, purity=round(float(cluster_purity(y, pred)), 4), acc=round(float(cluster_accuracy(y, pred)), 4),
                nmi=round(float(nmi(y, pred)), 4), seconds=round(time.perf_counter() - t0, 1), load=load())

def mean_std(v):
    return (round(statistics.mean(v), 4), round(statistics.stdev(v), 4) if len(v) > 1 else 0.0)

def run_kmeans(a, data, seeds=(0, 1, 2), n_init=10):
    "k-means on the [-1, 1] 32x32 pixels the trainer sees; cached in `out/frontier_kmeans.json`."
    path = os.path.join(a.out, 'frontier_kmeans.json')
    res = json.load(open(path)) if os.path.exists(path) else {}
    key = f"{data.name}_{len(data)}"
    if key not in res:
        runs = [kmeans_scores(data.x, data.y, s, n_init) for s in seeds]
        res[key] = dict(data=data.name, n=len(data), n_init=n_init, runs=runs, machine=machine(),
                        **{f"{k}_mean_std": mean_std([r[k] for r in runs]) for k in ('purity', 'acc', 'nmi')})
        write_json(path, res)
    if a.kmeans_full and 'mnist_full' not in res:
        from mpcc_nbdev.data import load_dataset
        full = load_dataset('mnist', root=a.kmeans_full)
        r = kmeans_scores(full.x, full.y, 0, n_init)
        res['mnist_full'] = dict(data='mnist', n=len(full), n_init=n_init, runs=[r], machine=machine(),
                                 **{f"{k}_mean_std": (r[k], 0.0) for k in ('purity', 'acc', 'nmi')})
        write_json(path, res)
    for k, v in res.items():
        print(f"k-means on raw pixels, {k}: purity {v['purity_mean_std'][0]:.3f} ± {v['purity_mean_std'][1]:.3f}, Hungarian "
              f"{v['acc_mean_std'][0]:.3f} ± {v['acc_mean_std'][1]:.3f}, NMI {v['nmi_mean_std'][0]:.3f} ({len(v['runs'])} seeds, "
              f"{v['runs'][0]['seconds']} s each, load {v['runs'][0]['load']})", flush=True)
    return res

# ---------------------------------------------------------------- report
def load_timing(paths, own):
    "{label: {'kind': run kind, 's_per_it': {setting: s}, ...}} from --time outputs or plain {kind: {setting: s}} files."
    out = {}
    for path in list(paths) + [own]:
        if not os.path.exists(path):
            if path != own: sys.exit(f"frontier: error: no timing file {path}: pass a --time output or a {{kind: {{setting: s}}}} JSON")
            continue
        for k, v in json.load(open(path)).items():
            v = dict(v) if 's_per_it' in v else dict(s_per_it=v, note=f'given in {os.path.basename(path)}')
            v.setdefault('kind', k); v['file'] = os.path.basename(path)
            out[k if path == own else f"{k} ({os.path.basename(path)})"] = v
    return out

def load_ref_run(d):
    "Purity / Hungarian accuracy per log line of a run directory (its log.jsonl), with its config's key fields."
    if not d or not os.path.exists(os.path.join(d, 'log.jsonl')): return None
    recs = read_jsonl(os.path.join(d, 'log.jsonl'))
    cfg = json.load(open(os.path.join(d, 'config.json')))
    keep = ('it', 'purity', 'acc', 'nmi', 'sec', 'time', 'seconds', 'it_per_s', 's_per_it')
    return dict(run_dir=os.path.abspath(d), config={k: cfg.get(k) for k in ('name', 'dataset', 'ch', 'd_steps', 'e_steps', 'batch_size',
                'precision', 'ema_start', 'ema_decay', 'n_iters', 'seed')},
                curve=[{k: r[k] for k in keep if k in r} for r in recs if 'purity' in r])

def summarise(a, settings, timing, minutes):
    "Per (kind, setting) and each timing of that kind: the runs, the mean ± std curve over seeds, the scores at each budget."
    runs = {}
    rdir = os.path.join(a.out, 'curves')
    for f in sorted(os.listdir(rdir)) if os.path.isdir(rdir) else []:
        recs = read_jsonl(os.path.join(rdir, f))
        if not recs or recs[0].get('type') != 'run': continue
        h = recs[0]; ev = [r for r in recs if r.get('type') == 'eval']
        runs.setdefault((h['kind'], h['setting']), []).append(dict(seed=h['seed'], config=h['config'], machine=h['machine'], curve=ev))
    out = []
    for (kind, name), rs in sorted(runs.items()):
        labels = [l for l, t in timing.items() if t['kind'] == kind and name in t['s_per_it']] or [None]
        out += [summarise_runs(rs, kind, name, label, timing[label]['s_per_it'][name] if label else None, settings, minutes)
                for label in labels]
    order = list(timing)
    return sorted(out, key=lambda r: (order.index(r['timing']) if r['timing'] in order else len(order), r['kind'], r['setting']))

def summarise_runs(rs, kind, name, label, spi, settings, minutes):
    "The seeds of one setting: mean ± std per evaluation, and at each minute budget the last evaluation within it."
    curve = []
    for it in sorted({c['it'] for r in rs for c in r['curve']}):
        pts = [c for r in rs for c in r['curve'] if c['it'] == it]
        row = dict(it=it, n_seeds=len(pts), minutes=round(it * spi / 60, 3) if spi else None)
        for k in ('purity', 'acc', 'nmi'): row[k] = mean_std([p[k] for p in pts])
        curve.append(row)
    at = {}
    for m in minutes if spi else []:
        n_it = int(m * 60 / spi)                   # a run covers the budget when it got within one evaluation of n_it
        pts = [max((c for c in r['curve'] if c['it'] <= n_it), key=lambda c: c['it']) for r in rs
               if r['curve'] and r['curve'][-1]['it'] >= n_it - a_eval(r) + 1]
        at[str(m)] = dict(iters=n_it, n_seeds=len(pts), at_it=sorted({p['it'] for p in pts}),
                          **({k: mean_std([p[k] for p in pts]) for k in ('purity', 'acc', 'nmi')} if pts else {}))
    last = {r['seed']: r['curve'][-1]['it'] if r['curve'] else 0 for r in rs}
    return dict(kind=kind, timing=label, setting=name, overrides=settings.get(name), s_per_it=spi, seeds=sorted(last),
                last_it=last, curve=curve, at_minutes=at, runs=rs)

def a_eval(r):
    "Evaluation spacing of a run (iterations between its last two evaluations)."
    c = r['curve']
    return c[-1]['it'] - c[-2]['it'] if len(c) > 1 else 1

def table(res, minutes):
    "Markdown: k-means first, then setting x minutes -> purity mean ± std (Hungarian), seeds, iterations."
    L = [f"Purity (Hungarian accuracy) on all {res['n_digits']} digits at a budget of training minutes = iterations x s/iteration "
         f"(timing pass, 2 threads); mean ± std over n seeds, at the last evaluation within the budget (iteration in brackets).",
         "", "| kind (timing) | setting | s/it | " + " | ".join(f"{m:g} min" for m in minutes) + " | last iteration (seeds) |",
         "|---|---|---|" + "---|" * len(minutes) + "---|"]
    for k, v in res['kmeans'].items():
        L.append(f"| k-means, raw pixels | `KMeans(10, n_init={v['n_init']})`, {v['data']} ({v['n']}) | – | " +
                 " | ".join(f"{v['purity_mean_std'][0]:.3f} ± {v['purity_mean_std'][1]:.3f} ({v['acc_mean_std'][0]:.3f})" for _ in minutes) +
                 f" | {len(v['runs'])} seeds |")
    for s in res['settings']:
        cells = []
        for m in minutes:
            c = s['at_minutes'].get(str(m))
            if not c: cells.append('no timing'); continue
            if not c['n_seeds']: cells.append(f"– (needs it {c['iters']})"); continue
            p, h = c['purity'], c['acc']
            cells.append(f"{p[0]:.3f} ± {p[1]:.3f} ({h[0]:.3f} ± {h[1]:.3f}), n={c['n_seeds']}, it {'/'.join(map(str, c['at_it']))}")
        spi = f"{s['s_per_it']:.3f}" if s['s_per_it'] else '–'
        L.append(f"| {s['timing'] or s['kind']} | {s['setting']} | {spi} | " + " | ".join(cells) +
                 f" | {', '.join(f'{it} (s{sd})' for sd, it in sorted(s['last_it'].items()))} |")
    L += ["", "Timing passes (s/iteration, median; machine; load average before -> after):", ""]
    for k, t in res['timing'].items():
        mach = t.get('machine', {})
        L.append(f"- {k}: " + ", ".join(f"{n} {v:.3f}" for n, v in t['s_per_it'].items()) +
                 f" — {mach.get('cpu', '?')}, capability {mach.get('capability', '?')}, {mach.get('threads', '?')} threads, "
                 f"precision {t.get('precision', '?')}, load {t.get('load_before', '?')} -> {t.get('load_after', '?')}, {t.get('note', t.get('when', ''))}")
    if res.get('ref_run'):
        r = res['ref_run']
        L += ["", f"Paper's setup on the full MNIST ({r['run_dir']}, {r['config']}), purity / Hungarian on its 2,000 logged digits:", ""]
        L.append(" | ".join(f"it {c['it']}: {c['purity']:.3f} / {c.get('acc', float('nan')):.3f}" for c in r['curve']))
    return "\n".join(L) + "\n"

def plot(res, png, max_min=None):
    "Purity vs minutes (a line per setting, kind and timing; a band of ± std over seeds; k-means) and vs iterations. Small PNG."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=70)
    colors = {n: f"C{i % 10}" for i, n in enumerate(sorted({s['setting'] for s in res['settings']}))}
    band = lambda ax, x, m, sd, c: ax.fill_between(x, [u - v for u, v in zip(m, sd)], [u + v for u, v in zip(m, sd)], color=c, alpha=.15)
    drawn, first = set(), {}
    for s in res['settings']:
        c = colors[s['setting']]; ls = '-' if s['kind'].endswith('native') else '--'
        it = [r['it'] for r in s['curve']]; m = [r['purity'][0] for r in s['curve']]; sd = [r['purity'][1] for r in s['curve']]
        if (s['kind'], s['setting']) not in drawn:
            drawn.add((s['kind'], s['setting'])); b.plot(it, m, c=c, ls=ls, lw=1.3); band(b, it, m, sd, c)
        if not s['s_per_it']: continue
        main = first.setdefault(s['kind'], s['timing']) == s['timing']
        mi = [x * s['s_per_it'] / 60 for x in it]
        src = '' if s['timing'] == s['kind'] else ', s/it of ' + res['timing'][s['timing']]['file'].removesuffix('.json')
        lab = f"{s['setting']} ({s['kind']}{src}, {len(s['seeds'])} seed{'s' * (len(s['seeds']) > 1)})"
        a.plot(mi, m, c=c, ls=ls if main else ':', lw=1.3 if main else .8, label=lab)
        if main: band(a, mi, m, sd, c)
    r = res.get('ref_run')
    if r and r['curve']:
        it = [c['it'] for c in r['curve']]; m = [c['purity'] for c in r['curve']]
        b.plot(it, m, c='k', lw=1, marker='.', label="paper's setup, full MNIST (2,000 logged digits)"); b.legend(fontsize=6, loc='lower right')
    for ax in (a, b):
        for j, (k, v) in enumerate(res['kmeans'].items()):
            ax.axhline(v['purity_mean_std'][0], c='k', ls=':' if j else '-.', lw=1, label=f"k-means, raw pixels ({k})" if ax is a else None)
        ax.axhline(0.9, c='gray', ls=':', lw=.8); ax.set_ylim(0, 1); ax.grid(alpha=.3); ax.set_ylabel('purity')
    if max_min: a.set_xlim(0, max_min)
    a.set_xlabel('minutes = iterations x s/iteration (timing pass, 2 threads)'); b.set_xlabel('iteration')
    a.set_title(f"purity on all {res['n_digits']} digits vs minutes", fontsize=9); b.set_title('... vs iterations', fontsize=9)
    a.legend(fontsize=6, loc='lower right')
    fig.tight_layout(); fig.savefig(png, dpi=70); plt.close(fig)

def run_report(a, settings, n_digits):
    timing = load_timing(a.timing, os.path.join(a.out, 'frontier_timing.json'))
    kpath = os.path.join(a.out, 'frontier_kmeans.json')
    res = dict(note="minutes = iterations x s/iteration of the timing pass (one process, all settings interleaved, 2 threads, "
                    "median), not the training runs' wall clocks: valid on a loaded, shared machine; the load is saved beside "
                    "every figure. Scores: Trainer.predict on all digits (purity, Hungarian accuracy, NMI of mpcc_nbdev.metrics).",
               n_digits=n_digits, common=COMMON, settings_defined=settings, machine=machine(), timing=timing,
               timing_file=a.timing, kmeans=json.load(open(kpath)) if os.path.exists(kpath) else {},
               minutes=a.minutes, settings=summarise(a, settings, timing, a.minutes), ref_run=load_ref_run(a.ref_run))
    write_json(os.path.join(a.out, 'frontier.json'), res)
    md = "# Time-to-purity frontier (`bench/frontier.py`)\n\n" + res['note'] + "\n\n" + table(res, a.minutes)
    open(os.path.join(a.out, 'frontier.md'), 'w').write(md)
    plot(res, os.path.join(a.out, 'frontier.png'), max(a.minutes) * 1.25)
    print(md)
    return res

def main(argv=None):
    a = parse_args(argv)
    set_isa(a.isa)
    import torch
    if a.tiny:
        a.time = a.train = a.kmeans = a.report = True
        a.iters, a.eval_every, a.rounds, a.time_iters, a.warmup = min(a.iters, 6), min(a.eval_every, 3), 1, 2, 1
        a.minutes = [m for m in a.minutes if m < 1] or [0.02, 0.05]
        if a.out == RESULTS: sys.exit("frontier: error: --tiny needs --out DIR (a folder for its small results)")
        a.ckpt_dir = os.path.join(a.out, 'ckpt')
    settings = TINY if a.tiny else SETTINGS
    names = pick(settings, a.settings)
    os.makedirs(a.out, exist_ok=True)
    print(json.dumps(dict(machine(), load=load(), kind=kind_of(a))), flush=True)
    data = None
    if a.time or a.train or a.kmeans:
        from mpcc_nbdev.data import load_dataset
        data = load_dataset('mnist5k')
        if a.tiny: data = data.subset(torch.randperm(len(data), generator=torch.Generator().manual_seed(0))[:300])
    if a.time:
        torch.set_num_threads(a.threads or 2); run_time(a, settings, names, data)
    if a.train:
        torch.set_num_threads(a.threads or 1); run_train(a, settings, names, data)
    if a.kmeans: run_kmeans(a, data, seeds=(0,) if a.tiny else (0, 1, 2), n_init=1 if a.tiny else 10)
    if a.report: run_report(a, settings, len(data) if data is not None else 300 if a.tiny else 5000)

if __name__ == '__main__': main()
