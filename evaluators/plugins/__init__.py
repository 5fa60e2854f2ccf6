"""The plugin registry: evaluators named in settings, plus any installed package's entry points.

`EVALUATOR_PLUGINS` (a list of "module:Class" paths) replaces the built-in list; packages add
evaluators through the `slm_registry.evaluators` entry-point group. Names must be unique: they are
part of badge URLs.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points

from .base import Evaluator

ENTRY_POINT_GROUP = "slm_registry.evaluators"
BUILT_IN = (
    "evaluators.plugins.format_safety:FormatSafety",
    "evaluators.plugins.size_class:SizeClass",
    "evaluators.plugins.card:CardCompleteness",
    "evaluators.plugins.domain_benchmark:DomainBenchmark",
    "evaluators.plugins.cpu_speed:CpuSpeed",
    "evaluators.plugins.retrieval:Retrieval",
)


class UnknownEvaluator(LookupError):
    pass


def load_class(path: str) -> type:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def class_path(plugin: Evaluator) -> str:
    return f"{type(plugin).__module__}:{type(plugin).__qualname__}"


@cache
def _plugins(paths: tuple[str, ...]) -> dict[str, Evaluator]:
    found: dict[str, Evaluator] = {}
    classes = [load_class(p) for p in paths]
    classes += [entry.load() for entry in entry_points(group=ENTRY_POINT_GROUP)]
    for cls in classes:
        plugin = cls()
        if not isinstance(plugin, Evaluator):
            raise TypeError(f"{cls!r} does not implement the Evaluator protocol")
        if plugin.name in found:
            raise ValueError(f"two evaluators are named {plugin.name!r}")
        found[plugin.name] = plugin
    return found


def all_plugins() -> dict[str, Evaluator]:
    """Every configured evaluator by name, in the configured order."""
    from django.conf import settings

    return _plugins(tuple(getattr(settings, "EVALUATOR_PLUGINS", BUILT_IN)))


def get_plugin(name: str) -> Evaluator:
    try:
        return all_plugins()[name]
    except KeyError:
        raise UnknownEvaluator(
            f"no evaluator named {name!r}; evaluators: {', '.join(all_plugins())}"
        ) from None
