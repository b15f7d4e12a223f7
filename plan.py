#!/usr/bin/env python3
"""autodiscover-dns: plan, apply and check Mailprotector Autodiscover SRV records.

Run it from the repository root (paths in the configs are relative to it), with
the project's interpreter: ``.venv/bin/python plan.py --help`` or any make target.
The command line itself is ``providers/cli/``.

Exit codes: 0 success (no changes with --detailed-exitcode); 2 changes pending
(plan --detailed-exitcode) or domains not yet confirmed (confirm); 1 any error.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        from providers.cli import main as cli_main
    except ModuleNotFoundError as e:  # dependencies missing: not the project's interpreter
        print(
            f"error: {e.name} is not installed for {sys.executable}; run make setup and use "
            ".venv/bin/python plan.py (or any make target)",
            file=sys.stderr,
        )
        return 1
    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
