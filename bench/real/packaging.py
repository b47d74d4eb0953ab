"""packaging workload: what a resolver or installer does with it.

Parses version strings and sorts them, filters candidate versions through specifier sets,
parses requirement lines with markers and evaluates the markers, and canonicalizes
project names and wheel file names. The inputs are generated with a fixed seed.
"""

import random
import time

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

rng = random.Random(29)
NAMES = ["requests", "Django", "numpy", "typing_extensions", "zope.interface",
         "python-dateutil", "PyYAML", "ruamel.yaml.clib", "Flask_SQLAlchemy", "pytest-cov"]


def version_strings(n):
    out = []
    for _ in range(n):
        parts = [str(rng.randint(0, 30)) for _ in range(rng.randint(1, 4))]
        v = ".".join(parts)
        r = rng.random()
        if r < 0.15:
            v += rng.choice(["a", "b", "rc"]) + str(rng.randint(0, 5))
        elif r < 0.25:
            v += ".post" + str(rng.randint(0, 3))
        elif r < 0.32:
            v += ".dev" + str(rng.randint(0, 9))
        if rng.random() < 0.05:
            v = f"{rng.randint(1, 2)}!" + v
        if rng.random() < 0.05:
            v += "+local." + str(rng.randint(0, 99))
        out.append(v)
    return out


SPECS = [">=1.0,<2.0", "~=2.2", "==3.*", "!=1.5.2,>=1.0", ">1.0a1", "<=20.1.post1",
         ">=0.5,!=0.9.*,<30", "===1.0", "~=1.4.5.0", ">=2!1.0"]

MARKERS = ['python_version >= "3.8"', 'sys_platform == "linux" and python_version < "3.12"',
           'os_name == "nt" or platform_machine == "x86_64"',
           'extra == "test" and implementation_name == "cpython"',
           'python_full_version >= "3.9.1" and platform_system != "Windows"']


def requirement_lines(n):
    out = []
    for _ in range(n):
        name = rng.choice(NAMES)
        extras = "[" + ",".join(rng.sample(["socks", "test", "dev", "security"], 2)) + "]" \
            if rng.random() < 0.3 else ""
        spec = rng.choice(SPECS)
        marker = "; " + rng.choice(MARKERS) if rng.random() < 0.6 else ""
        out.append(f"{name}{extras}{spec}{marker}")
    return out


def main():
    t0 = time.perf_counter()
    strings = version_strings(40000)
    for _ in range(2):
        versions = sorted(Version(s) for s in strings)
    specs = [SpecifierSet(s) for s in SPECS]
    kept = 0
    for spec in specs * 6:
        kept += len(list(spec.filter(versions, prereleases=False)))
        kept += sum(1 for v in versions[:3000] if v in spec)
    reqs = [Requirement(line) for line in requirement_lines(20000)]
    env_ok = sum(1 for r in reqs if r.marker is None or r.marker.evaluate({"extra": "test"}))
    markers = sum(Marker(m).evaluate() for m in MARKERS * 1500)
    names = {canonicalize_name(f"{NAMES[i % 10]}.{i % 7}") for i in range(75000)}
    plain = [s for s in strings if "+" not in s and "!" not in s][:20000]
    wheels = [parse_wheel_filename(f"{NAMES[i % 10].replace('-', '_')}-{v}-py3-none-any.whl")
              for i, v in enumerate(plain)]
    print(f"versions {len(versions)} kept {kept} requirements {len(reqs)} env_ok {env_ok} "
          f"markers {markers} names {len(names)} wheels {len(wheels)} "
          f"in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
