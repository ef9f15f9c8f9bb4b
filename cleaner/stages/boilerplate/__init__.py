"""Boilerplate: rules as data (rules.py), tag lines (tag.py), then decide (decide.py);
strip.py is the stage."""
