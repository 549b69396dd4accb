"""``python -m drillsim`` runs the command line."""

from drillsim.cli.main import main

main()
