"""A Virtuoso 7 of its own, on free loopback ports in a folder: for the tests and the benchmark.

:func:`start` runs Debian's ``virtuoso-t`` (package ``virtuoso-opensource``) in the foreground
with an ini file written for it, waits for its SPARQL endpoint, creates the user trialkg writes
as and grants it ``SPARQL_UPDATE`` through ``isql-vt``, exactly as the README's Virtuoso
section says. :meth:`Virtuoso.stop` ends that process (and only it).

:func:`running` and :func:`emptied` are what a test module's fixtures do: one server for the
module, emptied of the tests' graphs for each test.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

#: The user trialkg writes as, and its password (Digest authentication).
USER = "trialkg"
PASSWORD = "trialkg-test-password"
#: Stock Virtuoso's answer cap ([SPARQL] ResultSetMaxRows), kept by default so that the tests
#: meet it.
STOCK_MAX_ROWS = 10_000


def executables() -> tuple[str, str] | None:
    """``virtuoso-t`` and ``isql-vt`` (or ``isql``), or None when Virtuoso is not installed."""
    server = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt") or shutil.which("isql")
    return (server, isql) if server and isql else None


def missing_reason() -> str:
    return (
        "Virtuoso is not installed (no virtuoso-t / isql-vt): apt-get install "
        "virtuoso-opensource (.ci/run installs it when it can)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Virtuoso:
    """A running Virtuoso: its folder, ports and process, and the URLs trialkg uses."""

    folder: Path
    sql_port: int
    http_port: int
    process: subprocess.Popen[bytes]
    isql_command: str
    #: The environment trialkg needs to write (Digest credentials).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.base}/sparql-auth"

    @property
    def gsp_url(self) -> str:
        return f"{self.base}/sparql-graph-crud-auth"

    def options(self) -> list[str]:
        """The command-line options the README gives for Virtuoso."""
        return [
            "--store-query",
            self.query_url,
            "--store-update",
            self.update_url,
            "--store-gsp",
            self.gsp_url,
        ]

    def isql(self, *statements: str, timeout: float = 600) -> str:
        """Run SQL statements as the dba user; their output (raises on an error)."""
        script = "".join(s.rstrip().rstrip(";") + ";\n" for s in statements)
        done = subprocess.run(
            [self.isql_command, f"127.0.0.1:{self.sql_port}", "dba", "dba", "VERBOSE=OFF"],
            input=script,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
        output = done.stdout + done.stderr
        if done.returncode != 0 or "*** Error" in output:
            raise RuntimeError(f"isql failed ({done.returncode}):\n{script}\n{output}")
        return output

    def stop(self) -> None:
        """Stop the server (a checkpoint, then exit), killing it after 60 s."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log(self) -> str:
        path = self.folder / "virtuoso.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def _ini(folder: Path, sql_port: int, http_port: int, settings: dict[str, str]) -> str:
    """A minimal virtuoso.ini: everything in ``folder``, listening on loopback only."""
    sections = {
        "Database": {
            "DatabaseFile": f"{folder}/virtuoso.db",
            "ErrorLogFile": f"{folder}/virtuoso.log",
            "LockFile": f"{folder}/virtuoso.lck",
            "TransactionFile": f"{folder}/virtuoso.trx",
            "xa_persistent_file": f"{folder}/virtuoso.pxa",
            "ErrorLogLevel": "7",
            "FileExtend": "200",
            "MaxCheckpointRemap": "2000",
            "Striping": "0",
            "TempStorage": "TempDatabase",
        },
        "TempDatabase": {
            "DatabaseFile": f"{folder}/virtuoso-temp.db",
            "TransactionFile": f"{folder}/virtuoso-temp.trx",
            "MaxCheckpointRemap": "2000",
            "Striping": "0",
        },
        "Parameters": {
            "ServerPort": f"127.0.0.1:{sql_port}",
            "DisableUnixSocket": "1",
            "DisableTcpSocket": "0",
            "MaxClientConnections": "10",
            "CheckpointInterval": "60",
            "CaseMode": "2",
            "DirsAllowed": f"., {folder}",
            "NumberOfBuffers": settings.pop("NumberOfBuffers", "10000"),
            "MaxDirtyBuffers": settings.pop("MaxDirtyBuffers", "6000"),
            "ThreadsPerQuery": settings.pop("ThreadsPerQuery", "2"),
            "MaxQueryMem": settings.pop("MaxQueryMem", "1G"),
        },
        "HTTPServer": {
            "ServerPort": f"127.0.0.1:{http_port}",
            "ServerRoot": str(folder),
            "MaxClientConnections": "10",
            "ServerThreads": "10",
            "DavRoot": "DAV",
            "EnabledDavVSP": "0",
            "Charset": "UTF-8",
            "EnabledGzipContent": "0",
        },
        "SPARQL": {
            "ResultSetMaxRows": settings.pop("ResultSetMaxRows", str(STOCK_MAX_ROWS)),
            "MaxQueryCostEstimationTime": "400",
            "MaxQueryExecutionTime": settings.pop("MaxQueryExecutionTime", "60"),
        },
    }
    if settings:
        raise ValueError(f"unknown Virtuoso settings: {sorted(settings)}")
    return "".join(
        f"[{name}]\n" + "".join(f"{key} = {value}\n" for key, value in items.items())
        for name, items in sections.items()
    )


