"""Execution: the one flow (flow.py) and the executor that runs per-document stages
(local.py), apart from the stages themselves."""
