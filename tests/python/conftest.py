import pathlib

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = pathlib.Path(__file__).resolve().parents[2]

# A small open network: Poisson arrivals to a frontend that calls a backend.
# Short, so each run takes milliseconds.
SMALL = """
[scenario]
name = "small"
duration = "20s"
warmup = "1s"
seed = 3

[[server]]
name = "web"
count = 2
cores = 2

[[server]]
name = "db"
cores = 2

[service.frontend]
servers = ["web"]
balancer = "round_robin"

[service.frontend.op.home]
work = "exp(2ms)"
calls = ["backend.read"]

[service.backend]
servers = ["db"]

[service.backend.op.read]
work = "exp(1ms)"

[[workload]]
name = "users"
to = "frontend"
arrival = "poisson(300/s)"
mix = { home = 1.0 }
"""


@pytest.fixture
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture
def small():
    import s2sim

    return s2sim.loads(SMALL, filename="small.toml")
