"""Baseline for `marsad eval extract`: trafilatura (Python) over the same pages,
timed the same way (median of three runs per page, one core).

    pip install trafilatura==2.3.1
    python3 benches/trafilatura_baseline.py ../shared/corpora/extraction/scrapinghub
"""
import gzip
import statistics
import sys
import time
from pathlib import Path

import trafilatura

root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/corpora/extraction/scrapinghub")
pages = sorted((root / "html").glob("*.html.gz"))
total = 0.0
size = 0
times = []
for path in pages:
    html = gzip.decompress(path.read_bytes())
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        trafilatura.extract(html)
        runs.append(time.perf_counter() - started)
    t = statistics.median(runs)
    times.append(t)
    total += t
    size += len(html)
print(
    f"trafilatura {trafilatura.__version__}: {len(pages)} pages, {len(pages) / total:.1f} pages/s, "
    f"{size / 1e6 / total:.1f} MB/s, median {statistics.median(times) * 1000:.2f} ms"
)
