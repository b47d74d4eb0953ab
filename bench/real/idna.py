"""idna workload: converting internationalized host names, as an HTTP client or a URL
validator does for every request.

Encodes Unicode domain names to their ASCII (punycode) form with UTS 46 mapping, decodes
them back, and checks labels; the names mix scripts (Latin with accents, Cyrillic,
Greek, CJK, Arabic, Devanagari) and are generated with a fixed seed.
"""

import random
import time

import idna
import idna.codec  # registers the 'idna2008' codec

rng = random.Random(29)
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz",
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœ",
    "абвгдежзийклмнопрстуфхцчшщыэюя",
    "αβγδεζηθικλμνξοπρστυφχψω",
    "中文域名测试例子网站公司北京上海",
    "日本語のドメインテストです",
    "한국어도메인시험",
    "مثالإختبارعربي",
    "हिन्दीउदाहरणपरीक्षा",
]
TLDS = ["com", "org", "net", "de", "рф", "中国", "みんな", "भारत", "ελ"]


def label():
    alphabet = rng.choice(ALPHABETS)
    n = rng.randint(3, 12)
    s = "".join(rng.choice(alphabet) for _ in range(n))
    if rng.random() < 0.2:
        s += str(rng.randint(0, 99))
    return s


def names(n):
    out = []
    for _ in range(n):
        parts = [label() for _ in range(rng.randint(1, 3))] + [rng.choice(TLDS)]
        name = ".".join(parts)
        if rng.random() < 0.2:
            name = name.upper()
        out.append(name)
    return out


def main():
    t0 = time.perf_counter()
    hosts = names(15000)
    encoded, failed = [], 0
    for h in hosts:
        try:
            encoded.append(idna.encode(h, uts46=True))
        except idna.IDNAError:
            failed += 1
    decoded = [idna.decode(e) for e in encoded]
    again = sum(idna.encode(d) == e for d, e in zip(decoded, encoded, strict=True))
    for h in hosts[:4500]:
        try:
            idna.encode(h.lower(), uts46=False)
        except idna.IDNAError:
            failed += 1
    codec = sum(len(h.encode("idna2008")) for h in decoded[:3600])
    print(f"hosts {len(hosts)} encoded {len(encoded)} failed {failed} round-trip {again} "
          f"codec bytes {codec} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
