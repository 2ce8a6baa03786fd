"""The context a handler is given (aolab/context.py): services, one option lookup, derive,
and the read-only dict that keeps handlers written for the plain options dict working."""
import pickle

import pytest

import aolab
from aolab.context import EMPTY, Context, as_context, make_context, option_name
from aolab.errors import DeviceError, ResolutionError


def _seen():
    """An inline device whose ``look`` answers with the context it was given."""
    seen = []

    def look(base, request, ctx):
        seen.append(ctx)
        return "ok"
    return {"look": look}, seen


# -- option lookup: overrides, then the node's configuration, then the default ----------

def test_an_option_is_the_override_then_the_node_config_then_the_default():
    lab = aolab.Node(name="ctx-order", config={"max-passes": 5, "simple-pay-price": 3})
    ctx = lab.opts(max_passes=7)
    assert ctx.option("max-passes") == 7                  # 1. this resolution's override
    assert ctx.option("simple-pay-price") == 3            # 2. the node's configuration
    assert ctx.option("process-snapshot-lag", 64) == 64   # 3. the default
    assert lab.opts().option("max-passes") == 5


def test_option_names_are_normalised_one_way():
    assert option_name("Max_Passes") == option_name("max-passes") == "max-passes"
    ctx = Context({"max_passes": 2})
    assert ctx.option("max-passes") == ctx.option("MAX_PASSES") == ctx.option("max_passes") == 2
    lab = aolab.Node(name="ctx-names", config={"wasm_fuel": 10})  # a config key in keyword form
    assert lab.opts().option("wasm-fuel") == 10


def test_an_override_of_none_counts_and_an_absent_one_does_not():
    lab = aolab.Node(name="ctx-none", config={"wasm-fuel": 10})
    assert lab.opts(wasm_fuel=None).option("wasm-fuel", 99) is None
    assert lab.opts().option("wasm-fuel", 99) == 10
    assert EMPTY.option("wasm-fuel", 99) == 99


def test_the_resolvers_own_options_are_read_once_in_the_same_order():
    lab = aolab.Node(name="ctx-own", config={"max-depth": 7, "hashpath": "ignore"})
    ctx = lab.opts()
    assert (ctx.max_depth, ctx.hashpath, ctx.max_path_segments) == (7, "ignore", 10_000)
    ctx = lab.opts(max_depth=9, **{"max-path-segments": 3})
    assert (ctx.max_depth, ctx.max_path_segments) == (9, 3)
    assert (EMPTY.max_depth, EMPTY.hashpath) == (120, "update")


def test_a_node_configured_depth_limit_stops_an_endless_recursion():
    lab = aolab.Node(name="ctx-depth", config={"max-depth": 5})
    lab.register_device("loop@1.0", {"x": lambda base, request, ctx: aolab.resolve(base, "x", ctx)})
    with pytest.raises(ResolutionError, match="5 steps deep"):
        lab.resolve({"device": "loop@1.0"}, "x")
    with pytest.raises(ResolutionError, match="3 steps deep"):
        lab.resolve({"device": "loop@1.0"}, "x", max_depth=3)


def test_a_node_configured_hashpath_ignore_leaves_results_unlinked():
    plain = aolab.Node(name="ctx-link").resolve({"a": {"b": 1}}, "a")
    assert "/" in aolab.hashpath(plain)
    result = aolab.Node(name="ctx-nolink", config={"hashpath": "ignore"}).resolve({"a": {"b": 1}}, "a")
    assert "hashpath" not in (result.get("priv") or {})


# -- services ---------------------------------------------------------------------------

def test_a_handler_gets_the_nodes_services_as_attributes():
    device, seen = _seen()
    lab = aolab.Node(name="ctx-services", devices={"look@1.0": device})
    lab.resolve({"device": "look@1.0"}, "look")
    ctx = seen[0]
    assert isinstance(ctx, Context)
    assert (ctx.registry, ctx.store, ctx.node, ctx.listener) == (lab.registry, lab.store, lab, lab.trace)
    assert ctx.wallet is None and ctx.signers is None and ctx.hook is None


