"""One error family. A `UserError` is the user's to fix: the CLI prints its message on one
line and exits 2. Anything else escaping perfopt is a bug and shows a traceback."""

from __future__ import annotations


class PerfoptError(Exception):
    """Base of every error perfopt raises on purpose."""

    exit_code = 1


class UserError(PerfoptError):
    """Bad input: the message says what to do instead."""

    exit_code = 2


class ConfigError(UserError):
    """Invalid `[tool.perfopt]`, environment variable or flag."""


class TargetError(UserError):
    """The path, project or symbol to optimize is missing or unusable."""


class ToolMissing(PerfoptError):
    """An optional outside tool (py-spy, valgrind, g++) is not available."""


class SandboxError(PerfoptError):
    """A sandboxed process could not be started or its result could not be read."""
