"""The `vinify` command. Each subcommand is one module in `tools/commands/`.

A subcommand module has a docstring (its first line is the help text), `add_arguments(parser)` and
`run(args) -> int`; it imports heavy dependencies inside `run`, so `vinify --help` stays fast.
"""

import argparse
import pkgutil
import sys
from importlib import import_module

from vinify.errors import VinifyError

COMMANDS_PACKAGE = "vinify.tools.commands"


def commands() -> dict[str, str]:
    """Subcommand name -> module; every module in tools/commands is one (`cross_check` is
    `cross-check`)."""
    package = import_module(COMMANDS_PACKAGE)
    return {
        info.name.replace("_", "-"): f"{COMMANDS_PACKAGE}.{info.name}"
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="vinify", description="vinify model compiler toolkit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in commands().items():
        module = import_module(module_name)
        summary = (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""
        sub = subparsers.add_parser(name, help=summary, description=summary)
        sub.set_defaults(_module=module_name)
        if argv[:1] == [name]:
            module.add_arguments(sub)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(import_module(args._module).run(args) or 0)
    except VinifyError as error:
        print(f"vinify {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
