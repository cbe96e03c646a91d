"""databricks-sdk's `Config` without the client of every service of the API.

`import databricks.sdk.config` first runs `databricks/sdk/__init__.py`, which imports WorkspaceClient,
AccountClient and the forty-odd service modules behind them: about 35 MB of memory and 0.7 s of start-up on
every run, for a tool that only needs `Config`'s credential resolution. So, when nothing has imported the SDK
yet, its package is registered here as a module whose `__init__` runs on the first use of a name it defines
(`from databricks.sdk import WorkspaceClient`, as Databricks Connect does); its submodules import as usual.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import threading
import types
from typing import Any

SDK = "databricks.sdk"
_lock = threading.RLock()  # the __init__ it runs may ask the package for a name again
_initialised: set[str] = set()


class _DeferredPackage(types.ModuleType):
    """A package whose `__init__` has not run yet: it runs on the first name asked that is not a submodule."""

    def __getattr__(self, name: str) -> Any:
        # The import system's own probes (__path__ is set, __all__ may be asked), and `from . import x` of a
        # submodule not imported yet (it asks for the name first, then imports it): neither needs __init__.
        if name.startswith("__") or importlib.machinery.PathFinder.find_spec(f"{SDK}.{name}", self.__path__):
            raise AttributeError(name)
        with _lock:
            if self.__name__ not in _initialised:
                _initialised.add(self.__name__)
                spec = self.__spec__
                assert spec is not None and spec.loader is not None
                exec(spec.loader.get_code(spec.name), self.__dict__)  # type: ignore[attr-defined]
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None


def defer_sdk_init() -> None:
    """Register databricks.sdk as a deferred package, unless it is imported already (in a notebook, say)."""
    if SDK in sys.modules:
        return
    spec = importlib.util.find_spec(SDK)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return  # not a regular package: import it the usual way
    module = _DeferredPackage(SDK)
    module.__spec__, module.__loader__, module.__file__ = spec, spec.loader, spec.origin
    module.__path__ = list(spec.submodule_search_locations)
    module.__package__ = SDK
    sys.modules[SDK] = module
    parent = sys.modules.get("databricks")
    if parent is not None:
        parent.sdk = module  # type: ignore[attr-defined]
