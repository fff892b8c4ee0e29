"""``python -m eval SUITE ...``: the same commands as ``newsrag eval``."""

from eval.cli import main

if __name__ == "__main__":
    main()
