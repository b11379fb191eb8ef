"""Learning curve of the chosen `mnist5k_cpu` setting: purity, Hungarian accuracy and NMI on all 5,000 digits against
iterations and against wall seconds (measured here, and Zen-3 equivalent), mean ± std over seeds; a small PNG and a JSON.

    python bench/curve_cpu.py --setting '{"ch": 8, "batch_size": 64}' --iters 1200 --eval_every 100 --seeds 0 1 2
    python bench/curve_cpu.py --from_json bench/results/curve_cpu.json     # only redraw the figure
    python bench/curve_cpu.py --from_json bench/results/curve_cpu.json --s_per_it 0.108   # ... with another s/it

Settings are overrides of preset('mnist5k_cpu') (default: the preset itself), trained in fp32.
Seconds: the emulated AVX2-only s/iteration is measured first in a separate process (`sweep_cpu.py time --isa avx2`,
2 threads) unless `--s_per_it` is given; Zen-3-equivalent seconds = iterations x that s/it x `--zen3_factor`
(1.8: the `mnist` preset ran at 2.1 s/it on a real Zen 3 and 1.16 s/it emulated). The measured wall seconds of the
training runs on this machine (any ISA, shared CPU: see the load average in the JSON) are drawn too.
"""
import argparse, json, os, subprocess, sys, tempfile
HERE = os.path.dirname(os.path.abspath(__file__))
import sweep_cpu

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split('\n\n', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--setting', default='{}', help="JSON overrides of preset('mnist5k_cpu'), or a setting name of sweep_cpu.py")
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--iters', type=int, default=None, help="iterations (default: the setting's n_iters)")
    p.add_argument('--eval_every', type=int, default=100)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--isa', default='native', choices=('native', 'avx2'), help='ISA of the training runs')
    p.add_argument('--s_per_it', type=float, default=None, help='emulated-AVX2 s/it (default: measure it)')
    p.add_argument('--zen3_factor', type=float, default=1.8)
    p.add_argument('--budget_s', type=float, default=600, help='Zen-3 wall budget drawn on the figure')
    p.add_argument('--out', default=os.path.join(HERE, 'results', 'curve_cpu.json'))
    p.add_argument('--png', default=os.path.join(HERE, '..', 'nbs', 'images', 'mnist5k_cpu_curve.png'))
    p.add_argument('--reuse', nargs='+', default=[], metavar='JSON:SETTING:SEED',
                   help='take these seeds from a sweep_cpu.py train JSON (same config: runs are deterministic) instead of training them')
    p.add_argument('--from_json', default=None, help='skip training: redraw the figure from this JSON')
    return p.parse_args(argv)

def overrides_of(s):
    "The override dict of `--setting` (JSON text or a sweep_cpu setting name), on top of nothing (the preset)."
    return dict(sweep_cpu.SETTINGS[s], **{}) if s in sweep_cpu.SETTINGS else json.loads(s)

def measure_s_per_it(over, threads):
    "Median emulated-AVX2 s/it of the setting, measured in a fresh process (the ISA is fixed at torch import)."
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 't.json')
        cmd = [sys.executable, os.path.join(HERE, 'sweep_cpu.py'), 'time', '--isa', 'avx2', '--threads', str(threads),
               '--iters', '5', '--rounds', '2', '--no_base', '--set', 'curve=' + json.dumps(over), '--only', 'curve',
               '--out', out]
        subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
        return json.load(open(out))[0]

def reused(spec, iters, every):
    "The run `JSON:SETTING:SEED` of a sweep_cpu.py train file, cut at `iters`, evaluated every `every` iterations."
    path, name, seed = spec.rsplit(':', 2)
    r = next(x for x in json.load(open(path)) if x['mode'] == 'train' and x['setting'] == name and x['seed'] == int(seed))
    r = dict(r, curve=[c for c in r['curve'] if c['it'] <= iters and c['it'] % every == 0], reused_from=spec)
    if r['curve'][-1]['it'] != iters: raise SystemExit(f"curve_cpu: error: {spec} has no evaluation at iteration {iters}")
    return dict(r, final=r['curve'][-1])

def summarise(runs, s_per_it, factor):
    "Per evaluation point: iteration, mean and std over seeds of purity/acc/nmi and of the measured seconds."
    import numpy as np
    its = [c['it'] for c in runs[0]['curve']]
    rows = []
    for i, it in enumerate(its):
        row = dict(it=it, zen3_s=round(it * s_per_it * factor, 1), emulated_avx2_s=round(it * s_per_it, 1))
        for k in ('purity', 'acc', 'nmi', 'train_s'):
            v = np.array([r['curve'][i][k] for r in runs], dtype=float)
            row[k + '_mean'], row[k + '_std'] = round(float(v.mean()), 4), round(float(v.std(ddof=1) if len(v) > 1 else 0.), 4)
        rows.append(row)
    return rows

