"""Runs a `psn.traffic.views` reader off the event loop (it may build the road graph: 1.6 s once) under the
service's lock, and turns its refusals into HTTP errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool

from psn.server import Server
from psn.traffic.tick import Picture
from psn.traffic.views import Refused

T = TypeVar("T")


async def read(server: Server, view: Callable[[Picture, float], T], build: bool = True) -> T | None:
    return await run_in_threadpool(answer, lambda: server.traffic.read(view, build))


def answer(call: Callable[[], T]) -> T:
    """What `call` gives; its `Refused` as the HTTP error."""
    try:
        return call()
    except Refused as refused:
        raise HTTPException(refused.status, refused.detail) from None
