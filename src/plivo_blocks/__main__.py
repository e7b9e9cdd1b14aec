"""``python -m plivo_blocks``: the same as the ``plivo-blocks`` command."""

from plivo_blocks.cli import main

main()
