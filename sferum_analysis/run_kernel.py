"""The kernel of ``sferum run``: ipykernel's own launcher (``ipykernel_launcher``) without
what a scheduled run never uses and every start would pay for.

* The debugger: ipykernel imports debugpy at start (0.15 s) for JupyterLab's debugger
  panel, and the kernel spec runs Python with ``-Xfrozen_modules=off`` for it; nobody
  attaches a debugger to a run (JupyterLab's own kernels keep both).
* hypothesis: pandera imports it when it is installed (a test dependency), for data
  synthesis; 0.2 s at the first validation.

And it imports the modules of 01_clean (:data:`IMPORTED`: pandas, pyarrow, the readers)
as it starts, while ``sferum run`` still imports its own and reads the registry; pandera
is imported later, while the cleaning's worker processes read the exports
(:func:`sferum_analysis.steps.clean_step`).

:func:`sferum_analysis.pipeline.kernel_command` puts this module in place of
``ipykernel_launcher`` in the command of the kernel spec.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: Modules the run's kernel does without (an import of them raises ImportError, which
#: ipykernel and pandera expect when they are not installed).
LEFT_OUT = ("debugpy", "hypothesis")
#: Imported before the kernel takes its first notebook.
IMPORTED = ("sferum_analysis.steps",)

if __name__ == "__main__":
    for name in LEFT_OUT:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]
    # as ipykernel_launcher: not the working directory while the kernel loads (it is put
    # back by the shell)
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():
        del sys.path[0]

    import importlib

    for name in IMPORTED:
        importlib.import_module(name)

    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
