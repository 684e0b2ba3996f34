"""`python -m ferry` runs the command line."""

from __future__ import annotations

from ferry.cli import main

main()
