"""`python -m planner ...`: the command-line front end."""

try:
    from planner.cli import main
except KeyboardInterrupt:  # Ctrl-C while the libraries load: no traceback
    raise SystemExit(130) from None

raise SystemExit(main())
