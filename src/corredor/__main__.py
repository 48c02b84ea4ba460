"""``python -m corredor``: the same as the ``corredor`` command."""

from corredor.cli import main

if __name__ == "__main__":
    main()
