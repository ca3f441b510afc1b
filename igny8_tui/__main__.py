"""`python -m igny8_tui` is the `igny8` command."""

from igny8_tui.cli import main

if __name__ == "__main__":
    main()
