"""Kill -9 soak of resume: train on the CPU, SIGKILL the run at random moments (some timed into checkpoint writes and
between a log append and its checkpoint), resume each time, then compare every tensor of the final checkpoint with an
uninterrupted run and check the log (unique, complete, increasing iterations, same values).

    nice -n 10 python bench/soak_resume.py --which toy --kills 20
    nice -n 10 python bench/soak_resume.py --which digits --kills 20

Prints `kills survived K/N, final state bit-exact: yes/no, log records lost 0, doubled 0` (and the machine).
"""
import argparse, os, sys, json, time, random, signal, subprocess, tempfile, shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# name: (preset, overrides); ckpt_every is a multiple of log_every so that every resume starts on a log boundary
CONFIGS = dict(
    toy=('mixture2d', dict(ckpt_every=50, log_every=25, ema_start=200)),
    digits=('mnist5k', dict(ch=4, d_steps=1, e_steps=1, batch_size=16, ckpt_every=20, log_every=10, sample_every=20,
                            ema_start=40, ema_decay=0.99, standing_passes=1, precision='fp32')))
KILL_MODES = ('random', 'write', 'log', 'random', 'write', 'startup')   # the first kill is always 'early'


def make_cfg(which, n_iters):
    from mpcc_nbdev.config import preset
    name, kw = CONFIGS[which]
    return preset(name, n_iters=n_iters, device='cpu', **kw)


def child(which, out, n_iters):
    "One training process: resume the run in `out` if it has a checkpoint, else start it; train to the end."
    import torch
    torch.set_num_threads(1)
    from mpcc_nbdev.train import Trainer
    from mpcc_nbdev.data import load_config_data
    cfg = make_cfg(which, n_iters)
    data = load_config_data(cfg)
    t = Trainer.resume(out, data, progress=False) if (Path(out)/'checkpoint.pt').exists() else \
        Trainer(cfg, data, out_dir=out, progress=False)
    print('ready', t.it, flush=True)
    t.fit()
    print('done', t.it, flush=True)


def spawn(which, out, n_iters, errf):
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'OMP_WAIT_POLICY': 'PASSIVE',
           'PYTHONPATH': os.pathsep.join([str(ROOT), os.environ.get('PYTHONPATH', '')])}
    p = subprocess.Popen([sys.executable, __file__, '--child', which, out, str(n_iters)], stdout=subprocess.PIPE,
                         stderr=errf, text=True, env=env)
    p.which, p.start_it = which, 0
    return p


def wait_for(p, cond, timeout):
    "Poll `cond()` every 0.5 ms until it holds, the process ends, or `timeout` seconds pass; True if it held."
    t0 = time.perf_counter()
    while p.poll() is None and time.perf_counter() - t0 < timeout:
        if cond(): return True
        time.sleep(0.0005)
    return False


def kill_once(p, out, mode, period, rng):
    "Kill child `p` in the way `mode` says; returns what the kill hit."
    out = Path(out)
    tmps = lambda: any(out.glob('*.tmp'))
    if mode == 'early': time.sleep(rng.uniform(0, 0.05))
    elif mode == 'startup': pass                          # right after it is ready (lock taken, repairs done)
    elif mode == 'random': time.sleep(rng.uniform(0.2, 3) * period)
    elif mode == 'write':                                 # into the n-th checkpoint write from now (n = 1..3)
        for _ in range(rng.randint(1, 3)):
            if not wait_for(p, lambda: (out/'checkpoint.pt.tmp').exists(), 4 * period + 5): break
            if _ < 2: wait_for(p, lambda: not (out/'checkpoint.pt.tmp').exists(), 5)
        if not tmps(): wait_for(p, tmps, 4 * period + 5)
    elif mode == 'log':                                   # just after the log record of a checkpoint iteration
        log, every = out/'log.jsonl', CONFIGS[p.which][1]['ckpt_every']
        def at_ckpt():
            try: last = log.read_text().splitlines()[-1]
            except (OSError, IndexError): return False
            try: it = json.loads(last)['it']
            except ValueError: return False
            return it % every == 0 and it > p.start_it and not (out/'checkpoint.pt.tmp').exists() and it != last_ckpt()
        def last_ckpt():
            try: return json.loads((out/'results.json').read_text())['it']
            except (OSError, ValueError, KeyError): return -1
        time.sleep(rng.uniform(0, 1) * period)
        wait_for(p, at_ckpt, 4 * period + 5)
    if p.poll() is not None: return 'finished first'
    p.send_signal(signal.SIGKILL); p.wait()
    return 'inside a write' if tmps() else 'between writes'


def flat(ck):
    "Every tensor of a checkpoint (models, EMA, optimisers, RNG), by name."
    import torch
    s, out = torch.load(ck, map_location='cpu', weights_only=True), {}
    def walk(k, v):
        if isinstance(v, torch.Tensor): out[k] = v
        elif isinstance(v, dict): [walk(f'{k}.{a}', b) for a, b in v.items()]
        elif isinstance(v, (list, tuple)): [walk(f'{k}.{i}', b) for i, b in enumerate(v)]
        elif isinstance(v, (int, float, str)) and k not in ('versions',): out[k] = v
    for k, v in s.items():
        if k not in ('versions', 'history'): walk(k, v)
    return out


