"""Subcommands beyond run/validate/schema, one module each (see ``accelsim.cli.COMMAND_MODULES``).

Each module defines ``NAME`` (the subcommand's name), ``add_parser(sub)`` (adds its argparse subparser to ``sub``)
and ``run(args) -> int`` (the exit code). Import heavy dependencies inside
``run`` so that ``accelsim --help`` stays fast; raise
:class:`accelsim.errors.InputError` for bad input (``cli.py`` turns it into exit 2).
"""
