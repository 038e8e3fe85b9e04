"""Personal-data detectors (``quality.personal``): precision and recall on the labelled corpus
of ``tests/personal_corpus.py``, and the time ``detect`` takes on the quality benchmark's
2-million-row CSV, beside the anchors of the design notes.

The corpus files are written as CSV and read back as uploads are (``read_table``, then
``profile`` with the file's decimal comma), so the detectors see what the scan gives them.
The timing covers ``detect`` alone, given the profile the scan computes anyway (best and
median of ``--repeat`` runs); reading and profiling are shown apart. Without ``--file``, the
benchmark CSV (``/tmp/qbench/subventions.csv``, as ``benchmarks/quality.py --work-dir
/tmp/qbench`` leaves it) is used, or generated there by ``benchmarks/quality.py``'s generator.

Anchors (design notes): Presidio, which has no French recogniser, runs at about 1.5k lines/s;
csv-detective has no NIR, IBAN, plate or GPS-precision check. Target: ``detect`` under 0.5 s
on the 2 M-row file.

    python benchmarks/personal_detectors.py [--file CSV] [--size-mb 250] [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This script's folder comes first on sys.path, and quality.py there would hide the package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))

import personal_corpus as pc  # noqa: E402

from quality.personal import detect  # noqa: E402
from quality.profile import profile  # noqa: E402
from quality.read import read_table  # noqa: E402

DEFAULT_FILE = Path("/tmp/qbench/subventions.csv")
ANCHOR_PRESIDIO_LINES_PER_S = 1_500
TARGET_SECONDS = 0.5


def corpus_table() -> str:
    files = pc.corpus()
    with tempfile.TemporaryDirectory() as directory:
        pc.write(files, Path(directory))

        def predict(file: pc.CorpusFile) -> list[tuple[str, str, str]]:
            table = read_table(Path(directory) / file.name)
            facts = profile(table.frame, decimal_comma=table.decimal_comma)
            return [(d.column, d.kind, d.category) for d in detect(table.frame, facts)]

        scores, errors = pc.evaluate(files, predict)
    lines = [f"Corpus: {len(files)} files, {pc.column_count(files)} columns "
             f"(a prediction counts when the kind matches; for direct identifiers, the "
             f"category too).", pc.table(scores)]
    lines += [f"  {error}" for error in errors]
    return "\n".join(lines)


def benchmark_file(path: Path | None, size_mb: float) -> Path:
    if path is not None:
        return path
    if DEFAULT_FILE.exists():
        return DEFAULT_FILE
    # benchmarks/quality.py, loaded by path: its name is the package's.
    spec = importlib.util.spec_from_file_location("quality_benchmark", ROOT / "benchmarks"
                                                  / "quality.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    DEFAULT_FILE.parent.mkdir(parents=True, exist_ok=True)
    print(f"Generating {DEFAULT_FILE} ({size_mb:.0f} MB)…", flush=True)
    generator.write_csv(DEFAULT_FILE, size_mb, generator.SEED)
    return DEFAULT_FILE


def timing(path: Path, repeat: int) -> str:
    start = time.perf_counter()
    table = read_table(path)
    read = time.perf_counter() - start
    start = time.perf_counter()
    facts = profile(table.frame, decimal_comma=table.decimal_comma)
    profiled = time.perf_counter() - start
    frame = table.frame
    detect(frame, facts)  # warm: lexicons loaded, regexes compiled
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        detections = detect(frame, facts)
        runs.append(time.perf_counter() - start)
    best, median = min(runs), statistics.median(runs)
    rows = frame.height
    presidio = rows / ANCHOR_PRESIDIO_LINES_PER_S
    lines = [
        f"File: {path} ({path.stat().st_size / 1e6:.0f} MB, {rows:,} rows, "
        f"{frame.width} columns); read {read:.2f} s, profile {profiled:.2f} s (not counted).",
        f"{'engine':<34} {'seconds':>9} {'lines/s':>14}",
        f"{'ctd detect (best)':<34} {best:>9.3f} {rows / best:>14,.0f}",
        f"{f'ctd detect (median of {repeat})':<34} {median:>9.3f} {rows / median:>14,.0f}",
        f"{'Presidio anchor (~1.5k lines/s)':<34} {presidio:>9,.0f} "
        f"{ANCHOR_PRESIDIO_LINES_PER_S:>14,}",
        f"Target: under {TARGET_SECONDS} s — {'met' if median < TARGET_SECONDS else 'MISSED'}; "
        f"{presidio / median:,.0f}× the Presidio anchor.",
        "Detections on the benchmark file:",
    ]
    lines += [f"  {d.column}: {d.kind} ({d.category}, confidence {d.confidence}) {d.detail}"
              for d in detections]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, help=f"default: {DEFAULT_FILE}")
    parser.add_argument("--size-mb", type=float, default=250, help="when generating")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(corpus_table())
    print()
    print(timing(benchmark_file(args.file, args.size_mb), args.repeat))


if __name__ == "__main__":
    main()
