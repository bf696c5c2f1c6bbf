"""`python -m pocketstack`: the same as the `pocketstack` console script."""

from pocketstack.cli import main

raise SystemExit(main())
