"""Tables 1 and 2 of the paper from one command: the E_steps x eta_p grid and AIM / MPCC with and without sharing.

    python bench/ablations.py --preset cifar10 --seeds 0 1 2 --out runs/ablations        # the paper's setting (GPU)
    python bench/ablations.py --tiny --out /tmp/abl                                       # the whole grid in ~a minute on CPU
    python bench/ablations.py --paper_vs_code --preset mnist5k_cpu --out runs/pvc         # paper vs MPCCConfig.authors_code()

Cells (deduplicated: a cell of Table 2 with the same config as one of Table 1 is trained once):
  Table 1: (E_steps, eta_p) in (1, 2e-4), (2, 2e-4), (4, 2e-4), (4, 4e-4), (4, 6e-4); GMM prior, 3 shared blocks (S)
  Table 2: AIM-MPCC (NS), AIM-MPCC (S), MPCC (NS), MPCC (S); the preset's E_steps and eta_p (cifar10: 4, 6e-4, the best
           row of Table 1); AIM is MPCC with the N(0, I) prior (one cluster, G without classes); NS: n_shared=0.
Each (cell, seed) trains in out/runs/<cell>_seed<s>/ and writes out/cells/<cell>_seed<s>.json with its metrics
(purity, Hungarian accuracy, NMI, ARI, reconstruction MSE, IS/FID when the Inception weights are found and --n_gen > 0,
with their protocol labels). Rerunning skips finished cells and resumes an interrupted one from its checkpoint, so the
grid survives being killed. out/ablations.md holds both tables (mean +- std over seeds) next to the paper's values.
`--paper_vs_code` runs two cells instead, the preset as it is (the paper) and its `authors_code()` (every field where the
authors' code departs from the paper), and tabulates purity and Hungarian accuracy.
`--tiny` runs the `mixture2d` preset for a few iterations and 2 seeds: a check that the grid works, not a result.
Every figure is printed with the CPU capability, the CPU model and the load average, as all bench scripts do.
"""
import argparse, json, os, time
from pathlib import Path
import mpcc_nbdev   # the package's OpenMP wait default (00a_init), before torch loads libgomp
import numpy as np
from _common import machine   # bench/_common.py (this folder)
import torch

# The paper's numbers (CIFAR-10): Acc %, IS, FID, MSE x 1e-3, each (mean, std); None where not reported.
PAPER_T1 = {(1, 2e-4): ((41.31, 5.74), (8.82, .07), (11.38, .23), (1.34, .96)),
            (2, 2e-4): ((38.67, 3.52), (9.02, .05), (9.66, 3.98), (1.01, 1.11)),
            (4, 2e-4): ((38.27, 2.46), (9.25, .09), (7.50, .43), (0.331, .09)),
            (4, 4e-4): ((52.58, 5.30), (9.44, .06), (6.55, .33), (0.48, .22)),
            (4, 6e-4): ((61.99, 4.96), (9.49, .15), (6.59, .45), (1.04, 1.03))}
PAPER_T2 = {'AIM-MPCC (NS)': (None, (8.24, .07), (21.55, 1.47), (1.52, .84)),
            'AIM-MPCC (S)': (None, (9.09, .04), (10.42, .36), (1.64, 1.42)),
            'MPCC (NS)': (None, None, None, None),
            'MPCC (S)': ((61.99, 4.96), (9.49, .15), (6.59, .45), (1.04, 1.03))}
METRICS = ('purity', 'accuracy', 'mse_x1e3', 'is_mean', 'fid')

def grid(base):
    "{cell name: (table, label, config overrides)} of Tables 1 and 2 for base config `base`, deduplicated."
    cells, seen = {}, {}
    def add(table, label, **kw):
        key = json.dumps(sorted(kw.items()))
        name = seen.get(key) or f"t{table}_{label.replace(' ', '').replace('(', '_').replace(')', '').replace(',', '_')}"
        seen[key] = name
        cells.setdefault(name, dict(kw=kw, rows=[]))['rows'].append((table, label))
    for e, lr in PAPER_T1: add(1, f'E{e}_lr{lr:g}', e_steps=e, lr_prior=lr, n_shared=3, prior='gmm', n_clusters=base.n_clusters)
    for label in PAPER_T2:
        aim, shared = label.startswith('AIM'), label.endswith('(S)')
        add(2, label, e_steps=base.e_steps, lr_prior=base.lr_prior, n_shared=3 if shared else 0,
            prior='normal' if aim else 'gmm', n_clusters=1 if aim else base.n_clusters)
    return cells

