"""papermill's nbclient engine on a kernel client that is already connected (the report's lanes).

papermill's own engine makes a new client for every notebook, and a new client waits at
least 0.2 s for the kernel's output channel before its first message; it also shares the
kernel manager's session (and so the socket identity) with every other client of that
kernel, so replies meant for an older client go to the newest. The report's lanes
(`lekhok_forecast.report.execute.Lane`) connect one client per kernel, once, and hand it to
this engine (``engine_name=ENGINE``, ``lane_client=kc``); everything else is papermill's
engine as it is.

Importing this module imports papermill (and nbformat): it first makes that import cheap
(`fast_notebook_imports`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def fast_notebook_imports() -> None:
    """Make importing nbformat (via papermill/nbconvert) cheap in this process.

    With jupyterlab installed, jsonschema imports ``rfc3987_syntax``, which builds a lark
    grammar at import time (0.7 s warm, several seconds cold) only to check the "iri"
    string format. The notebook schema never uses that format, so the module is marked
    absent; jsonschema then skips that one checker. Call before importing nbformat.
    """
    if "jsonschema" not in sys.modules:
        # None in sys.modules means "not importable" (the import system's documented
        # convention); typeshed types the values as modules only.
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


fast_notebook_imports()  # before papermill imports nbformat (and jsonschema)

import papermill  # noqa: E402
from papermill.clientwrap import PapermillNotebookClient  # noqa: E402
from papermill.engines import NBClientEngine, papermill_engines  # noqa: E402
from papermill.log import logger  # noqa: E402
from papermill.utils import merge_kwargs, remove_args  # noqa: E402

#: The engine's name for ``papermill.execute_notebook(engine_name=...)``.
ENGINE = "lekhok-lane"


class _LaneClient(PapermillNotebookClient):
    """papermill's notebook client, on a connected kernel client (`lane_client`)."""

    def __init__(self, nb_man: Any, lane_client: Any = None, **kw: Any):
        super().__init__(nb_man, **kw)
        # nbclient makes (and waits for) a client of its own only when it has none
        self.kc = lane_client


class LaneEngine(NBClientEngine):
    """`NBClientEngine`, with the notebook run on the caller's connected client."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: float = 60,
        execution_timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """papermill 2.x's `NBClientEngine.execute_managed_notebook`, with `_LaneClient`."""
        kwargs = remove_args(["input_path"], **kwargs)
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        return _LaneClient(nb_man, **final_kwargs).execute()


papermill_engines.register(ENGINE, LaneEngine)


def declared_parameters(path: Path) -> set[str]:
    """The names the notebook's ``parameters`` cell declares."""
    return set(papermill.inspect_notebook(str(path)))


def execute_on(
    km: Any, kc: Any, path: Path, out_path: Path, parameters: dict[str, Any], cwd: Path, cell_timeout: float
) -> None:
    """Execute the notebook at `path` into `out_path` in the kernel `km` through its connected client `kc`.

    Only the `parameters` the notebook declares are passed; the kernel runs in `cwd`; a
    cell that runs longer than `cell_timeout` seconds fails the notebook. Raises papermill's
    ``PapermillExecutionError`` for a failing cell (the executed notebook, with the error,
    is written first) and nbclient's errors for a kernel that died.
    """
    declared = declared_parameters(path)
    # The kernel's folder goes in `resources`: papermill's own `cwd` option calls
    # os.chdir, which is process-wide and breaks the other threads' relative paths.
    papermill.execute_notebook(
        str(path),
        str(out_path),
        parameters={k: v for k, v in parameters.items() if k in declared},
        engine_name=ENGINE,
        kernel_name="python3",
        progress_bar=False,
        log_output=False,
        execution_timeout=cell_timeout,
        resources={"metadata": {"path": str(cwd)}},
        # Written once, when done (or failed: papermill writes the error's notebook itself),
        # not before and after every cell (copied, validated and serialised each time).
        request_save_on_cell_execute=False,
        km=km,  # the lane's warm kernel and connected client: papermill neither starts nor stops them
        lane_client=kc,
    )
