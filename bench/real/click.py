"""click workload: a multi-command CLI invoked many times with different argument lines,
as a test suite or a shell completion helper drives it, plus its --help pages.

Defines a group with subcommands, typed options (choices, ranges, multiple, flags,
files as paths, env-var defaults), arguments and a nested group; runs each argument line
through `main(..., standalone_mode=False)` and renders the help of every command.
"""

import io
import random
import time
from contextlib import redirect_stdout

import click

rng = random.Random(29)


@click.group()
@click.option("--verbose", "-v", count=True, help="More output; repeat for even more.")
@click.option("--config", type=click.Path(), default="app.toml", show_default=True,
              help="Configuration file to read before anything else.")
@click.pass_context
def cli(ctx, verbose, config):
    """A demo application with several commands for managing items in a store."""
    ctx.obj = {"verbose": verbose, "config": config}


@cli.command()
@click.argument("names", nargs=-1, required=True)
@click.option("--count", "-n", type=click.IntRange(1, 100), default=1, help="Copies.")
@click.option("--price", type=float, default=0.0, help="Unit price in euros.")
@click.option("--tag", "tags", multiple=True, help="Tags to attach (repeatable).")
@click.option("--kind", type=click.Choice(["book", "food", "tool"], case_sensitive=False),
              default="book")
@click.option("--dry-run/--no-dry-run", default=False)
@click.pass_obj
def add(obj, names, count, price, tags, kind, dry_run):
    """Add NAMES to the store."""
    return {"names": names, "count": count, "price": price, "tags": tags, "kind": kind,
            "dry": dry_run, "v": obj["verbose"]}


@cli.command(name="list")
@click.option("--sort", type=click.Choice(["name", "price", "date"]), default="name")
@click.option("--limit", type=int, default=20)
@click.option("--reverse", is_flag=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table")
def list_(sort, limit, reverse, fmt):
    """List the items."""
    return (sort, limit, reverse, fmt)


@cli.group()
def user():
    """Manage users."""


@user.command()
@click.argument("login")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["admin", "staff", "guest"]), default="guest")
@click.option("--quota", type=click.FloatRange(0, 1e6), default=10.0)
def create(login, email, role, quota):
    """Create a user LOGIN."""
    return (login, email, role, quota)


@user.command()
@click.argument("logins", nargs=-1)
@click.option("--force", "-f", is_flag=True)
def delete(logins, force):
    """Delete users."""
    return (logins, force)


def argument_lines(n):
    lines = []
    for _ in range(n):
        r = rng.random()
        pre = ["-v"] * rng.randint(0, 3) + (["--config", "x.toml"] if rng.random() < 0.3 else [])
        if r < 0.4:
            line = pre + ["add", *[f"item{rng.randint(0, 99)}" for _ in range(rng.randint(1, 4))],
                          "-n", str(rng.randint(1, 100)), "--price", f"{rng.random() * 50:.2f}",
                          "--kind", rng.choice(["BOOK", "food", "Tool"])]
            for _ in range(rng.randint(0, 3)):
                line += ["--tag", f"t{rng.randint(0, 9)}"]
            if rng.random() < 0.5:
                line.append("--dry-run")
        elif r < 0.65:
            line = pre + ["list", "--sort", rng.choice(["name", "price", "date"]),
                          "--limit", str(rng.randint(1, 50))]
            if rng.random() < 0.5:
                line.append("--reverse")
        elif r < 0.9:
            line = pre + ["user", "create", f"u{rng.randint(0, 999)}", "--email", "a@b.c",
                          "--role", rng.choice(["admin", "staff", "guest"]),
                          "--quota", str(rng.randint(0, 1000))]
        else:
            line = pre + ["user", "delete", *[f"u{i}" for i in range(rng.randint(0, 5))], "-f"]
        lines.append(line)
    return lines


def main():
    t0 = time.perf_counter()
    results = [cli.main(line, prog_name="store", standalone_mode=False)
               for line in argument_lines(12000)]
    helps = 0
    sink = io.StringIO()
    with redirect_stdout(sink):
        for _ in range(280):
            for line in (["--help"], ["add", "--help"], ["list", "--help"], ["user", "--help"],
                         ["user", "create", "--help"]):
                try:
                    cli.main(line, prog_name="store", standalone_mode=False)
                except SystemExit:
                    pass
                helps += 1
    errors = 0
    for line in (["add"], ["add", "x", "-n", "0"], ["list", "--sort", "size"]) * 450:
        try:
            cli.main(line, prog_name="store", standalone_mode=False)
        except click.UsageError:
            errors += 1
    print(f"runs {len(results)} helps {helps} help chars {len(sink.getvalue())} "
          f"usage errors {errors} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
