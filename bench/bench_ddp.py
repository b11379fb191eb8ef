"""it/s of `DistributedTrainer.step` and its scaling for 1..N ranks under torchrun (gloo on CPU, NCCL on GPUs).

    python bench/bench_ddp.py --preset mnist5k --ch 4 --ranks 1 2 --iters 20      # CPU, tiny width
    python bench/bench_ddp.py --preset cifar10 --ranks 1 2 4 8 --iters 50         # one node with 8 GPUs

The global batch stays the preset's (strong scaling; `--weak` multiplies it by the number of ranks). Each rank uses
`--threads` torch threads. The median of `--iters` timed iterations after `--warmup`, all ranks synchronised, is
reported by rank 0, with the load average, because on a shared CPU the numbers move with it.
"""
import argparse, json, os, statistics, subprocess, sys, time
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import torch

def worker(a):
    "One rank: build a DistributedTrainer on random images and time its steps."
    import torch.distributed as dist
    from mpcc_nbdev.config import preset
    from mpcc_nbdev.parallel import DistributedTrainer
    from _common import fake_data
    torch.set_num_threads(a.threads)
    W = int(os.environ.get('WORLD_SIZE', 1))
    kw = dict(device=a.device, precision=a.precision, sync_bn=a.sync_bn, cuda_graphs=a.cuda_graphs)
    if a.ch: kw['ch'] = a.ch
    cfg = preset(a.preset, **kw)
    cfg = cfg.replace(batch_size=(a.batch_size or cfg.batch_size) * (W if a.weak else 1))
    t = DistributedTrainer(cfg, fake_data(cfg), progress=False)
    sync = lambda: (torch.cuda.synchronize() if t.device.type == 'cuda' else None, dist.barrier() if t.world > 1 else None)
    for _ in range(a.warmup): t.step()
    sync(); times = []
    for _ in range(a.iters):
        t0 = time.perf_counter(); t.step(); sync(); times.append(time.perf_counter() - t0)
    if t.rank == 0: print(json.dumps(dict(world=t.world, batch=cfg.batch_size, med=statistics.median(times), load=os.getloadavg()[0])), flush=True)
    if t.world > 1: dist.destroy_process_group()

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--preset', default='mnist5k'); p.add_argument('--ch', type=int, default=None)
    p.add_argument('--ranks', type=int, nargs='+', default=[1, 2]); p.add_argument('--iters', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3); p.add_argument('--threads', type=int, default=1)
    p.add_argument('--device', default='auto'); p.add_argument('--precision', default='fp32')
    p.add_argument('--batch_size', type=int, default=None); p.add_argument('--weak', action='store_true')
    p.add_argument('--sync_bn', action='store_true'); p.add_argument('--cuda_graphs', action='store_true')
    p.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker: return worker(a)
    from _common import cpu_model
    dev = 'cuda: ' + torch.cuda.get_device_name() if torch.cuda.is_available() and a.device != 'cpu' else f'cpu: {cpu_model()}'
    print(f"torch {torch.__version__}, {dev}, cpu capability {torch.backends.cpu.get_cpu_capability()}, cpus {os.cpu_count()}, "
          f"{a.threads} thread(s) per rank, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, load average {os.getloadavg()[0]:.2f}")
    base = None
    for w in a.ranks:
        args = [x for x in sys.argv[1:] if x != '--worker']
        r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', str(w),
                            __file__, '--worker', *args], capture_output=True, text=True)
        if r.returncode: print(f"ranks={w}: failed: {r.stderr[-1500:]}"); continue
        d = json.loads([l for l in r.stdout.splitlines() if l.startswith('{')][-1])
        ips = 1 / d['med']; base = base or ips
        print(f"ranks={w:2d} (global batch {d['batch']}): {d['med']:.4f} s/it, {ips:.2f} it/s, scaling {ips / base:.2f}x of 1 rank "
              f"(efficiency {ips / base / w:.0%}), load average {d['load']:.2f}", flush=True)

if __name__ == '__main__': main()
