"""Numeric settings: one rule per setting, applied to a value read from the environment and to a
value given in code alike, with errors that name the environment variable.

A setting is a :class:`NumberRule` (its variable, its minimum, integer or not). ``rule.read(env,
default)`` parses the variable; ``rule.check(value)`` is what the settings dataclasses run in
``__post_init__``, so that ``GatewaySettings(timeout=float("nan"))`` is refused exactly like
``PLIVO_BLOCKS_TIMEOUT=nan``. Non-finite numbers (``nan``, ``inf``) are never a valid setting:
every numeric setting bounds a wait, a size or a count, and an unbounded one is what a limit is
there to prevent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from plivo_blocks.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class NumberRule:
    """How one numeric setting is read and checked."""

    env: str
    minimum: float
    integer: bool = False

    def check(self, value: float) -> float:
        """``value`` if it obeys the rule; else a ConfigurationError naming the variable."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigurationError(f"{self.env} must be a number, got {type(value).__name__}")
        if self.integer and not isinstance(value, int):
            raise ConfigurationError(f"{self.env} must be an integer, got {value!r}")
        if not math.isfinite(value):
            raise ConfigurationError(f"{self.env} must be a finite number, got {value!r}")
        if value < self.minimum:
            shown = int(self.minimum) if self.integer else self.minimum
            raise ConfigurationError(f"{self.env} must be at least {shown}, got {value!r}")
        return value

    def read(self, env: Mapping[str, str], default: float) -> float:
        """The variable's value from ``env`` (``default`` when unset or blank), checked."""
        raw = env.get(self.env, "").strip()
        if not raw:
            return default
        try:
            value: float = int(raw) if self.integer else float(raw)
        except ValueError:
            kind = "an integer" if self.integer else "a number"
            raise ConfigurationError(f"{self.env} must be {kind}, got {raw!r}") from None
        return self.check(value)


def env_float(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    return float(NumberRule(name, minimum).read(env, default))


def env_int(env: Mapping[str, str], name: str, default: int, *, minimum: int) -> int:
    return int(NumberRule(name, minimum, integer=True).read(env, default))
