"""``%load_ext assistant.notebook`` still works: the notebook client is its own distribution now.

The code lives in ``notebook_client/checkfirst_notebook`` (``pip install checkfirst-notebook``;
``%load_ext checkfirst_notebook``). This name is the same module object, so ``assistant.notebook``
and ``checkfirst_notebook`` share one state (one extension, one known-errata cache per kernel).
"""

from __future__ import annotations

import sys

import checkfirst_notebook

sys.modules[__name__] = checkfirst_notebook
