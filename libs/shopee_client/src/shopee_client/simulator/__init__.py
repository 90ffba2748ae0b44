"""shopee_client.simulator: a deterministic simulated Shopee serving the real paths and envelopes.

- `Simulator` (core.py): world + simulated clock + auth + faults + QR + request log; Python API incl.
  `ground_truth()`.
- `SimulatorConfig`, `FaultConfig` (config.py).
- `create_app()` (app.py): the raw ASGI app; `run_simulator`, `run_simulator_thread`, `run_simulator_process`
  (runner.py); `shopee-sim` (cli.py).
- `GroundTruth`, `SessionTruth`, `ItemTruth`, `AccountDayTruth` (ground_truth.py).
"""

from shopee_client.simulator.app import create_app
from shopee_client.simulator.config import FaultConfig, SimulatorConfig
from shopee_client.simulator.core import Simulator
from shopee_client.simulator.ground_truth import AccountDayTruth, GroundTruth, ItemTruth, SessionTruth
from shopee_client.simulator.requestlog import RequestRecord
from shopee_client.simulator.runner import (
    RunningSimulator,
    run_simulator,
    run_simulator_process,
    run_simulator_thread,
)

__all__ = [
    "AccountDayTruth",
    "FaultConfig",
    "GroundTruth",
    "ItemTruth",
    "RequestRecord",
    "RunningSimulator",
    "SessionTruth",
    "Simulator",
    "SimulatorConfig",
    "create_app",
    "run_simulator",
    "run_simulator_process",
    "run_simulator_thread",
]
