"""Torch reference timings for the CUDA kernel bench, on the same shapes in the same run.

Reads the TSV that `kernels --tsv FILE` wrote, times torch (bf16 matmul, SDPA, grouped
expert matmul torch._grouped_mm) for every
row that names a torch key, measures torch's 8192^3 bf16 matmul as the tensor-core ceiling,
and prints the final table: our time, torch's time on the same op, % of the copy bandwidth
(memory-bound rows) and % of torch's peak matmul rate.
Usage: python3 bench/cuda/torch_ref.py results.tsv
"""
import sys

import torch
import torch.nn.functional as F


def median_us(fn, warmup=5, repeats=25, rounds=5):
    """Median over rounds of the mean time of back-to-back calls (as the C++ bench does)."""
    counter = 0
    for _ in range(warmup):
        fn(counter)
        counter += 1
    torch.cuda.synchronize()
    per_round = max(1, repeats // rounds)
    times = []
    for _ in range(rounds):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        for _ in range(per_round):
            fn(counter)
            counter += 1
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1e3 / per_round)
    times.sort()
    return times[len(times) // 2]


def rotation(bytes_each):
    return max(1, min(16, -(-3 * 50 * 2**20 // bytes_each)))


def rand(*shape):
    return (torch.rand(*shape, device="cuda", dtype=torch.float32) * 2 - 1).to(torch.bfloat16)


def time_gemm(m, n, k, gate_up):
    rows = 2 * n if gate_up else n
    copies = rotation(rows * k * 2)
    weights = [rand(rows, k) * 0.03 for _ in range(copies)]
    x = rand(m, k)

    def run(i):
        y = x @ weights[i % copies].t()
        if gate_up:
            y = F.silu(y[:, :n]) * y[:, n:]
        return y

    return median_us(run)


def time_grouped(tokens, experts, top_k, intermediate, hidden, gate_up):
    """torch._grouped_mm over rows sorted by expert, the experts drawn as our bench routes
    (top-k of random scores); weights stored [experts, out, in] as ours, passed transposed."""
    ids = torch.rand(tokens, experts, device="cuda").topk(top_k, dim=1).indices.flatten()
    offsets = torch.cumsum(torch.bincount(ids, minlength=experts), 0).to(torch.int32)
    rows = tokens * top_k
    if gate_up:
        x = rand(rows, hidden)
        w = rand(experts, 2 * intermediate, hidden) * 0.03
    else:
        x = rand(rows, intermediate)
        w = rand(experts, hidden, intermediate) * 0.03
    wt = w.transpose(1, 2)

    def run(i):
        y = torch._grouped_mm(x, wt, offs=offsets)
        if gate_up:
            y = F.silu(y[:, :intermediate]) * y[:, intermediate:]
        return y

    return median_us(run)


def time_flash(causal, b, t, h, dqk, dv):
    q, k, v = rand(b, h, t, dqk), rand(b, h, t, dqk), rand(b, h, t, dv)
    return median_us(lambda i: F.scaled_dot_product_attention(q, k, v, is_causal=causal))


def torch_time(key):
    kind, _, rest = key.partition(" ")
    if kind in ("gemm", "gateup"):
        m, n, k = map(int, rest.split("x"))
        return time_gemm(m, n, k, kind == "gateup")
    if kind in ("moe_gateup", "moe_down"):
        tokens, experts, top_k, intermediate, hidden = map(int, rest.split("x"))
        return time_grouped(tokens, experts, top_k, intermediate, hidden, kind == "moe_gateup")
    if kind == "flash":
        mode, _, shape = rest.partition(" ")
        b, t, h, dqk, dv = map(int, shape.split("x"))
        return time_flash(mode == "causal", b, t, h, dqk, dv)
    return None


def main():
    rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
    copy_tbs = float(next(r for r in rows if r[0] == "copy")[3])
    a, b = rand(8192, 8192), rand(8192, 8192)
    peak_us = median_us(lambda i: a @ b)
    peak = 2 * 8192**3 / peak_us * 1e-6
    big = torch.empty(2**30, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(big)
    torch_copy = 2 * 2**30 / median_us(lambda i: dst.copy_(big)) * 1e-6
    print(f"ceilings: copy {copy_tbs:.3f} TB/s (ours), {torch_copy:.3f} TB/s (torch); "
          f"torch bf16 matmul 8192^3 {peak:.1f} TFLOP/s")
    print(f"{'kernel':34} {'shape':26} {'us':>9} {'torch us':>9} {'vs torch':>8} "
          f"{'TB/s':>7} {'%copy':>6} {'TFLOP/s':>8} {'%peak':>6}")
    cache = {}
    for r in rows:
        if r[0] == "copy":
            continue
        kernel, shape, us, tbs, tflops, key = r[0], r[1], float(r[2]), float(r[3]), float(r[4]), r[5]
        ref = None
        if key:
            if key not in cache:
                try:
                    cache[key] = torch_time(key)
                except Exception as error:  # a shape torch's kernels refuse: report, go on
                    print(f"torch failed on {key}: {error}")
                    cache[key] = None
            ref = cache[key]
        ref_text = f"{ref:9.2f}" if ref else f"{'-':>9}"
        ratio = f"{ref / us:7.2f}x" if ref else f"{'-':>8}"
        print(f"{kernel:34} {shape:26} {us:9.2f} {ref_text} {ratio} {tbs:7.3f} "
              f"{100 * tbs / copy_tbs:5.1f}% {tflops:8.2f} {100 * tflops / peak:5.1f}%")


if __name__ == "__main__":
    main()
