"""The old name of :mod:`aolab.resolver`, kept so that ``from aolab.resolve import ...`` works.

``aolab.resolve`` is the function (``aolab.resolve(base, request)``); the
resolver's module is :mod:`aolab.resolver`.  New code imports from there.
"""
from .resolver import *  # noqa: F401,F403
from .resolver import (MAX_DEPTH, STATUSES, answers, as_request, as_status,  # noqa: F401
                       base_hashpath, caller_base, default_registry, describe, device_lookup,
                       find_handler, holds_function, holds_result, is_exported, list_to_message,
                       make_context, make_opts, node_option, reset_default_registry, resolve,
                       resolve_status, resolve_step, with_device, with_hashpath, without_hashpath)
from .setting import deep_set, device_set, set_values  # noqa: F401
