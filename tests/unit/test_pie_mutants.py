"""The mutation generator: real behaviour changes, never inside strings or comments."""

from __future__ import annotations

import subprocess
import sys

from perfopt.evals.pie.mutants import KINDS, generate_mutants

PY = """\
# compare a < b here in a comment
n = int(input())
total = 0
for i in range(1, n + 1):
    if i % 3 == 0:
        total += i
print("Total:", total)
"""
CPP = """\
#include <bits/stdc++.h>
using namespace std;
int main() {
  int n;
  cin >> n;  // n < 100
  vector<int> a(n);
  long long s = 0;
  for (int i = 0; i < n; i++) s += i * 2;
  cout << s << "\\n";
}
"""


def test_python_mutants_cover_every_kind_and_differ():
    mutants = generate_mutants(PY, "python", limit=40)
    assert {m.kind for m in mutants} == set(KINDS)
    assert len({m.source for m in mutants}) == len(mutants) and PY not in {
        m.source for m in mutants}
    assert all(m.source.startswith("# compare a < b here") for m in mutants)  # comment kept


def test_python_mutants_change_behaviour_when_run():
    def run(src: str) -> str:
        proc = subprocess.run([sys.executable, "-c", src], input="10\n", capture_output=True,
                              text=True, timeout=10)
        return proc.stdout + str(proc.returncode)

    want = run(PY)
    mutants = generate_mutants(PY, "python", limit=12, seed=1)
    changed = sum(run(m.source) != want for m in mutants)
    assert changed >= len(mutants) // 2  # most mutants are not equivalent


def test_cpp_mutants_leave_includes_templates_and_streams_alone():
    mutants = generate_mutants(CPP, "cpp", limit=60)
    assert mutants
    for m in mutants:
        assert "#include <bits/stdc++.h>" in m.source
        if m.kind != "drop-line":
            assert "vector<int>" in m.source and "cin >> n;  // n < 100" in m.source
    kinds = {m.kind for m in mutants}
    assert {"compare", "constant", "arith", "drop-line", "output"} <= kinds
    assert any("i <= n" in m.source for m in mutants)


def test_same_seed_same_mutants():
    a = generate_mutants(PY, "python", limit=10, seed=3)
    b = generate_mutants(PY, "python", limit=10, seed=3)
    assert [m.source for m in a] == [m.source for m in b]
