"""The browser side of the network guard: a page's request to another machine is seen (and fails the run), and the
browser cannot resolve any other machine's name."""

from __future__ import annotations

import pytest

from . import conftest
from .conftest import wait_until

pytestmark = pytest.mark.slow


def test_a_request_to_another_machine_is_recorded_and_cannot_resolve(browser):
    context = browser.new_context()
    context.on("request", conftest._note_outside)
    page = context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.failure or ""))
    try:
        page.set_content("<img src='http://model-import-widget-guard.example.com/probe.png'>")
        wait_until(lambda: failed, what="the probe request to fail")
        assert "NAME_NOT_RESOLVED" in failed[0]  # --host-resolver-rules: no name of another machine resolves
        seen = [url for url in conftest.OUTSIDE_REQUESTS if "model-import-widget-guard" in url]
        assert seen == ["http://model-import-widget-guard.example.com/probe.png"]
    finally:
        conftest.OUTSIDE_REQUESTS[:] = [u for u in conftest.OUTSIDE_REQUESTS if "model-import-widget-guard" not in u]
        context.close()
