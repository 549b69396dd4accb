"""``drillsim import imdf|dxf``: turn indoor-map data or a CAD drawing into a floorplan YAML."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
