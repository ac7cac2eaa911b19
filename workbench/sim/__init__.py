"""The simulation: browsers, clocks, the persona actor and the runner (issue #6).

Nothing here imports Playwright, so the CLI can offer the runner's choices without loading it.
"""

#: when a session keeps its Playwright trace (``workbench run --trace``)
TRACE_MODES = ("off", "on-failure", "on")
