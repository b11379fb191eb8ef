"""Seeds·it/s of `train_seeds` for N = 1, 2, 5, 10 runs trained at once (one process per run) on the current device.

    python bench/bench_seeds.py --preset mnist --iters 50 --ns 1 2 5 10            # on a GPU (best under NVIDIA MPS)
    python bench/bench_seeds.py --preset mnist5k --ch 4 --iters 20 --threads 1      # tiny width on a CPU

Each run trains `--iters` iterations on random 8-bit images of the preset's shape (speed does not depend on image
content). The figure is N·iters divided by the window from the first run's start of training to the last run's end
(process start-up and data loading excluded; they are printed separately as the total wall time). The load average
is printed with every figure, because on a shared CPU the numbers move with it.
"""
import argparse, os, time
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import torch
from mpcc_nbdev.config import preset
from mpcc_nbdev.parallel import train_seeds

from _common import fake_data, cpu_model   # bench/_common.py (this folder)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--preset', default='mnist5k'); p.add_argument('--ch', type=int, default=None)
    p.add_argument('--iters', type=int, default=20); p.add_argument('--ns', type=int, nargs='+', default=[1, 2, 5, 10])
    p.add_argument('--threads', type=int, default=1, help='torch threads per run'); p.add_argument('--device', default='auto')
    p.add_argument('--precision', default='fp32'); p.add_argument('--batch_size', type=int, default=None)
    a = p.parse_args()
    kw = dict(device=a.device, precision=a.precision, log_every=10**6, ckpt_every=10**6)
    if a.ch: kw['ch'] = a.ch
    if a.batch_size: kw['batch_size'] = a.batch_size
    cfg0 = preset(a.preset, **kw)
    data = fake_data(cfg0)
    dev = 'cuda: ' + torch.cuda.get_device_name() if torch.cuda.is_available() and a.device != 'cpu' else f'cpu: {cpu_model()}'
    print(f"torch {torch.__version__}, {dev}, cpu capability {torch.backends.cpu.get_cpu_capability()}, cpus {os.cpu_count()}, "
          f"{a.threads} thread(s) per run, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, load average {os.getloadavg()[0]:.2f}")
    print(f"preset {a.preset} ch {cfg0.ch} batch {cfg0.batch_size} d_steps {cfg0.d_steps} e_steps {cfg0.e_steps}, {a.iters} iterations per run")
    base = None
    for n in a.ns:
        cfgs = [cfg0.replace(seed=s) for s in range(n)]
        l0, w0 = os.getloadavg()[0], time.perf_counter()
        res = train_seeds(cfgs, parallel=n, data=data, threads=a.threads, n_iters=a.iters)
        wall = time.perf_counter() - w0
        window = max(r['fit_s'][1] for r in res) - min(r['fit_s'][0] for r in res)
        rate = n * a.iters / window
        base = base or rate / n
        print(f"N={n:3d}: {rate:8.2f} seeds·it/s ({rate / base:.2f}x one seed's it/s; per run {a.iters / min(window, 1e9) :.2f} it/s over the window), "
              f"total wall {wall:.1f} s, load average before {l0:.2f} after {os.getloadavg()[0]:.2f}", flush=True)

if __name__ == '__main__': main()