def run_cell(name, kw, seed, a, base, data, out):
    "Train (or resume) one (cell, seed) and write its metrics JSON; returns the metrics."
    from mpcc_nbdev.train import Trainer
    from mpcc_nbdev.evaluation import evaluate
    res_path = out/'cells'/f'{name}_seed{seed}.json'
    if res_path.exists(): return json.loads(res_path.read_text()), True
    cfg = base.replace(seed=seed, **kw)
    run = out/'runs'/f'{name}_seed{seed}'
    t0 = time.time()
    if (run/'checkpoint.pt').exists(): t = Trainer.load(run/'checkpoint.pt', data, progress=False)   # resume
    else: t = Trainer(cfg, data, out_dir=run, overwrite=True, progress=False)
    t.fit(max(cfg.n_iters - t.it, 0))
    ev = evaluate(t, data, n_gen=a.n_gen, inception=None if a.n_gen > 0 else False, seed=seed)
    res = dict(cell=name, seed=seed, config=cfg.to_dict(), train_s=round(time.time() - t0, 2), machine=machine(),
               **{k: ev.get(k) for k in (*METRICS, 'nmi', 'ari', 'n_data', 'n_gen', 'fid_ref', 'fid_protocol', 'is_protocol', 'gen_metrics')})
    res_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = res_path.with_suffix('.tmp'); tmp.write_text(json.dumps(res, indent=1, default=str)); os.replace(tmp, res_path)
    return res, False

def pvc_table(results, preset_name, seeds):
    "Markdown: paper mode against authors_code(), purity / Hungarian accuracy per seed and mean ± std."
    out = [f"| `{preset_name}` | " + ' | '.join(f'seed {s}' for s in seeds) + " | mean ± std |\n|---|" + '---|' * (len(seeds) + 1) + '\n']
    for name in ('paper', 'authors_code'):
        rs = {r['seed']: r for r in results if r['cell'] == name}
        cell = lambda r: f"{100 * r['purity']:.1f} / {100 * r['accuracy']:.1f}" if r else '–'
        mean = lambda k: fmt([rs[s][k] for s in seeds if s in rs], 100, 3)
        out.append(f"| {name} | " + ' | '.join(cell(rs.get(s)) for s in seeds) + f" | {mean('purity')} / {mean('accuracy')} |\n")
    m = results[-1]['machine'] if results else machine()
    t = [r['train_s'] for r in results if r.get('train_s')]
    out.append(f"\npurity % / Hungarian accuracy %, all {results[0].get('n_data', '') if results else ''} samples; "
               f"training {min(t):.0f}-{max(t):.0f} s per run on {m['cpu_model']} ({m['cpu_capability']}), load average {m['load_avg']}.\n")
    return ''.join(out)

def fmt(vals, scale=1., digits=3):
    "mean +- std of the non-None values (scaled), or '–'."
    v = [x * scale for x in vals if x is not None and np.isfinite(x)]
    if not v: return '–'
    return f"{np.mean(v):.{digits}g} ± {np.std(v):.2g}" if len(v) > 1 else f"{v[0]:.{digits}g}"

def pfmt(p): return '–' if p is None else f"{p[0]:g} ± {p[1]:g}"

