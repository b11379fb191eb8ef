"""Seconds per full Algorithm-1 iteration (D steps, 1 G step, E steps at the preset's settings) of `Trainer.step`, and GFLOP/s.

    python bench/bench_train.py --preset mnist --iters 10 --precisions auto fp32 bf16 --formats channels_last contiguous
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python bench/bench_train.py ...   # as an AVX2-only CPU would run

Times the median of `--iters` iterations after `--warmup` iterations, on random 8-bit images of the preset's shape
(speed does not depend on image content), on the current device ('auto': CUDA when available). Prints the CPU model
and torch's CPU capability, what 'auto' resolves to, the FLOPs of one iteration (conv + matmul, forward + backward,
counted once with `torch.utils.flop_counter.FlopCounterMode`), the achieved GFLOP/s, and, on CPU, the fp32 GFLOP/s of
a large matmul in the same process (a practical peak to compare against). The load average is printed with every
line, because on a shared CPU the numbers move with it: compare variants side by side in one run.

OpenMP threads that spin while waiting (libgomp's default) are disastrous on a CPU shared with other processes
(10x slower with 2 threads at load 4 on 2 cores), so this script sets OMP_WAIT_POLICY=PASSIVE unless the variable
is already set; it must be set before torch is imported. `mpcc_train` does the same.
"""
import argparse, os, statistics, time
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import torch
from torch.utils.flop_counter import FlopCounterMode
from mpcc_nbdev.config import preset
from mpcc_nbdev.train import Trainer
from mpcc_nbdev.device import resolve_precision, resolve_device
from _common import cpu_model, fake_data   # bench/_common.py (this folder)

def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize(dev)

def iteration_flops(t):
    "FLOPs (conv + matmul, forward + backward) of one `Trainer.step`."
    with FlopCounterMode(display=False) as fc: t.step()
    return fc.get_total_flops()

def matmul_gflops(n=2048, reps=5):
    "fp32 GFLOP/s of an n x n matmul here: a practical peak of this CPU for these threads."
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b; t0 = time.perf_counter()
    for _ in range(reps): a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9

def bench(cfg, iters=10, warmup=3):
    "Median and all per-iteration times (s) of `Trainer.step` for `cfg`, the trainer, and FLOPs per iteration."
    t = Trainer(cfg, fake_data(cfg), progress=False)
    for _ in range(warmup): t.step()
    flops = iteration_flops(t)
    sync(t.device); times = []
    for _ in range(iters):
        t0 = time.perf_counter(); t.step(); sync(t.device); times.append(time.perf_counter() - t0)
    return statistics.median(times), times, t, flops

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--preset', default='mnist'); p.add_argument('--iters', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--precisions', nargs='+', default=['auto', 'fp32', 'bf16'], help="'auto', 'fp32', 'bf16'")
    p.add_argument('--formats', nargs='+', default=['channels_last', 'contiguous'], help="memory formats of images")
    p.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: torch default)')
    p.add_argument('--device', default='auto'); p.add_argument('--compile', action='store_true')
    p.add_argument('--cuda_graphs', action='store_true', help='replay each iteration from a CUDA graph (CUDA only)')
    p.add_argument('--batch_size', type=int, default=None)
    p.add_argument('--overrides', default='{}', help='more config fields as a Python/JSON dict, e.g. \'{"ch": 8}\'')
    a = p.parse_args()
    if a.cuda_graphs: a.warmup = max(a.warmup, 5)   # 3 eager warm-up steps and the capture stay out of the timing
    if a.threads: torch.set_num_threads(a.threads)
    dev = resolve_device(a.device)
    print(f"torch {torch.__version__}, CPU {cpu_model()!r}, torch CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '-')}, cpus {os.cpu_count()}, torch threads "
          f"{torch.get_num_threads()}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, device {dev}, "
          f"'auto' -> {resolve_precision('auto', dev)}, load average {os.getloadavg()[0]:.2f}")
    if dev.type == 'cpu': print(f"fp32 matmul 2048^2: {matmul_gflops():.0f} GFLOP/s (practical peak), load average {os.getloadavg()[0]:.2f}")
    for prec in a.precisions:
        for fmt in a.formats:
            kw = dict(precision=prec, device=a.device, compile=a.compile, channels_last=fmt == 'channels_last', cuda_graphs=a.cuda_graphs, **eval(a.overrides))
            if a.batch_size: kw['batch_size'] = a.batch_size
            cfg = preset(a.preset, **kw)
            med, times, t, flops = bench(cfg, a.iters, a.warmup)
            print(f"{a.preset:9} {prec:4}->{t.cfg.precision:4} {fmt:13} compile={cfg.compile!s:5} cuda_graphs={cfg.cuda_graphs!s:5} batch {cfg.batch_size} "
                  f"d/e steps {cfg.d_steps}/{cfg.e_steps}: {med:.3f} s/it (median of {len(times)}; min {min(times):.3f}, "
                  f"max {max(times):.3f}), {1 / med:.2f} it/s, {flops / 1e9:.1f} GFLOP/it, {flops / 1e9 / med:.0f} GFLOP/s, "
                  f"load average {os.getloadavg()[0]:.2f}", flush=True)

if __name__ == '__main__': main()
