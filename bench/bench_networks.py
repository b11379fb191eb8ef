"""Forward+backward time of MPCC's G, D and E on one batch, float32 vs bf16 autocast + channels_last, on the CPU.

    python bench/bench_networks.py --preset mnist            # or cifar10, fmnist, omniglot, ...
    python bench/bench_networks.py --preset mnist --iteration  # also a synthetic Algorithm-1 iteration

Timed units (batch 50 by default, median of `--repeats` runs after `--warmup` runs):
  G step : z, y -> G -> D -> hinge loss of G -> backward (gradients reach D and G)
  D step : G(z, y) without grad, D on the real and the fake batch -> hinge loss of D -> backward
  E step : E on the fake batch -> Gaussian NLL of z (Eq. 7) -> backward (reaches the D blocks E shares)
With --iteration: 4 D steps + 1 G step + 4 E steps (D_steps = E_steps = 4) with Adam updates: Algorithm 1
without the prior, to set beside the reference figure of the authors' code (2.24 s, MNIST, fp32, 2-core CPU).

This is a benchmark, not a test. On a CPU shared with other jobs the numbers are noisy (the load average is
printed): compare fp32 and bf16 from the same run only.
"""
import argparse, os, statistics, time
import torch
import torch.nn.functional as F
from mpcc_nbdev.config import preset
from mpcc_nbdev.networks import build_networks, count_params


def setup(name, bf16, batch):
    "Networks and one batch of inputs for preset `name`; bf16 runs use channels_last."
    cfg = preset(name, channels_last=bf16)
    torch.manual_seed(0)
    G, D, E = build_networks(cfg)
    z, y = torch.randn(batch, cfg.latent_dim), torch.randint(0, cfg.n_clusters, (batch,))
    shape = (batch, cfg.img_channels, cfg.img_size, cfg.img_size) if cfg.arch == 'resnet' else (batch, cfg.data_dim)
    x = torch.rand(shape) * 2 - 1
    if bf16 and x.ndim == 4: x = x.contiguous(memory_format=torch.channels_last)
    return cfg, G, D, E, z, y, x


def steps(G, D, E, z, y, x, bf16):
    "The three timed units as closures (each ends with a backward pass)."
    ac = lambda: torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16)
    def g_step():
        with ac(): loss = -D(G(z, y)).mean()
        loss.backward()
    def d_step():
        with ac():
            with torch.no_grad(): fake = G(z, y)
            loss = F.relu(1 - D(x)).mean() + F.relu(1 + D(fake)).mean()
        loss.backward()
    def e_step():
        with ac():
            with torch.no_grad(): fake = G(z, y)
            mu, logvar = E(fake)
        loss = 0.5 * ((z - mu) ** 2 * torch.exp(-logvar) + logvar).sum(1).mean()
        loss.backward()
    return dict(G=g_step, D=d_step, E=e_step)


def timeit(fn, params, warmup, repeats):
    "Median, min and max wall time of `fn` (gradients cleared before each run, not timed)."
    ts = []
    for i in range(warmup + repeats):
        for p in params: p.grad = None
        t = time.perf_counter(); fn(); dt = time.perf_counter() - t
        if i >= warmup: ts.append(dt)
    return statistics.median(ts), min(ts), max(ts)


def iteration(G, D, E, z, y, x, bf16, opts):
    "One synthetic Algorithm-1 iteration: 4 D steps, 1 G step, 4 E steps, each with its Adam update."
    st = steps(G, D, E, z, y, x, bf16)
    for key, n in (('D', 4), ('G', 1), ('E', 4)):
        for _ in range(n):
            opts[key].zero_grad(set_to_none=True); st[key](); opts[key].step()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--preset', default='mnist')
    ap.add_argument('--batch', type=int, default=50)
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--threads', type=int, default=None, help='torch.set_num_threads (default: torch default)')
    ap.add_argument('--iteration', action='store_true', help='also time a synthetic Algorithm-1 iteration')
    a = ap.parse_args()
    if a.threads: torch.set_num_threads(a.threads)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    res = {}
    for bf16 in (False, True):
        cfg, G, D, E, z, y, x = setup(a.preset, bf16, a.batch)
        params = [*G.parameters(), *D.parameters(), *E.parameters()]
        for key, fn in steps(G, D, E, z, y, x, bf16).items(): res[key, bf16] = timeit(fn, params, a.warmup, a.repeats)
        if a.iteration:
            mk = lambda m: torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0., 0.999), eps=1e-8)
            opts = dict(G=mk(G), D=mk(D), E=mk(E))
            res['iter', bf16] = timeit(lambda: iteration(G, D, E, z, y, x, bf16, opts), [], 1, max(1, a.repeats // 2))
    print(f"preset {a.preset} ({cfg.arch}): C={cfg.ch} J={cfg.latent_dim} K={cfg.n_clusters} conditioning={cfg.conditioning}, "
          f"{count_params(G, D, E):,} parameters; batch {a.batch}; torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"load average {load:.1f} (shared CPU: noisy)")
    print(f"{'unit':34}{'fp32 median [min-max] s':>28}{'bf16+channels_last s':>28}{'speed-up':>10}")
    names = dict(G='G step (G->D->loss, backward)', D='D step (D on real+fake, backward)', E='E step (E->NLL, backward)',
                 iter='Algorithm-1 iteration (4D+1G+4E)')
    fmt = lambda r: f"{r[0]:.3f} [{r[1]:.3f}-{r[2]:.3f}]"
    for key in [k for k in ('G', 'D', 'E', 'iter') if (k, False) in res]:
        f32, b16 = res[key, False], res[key, True]
        print(f"{names[key]:34}{fmt(f32):>28}{fmt(b16):>28}{f32[0] / b16[0]:>9.2f}x")
    tot = [sum(res[k, b][0] for k in 'GDE') for b in (False, True)]
    print(f"{'G + D + E steps (sum of medians)':34}{tot[0]:>28.3f}{tot[1]:>28.3f}{tot[0] / tot[1]:>9.2f}x")


if __name__ == '__main__': main()
