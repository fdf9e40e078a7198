"""MkDocs hooks of the site (``hooks:`` in mkdocs.yml): a time limit on every tutorial cell, and
MathJax served from the site itself.

mkdocs-jupyter executes the tutorials through nbconvert, which reads its settings from the
Jupyter config path; this hook puts ``docs/_ext/jupyter/`` first on that path, where
``jupyter_nbconvert_config.json`` sets ``NotebookClient.timeout`` (seconds per cell; a cell
that runs longer fails the build). ``ExecutePreprocessor`` subclasses ``NotebookClient``, so
the setting survives the ``ExecutePreprocessor`` section mkdocs-jupyter writes itself.

The tutorials' equations are typeset by MathJax 2, which mkdocs-jupyter would load from a
CDN; ``custom_mathjax_url`` in mkdocs.yml points at ``assets/mathjax/`` instead, and
:func:`on_post_build` copies the MathJax of the ``jupyter-server-mathjax`` package (a
dependency of the ``docs`` extra) there, so the site builds and reads offline.
"""

from __future__ import annotations

import os
import shutil
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


#: Where the site serves MathJax from (mkdocs.yml's ``custom_mathjax_url`` points here).
MATHJAX_DIR = "assets/mathjax"


def on_post_build(config: Any, **kwargs: Any) -> None:
    """Copy MathJax 2 (``jupyter_server_mathjax/static``) into the built site."""
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).resolve().parent / "static"
    shutil.copytree(source, Path(config["site_dir"]) / MATHJAX_DIR, dirs_exist_ok=True)
