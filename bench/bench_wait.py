"""OpenMP's wait policy against the training step: seconds per iteration of `Trainer.step` per spin count, on a quiet
machine and beside busy processes.

    python bench/bench_wait.py                                   # mnist and mnist5k_cpu, spins 0 5000 10000 20000 active, 0 / 2 / 6 busy
    python bench/bench_wait.py --presets mnist --busy 0 --spins 0 10000 active --isa avx2 --precision fp32

Every (preset, spin, busy) point is a fresh child process (libgomp reads its variables once, when torch loads it),
2 threads unless `--threads`, random 8-bit images of the preset's shape, median of `--iters` iterations after
`--warmup`. `spin` N sets `OMP_WAIT_POLICY=PASSIVE GOMP_SPINCOUNT=N` (libgomp's explicit spin count wins over the
policy); `active` sets `OMP_WAIT_POLICY=ACTIVE`. The busy processes are Python loops at the same priority, started
before and stopped after each busy level, so `--busy 2` on a 2-core machine is a machine another job fills.
The spins of one busy level run interleaved, `--rounds` times: compare within a level. Other work on the machine moves
every figure: the load average is printed beside each line, and the quiet level means nothing on a busy machine.
"""
import argparse, json, multiprocessing as mp, os, subprocess, sys, time
HERE = os.path.dirname(os.path.abspath(__file__))

CHILD = r"""
import os, sys, time, statistics, json
sys.path.insert(0, {here!r})
import mpcc_nbdev, torch
from mpcc_nbdev.config import preset
from mpcc_nbdev.train import Trainer
from _common import fake_data
torch.set_num_threads({threads})
cfg = preset({preset!r}, precision={precision!r}, device='cpu')
t = Trainer(cfg, fake_data(cfg), progress=False)
for _ in range({warmup}): t.step()
ts = []
for _ in range({iters}):
    t0 = time.perf_counter(); t.step(); ts.append(time.perf_counter() - t0)
print(json.dumps(dict(med=statistics.median(ts), times=ts, precision=t.cfg.precision, threads=torch.get_num_threads(), capability=torch.backends.cpu.get_cpu_capability())))
"""

def busy_loop():
    while True: pass

def spin_env(spin):
    "The OpenMP variables of one spin setting: 'active', or a libgomp spin count under PASSIVE."
    env = {k: v for k, v in os.environ.items() if k not in ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT')}
    if spin == 'active': env['OMP_WAIT_POLICY'] = 'ACTIVE'
    else: env.update(OMP_WAIT_POLICY='PASSIVE', GOMP_SPINCOUNT=str(int(spin)))
    return env

def run_child(a, preset, spin):
    code = CHILD.format(here=HERE, threads=a.threads, preset=preset, precision=a.precision, warmup=a.warmup, iters=a.iters)
    env = spin_env(spin)
    if a.isa == 'avx2': env.update(ATEN_CPU_CAPABILITY='avx2', ONEDNN_MAX_CPU_ISA='AVX2')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env)
    if r.returncode: raise SystemExit(f"child failed ({preset}, spin {spin}):\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])

def save(path, machine, args, rows):
    with open(path, 'w') as f: json.dump(dict(machine=machine, args=vars(args), rows=rows), f, indent=1)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__.split('\n\n', 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--presets', nargs='+', default=['mnist', 'mnist5k_cpu'])
    p.add_argument('--spins', nargs='+', default=['0', '5000', '10000', '20000', 'active'], help="spin counts, or 'active'")
    p.add_argument('--busy', nargs='+', type=int, default=[0, 2, 6], help='busy processes beside the timed one, per level')
    p.add_argument('--active_busy', action='store_true', help="also time 'active' beside busy processes (slow: minutes)")
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--precision', default='auto')
    p.add_argument('--isa', default='native', choices=('native', 'avx2'))
    p.add_argument('--iters', type=int, default=6); p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--rounds', type=int, default=1)
    p.add_argument('--out', default=None, help='JSON of every point (default: print only)')
    a = p.parse_args()
    sys.path.insert(0, HERE)
    from _common import machine
    m = machine(); print(m, f"| {a.threads} threads, precision {a.precision}, isa {a.isa}", flush=True)
    rows = []
    for nb in a.busy:
        procs = [mp.Process(target=busy_loop, daemon=True) for _ in range(nb)]
        for q in procs: q.start()
        time.sleep(2 if nb else 0)
        try:
            for rnd in range(a.rounds):
                for preset in a.presets:
                    for spin in a.spins:
                        if spin == 'active' and nb and not a.active_busy: continue
                        l0 = os.getloadavg()[0]; r = run_child(a, preset, spin)
                        row = dict(preset=preset, spin=spin, busy=nb, round=rnd, load=round(l0, 2), **r)
                        rows.append(row)
                        if a.out: save(a.out, m, a, rows)                       # after every point: a stopped run keeps what it measured
                        print(f"busy {nb}  {preset:12} spin {spin:>7}  {r['med']:.3f} s/it  ({r['precision']}, {r['capability']}, {r['threads']} threads, load {l0:.2f})", flush=True)
        finally:
            for q in procs: q.terminate()

if __name__ == '__main__': main()
