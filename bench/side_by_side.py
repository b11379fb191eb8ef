"""Clustering curves of the package and of the authors' code (jumpynitro/MPCC) trained on the same pixels, side by side.

    python bench/side_by_side.py --setting small --seeds 0 1 2            # ~ch 4, batch 64, 1 D + 1 E, 1,600 iterations
    python bench/side_by_side.py --setting mnist --iters 1500 --log_every 250 --seeds 0 --lines authors paper_fp32
    python bench/side_by_side.py --tiny --out /tmp/tiny.json                # seconds: a few iterations, package only
    python bench/side_by_side.py --setting small --collect                  # only rebuild the JSON from the run logs

Lines (`--lines`): `authors` (their code, fp32, through /work/shared/authors/authors_train.py), `paper_fp32` (the
package's paper defaults), `authors_code_fp32` (`cfg.authors_code()`), `paper_auto` (paper defaults at the package's
default precision: bf16 on a CPU with bf16 matrix units), and any `--line NAME='{"authors_code": true, "field": v}'`
(one switch at a time). Each (line, seed) run appends its log points to `<runs>/<line>_s<seed>.jsonl`; a finished run is
skipped, an unfinished package run continues from its last checkpoint (written at every log point), an unfinished run
of the authors' code (no checkpoints) starts again. Runs go one after another, each in its own process.

Both codes are scored the same way, as their logging does: the cluster of an image is argmax_k q(k | z = encoder mean),
the encoder in eval mode, on 2,000 fixed images (`randperm(N, seed)[:2000]`, the indices of authors_train.py and of
the package's own logs); purity = row maxima of the contingency table / N; Hungarian accuracy via scipy.
Both train on the images of the `.npz` written by the authors' tools' prep_data.py (the package's loader, stored as
float16, read back as float32), so both see identical pixels. Real batches: uniform draws with replacement on both sides.
"""
import argparse, json, os, platform, subprocess, sys, time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOOLS = Path(os.environ.get('AUTHORS_TOOLS', '/work/shared/authors'))
RESULTS = HERE / 'results'

# the small setting in both codes' words
SETTINGS = dict(
    small=dict(preset='mnist5k_cpu', data='mnist5k', root=None, iters=1600, log_every=200,
               package=dict(ch=4, batch_size=64, d_steps=1, e_steps=1, ema_start=300, ema_decay=0.99),
               authors=['--G_ch', '4', '--D_ch', '4', '--batch_size', '64', '--num_D_steps', '1', '--num_E_steps', '1',
                        '--ema_start', '300', '--ema_decay', '0.99']),
    mnist=dict(preset='mnist', data='mnist', root='/work/data/mnist', iters=1500, log_every=250, package={}, authors=[]),
)
LINES = dict(paper_fp32=dict(precision='fp32'), authors_code_fp32=dict(authors_code=True, precision='fp32'),
             paper_auto=dict(), authors=None)
