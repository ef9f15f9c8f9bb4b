"""Scratch (story-12h, session 18): what its scripts share. `traps`: prep12f's pickle, its
trap documents grouped trap by trap, with the default config and story.threshold.
`idea_main`: the command line of an idea script (PREP ARG [THRESHOLD LOCAL] [--validate])."""
import sys
from collections import defaultdict
from typing import Any, Callable

import eval12f as E
from cleaner.core.config import config_from_dict


def traps(path: str) -> tuple[dict, dict, float, dict[str, list]]:
    p = E.load(path)
    cfg = config_from_dict()
    by: dict[str, list] = defaultdict(list)
    for d in p["traps"]:
        by[p["trap_event"][d.id][0]].append(d)
    return p, cfg, cfg["story"]["threshold"], by


def idea_main(name: str, **make: Callable[[float], Any]) -> None:
    """E.evaluate with each `make(ARG)` passed as its keyword (sim=..., dt=...)."""
    args = [x for x in sys.argv[1:] if not x.startswith("--")]
    E.load(args[0])
    value = float(args[1])
    over = {"story": {"threshold": float(args[2]), "local_threshold": float(args[3])}} if len(args) > 3 else {}
    validate = "--validate" in sys.argv
    _, ts = E.evaluate(f"{name} {value} {over}", over, validate=validate, seed12=validate,
                       **{key: fn(value) for key, fn in make.items()})
    for k, v in ts.items():
        print("  ", k, [round(x, 3) for x in v])
