"""Voice in the sandbox: calls that run Plivo XML, conferences, recordings.

:func:`install` (called by ``create_app`` for every sandbox) creates the :class:`VoiceEngine` and hooks
it into the app's lifespan; :func:`voice_engine` finds it from the state. Modules: ``engine`` (a call's
life), ``xml`` (the Plivo XML reader), ``conferences``, ``recordings``, ``audio`` (silent WAV/MP3),
``runtime`` (the live objects).
"""

from __future__ import annotations

import weakref

from plivo_blocks.sandbox.state import SandboxState
from plivo_blocks.sandbox.voice.engine import VoiceEngine

__all__ = ["VoiceEngine", "install", "voice_engine"]

_ENGINES: weakref.WeakKeyDictionary[SandboxState, VoiceEngine] = weakref.WeakKeyDictionary()


def install(state: SandboxState) -> VoiceEngine:
    engine = VoiceEngine(state)
    _ENGINES[state] = engine
    state.on_startup(engine.start)
    state.on_shutdown(engine.stop)
    state.on_reset(engine.reset)
    return engine


def voice_engine(state: SandboxState) -> VoiceEngine:
    """The state's engine (installing one if the app was built without it)."""
    engine = _ENGINES.get(state)
    return engine if engine is not None else install(state)