def test_store_for_and_node_for_name_the_device_that_needs_them():
    with pytest.raises(DeviceError, match="my@1.0 keeps things: resolve through an aolab.Node"):
        EMPTY.store_for("my@1.0", "keeps things")
    with pytest.raises(DeviceError, match="my@1.0 reads the node"):
        EMPTY.node_for("my@1.0", "reads the node")
    lab = aolab.Node(name="ctx-for")
    assert lab.opts().store_for("my@1.0", "x") is lab.store and lab.opts().node_for("m", "y") is lab


def test_one_context_serves_a_whole_resolution_and_its_nested_ones():
    device, seen = _seen()
    lab = aolab.Node(name="ctx-nested", devices={"look@1.0": device})
    lab.register_device("outer@1.0", {"go": lambda base, request, ctx: aolab.resolve(
        {"device": "look@1.0"}, "look", ctx)})
    lab.resolve({"device": "outer@1.0"}, "go")
    assert seen[0].node is lab
    assert make_context(seen[0]) is seen[0]  # passed on as it is, not copied


# -- derive -----------------------------------------------------------------------------

def test_derive_gives_a_changed_copy_and_leaves_the_context_as_it_was():
    lab = aolab.Node(name="ctx-derive")
    ctx = lab.opts(max_passes=3)
    other = ctx.derive(hashpath="ignore", max_passes=4, store=None)
    assert (other.hashpath, other.option("max-passes"), other.store) == ("ignore", 4, None)
    assert (ctx.hashpath, ctx.option("max-passes"), ctx.store) == ("update", 3, lab.store)
    assert other.derive(**{"max-passes": 6}).option("max_passes") == 6  # every spelling replaced
    assert ctx.derive(caller_base={"a": 1})["caller-base"] == {"a": 1}


def test_a_derived_hook_reaches_the_handler():
    device, seen = _seen()
    lab = aolab.Node(name="ctx-hook", devices={"look@1.0": device})
    aolab.resolve({"device": "look@1.0"}, "look", lab.opts().derive(hook="response"))
    assert seen[0].hook == "response"


# -- the compatibility view -------------------------------------------------------------

def test_handlers_written_for_the_options_dict_keep_working():
    def old_style(base, request, opts):
        assert isinstance(opts, dict)
        return [opts["store"] is opts.get("store"), opts.get("node").name, opts["opts_key"],
                "registry" in opts, sorted({**opts, "extra": 1})[:2]]
    lab = aolab.Node(name="ctx-compat", devices={"old@1.0": {"run": old_style}})
    got = lab.resolve({"device": "old@1.0"}, "run", opts_key="37")
    assert got == [True, "ctx-compat", "37", True, ["extra", "listener"]]


def test_a_plain_dict_of_options_still_resolves():
    lab = aolab.Node(name="ctx-plain")
    plain = {**lab.opts(), "max_path_segments": 1}
    assert aolab.resolve({"a": {"b": 1}}, "a", plain)["b"] == 1
    with pytest.raises(aolab.errors.PathError, match="max_path_segments"):
        aolab.resolve({"a": {"b": 1}}, "a/b", plain)
    assert aolab.get({"a": 1}, "a", **lab.opts()) == 1


def test_the_mapping_view_cannot_be_changed_in_place():
    ctx = aolab.Node(name="ctx-ro").opts()
    for change in (lambda: ctx.__setitem__("store", None), lambda: ctx.update(a=1),
                   lambda: ctx.setdefault("a", 1), lambda: ctx.pop("store"), ctx.clear):
        with pytest.raises(TypeError, match="derive"):
            change()
    copy = dict(ctx)
    copy["store"] = None
    assert ctx.store is not None and ctx["store"] is not None


def test_as_context_takes_a_context_a_mapping_or_none():
    ctx = aolab.Node(name="ctx-as").opts()
    assert as_context(ctx) is ctx and as_context(None) is EMPTY
    wrapped = as_context({"store": ctx.store, "max_passes": 2})
    assert wrapped.store is ctx.store and wrapped.option("max-passes") == 2


def test_a_context_pickles_and_shows_its_services():
    ctx = Context({"max_passes": 2, "node-hook": "request"})
    again = pickle.loads(pickle.dumps(ctx))
    assert isinstance(again, Context) and again == ctx and again.hook == "request"
    assert repr(ctx) == "Context(hook='request', options={'max_passes': 2})"
