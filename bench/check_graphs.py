"""CUDA only: a run with `cuda_graphs=True` against an eager run of the same seed (deterministic kernels), and it/s of both.

    python bench/check_graphs.py --preset mnist --iters 10

The same check as the `#| cuda` cells of nbs/06b_parallel.ipynb, for machines without nbdev. Adam eps=1e-3 as in the
notebook (with the paper's 1e-8 Adam maps rounding noise in exactly-zero gradients to steps of +-lr; see there).
"""
import argparse, sys, time
import torch
from _common import fake_data   # bench/_common.py (this folder)
from mpcc_nbdev.config import preset
from mpcc_nbdev.train import Trainer

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--preset', default='mnist'); p.add_argument('--iters', type=int, default=10)
    p.add_argument('--speed_iters', type=int, default=200); p.add_argument('--precision', default='fp32')
    a = p.parse_args()
    if not torch.cuda.is_available(): sys.exit("check_graphs: needs a CUDA device")
    print(torch.cuda.get_device_name(), 'torch', torch.__version__, flush=True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    torch.use_deterministic_algorithms(True, warn_only=True)
    c = preset(a.preset, device='cuda', adam_eps=1e-3, ema_start=5, log_every=10**6, ckpt_every=10**6, precision=a.precision)
    data = fake_data(c)
    e = Trainer(c, data, progress=False).fit(a.iters)
    g = Trainer(c.replace(cuda_graphs=True), data, progress=False).fit(a.iters)
    diff = max((x.float() - y.float()).abs().max().item() for m in ('G', 'D', 'E', 'prior')
               for x, y in zip(getattr(e, m).state_dict().values(), getattr(g, m).state_dict().values()) if x.is_floating_point())
    print(f"{a.preset} {a.precision}: graphed vs eager after {a.iters} iterations: max |difference| {diff:.3e} "
          f"(bit-exact: {diff == 0}; tolerance 1e-5: {'PASS' if diff <= 1e-5 else 'FAIL'})", flush=True)
    torch.use_deterministic_algorithms(False); torch.backends.cudnn.deterministic = False
    for graphs in (False, True):
        t = Trainer(preset(a.preset, device='cuda', cuda_graphs=graphs, log_every=10**6, ckpt_every=10**6), data, progress=False)
        for _ in range(6): t.step()
        torch.cuda.synchronize(); t0 = time.perf_counter()
        for _ in range(a.speed_iters): t.step()
        torch.cuda.synchronize(); dt = time.perf_counter() - t0
        print(f"{a.preset} precision {t.cfg.precision} cuda_graphs={graphs}: {a.speed_iters / dt:.1f} it/s", flush=True)

if __name__ == '__main__': main()
