"""The review page (``notebooks/07_review.ipynb``) as a web app: Voila with the
course's settings. ``make quiz`` runs ``python -m crmlib.quiz.app``.

Every page load starts a kernel. Voila shuts it down when the page is left: the
page sends ``POST /voila/api/shutdown/<kernel>`` with the ``_xsrf`` cookie's
value, but Voila never sets that cookie, so the server refused every request
(``'_xsrf' argument missing from POST``) and each page load left a kernel
running. :func:`set_xsrf_cookie` sets the cookie with the page, and kernels
left without a page (a tab that crashed, a lost connection, a request without
a browser) are culled once idle for :data:`CULL_IDLE_TIMEOUT` seconds; a kernel
with a page connected to it is never culled, however long the learner reads.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parent.parent.parent / "notebooks" / "07_review.ipynb"
#: A Jupyter data folder with the app's Voila template, ``crm``: Voila's ``lab``
#: template without the links to a CDN (the page loads nothing from the network).
SHARE = Path(__file__).resolve().parent / "share"
TEMPLATE = "crm"
#: Seconds a kernel no page is connected to may stay idle before it is shut down.
CULL_IDLE_TIMEOUT = 300
#: Seconds between two looks for such kernels.
CULL_INTERVAL = 60


def set_xsrf_cookie(handler, notebook, cwd):
    """Voila's prelaunch hook: reading Tornado's ``xsrf_token`` sets the ``_xsrf``
    cookie on the page's response, which the page's shutdown request sends back."""
    handler.xsrf_token  # noqa: B018 (the property sets the cookie)
    return notebook


def config():
    """The traitlets configuration of the app (hook and culling)."""
    from traitlets.config import Config

    c = Config()
    c.VoilaConfiguration.prelaunch_hook = set_xsrf_cookie
    c.MappingKernelManager.cull_idle_timeout = CULL_IDLE_TIMEOUT
    c.MappingKernelManager.cull_interval = CULL_INTERVAL
    c.MappingKernelManager.cull_connected = False
    return c


def main(argv: list[str] | None = None) -> None:
    """Run Voila on the review page; arguments go to Voila (``--port=8866`` ...)."""
    from voila.app import Voila

    args = list(sys.argv[1:] if argv is None else argv)
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(SHARE), *filter(None, [os.environ.get("JUPYTER_PATH")])])
    defaults = ["--Voila.ip=127.0.0.1", "--no-browser", f"--template={TEMPLATE}"]
    Voila.launch_instance(argv=[str(NOTEBOOK), *defaults, *args], config=config())


if __name__ == "__main__":
    main()
