"""MkDocs hooks of the site (``hooks:`` in mkdocs.yml): a time limit on every tutorial cell.

mkdocs-jupyter executes the tutorials through nbconvert, which reads its settings from the
Jupyter config path; this hook puts ``docs/_ext/jupyter/`` first on that path, where
``jupyter_nbconvert_config.json`` sets ``NotebookClient.timeout`` (seconds per cell; a cell
that runs longer fails the build). ``ExecutePreprocessor`` subclasses ``NotebookClient``, so
the setting survives the ``ExecutePreprocessor`` section mkdocs-jupyter writes itself.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

JUPYTER_CONFIG = Path(__file__).resolve().parent / "jupyter"


def jupyter_config_path(current: str) -> str:
    """``JUPYTER_CONFIG_PATH`` with this site's folder first (once).

    >>> jupyter_config_path("").endswith("jupyter")
    True
    >>> jupyter_config_path(os.pathsep.join(["/a", str(JUPYTER_CONFIG)])).split(os.pathsep)[1:]
    ['/a']
    """
    paths = [str(JUPYTER_CONFIG), *(p for p in current.split(os.pathsep) if p)]
    return os.pathsep.join(dict.fromkeys(paths))


def on_config(config: Any, **kwargs: Any) -> Any:
    """Set the Jupyter config path before any tutorial is converted."""
    os.environ["JUPYTER_CONFIG_PATH"] = jupyter_config_path(os.environ.get("JUPYTER_CONFIG_PATH", ""))
    return config
