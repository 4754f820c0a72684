"""Sub-commands of the ``surveyindex`` command line, one module each.

Each module defines ``register(subparsers)``, which adds its sub-parser(s) and sets ``func`` to a
function taking the parsed arguments and returning an exit code. Commands are thin: they call the
package's public functions and print; no statistics live here.
"""

from . import demo, design_sample, index, instrument, report, run, validate, weight

#: Modules whose ``register`` the CLI calls, in the order their commands appear in ``--help``.
MODULES = [run, validate, weight, index, report, demo, instrument, design_sample]

__all__ = ["MODULES"]
