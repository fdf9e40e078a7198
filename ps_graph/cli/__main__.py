"""``python -m ps_graph.cli``: the ``ps-graph`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
