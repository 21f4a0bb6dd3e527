"""Measuring the app, beside the library and never imported by it: `serving` (free port, start/stop
`python app.py`, one HTTP client, memory, percentiles), `benchmark` (everything, against the floor of one
bare encode), `load` (HTTP, load, burst, MCP), `scale` + `synthetic` (100,000 synthetic entries), `soak`.
The command lines are scripts/benchmark.py, scripts/burst.py and scripts/soak.py."""
