import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_given_the_flow_benchmark_when_run_briefly_then_its_last_line_is_nodes_per_s():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "flows.py"), "--runs", "20"],
                          capture_output=True, text=True, timeout=120, check=True)
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("nodes_per_s=") and int(last.split("=")[1]) > 0
