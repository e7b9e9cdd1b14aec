"""Plivo XML elements: one module per group, each holding its typed instructions and their specs."""