def table(cells, results, preset_name, seeds):
    "Markdown of Tables 1 and 2: ours (mean ± std over seeds) and the paper's (CIFAR-10)."
    head = ("| {row} | purity % | Hungarian acc % | MSE ×1e-3 | IS | FID | seeds | paper: Acc % | paper: IS | paper: FID | paper: MSE |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|\n")
    out = [f"## Ablations on `{preset_name}` (seeds {', '.join(map(str, seeds))}); paper: CIFAR-10\n"]
    for tab, paper, row in ((1, PAPER_T1, 'E_steps, η_p'), (2, PAPER_T2, 'model')):
        out.append(f"\n### Table {tab}\n\n" + head.format(row=row))
        for pkey, pv in paper.items():
            label = f'E{pkey[0]}_lr{pkey[1]:g}' if tab == 1 else pkey
            name = next(n for n, c in cells.items() if (tab, label) in c['rows'])
            rs = [r for r in results if r['cell'] == name]
            aim = tab == 2 and label.startswith('AIM')
            ours = ['–' if aim else fmt([r['purity'] for r in rs], 100, 4), '–' if aim else fmt([r['accuracy'] for r in rs], 100, 4),
                    fmt([r['mse_x1e3'] for r in rs]), fmt([r['is_mean'] for r in rs]), fmt([r['fid'] for r in rs])]
            shown = f"{pkey[0]}, {pkey[1]:g}" if tab == 1 else label
            out.append(f"| {shown} | " + ' | '.join(ours) + f" | {len(rs)} | " + ' | '.join(pfmt(p) for p in pv) + ' |\n')
    prot = sorted({r.get('fid_protocol') or r.get('gen_metrics') or '' for r in results} - {''})
    out.append("\nIS/FID: " + ('; '.join(prot) if prot else 'not computed') +
               ". Purity is the paper's \"accuracy\" (Eq. 11); Hungarian accuracy is the one-to-one matching.\n")
    m = results[-1]['machine'] if results else machine()
    out.append(f"\nMachine: {m['cpu_model']} (capability {m['cpu_capability']}), CUDA {m['cuda']}, load average {m['load_avg']}.\n")
    return ''.join(out)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--preset', default='cifar10'); p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--out', default='runs/ablations'); p.add_argument('--n_iters', type=int, default=None)
    p.add_argument('--n_gen', type=int, default=50_000, help='generated images for IS/FID (0: skip them)')
    p.add_argument('--device', default=None); p.add_argument('--data_root', default=None)
    p.add_argument('--threads', type=int, default=None)
    p.add_argument('--paper_vs_code', action='store_true', help="two cells: the preset (paper) and its authors_code()")
    p.add_argument('--tiny', action='store_true', help='mixture2d, 12 iterations, 2 seeds, no IS/FID: the grid in ~a minute')
    a = p.parse_args(argv)
    if a.threads: torch.set_num_threads(a.threads)
    from mpcc_nbdev.config import preset
    from mpcc_nbdev.data import load_config_data
    from mpcc_nbdev.inception import PAPER_PROTOCOL
    if a.tiny:
        a.preset, a.n_gen = 'mixture2d', 0
        if a.seeds == [0, 1, 2]: a.seeds = [0, 1]
        a.n_iters = a.n_iters or 12
    over = dict(device=a.device) if a.device else {}
    if a.n_iters is not None: over['n_iters'] = a.n_iters
    if a.tiny: over.update(log_every=10**6, ckpt_every=10**6)
    base = preset(a.preset, **over)
    split = PAPER_PROTOCOL.get(a.preset, {}).get('generation')                     # cifar10: the IS/FID runs train on 'train'
    if split: base = base.replace(split=split)
    data = load_config_data(base, a.data_root)                                       # AIM cells train on the same data
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    from mpcc_nbdev.config import AUTHORS_CODE
    cells, results = (dict(paper=dict(kw={}), authors_code=dict(kw=dict(AUTHORS_CODE))) if a.paper_vs_code else grid(base)), []
    print(f"{len(cells)} cells x {len(a.seeds)} seeds on {a.preset} ({len(data)} samples, {base.n_iters} iterations each); {machine()}", flush=True)
    for s in a.seeds:                                                              # seed by seed: a full table early
        for name, c in cells.items():
            r, cached = run_cell(name, c['kw'], s, a, base, data, out)
            results.append(r)
            print(f"{name:22} seed {s}: " + ('cached' if cached else f"{r['train_s']:.1f} s") + ', ' +
                  ', '.join(f"{k} {r[k]:.4g}" for k in METRICS if r.get(k) is not None) + f", load {os.getloadavg()[0]:.2f}", flush=True)
    md = pvc_table(results, a.preset, a.seeds) if a.paper_vs_code else table(cells, results, a.preset, a.seeds)
    (out/('paper_vs_code.md' if a.paper_vs_code else 'ablations.md')).write_text(md)
    print(md)
    return md

if __name__ == '__main__': main()
