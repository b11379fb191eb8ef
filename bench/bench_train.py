"""Seconds per full Algorithm-1 iteration (D steps, 1 G step, E steps at the preset's settings) of `Trainer.step`, and GFLOP/s.

    python bench/bench_train.py --preset mnist --iters 10 --precisions auto fp32 bf16 --formats channels_last contiguous
    ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 python bench/bench_train.py ...   # as an AVX2-only CPU would run

Times the median of `--iters` iterations after `--warmup` iterations, on random 8-bit images of the preset's shape
(speed does not depend on image content), on the current device ('auto': CUDA when available). Prints the CPU model
and torch's CPU capability, what 'auto' resolves to, the FLOPs of one iteration (conv + matmul, forward + backward,
counted once with `torch.utils.flop_counter.FlopCounterMode`), the achieved GFLOP/s and its percentage of a measured
peak: a large matmul in the same process in the precision the run resolved to (bf16 or fp32). It also prints the
first iteration's time (with `--compile`: the compile time, which inductor's cache shortens on later runs) and the
CPU time of the main thread per iteration, which moves much less with the machine's load than the wall clock (with
`--threads 1` it is the work of one core). The load average is printed with every line, because on a shared CPU the
numbers move with it: compare variants side by side in one run, e.g. `--compile both`.

Time one configuration per process where you can: a process that keeps several trainers of different widths and
steps through them in turn ran each about 2x slower here (2-core Sapphire Rapids, bf16) than the same trainer alone.

OpenMP's wait policy moves the 2-thread wall time more than anything else here: the script imports `mpcc_nbdev`
before torch, so it runs under the package's default (a short spin, `00a_init`; `bench/bench_wait.py` measures the
choices) unless `OMP_WAIT_POLICY` or `GOMP_SPINCOUNT` is set, exactly as `mpcc_train` does.
"""
import argparse, os, statistics, time
import mpcc_nbdev   # the package's OpenMP wait default (00a_init), before torch loads libgomp
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

def matmul_gflops(n=2048, reps=5, dtype=torch.float32):
    "GFLOP/s of an n x n matmul in `dtype` here: a practical peak of this CPU for these threads."
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b; t0 = time.perf_counter()
    for _ in range(reps): a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9

def bench(cfg, iters=10, warmup=3, flops=None):
    "Median wall and main-thread CPU s/iteration of `Trainer.step` for `cfg`, all wall times, the first step's time, the trainer, FLOPs."
    t = Trainer(cfg, fake_data(cfg), progress=False)
    t0 = time.perf_counter(); t.step(); sync(t.device); first = time.perf_counter() - t0
    for _ in range(warmup - 1): t.step()
    if flops is None: flops = iteration_flops(t)   # not under compile: the counter's global hooks would recompile
    sync(t.device); times, cpu = [], []
    for _ in range(iters):
        t0, c0 = time.perf_counter(), time.thread_time(); t.step(); sync(t.device)
        times.append(time.perf_counter() - t0); cpu.append(time.thread_time() - c0)
    return dict(med=statistics.median(times), cpu=statistics.median(cpu), times=times, first=first, t=t, flops=flops)

def peaks(dev):
    "Matmul GFLOP/s per precision on `dev` (CPU only): the practical peak each precision is compared against."
    return {} if dev.type != 'cpu' else dict(fp32=matmul_gflops(), bf16=matmul_gflops(4096, dtype=torch.bfloat16))

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--preset', default='mnist'); p.add_argument('--iters', type=int, default=10)
    p.add_argument('--warmup', type=int, default=3)
    p.add_argument('--precisions', nargs='+', default=['auto', 'fp32', 'bf16'], help="'auto', 'fp32', 'bf16'")
    p.add_argument('--formats', nargs='+', default=['channels_last', 'contiguous'], help="memory formats of images")
    p.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: torch default)')
    p.add_argument('--device', default='auto')
    p.add_argument('--compile', nargs='?', const='yes', default='no', choices=['no', 'yes', 'both'],
                   help="torch.compile G, D and E: 'yes' (bare --compile), 'no' (default) or 'both' (eager and compiled side by side)")
    p.add_argument('--cuda_graphs', action='store_true', help='replay each iteration from a CUDA graph (CUDA only)')
    p.add_argument('--batch_size', type=int, default=None)
    p.add_argument('--overrides', default='{}', help='more config fields as a Python/JSON dict, e.g. \'{"ch": 8}\'')
    a = p.parse_args()
    if a.cuda_graphs: a.warmup = max(a.warmup, 5)   # 3 eager warm-up steps and the capture stay out of the timing
    if a.threads: torch.set_num_threads(a.threads)
    dev = resolve_device(a.device)
    print(f"torch {torch.__version__}, CPU {cpu_model()!r}, torch CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '-')}, cpus {os.cpu_count()}, torch threads "
          f"{torch.get_num_threads()}, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')} GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT')}, device {dev}, "
          f"'auto' -> {resolve_precision('auto', dev)}, load average {os.getloadavg()[0]:.2f}")
    pk = peaks(dev)
    if pk: print(f"matmul peak: fp32 {pk['fp32']:.0f} GFLOP/s (2048^2), bf16 {pk['bf16']:.0f} GFLOP/s (4096^2), load average {os.getloadavg()[0]:.2f}")
    compiles = dict(no=[False], yes=[True], both=[False, True])[a.compile]
    for prec in a.precisions:
        for fmt in a.formats:
            flops = None
            for comp in compiles:
                kw = dict(precision=prec, device=a.device, compile=comp, channels_last=fmt == 'channels_last', cuda_graphs=a.cuda_graphs, **eval(a.overrides))
                if a.batch_size: kw['batch_size'] = a.batch_size
                cfg = preset(a.preset, **kw)
                r = bench(cfg, a.iters, a.warmup, flops)
                flops, med, t = r['flops'], r['med'], r['t']
                gf = flops / 1e9 / med
                of_peak = f" = {gf / pk[t.cfg.precision] * 100:.0f}% of the {t.cfg.precision} matmul peak" if t.cfg.precision in pk else ""
                print(f"{a.preset:9} {prec:4}->{t.cfg.precision:4} {fmt:13} compile={cfg.compile!s:5} cuda_graphs={cfg.cuda_graphs!s:5} batch {cfg.batch_size} "
                      f"d/e steps {cfg.d_steps}/{cfg.e_steps}: {med:.3f} s/it (median of {len(r['times'])}; min {min(r['times']):.3f}, "
                      f"max {max(r['times']):.3f}), main-thread CPU {r['cpu']:.3f} s/it, {1 / med:.2f} it/s, {flops / 1e9:.1f} GFLOP/it, "
                      f"{gf:.0f} GFLOP/s{of_peak}; first iteration {r['first']:.1f} s; load average {os.getloadavg()[0]:.2f}", flush=True)

if __name__ == '__main__': main()
