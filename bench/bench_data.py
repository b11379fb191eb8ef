"""Images per second of drawing random training batches with `DeviceSampler`, on CPU (and GPU when available).

Compares against a `torch.utils.data.DataLoader` over the same float tensor (shuffle, num_workers=0), the usual way.
Usage: python bench/bench_data.py [--seconds 1.0]
"""
import argparse, time
import torch
from torch.utils.data import DataLoader, TensorDataset
from mpcc_nbdev.data import ImageData, load_dataset
from mpcc_nbdev.pixels import u8_to_float
from mpcc_nbdev.sampler import DeviceSampler

def rate(f, sync, seconds):
    "Images/s of `f()` (one batch per call), timed for about `seconds` after a warm-up."
    n = f().shape[0]; sync()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for _ in range(10): f()
        calls += 10; sync()
    return calls * n / (time.perf_counter() - t0)

def loader_rate(data, bs, seconds):
    it = iter(DataLoader(TensorDataset(data.x), batch_size=bs, shuffle=True, drop_last=True))
    def nxt():
        nonlocal it
        try: return next(it)[0]
        except StopIteration: it = iter(DataLoader(TensorDataset(data.x), batch_size=bs, shuffle=True, drop_last=True)); return next(it)[0]
    return rate(nxt, lambda: None, seconds)

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0]); p.add_argument('--seconds', type=float, default=1.0)
    a = p.parse_args()
    torch.manual_seed(0)
    sets = {'mnist5k (1x32x32)': load_dataset('mnist5k'),
            'cifar-sized (3x32x32, 60k)': ImageData(u8_to_float(torch.randint(0, 256, (60000, 3, 32, 32), dtype=torch.uint8)), name='cifar-like')}
    devices = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads" + (f", GPU {torch.cuda.get_device_name()}" if 'cuda' in devices else ', no GPU'))
    print(f"{'data':28s} {'device':6s} {'storage':8s} {'batch':>5s} {'DeviceSampler img/s':>20s} {'DataLoader img/s':>17s}")
    for name, data in sets.items():
        for dev, store in [('cpu', 'auto'), ('cpu', 'uint8')] + [('cuda', 'auto')] * ('cuda' in devices):
            s = DeviceSampler(data, device=dev, store=store)
            sync = torch.cuda.synchronize if dev == 'cuda' else (lambda: None)
            for bs in (50, 256):
                r = rate(lambda: s(bs), sync, a.seconds)
                dl = f"{loader_rate(data, bs, a.seconds):17,.0f}" if (dev, store) == ('cpu', 'auto') else f"{'-':>17s}"
                print(f"{name:28s} {dev:6s} {str(s.x.dtype)[6:]:8s} {bs:5d} {r:20,.0f} {dl}")

if __name__ == '__main__': main()
