"""Subcommands of the `vinify` command line."""
