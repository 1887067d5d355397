"""``python -m iamscope`` runs the command line."""

from iamscope.cli.main import main

main()