def plot(res, png, budget_s):
    "Two panels: metrics vs iterations; purity vs Zen-3-equivalent and measured seconds. Small PNG."
    import matplotlib; matplotlib.use('Agg')
    import matplotlib.pyplot as plt, numpy as np
    rows = res['summary']; it = np.array([r['it'] for r in rows])
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3), dpi=80)
    for k, c in (('purity', 'C0'), ('acc', 'C1'), ('nmi', 'C2')):
        m, s = np.array([r[k + '_mean'] for r in rows]), np.array([r[k + '_std'] for r in rows])
        a.plot(it, m, c=c, label=k if k != 'acc' else 'Hungarian acc'); a.fill_between(it, m - s, m + s, color=c, alpha=.2)
    a.set_xlabel('iteration'); a.set_ylim(0, 1); a.grid(alpha=.3); a.legend(loc='lower right', fontsize=8)
    a.set_title(f"mnist5k_cpu, {len(res['seeds'])} seeds (mean ± std)", fontsize=9)
    m, s = np.array([r['purity_mean'] for r in rows]), np.array([r['purity_std'] for r in rows])
    for x, lab, c in ((np.array([r['zen3_s'] for r in rows]), f"Zen 3 equiv. ({res['zen3_factor']}x emulated AVX2)", 'C0'),
                      (np.array([r['train_s_mean'] for r in rows]), f"measured here ({res['machine']['capability']}, shared CPU)", 'C3')):
        b.plot(x, m, c=c, label=lab); b.fill_between(x, m - s, m + s, color=c, alpha=.2)
    b.axvline(budget_s, c='k', ls='--', lw=1); b.axhline(0.9, c='gray', ls=':', lw=1)
    b.set_xlabel('training wall seconds'); b.set_ylabel('purity'); b.set_ylim(0, 1); b.grid(alpha=.3)
    b.legend(loc='lower right', fontsize=7); b.set_title('purity vs wall time (2 threads, fp32)', fontsize=9)
    fig.tight_layout(); os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
    fig.savefig(png, dpi=80); print(f"wrote {png} ({os.path.getsize(png) / 1e3:.0f} KB)")

def main(argv=None):
    a = parse_args(argv)
    if a.from_json:
        res = json.load(open(a.from_json))
        if a.s_per_it is not None:                # e.g. an idle-machine timing instead of one taken under load
            res['timing_under_load'] = res.get('timing'); res['s_per_it_emulated_avx2'] = a.s_per_it
            res['timing'] = dict(s_per_it=a.s_per_it, note='given with --s_per_it when redrawing')
            res['zen3_factor'] = a.zen3_factor
            res['summary'] = summarise(res['runs'], a.s_per_it, a.zen3_factor)
            json.dump(res, open(a.from_json, 'w'), indent=1)
        return plot(res, a.png, a.budget_s)
    import mpcc_nbdev   # the package's OpenMP wait default (00a_init), before torch loads libgomp
    over = overrides_of(a.setting)
    t = measure_s_per_it(over, a.threads) if a.s_per_it is None else dict(s_per_it=a.s_per_it, load_before=None)
    print(f"emulated AVX2 s/it {t['s_per_it']} (load {t.get('load_before')}) -> Zen 3 ~{t['s_per_it'] * a.zen3_factor:.3f} s/it", flush=True)
    if a.isa == 'avx2': os.environ.update(ATEN_CPU_CAPABILITY='avx2', ONEDNN_MAX_CPU_ISA='AVX2')
    import torch
    torch.set_num_threads(a.threads)
    from mpcc_nbdev.config import preset
    from mpcc_nbdev.data import load_dataset
    iters = a.iters or preset('mnist5k_cpu', **over).n_iters
    sweep_cpu.SETTINGS['curve'] = over; sweep_cpu.BASE = {}
    data = load_dataset('mnist5k')
    with tempfile.TemporaryDirectory() as d:
        res = sweep_cpu.Results(os.path.join(d, 'runs.json'))
        sa = argparse.Namespace(seeds=a.seeds, iters=iters, eval_every=a.eval_every, isa=a.isa, redo=True)
        sweep_cpu.run_train(sa, ['curve'], res, data)
        runs = res.recs + [reused(spec, iters, a.eval_every) for spec in a.reuse]
        runs.sort(key=lambda r: r['seed'])
    out = dict(setting=over, config=runs[0]['config'], seeds=[r['seed'] for r in runs], iters=iters, s_per_it_emulated_avx2=t['s_per_it'],
               timing=t, zen3_factor=a.zen3_factor, machine=sweep_cpu.machine(),
               summary=summarise(runs, t['s_per_it'], a.zen3_factor), runs=runs)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    json.dump(out, open(a.out, 'w'), indent=1)
    for r in out['summary']:
        print(f"it {r['it']:5} zen3~{r['zen3_s']:6.0f} s here {r['train_s_mean']:6.0f} s: purity {r['purity_mean']:.3f}±{r['purity_std']:.3f} "
              f"acc {r['acc_mean']:.3f}±{r['acc_std']:.3f} nmi {r['nmi_mean']:.3f}±{r['nmi_std']:.3f}")
    plot(out, a.png, a.budget_s)

if __name__ == '__main__': main()
