"""Logistic scoring of a population: socialrx against numpy and scikit-learn on one array.

Every contender reads the same C-contiguous float64 matrix (rows x 32), so the comparison is
of the same memory traffic; socialrx's float32 path is timed separately, on its own copy.
The limit is the machine's streaming-read bandwidth, taken from the C++ benchmark
BM_streaming_read (same rows, all threads) when its binary is found. Results are checked equal.

    PYTHONPATH=python python3 benchmarks/python/scoring_vs_numpy_sklearn.py --rows 10000000
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from socialrx.risk.models import LogisticModel

FEATURES = 32


def best_of(repeats: int, run: Callable[[], np.ndarray]) -> tuple[float, np.ndarray]:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def streaming_bandwidth(binary: str | None, rows: int) -> float | None:
    """Bytes per second of BM_streaming_read with all threads, or None without the binary."""
    found = [binary] if binary else sorted(glob.glob("build/*/benchmarks/cpp/socialrx_benchmarks"))
    for candidate in found:  # the first build that has the case
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run([candidate, f"--benchmark_filter=BM_streaming_read/{rows}/0/",
                            f"--benchmark_out={out.name}", "--benchmark_out_format=json",
                            "--benchmark_min_time=1"], check=True, capture_output=True)
            text = Path(out.name).read_text()  # empty when this build lacks the case
        runs = json.loads(text)["benchmarks"] if text else []
        if runs:
            return max(r["bytes_per_second"] for r in runs)
    return None

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--benchmark-binary", default=None)
    args = parser.parse_args()

    rng = np.random.default_rng(7)
    X = rng.standard_normal((args.rows, FEATURES))
    w = np.linspace(-0.15, 0.16, FEATURES)
    b = -2.0
    model = LogisticModel.from_json({
        "name": "benchmark", "kind": "logistic", "intercept": b,
        "features": [{"name": f"x{j}", "source": "column", "column": f"x{j}"} for j in range(FEATURES)],
        "coefficients": {f"x{j}": float(w[j]) for j in range(FEATURES)},
    })
    gigabytes = X.nbytes / 1e9
    results: dict[str, float] = {}

    results["socialrx"], ours = best_of(args.repeats, lambda: model.score(X))
    results["numpy"], theirs = best_of(args.repeats, lambda: 1 / (1 + np.exp(-(X @ w + b))))
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    try:
        from sklearn.linear_model import LogisticRegression

        sk = LogisticRegression().fit(X[:1000], (X[:1000, 0] > 0).astype(int))
        sk.coef_, sk.intercept_ = w.reshape(1, -1), np.array([b])
        results["sklearn"], proba = best_of(args.repeats, lambda: sk.predict_proba(X)[:, 1])
        np.testing.assert_allclose(ours, proba, rtol=1e-12)
    except ImportError:
        print("scikit-learn not installed: skipped")
    X32 = X.astype(np.float32)
    results["socialrx float32"], ours32 = best_of(args.repeats, lambda: model.score(X32))
    np.testing.assert_allclose(ours32, ours, rtol=1e-5)

    bandwidth = streaming_bandwidth(args.benchmark_binary, args.rows)
    print(f"{args.rows:,} rows x {FEATURES} float64 = {gigabytes:.2f} GB")
    for name, seconds in results.items():
        size = gigabytes / 2 if "float32" in name else gigabytes
        print(f"  {name:18s} {seconds * 1e3:8.1f} ms  {size / seconds:6.2f} GB/s")
    print(f"  socialrx vs numpy: {results['numpy'] / results['socialrx']:.2f}x faster")
    if "sklearn" in results:
        print(f"  socialrx vs scikit-learn predict_proba: {results['sklearn'] / results['socialrx']:.2f}x faster")
    if bandwidth:
        achieved = X.nbytes / results["socialrx"]
        print(f"  streaming read (C++ BM_streaming_read): {bandwidth / 1e9:.2f} GB/s; "
              f"socialrx float64 scoring reaches {100 * achieved / bandwidth:.0f}% of it")
    else:
        print("  streaming read: build with -DSOCIALRX_BENCHMARK=ON to state the bandwidth limit")


if __name__ == "__main__":
    main()