KEYS = ('setting', 'iters', 'log_every', 'seeds', 'lines', 'machine', 'runs', 'summary')

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split('\n\n', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--setting', default='small', choices=tuple(SETTINGS))
    p.add_argument('--iters', type=int, default=None, help="iterations per run (default: the setting's)")
    p.add_argument('--log_every', type=int, default=None, help="iterations between log points (default: the setting's)")
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--lines', nargs='+', default=['authors', 'authors_code_fp32', 'paper_fp32', 'paper_auto'])
    p.add_argument('--line', action='append', default=[], metavar="NAME=JSON", help='an extra package line: config changes')
    p.add_argument('--order', default='seed', choices=('seed', 'line'), help="'seed': all lines of a seed, then the next seed")
    p.add_argument('--runs', default=None, help='folder of the per-run JSONL logs and checkpoints (default: bench/runs/<setting>)')
    p.add_argument('--out', default=None, help='the JSON of curves (default: bench/results/side_by_side_<setting>.json)')
    p.add_argument('--data', default=None, help='the .npz of both codes (default: <runs>/data.npz, written by prep_data.py)')
    p.add_argument('--collect', action='store_true', help='train nothing: rebuild the JSON from the run logs')
    p.add_argument('--tiny', action='store_true', help="a few iterations of the package's side only, in seconds")
    p.add_argument('--run', default=None, help=argparse.SUPPRESS)   # internal: train one package run (LINE:SEED)
    return p.parse_args(argv)

def line_changes(a):
    "{line: config changes (None for the authors' code)} of the requested lines."
    extra = dict(s.split('=', 1) for s in a.line)
    out = {}
    for n in a.lines:
        if n in extra: out[n] = json.loads(extra[n])
        elif n in LINES: out[n] = LINES[n]
        else: raise SystemExit(f"side_by_side: error: unknown line {n!r}: use one of {sorted(LINES)} or define it with --line {n}=JSON")
    return out

def machine(precision=None):
    "CPU model, torch's CPU capability, load average, threads and versions."
    import torch, numpy, scipy
    import mpcc_nbdev
    from _common import cpu_model     # bench/_common.py
    return dict(cpu=cpu_model(), cores=os.cpu_count(), cpu_capability=torch.backends.cpu.get_cpu_capability(),
                loadavg=open('/proc/loadavg').read().split()[:3], torch_threads=torch.get_num_threads(),
                OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS'), OMP_WAIT_POLICY=os.environ.get('OMP_WAIT_POLICY'),
                precision=precision, python=platform.python_version(), torch=torch.__version__, numpy=numpy.__version__,
                scipy=scipy.__version__, mpcc_nbdev=mpcc_nbdev.__version__, authors_git_head=_authors_head())

def _authors_head():
    g = os.environ.get('AUTHORS_GIT')
    if not g: return None
    r = subprocess.run(['git', '-C', g, 'rev-parse', 'HEAD'], capture_output=True, text=True)
    return r.stdout.strip() or None

def purity(y, c):
    "Row maxima of the contingency table w[cluster, class], over N."
    import numpy as np
    w = np.zeros((c.max() + 1, y.max() + 1)); np.add.at(w, (c, y), 1); return float(w.max(1).sum() / len(y))

def hungarian(y, c):
    "One-to-one accuracy: the best assignment of clusters to classes (scipy)."
    import numpy as np
    from scipy.optimize import linear_sum_assignment
    k = max(c.max(), y.max()) + 1
    w = np.zeros((k, k)); np.add.at(w, (c, y), 1); r, s = linear_sum_assignment(w, maximize=True)
    return float(w[r, s].sum() / len(y))

def read_jsonl(path):
    "The complete records of a JSONL file (a partial last line is ignored)."
    if not Path(path).exists(): return []
    out = []
    for l in Path(path).read_text().splitlines():
        try: out.append(json.loads(l))
        except ValueError: pass
    return out

# ---------------------------------------------------------------- the package's side (one run per process)
def package_config(setting, changes, seed, iters, log_every):
    "The package's config of a line: the setting's preset and fields, then `authors_code()` if asked, then the changes."
    from mpcc_nbdev.config import preset
    ch = {k: v for k, v in changes.items() if not k.startswith('_')}   # '_' keys: bench-only knobs (see `knobs`)
    ac = ch.pop('authors_code', False)
    cfg = preset(setting['preset'], **setting['package'], seed=seed, n_iters=iters, log_every=log_every, device='cpu')
    if ac: cfg = cfg.authors_code()
    return cfg.replace(**ch)

def load_npz(path, name):
    "ImageData of the .npz written by prep_data.py (float16 pixels read back as float32)."
    import numpy as np, torch
    from mpcc_nbdev.data import ImageData
    d = np.load(path)
    return ImageData(torch.from_numpy(d['x'].astype(np.float32)), torch.from_numpy(d['y'].astype(np.int64)), name=name)

def run_package(a, line, seed, changes):
    "Train one package run, appending a record at every log point; continue from the last checkpoint if there is one."
    import numpy as np, torch
    from mpcc_nbdev.train import Trainer
    st = SETTINGS[a.setting]
    runs, iters, every = Path(a.runs), a.iters, a.log_every
    log, ck = runs / f'{line}_s{seed}.jsonl', runs / f'{line}_s{seed}.pt'
    if a.tiny or not a.data:
        from mpcc_nbdev.data import load_dataset
        data = load_dataset(st['data'], root=st['root'])
    else: data = load_npz(a.data, st['data'])
    cfg = package_config(st, changes, seed, iters, every)
    if ck.exists():
        t = Trainer.load(ck, data=data, out_dir=None, progress=False); t.out_dir = None
        recs = [r for r in read_jsonl(log) if r['it'] <= t.it]
        log.write_text(''.join(json.dumps(r) + '\n' for r in recs))
        print(f"{line} seed {seed}: continuing at iteration {t.it}", flush=True)
    else:
        log.write_text('')
        t = knobs(Trainer(cfg, data, progress=False), changes)
    t._need_data()
    idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:2000]   # authors_train.py's indices
    xl, yl = data.x[idx], data.y[idx].numpy()
    acc, t0, n = None, time.perf_counter(), 0
    with open(log, 'a') as f:
        while t.it < iters:
            l = t.step(); n += 1
            acc = l.detach().clone() if acc is None else acc + l
            if t.it % every and t.it != iters: continue
            dt = (time.perf_counter() - t0) / n
            pred = t.predict(xl).numpy()
            s, ms = t.prior.sigmas.detach(), t.prior.membership_sigmas.detach()
            rec = dict(it=t.it, s_per_it=round(dt, 4), purity=purity(yl, pred), acc=hungarian(yl, pred),
                       sigma_min=float(ms.min()), sigma_max=float(ms.max()),
                       sample_sigma_min=float(s.min()), sample_sigma_max=float(s.max()),
                       occ=np.bincount(pred, minlength=cfg.n_clusters).tolist(),
                       **{k: round(float(v), 4) for k, v in zip(t.losses, (acc / n).tolist())},
                       load=round(os.getloadavg()[0], 2), precision=t.cfg.precision)
            if not a.tiny: t.save(ck)
            f.write(json.dumps(rec) + '\n'); f.flush(); print(line, seed, json.dumps(rec), flush=True)
            acc, t0, n = None, time.perf_counter(), 0

