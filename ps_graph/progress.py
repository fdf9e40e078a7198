"""Progress bars: one place that decides between a tqdm bar and none.

``tqdm.auto`` picks a notebook widget inside Jupyter and warns ("IProgress not found") at
import when ipywidgets is missing; a run that shows no bar should not import it at all.
:func:`progress_bar` imports ``tqdm.auto`` only when the bar is shown and otherwise returns
a disabled plain ``tqdm`` (same interface, prints nothing).

>>> with progress_bar(False, total=3) as bar:
...     bar.update(3)
>>> list(progress_bar(False, range(3)))
[0, 1, 2]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def progress_bar(show: bool, iterable: Iterable | None = None, **kwargs: Any):
    """A ``tqdm`` bar over ``iterable`` (or updated by hand) when ``show``, else a silent one.

    ``kwargs`` go to ``tqdm`` (``total``, ``unit``, ``desc``, ``initial``...).
    """
    if show:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm
    return tqdm(iterable, disable=not show, **kwargs)
