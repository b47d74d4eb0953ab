"""`--runner docker`: the official harness's per-instance images (a documented stub).

The benchmark ships one image per instance with the repository checked out at its base
commit and its environment installed, and runs each evaluation pinned to 4 vCPUs and
16 GB with a 2-hour limit. This module builds that `docker run` command; running the
evaluation inside the image (copying the patch in, applying it, timing, running the
covering tests) is not implemented here yet. It fails with a clear message when no Docker
engine answers, which is the case on machines without a daemon.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from perfopt.errors import UserError
from perfopt.evals.swefficiency.instances import Instance

IMAGE_TEMPLATE = "ghcr.io/swefficiency/swefficiency-images:{instance_id}"
CPUS = 4
MEMORY = "16g"
TIMEOUT_S = 7200


def image_name(instance: Instance, template: str = IMAGE_TEMPLATE) -> str:
    return template.format(instance_id=instance.instance_id.lower())


def docker_command(instance: Instance, patch_file: Path, out_dir: Path,
                   template: str = IMAGE_TEMPLATE) -> list[str]:
    """The `docker run` argv that evaluates `patch_file` in the instance's image."""
    return [
        "docker", "run", "--rm", "--network=none",
        f"--cpus={CPUS}", f"--memory={MEMORY}",
        "-v", f"{patch_file.resolve()}:/perfopt/patch.diff:ro",
        "-v", f"{out_dir.resolve()}:/perfopt/out",
        image_name(instance, template),
        "timeout", str(TIMEOUT_S), "/bin/bash", "-lc",
        "cd /testbed && (git apply /perfopt/patch.diff || patch -p1 --fuzz=5 "
        "< /perfopt/patch.diff) && python /perfopt/out/workload.py",
    ]


def check_engine(timeout_s: float = 10.0) -> None:
    """Raise a UserError unless `docker info` answers."""
    exe = shutil.which("docker")
    if exe is None:
        raise UserError("--runner docker needs the docker CLI; install Docker or use "
                        "--runner local")
    try:
        proc = subprocess.run([exe, "info", "--format", "{{.ServerVersion}}"],
                              capture_output=True, text=True, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise UserError("no Docker engine answered within "
                        f"{timeout_s:.0f} s; start dockerd or use --runner local") from None
    if proc.returncode != 0 or not proc.stdout.strip():
        detail = (proc.stderr.strip().splitlines() or ["no answer"])[-1]
        raise UserError(f"no Docker engine answers ({detail}); start dockerd or use "
                        "--runner local")


def run_in_docker(instance: Instance, patch_file: Path, out_dir: Path) -> None:
    check_engine()
    command = " ".join(docker_command(instance, patch_file, out_dir))
    raise UserError(
        "--runner docker: the engine answers, but evaluating inside the benchmark's images is "
        f"not implemented yet; the command would be: {command}"
    )
