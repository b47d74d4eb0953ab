"""charset-normalizer workload: guessing the encoding of downloaded documents, as requests
does for a response without a charset.

Runs from_bytes / detect over the sample documents the sdist ships in data/ (Arabic,
Chinese, Greek, Hebrew, Russian, ... in their legacy encodings and in UTF-8), whole and
cut into pieces of several sizes, and re-encodes some texts into other code pages.
"""

import time
from pathlib import Path

from charset_normalizer import detect, from_bytes

DATA = Path(__file__).resolve().parent / "data"


def documents():
    docs = [p.read_bytes() for p in sorted(DATA.glob("sample-*"))]
    # a few more, re-encoded into legacy code pages
    extra = []
    for raw in docs:
        best = from_bytes(raw).best()
        if best is None:
            continue
        text = str(best)
        for codec in ("cp1252", "cp1251", "iso8859_7", "cp1256", "gb18030", "euc_kr", "utf_16"):
            try:
                extra.append(text.encode(codec))
            except UnicodeEncodeError:
                pass
    return docs + extra


def main():
    t0 = time.perf_counter()
    docs = documents()
    found = {}
    for raw in docs:
        for size in (len(raw), 8192, 4096, 2048, 1024, 300):
            for start in (0, len(raw) // 3):  # a head, and a piece from the middle
                best = from_bytes(raw[start:start + size]).best()
                enc = best.encoding if best is not None else None
                found[enc] = found.get(enc, 0) + 1
    for raw in docs:
        found[detect(raw)["encoding"]] = found.get(detect(raw)["encoding"], 0) + 1
    print(f"documents {len(docs)} encodings {dict(sorted(found.items(), key=str))} "
          f"in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
