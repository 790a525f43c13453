"""The `vinify` command. Each subcommand lives in its own module, registered in COMMANDS.

A subcommand module defines `HELP` (one line), `add_arguments(parser)` and `run(args) -> int`.
Modules are imported only when their subcommand runs, so `vinify --help` stays fast.
"""

import argparse
import sys
from importlib import import_module

from vinify.errors import VinifyError

COMMANDS = {
    "devices": ("vinify.tools.commands.devices", "list devices and why any is unavailable"),
    "info": ("vinify.tools.commands.info", "show a model's inputs, outputs and op histogram"),
    "run": ("vinify.tools.commands.run", "run a model on a device and print or save outputs"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="vinify", description="vinify model compiler toolkit")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, summary) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=summary, description=summary)
        sub.set_defaults(_module=module)
        if argv[:1] == [name]:
            import_module(module).add_arguments(sub)
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
