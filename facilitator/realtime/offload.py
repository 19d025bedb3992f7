"""CPU-heavy pure work (large layouts, network measures) off the live event loop.

Under gevent every greenlet shares one OS thread, so a two-second layout in a greenlet would freeze
every phone's socket for two seconds. ``run_cpu`` runs the pure function in gevent's real thread pool
and makes only the calling greenlet wait; the interpreter switches threads every few milliseconds, so
the hub keeps answering sockets. Database access and emits stay in the calling greenlet. Outside gevent
(threading mode, tests, the CLI) it simply calls the function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return bool(monkey.is_module_patched("threading"))


def run_cpu(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    if _gevent_patched():
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args, kwargs)  # type: ignore[no-any-return]
    return fn(*args, **kwargs)
