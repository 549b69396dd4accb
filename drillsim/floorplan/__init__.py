"""Floorplans: the school as a validated graph of spaces and connections, in SI units.

Load with :func:`load_floorplan` (YAML, GraphML or node-link JSON; every problem reported at once),
write with :func:`save_floorplan`, draw with :func:`draw_floorplan`. The YAML format is documented
in ``floorplans/README.md``.
"""

from drillsim.floorplan.io import (
    floorplan_to_dict,
    floorplan_to_graphml,
    floorplan_to_node_link,
    floorplan_to_yaml,
    save_floorplan,
)
from drillsim.floorplan.load import floorplan_from_dict, load_floorplan, validate_floorplan
from drillsim.floorplan.model import (
    CONNECTION_KINDS,
    DEFAULT_WIDTH_M,
    LOCK_TYPES,
    SECURABLE_KINDS,
    SPACE_KINDS,
    Floorplan,
)

__all__ = [
    "CONNECTION_KINDS",
    "DEFAULT_WIDTH_M",
    "LOCK_TYPES",
    "SECURABLE_KINDS",
    "SPACE_KINDS",
    "Floorplan",
    "draw_floorplan",
    "floorplan_from_dict",
    "floorplan_to_dict",
    "floorplan_to_graphml",
    "floorplan_to_node_link",
    "floorplan_to_yaml",
    "load_floorplan",
    "save_floorplan",
    "validate_floorplan",
]


def __getattr__(name: str):
    """Import the drawing module (and matplotlib) only when ``draw_floorplan`` is first used."""
    if name == "draw_floorplan":
        from drillsim.floorplan.draw import draw_floorplan

        return draw_floorplan
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
