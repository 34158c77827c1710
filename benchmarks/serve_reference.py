"""Serves a reference app (bare_app or floor_app) on casemgr's own serving
stack — granian and casemgr's edge, with the same workers and threads as
`casemgr serve` — so that the ratios compare the apps, not the servers.

    python benchmarks/serve_reference.py bare PORT WORKERS
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from casemgr.config import Settings  # noqa: E402
from casemgr.edge import BufferedWsgiBridge  # noqa: E402
from casemgr.server import edge_limits, run  # noqa: E402


def main() -> None:
    target, port, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    create_app = importlib.import_module(f"{target}_app").create_app
    settings = Settings(port=port, workers=workers)
    run(settings, app_factory=lambda s: BufferedWsgiBridge(create_app(), edge_limits(s)))


if __name__ == "__main__":
    main()
