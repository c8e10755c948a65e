"""Allow ``python -m ingestd``."""

from ingestd._entry import main

main()