def knobs(t, changes):
    """Bench-only changes that make a fresh package run start like the authors' code where no config field does:
    `_bias_init='torch'`: biases of every conv/linear layer drawn as PyTorch's default, U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    as their N02 init leaves them (the package zeroes them); `_sn_warmup=False`: the spectral norms' power-iteration
    vector u restarted from N(0, I), as their `SN` starts (torch's `spectral_norm` runs 15 power iterations when registered)."""
    import math, torch, torch.nn as nn
    mods = [m for net in (t.G, t.D, t.E) for m in net.modules()]
    with torch.no_grad():
        if changes.get('_bias_init') == 'torch':
            for m in {id(m): m for m in mods if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None}.values():
                w = m.parametrizations.weight.original if hasattr(m, 'parametrizations') else m.weight
                b = 1 / math.sqrt(w[0].numel()); m.bias.uniform_(-b, b)
        if changes.get('_sn_warmup') is False:
            for m in {id(m): m for m in mods if type(m).__name__ == '_SpectralNorm'}.values():
                m._u.copy_(nn.functional.normalize(torch.randn_like(m._u), dim=0, eps=m.eps))
    return t

# ---------------------------------------------------------------- the authors' side
def authors_ready():
    "None if the authors' code can run, else the reason it cannot."
    if not os.environ.get('AUTHORS_GIT'): return "AUTHORS_GIT is unset (a git directory of jumpynitro/MPCC)"
    if not (TOOLS / 'authors_train.py').exists(): return f"{TOOLS}/authors_train.py not found (set AUTHORS_TOOLS)"
    return None

def ensure_npz(a):
    "Write the .npz of the setting's images with prep_data.py unless it exists."
    if Path(a.data).exists(): return
    st = SETTINGS[a.setting]
    cmd = [sys.executable, str(TOOLS / 'prep_data.py'), st['data'], a.data] + (['--root', st['root']] if st['root'] else [])
    subprocess.run(cmd, check=True)

def run_authors(a, seed):
    "Train their code for one seed (no checkpoints: an unfinished log is started again)."
    log = Path(a.runs) / f'authors_s{seed}.jsonl'
    if log.exists(): log.unlink()
    cmd = [sys.executable, str(TOOLS / 'authors_train.py'), '--data', a.data, '--out', str(log), '--iters', str(a.iters),
           '--log_every', str(a.log_every), '--seed', str(seed), '--'] + SETTINGS[a.setting]['authors']
    print(' '.join(cmd), flush=True)
    return subprocess.run(cmd).returncode

# ---------------------------------------------------------------- driver
def done(a, line, seed):
    recs = read_jsonl(Path(a.runs) / f'{line}_s{seed}.jsonl')
    return bool(recs) and recs[-1]['it'] >= a.iters

def summarise(runs, lines, iters_of):
    "{line: [{it, n, purity_mean, purity_std, acc_mean, acc_std, s_per_it_mean}]} over the seeds that reached each point."
    import numpy as np
    out = {}
    for line in lines:
        rs = [r for r in runs if r['line'] == line]
        its = sorted({p['it'] for r in rs for p in r['curve']})
        rows = []
        for it in its:
            pts = [p for r in rs for p in r['curve'] if p['it'] == it]
            row = dict(it=it, n=len(pts), seeds=[r['seed'] for r in rs for p in r['curve'] if p['it'] == it])
            for k in ('purity', 'acc', 's_per_it'):
                v = np.array([p[k] for p in pts], float)
                row[k + '_mean'] = round(float(v.mean()), 4)
                row[k + '_std'] = round(float(v.std(ddof=1)), 4) if len(v) > 1 else None
            rows.append(row)
        out[line] = rows
    return out

def remember(a, changes):
    "Write each line's config changes beside its runs (`<line>.line.json`), so that `collect` knows every line."
    for n, ch in changes.items():
        (Path(a.runs) / f'{n}.line.json').write_text(json.dumps(dict(name=n, changes=ch)))

