"""The Dask backend of :func:`~ps_graph.experiments.compare`: the scheduler address checked before
connecting, a connection that gives up after a timeout and leaves no thread behind, and the runs.

>>> check_scheduler("tcp://10.0.0.1:8786"), check_scheduler("10.0.0.1:8786"), check_scheduler("tls://[::1]:8786")
('tcp://10.0.0.1:8786', 'tcp://10.0.0.1:8786', 'tls://[::1]:8786')
>>> check_scheduler("notaurl")
Traceback (most recent call last):
...
ps_graph.errors.ConfigError: scheduler must be a Dask scheduler address SCHEME://HOST:PORT ...; got 'notaurl': no port.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Generator, Sequence
from typing import Any

from ..checks import check_real, printable, show
from ..errors import ConfigError

__all__ = ["CONNECT_TIMEOUT", "SCHEMES", "check_scheduler", "connect", "dask_runs", "local_cluster"]

logger = logging.getLogger("ps_graph.experiments")

#: The address schemes Dask's comms know (``inproc`` addresses are ``inproc://HOST/PID/N``, no port).
SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")
#: Seconds :func:`connect` waits for a scheduler by default.
CONNECT_TIMEOUT = 5.0
#: The longest connect timeout allowed (an hour).
MAX_CONNECT_TIMEOUT = 3600.0

_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+")
_EXAMPLE = "tcp://10.0.0.1:8786"


def check_scheduler(address: Any) -> str:
    """``address`` as ``SCHEME://HOST:PORT`` (a bare ``HOST:PORT`` is tcp), checked without connecting:
    a known scheme (:data:`SCHEMES`), a host name or IP address (IPv6 in brackets), a port in 1..65535.
    Anything else raises :class:`~ps_graph.errors.ConfigError` saying what is wrong."""
    if not isinstance(address, str):
        raise ConfigError(
            f"scheduler must be a Dask scheduler address such as {_EXAMPLE!r} or a distributed.Client; "
            f"got {show(address)}."
        )

    def bad(problem: str) -> ConfigError:
        return ConfigError(
            f"scheduler must be a Dask scheduler address SCHEME://HOST:PORT such as {_EXAMPLE!r} (the scheduler "
            f"prints it when it starts; SCHEME one of {', '.join(SCHEMES)}); got {show(address)}: {problem}."
        )

    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", address.strip()
    if scheme not in SCHEMES:
        raise bad(f"unknown scheme {scheme!r}")
    if scheme == "inproc":
        if not re.fullmatch(r"[^/\s]+/\d+/\d+", rest):
            raise bad("an inproc address is inproc://HOST/PID/N")
        return f"{scheme}://{rest}"
    host, colon, port = rest.rpartition(":")
    if not colon:
        raise bad("no port")
    if not host or not _HOST.fullmatch(host):
        raise bad(f"{host!r} is not a host name or IP address" if host else "no host")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise bad(f"the port {port!r} is not a number in 1..65535")
    return f"{scheme}://{host}:{int(port)}"


def check_connect_timeout(seconds: Any) -> float:
    """A connect timeout in seconds: a number in (0, :data:`MAX_CONNECT_TIMEOUT`]."""
    return check_real("connect_timeout", seconds, 0.0, MAX_CONNECT_TIMEOUT, low_open=True)


def connect(address: str, timeout: float = CONNECT_TIMEOUT):
    """A ``distributed.Client`` connected to the scheduler at ``address`` (checked first), waiting at
    most ``timeout`` seconds; any failure is a ConfigError, and a client that did not connect stops
    its IO loop thread, so nothing keeps the process alive after the error."""
    address = check_scheduler(address)
    timeout = check_connect_timeout(timeout)
    from distributed import Client

    class _Client(Client):  # stops its IO loop when it fails to start (Client's own __init__ leaves it running)
        def start(self, **kwargs):
            try:
                super().start(**kwargs)
            except BaseException:
                self.status = "closed"  # never connected: nothing to close, and __del__ must not try
                self._loop_runner.stop(timeout=1)
                raise

    try:
        return _Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:
        cause = printable(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, 200)
        raise ConfigError(
            f"cannot reach the Dask scheduler at {address!r} within {timeout:g} s ({cause}). Check the "
            "address (the scheduler prints it, e.g. tcp://10.0.0.1:8786), that it is running and reachable, "
            "or wait longer with connect_timeout (--connect-timeout SECONDS)."
        ) from None


def local_cluster(make: Callable, workers: int):
    """``make(...)``, a temporary local Dask cluster of ``workers`` one-thread worker processes, or a
    ConfigError that names the usual cause when it does not start: a script without a
    ``__main__`` guard (the spawned workers import it again).

    >>> def broken(**kwargs): raise RuntimeError("Nanny failed to start.")
    >>> local_cluster(broken, 2)
    Traceback (most recent call last):
    ps_graph.errors.ConfigError: could not start a local Dask cluster of 2 worker processes ... "__main__"...
    >>> try:
    ...     local_cluster(broken, 2)
    ... except Exception as err:
    ...     print("Nanny failed to start" in str(err))
    True
    """
    try:
        return make(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    except Exception as exc:  # distributed raises RuntimeError / TimeoutError with little to go on
        raise ConfigError(
            f"could not start a local Dask cluster of {workers} worker processes ({type(exc).__name__}: {exc}). "
            "Worker processes import the script that started them again: put its code under "
            '`if __name__ == "__main__":`, or pass a client of your own (scheduler=distributed.Client(...), e.g. '
            "of LocalCluster(processes=False)), or use backend='loky'."
        ) from None


def dask_runs(
    task: Callable, pending: Sequence, builds: dict[str, Callable], workers: int, scheduler: Any, timeout: float
) -> Generator[Any, None, None]:
    """``task(spec, build, 1)`` of every pending spec on Dask, as they finish: on ``scheduler`` (an
    address or a ``distributed.Client``), or without one on a temporary local cluster of ``workers``.
    Closing the generator cancels what is left and closes what it opened."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ConfigError(
            "the Dask backend needs distributed: pip install 'dask[distributed]' (or pip install 'ps_graph[cluster]')."
        ) from None
    cluster = client = None
    futures = []
    try:
        if isinstance(scheduler, Client):
            active = scheduler
        elif scheduler is None:
            cluster = local_cluster(LocalCluster, workers)
            logger.info("started a local Dask cluster with %d workers at %s", workers, cluster.scheduler_address)
            active = client = Client(cluster, set_as_default=False)
        else:
            active = client = connect(scheduler, timeout)
        futures = [active.submit(task, spec, builds[spec.agent.kind], 1, pure=False) for spec in pending]
        for future in as_completed(futures, loop=active.loop):
            yield future.result()
    finally:
        if futures:
            active.cancel([f for f in futures if not f.done()])
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
