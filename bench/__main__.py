"""``make bench``: every benchmark, one figure per line as ``name: value unit``.

Each benchmark runs in its own process so one's memory and caches do not
colour another's. A benchmark whose module is missing is reported, not hidden.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

BENCHMARKS = (
    "bench.import_bench",
    "bench.sync_bench",
    "bench.webhook_bench",
    "bench.classify_bench",
    "bench.inbox_bench",
    "bench.http_bench",
    "bench.review_bench",
    "bench.fans_bench",
)


def main() -> int:
    failed = 0
    for module in BENCHMARKS:
        if importlib.util.find_spec(module) is None:
            print(f"# {module}: not written yet", flush=True)
            continue
        done = subprocess.run([sys.executable, "-m", module], capture_output=True, text=True)
        sys.stdout.write(done.stdout)
        sys.stdout.flush()
        if done.returncode != 0:
            failed += 1
            print(f"# {module} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
