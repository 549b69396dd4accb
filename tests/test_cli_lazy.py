"""``drillsim --help`` stays fast: loading the CLI imports none of the heavy libraries.

Each command imports what it needs when it runs (``drillsim.cli.lazy``); a module-level import of
the engine, the reports or the floorplan model in any ``drillsim/cli`` module would pull NumPy,
SciPy, NetworkX and SimPy into every ``drillsim --help`` (it did once: about 0.6 s).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "scipy", "networkx", "simpy", "matplotlib", "pyarrow", "pandas", "pydantic")


def test_help_imports_no_heavy_library():
    code = (
        "import sys, json\n"
        "sys.argv = ['drillsim', '--help']\n"
        "import drillsim.cli.main as m\n"
        "try:\n    m.main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted({k.split('.')[0] for k in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert "Usage" in out or "usage" in out.lower()
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_import_soon_gives_the_module_or_its_error():
    import pytest

    from drillsim.cli.lazy import import_soon

    assert import_soon("json")().dumps([1]) == "[1]"
    wait = import_soon("drillsim_no_such_module")
    with pytest.raises(ModuleNotFoundError):
        wait()