def same(a, b):
    import torch
    if a.keys() != b.keys(): return False
    return all(torch.equal(a[k], b[k]) if isinstance(a[k], torch.Tensor) else a[k] == b[k] for k in a)


def machine():
    from _common import cpu_model   # bench/_common.py (this folder)
    import torch
    return (f"machine: {cpu_model()}, torch {torch.__version__}, cpu capability {torch.backends.cpu.get_cpu_capability()}, "
            f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def soak(which, kills, n_iters, seed, keep=False):
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix=f'soak_{which}_'))
    errf = open(work/'stderr.txt', 'w')
    ckpt_every = CONFIGS[which][1]['ckpt_every']
    n_iters = n_iters or ckpt_every * (2 * kills + 10)
    p = spawn(which, str(work/'ref'), n_iters, errf)             # the uninterrupted reference run
    p.stdout.readline(); t0 = time.perf_counter(); p.communicate()
    if p.returncode != 0: sys.exit(f"soak: the reference run failed, see {work/'stderr.txt'}")
    ref_s = time.perf_counter() - t0
    period = ref_s / (n_iters / ckpt_every)                       # one checkpoint period (startup excluded)
    out, survived, hits, resumes = str(work/'run'), 0, {}, []
    for k in range(kills):
        p = spawn(which, out, n_iters, errf)
        line = p.stdout.readline().split()
        if not line or line[0] != 'ready':
            p.wait(); print(f"soak: resume after kill {k} failed (rc {p.returncode}), see {work/'stderr.txt'}"); break
        if k: survived += 1; resumes.append(int(line[1]))
        p.start_it = int(line[1])
        mode = 'early' if k == 0 else KILL_MODES[k % len(KILL_MODES)]
        hit = kill_once(p, out, mode, period, rng)
        hits[f'{mode}: {hit}'] = hits.get(f'{mode}: {hit}', 0) + 1
        if hit == 'finished first': break
    else:
        p = spawn(which, out, n_iters, errf)                      # the last resume runs to the end
        line = p.stdout.readline().split()
        if line and line[0] == 'ready': survived += 1; resumes.append(int(line[1]))
        p.communicate()
    errf.close()
    run, ref = work/'run', work/'ref'
    ok = (run/'checkpoint.pt').exists() and same(flat(run/'checkpoint.pt'), flat(ref/'checkpoint.pt'))
    got = [json.loads(l) for l in open(run/'log.jsonl')] if (run/'log.jsonl').exists() else []
    want = [json.loads(l) for l in open(ref/'log.jsonl')]
    its, want_its = [r['it'] for r in got], [r['it'] for r in want]
    lost, doubled = len(set(want_its) - set(its)), len(its) - len(set(its))
    drop = lambda r: {k: v for k, v in r.items() if k != 'it_per_s'}
    values_same = [drop(r) for r in got] == [drop(r) for r in want]
    increasing = all(a < b for a, b in zip(its, its[1:]))
    leftovers = sorted(p.name for p in run.glob('*.tmp'))
    res = json.loads((run/'results.json').read_text()) if (run/'results.json').exists() else {}
    notes = [l.strip() for l in open(work/'stderr.txt') if 'note:' in l]
    print(f"soak {which}: preset {CONFIGS[which][0]} {CONFIGS[which][1]}, n_iters {n_iters}, seed {seed}")
    print(f"  uninterrupted run {ref_s:.1f} s of training ({period:.2f} s per checkpoint); kills: {dict(sorted(hits.items()))}")
    print(f"  resumed at iterations {resumes}")
    print(f"  log increasing: {'yes' if increasing else 'no'}, log values equal to the uninterrupted run: {'yes' if values_same else 'no'}, "
          f"*.tmp left: {leftovers or 'none'}, results.json it {res.get('it')} (final {want_its[-1] if want_its else '?'})")
    print(f"  notes printed by the resumes: {len(notes)}, e.g. {notes[:2]}")
    print(f"  {machine()}")
    print(f"kills survived {survived}/{kills}, final state bit-exact: {'yes' if ok else 'no'}, log records lost {lost}, doubled {doubled}")
    if not keep: shutil.rmtree(work, ignore_errors=True)
    else: print(f"  kept {work}")
    return survived == kills and ok and lost == 0 and doubled == 0 and values_same and increasing


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--child':
        child(sys.argv[2], sys.argv[3], int(sys.argv[4])); sys.exit(0)
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--which', choices=list(CONFIGS), default='toy', help='toy: mixture2d MLPs; digits: mnist5k at width 4')
    ap.add_argument('--kills', type=int, default=20, help='number of SIGKILLs')
    ap.add_argument('--n_iters', type=int, default=None, help='iterations of the run (default: enough for the kills)')
    ap.add_argument('--seed', type=int, default=0, help='seed of the kill times')
    ap.add_argument('--keep', action='store_true', help='keep the run directories')
    a = ap.parse_args()
    sys.exit(0 if soak(a.which, a.kills, a.n_iters, a.seed, a.keep) else 1)
