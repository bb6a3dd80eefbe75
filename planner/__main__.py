"""`python -m planner ...`: the command-line front end."""

from planner.cli import main

raise SystemExit(main())
