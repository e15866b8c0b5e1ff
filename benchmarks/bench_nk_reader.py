"""How the .nk reader's cost grows with the script, measured side by side.

Run on demand (not part of the test suite): ``python benchmarks/bench_nk_reader.py``.
Reports ratios against baselines timed in the same run, in interleaved rounds
(median and range), because the machines are shared and noisy. Times are the
process's CPU time (``time.process_time``), so waiting for a core another job holds
is not counted against either side. Each timed call runs in a forked copy of this
process, so every parse starts from the same memory state and takes its memory fresh
from the system, as the first parse of a session does. In one long process the 1 MB
parse would reuse memory freed by earlier rounds while the 20 MB one must fault in
new pages (kernel time, about 8% of it), a bias against the large side; that
in-process figure is printed too, for reference:

* linear: parse time per MB of a 20 MB comp against a 1 MB one (1.0x is linear);
* against split: parse time against a plain ``str.split()`` of the same text;
* unnamed clones: 20,000 clones with no ``name`` line (each needs a name), against
  10,000 of them per clone (1.0x: naming is linear), plus the absolute time.

The comps are made of the repository's own test scripts (a greenscreen comp, a
gizmo with clones and groups, a script with a Roto shape and long curves), each
copy's node names and stack variables suffixed so every copy is distinct.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
import traceback
from pathlib import Path
from typing import Callable, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nuke_ai_panel.graph.nkscript import parse_script  # noqa: E402

UNITS = (
    ROOT / "nuke_ai_panel" / "graph" / "examples" / "greenscreen_comp.nk",
    ROOT / "tests" / "data" / "nk" / "encryptomatte.gizmo",
    ROOT / "tests" / "data" / "nk" / "handwritten_edge_cases.nk",
)
_ROOT_BLOCK = re.compile(r"^Root \{\n.*?^\}\n", re.S | re.M)
_NAME = re.compile(r"^( *name )(\S+)$", re.M)
_VARS = re.compile(r"(set |push \$|clone \$)([NC][0-9A-Za-z_]+)")


def comp(megabytes: float) -> str:
    """A comp of about ``megabytes`` MB: one Root, then numbered copies of the units."""
    texts = [_ROOT_BLOCK.sub("", p.read_text(encoding="utf-8")) for p in UNITS]
    parts = ["Root {\n inputs 0\n name /tmp/bench.nk\n format \"1920 1080 0 0 1920 1080 1 HD_1080\"\n}\n"]
    size = len(parts[0])
    copy = 0
    while size < megabytes * 1_000_000:
        for text in texts:
            text = _NAME.sub(lambda m: f"{m.group(1)}{m.group(2)}_{copy}", text)
            text = _VARS.sub(lambda m: f"{m.group(1)}{m.group(2)}_{copy}", text)
            parts.append(text if text.endswith("\n") else text + "\n")
            size += len(parts[-1])
        copy += 1
    return "".join(parts)


def unnamed_clones(count: int) -> str:
    head = "Blur {\n inputs 0\n size 3\n name Blur_source\n xpos 0\n ypos 0\n}\nset Csrc [stack 0]\n"
    clone = "clone $Csrc {\n xpos 10\n ypos 20\n}\n"
    return head + clone * count


def timed_here(fn: Callable[[], object]) -> float:
    """CPU seconds a plain call of ``fn`` takes (its result dropped, as a caller would)."""
    start = time.process_time()
    fn()
    return time.process_time() - start


class FreshProcesses:
    """Times named calls, each in a fork of one process forked before any of them
    ran, so every call starts from the same memory state and takes the memory it
    needs fresh from the system (in this process where there is no ``fork``)."""

    def __init__(self, jobs: Dict[str, Callable[[], object]]) -> None:
        self.jobs = jobs
        self.pid = 0
        if not hasattr(os, "fork"):
            return
        cmd_read, cmd_write = os.pipe()
        res_read, res_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(cmd_write)
            os.close(res_read)
            try:
                with os.fdopen(cmd_read, "rb") as commands:
                    for line in commands:
                        self._run_child(jobs[line.decode().strip()], res_write)
            finally:
                os._exit(0)
        os.close(cmd_read)
        os.close(res_write)
        self.pid = pid
        self.commands = os.fdopen(cmd_write, "wb", buffering=0)
        self.results = os.fdopen(res_read, "rb")

    @staticmethod
    def _run_child(job: Callable[[], object], out: int) -> None:
        child = os.fork()
        if child == 0:
            message = b"failed\n"
            try:
                message = f"{timed_here(job)!r}\n".encode()
            except BaseException:
                traceback.print_exc()
            finally:
                os.write(out, message)
                os._exit(0)
        os.waitpid(child, 0)

    def time(self, name: str) -> float:
        """CPU seconds of one call of job ``name``; RuntimeError when it failed."""
        if not self.pid:
            return timed_here(self.jobs[name])
        self.commands.write(name.encode() + b"\n")
        line = self.results.readline()
        try:
            return float(line)
        except ValueError:
            raise RuntimeError(f"timed call {name} failed") from None

    def close(self) -> None:
        if self.pid:
            self.commands.close()
            os.waitpid(self.pid, 0)
            self.results.close()


def summary(values: List[float]) -> str:
    return f"{statistics.median(values):6.2f}x  (range {min(values):.2f}-{max(values):.2f})"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds (>= 5)")
    parser.add_argument("--large", type=float, default=20.0, help="size of the large comp, MB")
    args = parser.parse_args(argv)
    small_text, large_text = comp(1.0), comp(args.large)
    clones_10k, clones_20k = unnamed_clones(10_000), unnamed_clones(20_000)
    small_mb, large_mb = len(small_text) / 1e6, len(large_text) / 1e6
    jobs: Dict[str, Callable[[], object]] = {
        "small": lambda: parse_script(small_text), "split_small": small_text.split,
        "large": lambda: parse_script(large_text), "split_large": large_text.split,
        "c10": lambda: parse_script(clones_10k), "c20": lambda: parse_script(clones_20k),
    }
    fresh = FreshProcesses(jobs)
    check = parse_script(clones_20k)
    assert len(check.nodes) == 20_001 and check.nodes[-1].name == "Blur20000", check.nodes[-1].name
    del check
    samples: Dict[str, List[float]] = {k: [] for k in list(jobs) + ["here_small", "here_large"]}
    try:
        for _ in range(max(args.rounds, 5)):
            for name in jobs:
                samples[name].append(fresh.time(name))
            samples["here_small"].append(timed_here(jobs["small"]))
            samples["here_large"].append(timed_here(jobs["large"]))
    finally:
        fresh.close()
    rounds = range(len(samples["small"]))
    linear = [(samples["large"][i] / large_mb) / (samples["small"][i] / small_mb) for i in rounds]
    here = [(samples["here_large"][i] / large_mb) / (samples["here_small"][i] / small_mb)
            for i in rounds]
    split_small = [samples["small"][i] / samples["split_small"][i] for i in rounds]
    split_large = [samples["large"][i] / samples["split_large"][i] for i in rounds]
    clones = [(samples["c20"][i] / 20_000) / (samples["c10"][i] / 10_000) for i in rounds]
    print(f".nk reader, {len(samples['small'])} interleaved rounds "
          f"(comps of {small_mb:.1f} MB and {large_mb:.1f} MB)")
    print(f"  cost per MB, {large_mb:.0f} MB vs {small_mb:.0f} MB    {summary(linear)}   target <= 1.1x")
    print(f"  same, all in one process (reference) {summary(here)}   "
          "(biased: the 1 MB parse reuses freed memory)")
    print(f"  vs str.split(), {small_mb:.0f} MB comp         {summary(split_small)}   target <= 15x")
    print(f"  vs str.split(), {large_mb:.0f} MB comp        {summary(split_large)}   target <= 15x")
    print(f"  per clone, 20,000 vs 10,000 unnamed  {summary(clones)}   target ~1.0x (linear)")
    print(f"  20,000 unnamed clones: median {statistics.median(samples['c20']):.2f} s CPU "
          f"(range {min(samples['c20']):.2f}-{max(samples['c20']):.2f} s)   target < 2 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
