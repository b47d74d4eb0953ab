"""pathspec workload: deciding which files of a repository a .gitignore excludes, as black,
hatch, yamllint or a backup tool does for every file it walks.

Compiles gitignore specs (a realistic Python + Node + editor .gitignore, negations and
anchored directories included), matches a generated tree of file paths against them
with `match_files`, `check_file` and `GitIgnoreSpec.match_file`, and recompiles the
specs now and then as a tool reading nested .gitignore files does. Fixed seed.
"""

import random
import time

from pathspec import GitIgnoreSpec, PathSpec

rng = random.Random(29)
GITIGNORE = """
# Byte-compiled / optimized / DLL files
__pycache__/
*.py[cod]
*$py.class
*.so
.Python
build/
develop-eggs/
dist/
downloads/
eggs/
.eggs/
/lib/
/lib64/
parts/
sdist/
var/
wheels/
*.egg-info/
.installed.cfg
*.egg
MANIFEST
htmlcov/
.tox/
.nox/
.coverage
.coverage.*
.cache
nosetests.xml
coverage.xml
*.cover
.hypothesis/
.pytest_cache/
docs/_build/
.ipynb_checkpoints
.env
.venv
env/
venv/
node_modules/
npm-debug.log*
/frontend/dist/
**/tmp/**
*.log
!important.log
*.sw[op]
*~
.DS_Store
.idea/
.vscode/*
!.vscode/settings.json
secrets/**/*.key
!secrets/public/*.key
"""
DIRS = ["src", "pkg", "pkg/sub", "tests", "docs", "docs/_build", "build", "frontend",
        "frontend/dist", "frontend/node_modules/react", "node_modules/lodash", ".venv/lib",
        "scripts", "data/tmp/cache", "secrets/prod", "secrets/public", ".vscode", ".idea",
        "pkg/__pycache__", "lib", "src/lib", "notebooks/.ipynb_checkpoints"]
NAMES = ["main", "util", "models", "views", "test_api", "conf", "index", "README", "setup",
         "app", "important", "server", "id_rsa", "settings"]
EXTS = [".py", ".pyc", ".js", ".json", ".log", ".md", ".txt", ".so", ".key", ".swp", "~",
        ".egg", ".cfg", ".html"]


def tree(n):
    paths = []
    for _ in range(n):
        d = rng.choice(DIRS)
        depth = "/".join(f"d{rng.randint(0, 9)}" for _ in range(rng.randint(0, 2)))
        name = rng.choice(NAMES) + rng.choice(EXTS)
        paths.append("/".join(p for p in (d, depth, name) if p))
    return paths


def main():
    t0 = time.perf_counter()
    lines = GITIGNORE.splitlines()
    paths = tree(120000)
    spec = PathSpec.from_lines("gitignore", lines)
    git = GitIgnoreSpec.from_lines(lines)
    ignored = set(spec.match_files(paths))
    checked = sum(spec.check_file(p).include is True for p in paths[:40000])
    git_ignored = sum(git.match_file(p) for p in paths)
    # nested .gitignore files: compile a smaller spec per directory and match its files
    nested = 0
    for d in DIRS * 12:
        local = PathSpec.from_lines("gitignore", rng.sample(lines, 15))
        nested += sum(1 for _ in local.match_files(p for p in paths[:12000] if p.startswith(d)))
    print(f"paths {len(paths)} ignored {len(ignored)} checked {checked} "
          f"git {git_ignored} nested {nested} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
