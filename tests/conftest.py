"""What every test shares: the network guard (this process and every Python it starts) and the real-world corpus.

The guard refuses any destination that is not this machine and the run fails at the end, naming each one and
the process that tried. The corpus of real config.json files lives beside the clone (../shared), not in it.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Callable

import pytest

NETGUARD_DIR = Path(__file__).resolve().parent / "netguard"
sys.path.insert(0, str(NETGUARD_DIR))
import model_import_widget_netguard as netguard  # noqa: E402  (the same module the children's sitecustomize runs)

sys.path.remove(str(NETGUARD_DIR))
netguard.install()

REAL_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "modelarts-configs"
_REFUSED = pytest.StashKey[list]()
_NEEDS_CORPUS = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    handle, log = tempfile.mkstemp(prefix="model_import_widget-netguard-", suffix=".jsonl")
    os.close(handle)
    os.environ[netguard.LOG_ENV] = log
    os.environ["PYTHONPATH"] = os.pathsep.join([str(NETGUARD_DIR), *filter(None, [os.environ.get("PYTHONPATH")])])


def pytest_report_header(config: pytest.Config) -> list[str]:
    where = f"{REAL_CORPUS}" if REAL_CORPUS.is_dir() else f"absent ({REAL_CORPUS}): the tests that need it skip"
    return [f"network guard: only loopback, log {os.environ.get(netguard.LOG_ENV)}", f"real-world corpus: {where}"]


def refused_so_far() -> list[dict]:
    """Everything refused in this process and logged by the children (this process logs there too: once each)."""
    return netguard.refused + [entry for entry in netguard.read_log(os.environ[netguard.LOG_ENV])
                               if entry["pid"] != os.getpid()]


class NetworkGuard:
    """What the guard refused so far, for the test that proves it (and clears what it provoked on purpose)."""

    @property
    def log(self) -> Path:
        return Path(os.environ[netguard.LOG_ENV])

    def refused(self) -> list[dict]:
        return refused_so_far()

    def clear(self, match: Callable[[dict], bool]) -> list[dict]:
        """Forgets the refusals `match` accepts, here and in the children's log; returns them."""
        here = [entry for entry in netguard.refused if match(entry)]
        netguard.refused[:] = [entry for entry in netguard.refused if not match(entry)]
        return here + [entry for entry in netguard.clear_log(self.log, match) if entry["pid"] != os.getpid()]


@pytest.fixture
def network_guard() -> NetworkGuard:
    return NetworkGuard()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    log = os.environ.get(netguard.LOG_ENV)
    entries = refused_so_far() if log else []
    session.config.stash[_REFUSED] = entries
    if entries:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif log:
        Path(log).unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    entries = config.stash.get(_REFUSED, [])
    if not entries:
        return
    terminalreporter.write_sep("=", f"NETWORK GUARD: {len(entries)} attempt(s) to reach another machine", red=True)
    for line in netguard.format_entries(entries):
        terminalreporter.write_line(line, red=True)
    terminalreporter.write_line(f"The run fails: tests may only reach 127.0.0.1, ::1 and localhost (the children's "
                                f"log: {os.environ.get(netguard.LOG_ENV)})", red=True)


# ---- the real-world corpus --------------------------------------------------------------------------------------


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[_NEEDS_CORPUS] = sum("real_corpus" in getattr(item, "fixturenames", ())
                                              for item in session.items)


CORPUS_ABSENT = "the shared real-world corpus ../shared/corpus/modelarts-configs is not beside this clone"


def _skip_without_corpus(config: pytest.Config) -> None:
    pytest.skip(f"{CORPUS_ABSENT}; these {config.stash.get(_NEEDS_CORPUS, 0)} tests need it")


@pytest.fixture(scope="session")
def real_corpus(request: pytest.FixtureRequest) -> Path:
    """The 30 real config.json files in ../shared/corpus/modelarts-configs; skips (one reason for all) without them."""
    if not REAL_CORPUS.is_dir():
        _skip_without_corpus(request.config)
    files = sorted(REAL_CORPUS.glob("[0-3][0-9]-*.json"))
    assert len(files) == 30, f"the real-world corpus at {REAL_CORPUS} should hold 30 files, it holds {len(files)}"
    return REAL_CORPUS


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Reports every skip for the absent corpus at this file's line, so the summary folds them into one line."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and CORPUS_ABSENT in report.longrepr[2]:
        report.longrepr = (__file__, _skip_without_corpus.__code__.co_firstlineno + 1, report.longrepr[2])
    return report
