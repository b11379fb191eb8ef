"""Seconds per full Algorithm-1 iteration (4 D steps, 1 G step, 4 E steps at the preset's settings) of `Trainer.step`.

    python bench/bench_train.py --preset mnist --iters 10 --precisions fp32 bf16

Times the median of `--iters` iterations after `--warmup` iterations, on random 8-bit images of the preset's shape
(speed does not depend on image content), on the current device ('auto': CUDA when available). The load average is
printed before and after, because on a shared CPU the numbers move with it.

OpenMP threads that spin while waiting (libgomp's default) are disastrous on a CPU shared with other processes
(10x slower with 2 threads at load 4 on 2 cores), so this script sets OMP_WAIT_POLICY=PASSIVE unless the variable
is already set; it must be set before torch is imported. Do the same for `mpcc_train` on a shared machine.
"""
import argparse, os, platform, statistics, time
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import torch
from mpcc_nbdev.config import preset
from mpcc_nbdev.data import ImageData
from mpcc_nbdev.train import Trainer

def fake_data(cfg, n=2000, seed=0):
    "Random 8-bit images (or 2-D points for the MLP presets) of the config's shape."
    g = torch.Generator().manual_seed(seed)
    if cfg.arch == 'mlp': return ImageData(torch.randn(n, cfg.data_dim, generator=g), name='fake')
    u = torch.randint(0, 256, (n, cfg.img_channels, cfg.img_size, cfg.img_size), generator=g)
    return ImageData(u.float() / 127.5 - 1, name='fake')

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def bench(cfg, iters=10, warmup=3):
    "Median and all per-iteration times (s) of `Trainer.step` for `cfg`."
    t = Trainer(cfg, fake_data(cfg), progress=False)
    for _ in range(warmup): t.step()
    sync(t.device); times = []
    for _ in range(iters):
        t0 = time.perf_counter(); t.step(); sync(t.device); times.append(time.perf_counter() - t0)
    return statistics.median(times), times, t.device

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--preset', default='mnist'); p.add_argument('--iters', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3); p.add_argument('--precisions', nargs='+', default=['fp32', 'bf16'])
    p.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: torch default)')
    p.add_argument('--device', default='auto'); p.add_argument('--compile', action='store_true')
    p.add_argument('--cuda_graphs', action='store_true', help='replay each iteration from a CUDA graph (CUDA only)')
    p.add_argument('--no_channels_last', action='store_true'); p.add_argument('--batch_size', type=int, default=None)
    a = p.parse_args()
    if a.cuda_graphs: a.warmup = max(a.warmup, 5)   # 3 eager warm-up steps and the capture stay out of the timing
    if a.threads: torch.set_num_threads(a.threads)
    load0 = os.getloadavg()
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, cpus {os.cpu_count()}, "
          f"torch threads {torch.get_num_threads()}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
          f"load average before {load0[0]:.2f}")
    for prec in a.precisions:
        kw = dict(precision=prec, device=a.device, compile=a.compile, channels_last=not a.no_channels_last, cuda_graphs=a.cuda_graphs)
        if a.batch_size: kw['batch_size'] = a.batch_size
        cfg = preset(a.preset, **kw)
        med, times, dev = bench(cfg, a.iters, a.warmup)
        print(f"{a.preset:9} {prec:5} {str(dev):6} channels_last={cfg.channels_last!s:5} compile={cfg.compile!s:5} cuda_graphs={cfg.cuda_graphs!s:5} "
              f"batch {cfg.batch_size} d_steps {cfg.d_steps} e_steps {cfg.e_steps}: "
              f"{med:.3f} s/iteration (median of {len(times)}; min {min(times):.3f}, max {max(times):.3f}), "
              f"{1 / med:.2f} it/s, load average now {os.getloadavg()[0]:.2f}", flush=True)

if __name__ == '__main__': main()
