"""The ``drillsim`` command line (click): one module per command family."""
