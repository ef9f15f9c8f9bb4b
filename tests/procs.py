"""Processes a test started (a scheduler, workers): stopped by their ids, never by name."""

import signal
import subprocess


def stop(started: list) -> None:
    """Processes a test started, last first: ours alone, by their ids."""
    for p in reversed(started):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
