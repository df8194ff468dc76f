"""Execute one submission inside the sandbox: ``python -m crmlib.grading._runner JOB.json``.

This is the only grader code that runs next to a student's kernel. It reads
the prepared notebook, runs it cell by cell with a per-cell time limit and a
cap on stored output, saves the executed copy after every cell and writes a
small ``run.json`` with what happened. It scores nothing: the answers come
back as the data file the workbook records, and the grader reads that file in
its own process.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time

# jsonschema (imported by nbformat) builds an IRI grammar at import when the
# optional rfc3987-syntax package is installed: 1.5 s per submission for a
# format check nbformat never asks for.
sys.modules.setdefault("rfc3987_syntax", None)

import nbformat  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellTimeoutError, DeadKernelError  # noqa: E402


class CappedClient(NotebookClient):
    """A notebook client that stops storing outputs past ``max_output`` characters."""

    max_output = 1_000_000

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_size = 0
        self.truncated = False

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        if self.output_size + size > self.max_output:
            if not self.truncated:
                self.truncated = True
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text=f"[grader] output beyond {self.max_output:,} characters was dropped\n"))
            return None
        self.output_size += size
        return super().output(outs, msg, display_id, cell_index)


def _write(path: str, text: str) -> None:
    """Replace ``path`` through a fresh temporary file (never one the notebook planted)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".runner-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main(job_path: str) -> int:
    with open(job_path, encoding="utf-8") as fh:
        job = json.load(fh)
    nb = nbformat.read(job["notebook"], as_version=4)
    result = {"status": "ok", "startup_s": 0.0, "execution_s": 0.0, "truncated": False}
    started = time.perf_counter()
    marks = {"kernel": None}

    def save(**_):
        if marks["kernel"] is None:
            marks["kernel"] = time.perf_counter()
        try:
            _write(job["output"], nbformat.writes(nb))
        except OSError:  # the notebook filled the disk or its file-size limit
            pass

    client = CappedClient(nb, timeout=job["cell_timeout"], startup_timeout=job["startup_timeout"],
                          kernel_name=job.get("kernel", "python3"), allow_errors=True,
                          record_timing=False, store_widget_state=False,
                          resources={"metadata": {"path": os.getcwd()}},
                          on_cell_start=save)
    client.max_output = job["max_output"]
    try:
        client.execute()
    except CellTimeoutError as err:
        result.update(status="timeout", message=str(err).splitlines()[0][:300])
    except DeadKernelError as err:
        result.update(status="crashed", message=str(err)[:300])
    except Exception as err:  # the kernel failed to start, a message was malformed ...
        result.update(status="runner-error", message=f"{type(err).__name__}: {err}"[:300])
    finished = time.perf_counter()
    kernel_ready = marks["kernel"] or finished
    result.update(startup_s=kernel_ready - started, execution_s=finished - kernel_ready,
                  truncated=client.truncated)
    try:
        _write(job["output"], nbformat.writes(nb))
    except OSError as err:
        result["save_error"] = str(err)[:200]
    _write(job["result"], json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