def collect(a, changes):
    "One JSON of all curves found in the run folder (every line and seed run there), with the configs and the machine."
    known = {json.loads(p.read_text())['name']: json.loads(p.read_text())['changes'] for p in sorted(Path(a.runs).glob('*.line.json'))}
    changes = {**{n: c for n, c in known.items() if n not in changes}, **changes}
    order = list(LINES) + sorted(n for n in changes if n not in LINES)
    changes = {n: changes[n] for n in order if n in changes}
    runs = []
    for line in changes:
        for p in sorted(Path(a.runs).glob(f'{line}_s*.jsonl'), key=lambda p: int(p.stem.rsplit('_s', 1)[1])):
            c = read_jsonl(p)
            if c: runs.append(dict(line=line, seed=int(p.stem.rsplit('_s', 1)[1]), complete=c[-1]['it'] >= a.iters, curve=c))
    changes = {n: c for n, c in changes.items() if any(r['line'] == n for r in runs)}
    a.seeds = sorted({r['seed'] for r in runs})
    st = SETTINGS[a.setting]
    lines = {}
    for n, ch in changes.items():
        if ch is None: lines[n] = dict(code='authors', precision='fp32', flags=st['authors'], data=a.data)
        else:
            cfg = package_config(st, ch, 0, a.iters, a.log_every)
            lines[n] = dict(code='package', changes=ch, precision=cfg.precision, config=cfg.to_dict())
    res = dict(setting=dict(name=a.setting, **{k: v for k, v in st.items()}), iters=a.iters, log_every=a.log_every,
               seeds=a.seeds, lines=lines, machine=machine(), runs=runs, summary=summarise(runs, changes, a.iters),
               scoring="argmax q(y|z) at the encoder mean (E in eval mode), 2,000 fixed images randperm(N, seed)[:2000]; "
                       "purity = row maxima of the contingency table / N; acc = Hungarian (scipy linear_sum_assignment)")
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1))
    return res

def main(argv=None):
    a = parse_args(argv)
    st = SETTINGS[a.setting]
    if a.tiny:
        import tempfile
        a.iters, a.log_every, a.seeds = a.iters or 4, a.log_every or 2, a.seeds[:1]
        pk = [l for l in a.lines if l != 'authors']
        a.lines = ['paper_fp32'] if 'paper_fp32' in pk or not pk else pk[:1]
        a.runs = a.runs or tempfile.mkdtemp(prefix='side_by_side_tiny_')
        a.out = a.out or str(Path(a.runs) / 'side_by_side_tiny.json')
        why = authors_ready()
        print("side_by_side: the authors' side is skipped: --tiny trains the package only"
              + (f" (and {why})" if why else ""), flush=True)
    a.iters, a.log_every = a.iters or st['iters'], a.log_every or st['log_every']
    a.runs = a.runs or str(HERE / 'runs' / a.setting)
    a.out = a.out or str(RESULTS / f'side_by_side_{a.setting}.json')
    changes = line_changes(a)
    Path(a.runs).mkdir(parents=True, exist_ok=True)
    remember(a, changes)
    if a.run:
        line, seed = a.run.rsplit(':', 1)
        return run_package(a, line, int(seed), changes[line])
    if not a.tiny and not a.collect:
        a.data = a.data or str(Path(a.runs) / 'data.npz')
        why = authors_ready()
        if why and 'authors' in changes:
            print(f"side_by_side: the authors' side is skipped: {why}", flush=True)
            changes.pop('authors')
        if Path(a.data).exists() or not why: ensure_npz(a)
        else: a.data = None
        todo = [(l, s) for s in a.seeds for l in changes] if a.order == 'seed' else [(l, s) for l in changes for s in a.seeds]
        for line, seed in todo:
            if done(a, line, seed): print(f"{line} seed {seed}: done, skipped", flush=True); continue
            if changes[line] is None: rc = run_authors(a, seed)
            else:
                cmd = [sys.executable, __file__, '--setting', a.setting, '--iters', str(a.iters), '--log_every', str(a.log_every),
                       '--runs', a.runs, '--lines', line, '--seeds', str(seed), '--run', f'{line}:{seed}']
                cmd += sum((['--line', s] for s in a.line), []) + (['--data', a.data] if a.data else [])
                rc = subprocess.run(cmd).returncode
            if rc: print(f"side_by_side: {line} seed {seed} failed (exit {rc})", flush=True)
            collect(a, changes)
    elif a.tiny:
        for line in changes:
            run_package(a, line, a.seeds[0], changes[line])
    res = collect(a, changes)
    print(f"side_by_side: wrote {a.out} ({len(res['runs'])} runs)", flush=True)

if __name__ == '__main__':
    sys.exit(main())
