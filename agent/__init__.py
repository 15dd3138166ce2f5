"""The host agent: receives its host's goal state from svc_dpm and programs it.

- model.py      the desired state, built from HostGoalState messages (pure)
- plan.py       what that state means on a host: devices, entries (pure)
- naming.py     deterministic device names (pure)
- dataplane.py  the driver interface
- linux.py      the Linux driver (rtnetlink via pyroute2), netns.py its helpers
- recording.py  an in-memory driver for tests and scale runs
- client.py     the GoalStateService stream: hello, goal states, reports
- __main__.py   `python -m agent`
"""