def start(folder: Path, **settings: str) -> Virtuoso:
    """Start Virtuoso with its database in ``folder`` (made if missing), ready for trialkg.

    ``settings`` override ini values: ``NumberOfBuffers``, ``MaxDirtyBuffers``,
    ``ThreadsPerQuery``, ``MaxQueryMem``, ``ResultSetMaxRows``, ``MaxQueryExecutionTime``.

    :raises RuntimeError: when Virtuoso is not installed or does not come up in 120 s.
    """
    found = executables()
    if found is None:
        raise RuntimeError(missing_reason())
    server, isql = found
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = _free_port(), _free_port()
    while http_port == sql_port:
        http_port = _free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(_ini(folder, sql_port, http_port, dict(settings)), encoding="utf-8")
    virtuoso = Virtuoso(folder, sql_port, http_port, _launch(server, ini), isql)
    try:
        _wait_until_up(virtuoso)
        virtuoso.isql(
            f"DB.DBA.USER_CREATE('{USER}', '{PASSWORD}')",
            f'GRANT SPARQL_UPDATE TO "{USER}"',
        )
    except BaseException:
        virtuoso.stop()
        raise
    virtuoso.env = {
        "TRIALKG_STORE_USER": USER,
        "TRIALKG_STORE_PASSWORD": PASSWORD,
        "TRIALKG_STORE_AUTH": "digest",
    }
    return virtuoso


def _launch(server: str, ini: Path) -> subprocess.Popen[bytes]:
    with (ini.parent / "stdout.log").open("ab") as out:
        return subprocess.Popen(
            [server, "+foreground", "+configfile", str(ini)],
            cwd=ini.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def _wait_until_up(virtuoso: Virtuoso) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            answer = httpx.get(virtuoso.query_url, params={"query": "ASK {}"}, timeout=5)
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        if virtuoso.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"Virtuoso did not answer at {virtuoso.query_url}:\n{virtuoso.log()}"
            )
        time.sleep(0.2)


# -- what the fixtures of a test module do ----------------------------------------------------


def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A Virtuoso for a test module (module-scoped fixture), stopped at its end; the test is
    skipped, saying why, when Virtuoso is not installed."""
    if executables() is None:
        pytest.skip(missing_reason())
    server = start(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        server.stop()


def emptied(virtuoso: Virtuoso, monkeypatch: pytest.MonkeyPatch) -> Virtuoso:
    """The module's Virtuoso holding none of the tests' graphs, its credentials in the
    environment (as a user would set them)."""
    for name, value in virtuoso.env.items():
        monkeypatch.setenv(name, value)
    _drop_test_graphs(virtuoso)
    return virtuoso


def _drop_test_graphs(virtuoso: Virtuoso) -> None:
    """Drop every graph but Virtuoso's own (SQL, so that no code under test is involved)."""
    virtuoso.isql(
        "DELETE FROM DB.DBA.RDF_QUAD WHERE G NOT IN ("
        "iri_to_id('http://www.openlinksw.com/schemas/virtrdf#'), "
        "iri_to_id('http://www.w3.org/ns/ldp#'), "
        f"iri_to_id('http://localhost:{virtuoso.http_port}/sparql'), "
        "iri_to_id('http://localuriqaserver/sparql'))"
    )
