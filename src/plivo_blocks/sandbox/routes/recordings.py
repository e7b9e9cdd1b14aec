"""``Recording/`` (list with Plivo's filters, get, delete) and the audio behind ``recording_url``.

The audio route, ``GET /_sandbox/recordings/{recording_id}.{mp3|wav}``, needs no credentials, like
the public file URLs Plivo hands out; it answers silent audio of the recording's length while the
recording exists, 404 once it is deleted.

List filters: ``call_uuid``, ``conference_name``, ``subaccount``, ``add_time`` and
``recording_storage_duration`` (each in Plivo's ``__gt``/``__gte``/``__lt``/``__lte`` forms).
``from_number``, ``to_number``, ``conference_uuid``, ``mpc_name`` and ``mpc_uuid`` are refused (400).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from plivo_blocks.sandbox.auth import sandbox_state
from plivo_blocks.sandbox.models.base import fetch, fetch_page, stored_fields
from plivo_blocks.sandbox.responses import bad_request, error_response, no_content, not_found, ok
from plivo_blocks.sandbox.routing import ApiContext, api_route
from plivo_blocks.sandbox.store import ANY_OWNER
from plivo_blocks.sandbox.times import parse_filter_time
from plivo_blocks.sandbox.voice.audio import MEDIA_TYPES, silent_audio
from plivo_blocks.sandbox.voice.recording_document import RECORDING, Recording
from plivo_blocks.sandbox.voice.recordings import AUDIO_ROUTE

RECORDING_NOT_FOUND = "recording not found"
COMPARISONS = ("gt", "gte", "lt", "lte")
#: Filters of Plivo's recording list (the official SDKs send them) that the sandbox does not
#: simulate: refused by name, because ignoring one would list recordings it should leave out.
UNSIMULATED_FILTERS = ("from_number", "to_number", "conference_uuid", "mpc_name", "mpc_uuid")


def _add_time_filters(ctx: ApiContext) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for op in ("", *COMPARISONS):
        name = f"add_time__{op}" if op else "add_time"
        raw = ctx.text(name)
        if raw is None:
            continue
        moment = parse_filter_time(raw)
        if moment is None:
            raise bad_request(f"{name} must be a date and time like 2016-05-28 00:00:00")
        if op:
            filters[f"time__{op}"] = moment
        else:  # a time to the second: the whole second matches
            filters["time__gte"], filters["time__lt"] = moment, moment + 1
    return filters


def _storage_filters(ctx: ApiContext) -> dict[str, int]:
    """``recording_storage_duration`` (days) in its five forms, on the value the sandbox shows."""
    filters: dict[str, int] = {}
    for op in ("", *COMPARISONS):
        name = f"recording_storage_duration__{op}" if op else "recording_storage_duration"
        raw = ctx.text(name)
        if raw is None:
            continue
        try:
            filters[name] = int(raw)
        except ValueError:
            raise bad_request(f"{name} must be an integer") from None
    return filters


async def list_recordings(ctx: ApiContext) -> Response:
    for name in UNSIMULATED_FILTERS:
        if ctx.text(name) is not None:
            raise bad_request(f"the plivo-blocks sandbox does not simulate the {name} filter of recordings")
    filters: dict[str, Any] = {**_add_time_filters(ctx), **_storage_filters(ctx)}
    for name in ("call_uuid", "conference_name"):
        if ctx.text(name):
            filters[name] = ctx.text(name)
    limit, offset = ctx.page()
    owners = await ctx.listing_owners()
    recordings, total = await fetch_page(
        ctx.store, Recording, owners, stored_fields(Recording, filters), limit, offset
    )
    return ctx.list_response([r.render() for r in recordings], total, limit, offset)


async def get_recording(ctx: ApiContext) -> Response:
    recording = await fetch(ctx.store, Recording, ctx.path["recording_id"], await ctx.owners())
    if recording is None:
        raise not_found(RECORDING_NOT_FOUND)
    return ok(recording.render())


async def delete_recording(ctx: ApiContext) -> Response:
    if not await ctx.store.delete(RECORDING, ctx.path["recording_id"], await ctx.owners()):
        raise not_found(RECORDING_NOT_FOUND)
    return no_content()


async def recording_audio(request: Request) -> Response:
    recording_id, _, extension = str(request.path_params["filename"]).rpartition(".")
    store = sandbox_state(request).store
    recording = await fetch(store, Recording, recording_id, ANY_OWNER) if recording_id else None
    if recording is None or recording.recording_format != extension:
        return error_response(404, RECORDING_NOT_FOUND)
    audio = silent_audio(extension, recording.duration_ms)
    return Response(
        audio,
        media_type=MEDIA_TYPES[extension],
        headers={"Content-Disposition": f'inline; filename="{recording_id}.{extension}"'},
    )


routes: list[BaseRoute] = [
    api_route("GET", "Recording/", list_recordings),
    api_route("GET", "Recording/{recording_id}/", get_recording),
    api_route("DELETE", "Recording/{recording_id}/", delete_recording),
    Route(AUDIO_ROUTE + "/{filename}", recording_audio, methods=["GET", "HEAD"]),
]
