"""Voice in the sandbox: calls that run Plivo XML, conferences, recordings.

The :class:`~plivo_blocks.sandbox.voice.engine.VoiceEngine` is ``state.voice``. Modules: ``engine`` (a
call's life), ``xml`` (the Plivo XML reader), ``conferences``, ``recordings``, ``audio`` (silent
WAV/MP3), ``runtime`` (the live objects).
"""
