"""What every bench script shares: the machine description printed beside each figure, and random data of a config's shape.

Scripts in `bench/` import it as `from _common import ...` (Python puts a script's own folder first on `sys.path`)."""
import os, platform, subprocess
import torch
from mpcc_nbdev.data import ImageData

def cpu_model() -> str:
    "The CPU's model name from lscpu (or platform)."
    try:
        out = subprocess.run(['lscpu'], capture_output=True, text=True).stdout
        return next(l.split(':', 1)[1].strip() for l in out.splitlines() if l.startswith('Model name'))
    except Exception: return platform.processor() or platform.machine()

def load_avg() -> float:
    "The 1-minute load average."
    return round(os.getloadavg()[0], 2)

def machine() -> dict:
    "CPU model and capability, threads, the ISA limits in the environment, CUDA device, torch version, load average."
    return dict(cpu_model=cpu_model(), cpu_capability=torch.backends.cpu.get_cpu_capability(), threads=torch.get_num_threads(),
                ATEN_CPU_CAPABILITY=os.environ.get('ATEN_CPU_CAPABILITY'), ONEDNN_MAX_CPU_ISA=os.environ.get('ONEDNN_MAX_CPU_ISA'),
                OMP_WAIT_POLICY=os.environ.get('OMP_WAIT_POLICY'), GOMP_SPINCOUNT=os.environ.get('GOMP_SPINCOUNT'),
                cuda=torch.cuda.get_device_name() if torch.cuda.is_available() else None, torch=torch.__version__, load_avg=load_avg())

def fake_data(cfg, n:int=2000, seed:int=0) -> ImageData:
    "Random 8-bit images (or 2-D points for the MLP presets) of the config's shape."
    g = torch.Generator().manual_seed(seed)
    if cfg.arch == 'mlp': return ImageData(torch.randn(n, cfg.data_dim, generator=g), name='fake')
    u = torch.randint(0, 256, (n, cfg.img_channels, cfg.img_size, cfg.img_size), generator=g)
    return ImageData(u.float() / 127.5 - 1, name='fake')
