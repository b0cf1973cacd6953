"""s2sim: simulate server-to-server systems from Python.

    import s2sim
    sc = s2sim.load("scenarios/ecommerce.toml")
    sc.services["catalog"].balancer = "round_robin"     # an edit, as --set takes it
    res = sc.run(seed=1, replications=5)
    res.requests[["throughput_per_s", "p99_s", "p99_s_ci95"]]
    res.plot.latency_cdf()

The simulation is C++ (the module ``s2sim._core``); this package only shapes its
inputs and outputs. See the README for Jupyter and Dask.
"""

from ._errors import ConfigError, Error
from .experiments import compare, sweep
from .results import QUANTILE_GRID, Results
from .scenario import Scenario, load, loads

__version__ = "0.1.0"

__all__ = ["ConfigError", "Error", "Results", "Scenario", "QUANTILE_GRID", "compare", "load", "loads",
           "sweep", "__version__"]
