#!/bin/bash
# GPU checks of issue 12 (about 3 minutes on one H100/H200): copy to .gpu/extra.sh (see ../shared/gpu/README.md).
# Not yet run: the session that wrote it had no device.
cd "$(dirname "$0")/.."
export OMP_WAIT_POLICY=PASSIVE
timeout 70 python bench/check_graphs.py --preset mnist --iters 10 --speed_iters 300
timeout 60 python bench/check_graphs.py --preset cifar10 --iters 5 --speed_iters 100
timeout 60 python bench/bench_seeds.py --preset mnist --iters 100 --ns 1 5 --device cuda --precision bf16
