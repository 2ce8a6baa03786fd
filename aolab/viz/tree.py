"""The Merkle execution tree as Graphviz DOT text: what to draw (labels in
:mod:`.labels`, DOT written by :mod:`.dot`).

:func:`to_dot` reads a trace's graph (:attr:`aolab.Trace.graph`) and returns
DOT text.  It is pure: it never changes the graph, never stores a layout in it,
and the same graph always gives the same text (nodes and edges are written in
step order, no addresses or times appear), so tests compare DOT text.

How the tree is drawn:

* a node is a message (rounded box), a plain value (ellipse) or an error
  (octagon), filled with the colour of the device that produced it; its label
  is its short hashpath (each 43-character ID cut to 6 characters) and a
  preview of what the step changed (the keys whose value differs from the
  step's base come first, so siblings can be told apart); its tooltip holds
  the full hashpath;
* an edge is a resolution step ``base -> result``, labelled ``step: key``
  (and the request's short ID when the request was a whole message);
* the steps a device ran inside its handler (``parent`` is not None) are
  grouped in a box named after the outer step;
* a legend lists the node kinds and the devices drawn;
* wide fans (many results of one base, or many separate computations) are
  laid out left to right, so the picture grows downwards and fits a
  notebook's width (``rankdir="auto"``, the default).

Graphs larger than ``max_nodes`` are collapsed: around a focus ``step`` when
one is given, else by depth (inner steps folded into their outer step), else
into a summary of one node per ``device``/``key`` with its number of steps.

>>> import aolab
>>> lab = aolab.Node()
>>> lab.resolve({"device": "message@1.0", "a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> dot = to_dot(lab.trace.graph)
>>> dot.splitlines()[0]
'digraph merkle {'
>>> print(short_hashpath("IWV-hhDDniPojOzgFci52JHPXF6Oy5ckjr3lQslz9Mc/a"))
IWV-hh../a
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx

from .dot import NODE_WIDTH_TB, RANK_WIDTH_LR, auto_rankdir, write_dot  # noqa: F401
from .labels import (DEVICE_COLOURS, HIGHLIGHT, PALETTE, SHAPES,  # noqa: F401 - public here too
                     changes_preview, device_colour, dot_quote, format_message, plural, preview,
                     preview_line, short_hashpath)

VIEWS = ("full", "summary", "window", "depth")
HIGHLIGHT = "#d62728"
SHAPES = {"message": "box", "value": "ellipse", "error": "octagon", "summary": "box3d"}
_STATUS_COLOURS = {"ok": "#555555", "error": HIGHLIGHT}
_FOLD_EDGE = {"style": "dotted", "arrowhead": "none"}


# -- the plan: what to draw, before it is written as DOT -------------------------
@dataclass
class TreeDot:
    """The DOT text of a drawing and what it shows.

    ``view`` is the view actually drawn (after any collapse), ``steps`` the
    number of steps (edges) in the graph, ``drawn`` the number of nodes drawn
    (legend excluded) and ``notes`` says what was collapsed and why.
    """

    text: str
    view: str
    steps: int
    nodes: int
    drawn: int
    notes: list = field(default_factory=list)


@dataclass
class _Plan:
    view: str
    label: str = ""
    nodes: dict = field(default_factory=dict)      # dot name -> attrs
    edges: list = field(default_factory=list)      # (tail, head, attrs)
    clusters: dict = field(default_factory=dict)   # outer step -> (label, parent outer step)
    member: dict = field(default_factory=dict)     # dot name -> outer step
    devices: set = field(default_factory=set)
    kinds: set = field(default_factory=set)
    notes: list = field(default_factory=list)


def to_dot(graph, view: str | None = None, *, max_nodes: int = 300, step: int | None = None,
           radius: int | None = None, depth: int | None = None, highlight=None,
           legend: bool = True, links: bool = False, rankdir: str = "auto",
           title: str | None = None) -> str:
    """DOT text of a trace's Merkle DAG.

    Parameters
    ----------
    graph : networkx.DiGraph or aolab.Trace
        The trace graph (a Trace is read through its ``graph``); never changed.
    view : {"full", "summary", "window", "depth"}, optional
        ``full`` (the default) draws every node; ``summary`` one node per
        device and key with its step count; ``window`` the steps around
        *step*; ``depth`` the steps down to *depth*, inner steps folded.
        Any view larger than *max_nodes* collapses further (see module doc).
    max_nodes : int
        The most message nodes drawn.
    step, radius : int, optional
        The focus step of ``window`` (and of an automatic collapse) and how
        many steps either side to draw (by default as many as fit).
    depth : int, optional
        The deepest nesting drawn in the ``depth`` view (default 0).
    highlight : int, str or iterable, optional
        Steps (ints) whose edge and result node stand out, and node keys (strs).
    legend : bool
        Add a legend of node kinds and devices.
    title : str, optional
        The drawing's title (by default it says what is drawn).
    links : bool
        Give each node a ``URL`` ``#row-N`` (the rows of the :func:`export` HTML).
    rankdir : {"auto", "TB", "LR"}
        Top to bottom, left to right, or (``auto``) whichever of the two
        gives the narrower picture: wide fans are drawn left to right.

    Returns
    -------
    str

    Examples
    --------
    >>> import aolab
    >>> lab = aolab.Node()
    >>> lab.resolve({"device": "message@1.0", "a": {"b": "RESULT"}}, "a/b")
    'RESULT'
    >>> dot = to_dot(lab.trace.graph, legend=False)
    >>> print(dot.splitlines()[-2])
      s0 -> s1 [label="1: b", tooltip="step 1: message@1.0 b (ok)\\nrequest: b", id="edge-1"];
    >>> to_dot(lab.trace.graph, "summary", legend=False).count("box3d")
    2
    """
    return tree_dot(graph, view, max_nodes=max_nodes, step=step, radius=radius, depth=depth,
                    highlight=highlight, legend=legend, links=links, rankdir=rankdir,
                    title=title).text


def tree_dot(graph, view: str | None = None, *, max_nodes: int = 300, step: int | None = None,
             radius: int | None = None, depth: int | None = None, highlight=None,
             legend: bool = True, links: bool = False, rankdir: str = "auto",
             title: str | None = None) -> TreeDot:
    """Like :func:`to_dot`, but return a :class:`TreeDot` (text, view drawn, counts).

    >>> import networkx as nx

from .. import ids
    >>> tree_dot(nx.DiGraph()).drawn
    0
    """
    graph = graph_of(graph)
    view = "full" if view is None else view
    if view not in VIEWS:
        raise ValueError(f"view {view!r} is unknown; expected one of {VIEWS}")
    hl_steps, hl_nodes = _split_highlight(highlight)
    max_nodes = max(int(max_nodes), 4)
    plan = _choose(graph, view, max_nodes, step, radius, depth, hl_steps, hl_nodes, links)
    if title is not None:
        plan.label = title
    if rankdir == "auto":
        rankdir = auto_rankdir(plan)
    text = write_dot(plan, legend, rankdir)
    drawn = len(plan.nodes)
    return TreeDot(text, plan.view, graph.number_of_edges(), graph.number_of_nodes(), drawn,
                   list(plan.notes))


def graph_of(trace_or_graph) -> nx.DiGraph:
    """The graph of a :class:`aolab.Trace` (or the graph itself)."""
    if isinstance(trace_or_graph, nx.Graph):
        return trace_or_graph
    graph = getattr(trace_or_graph, "graph", None)
    if isinstance(graph, nx.Graph):
        return graph
    raise TypeError("expected an aolab.Trace or a networkx graph, "
                    f"not {type(trace_or_graph).__name__}")


def _split_highlight(highlight):
    if highlight is None:
        return frozenset(), frozenset()
    if isinstance(highlight, (int, str)):
        highlight = (highlight,)
    steps = frozenset(h for h in highlight if isinstance(h, int) and not isinstance(h, bool))
    return steps, frozenset(h for h in highlight if isinstance(h, str))


def _choose(graph, view, max_nodes, step, radius, depth, hl_steps, hl_nodes, links) -> _Plan:
    """The plan of *view*, collapsed further until it fits in *max_nodes*."""
    size = graph.number_of_nodes()
    if view == "summary":
        return _summary(graph, max_nodes)
    if view == "window":
        return _window(graph, step or 0, radius, max_nodes, hl_steps, hl_nodes, links)
    if view == "full" and size <= max_nodes:
        return _detail(graph, _sorted_edges(graph.edges(data=True)), hl_steps, hl_nodes, links,
                       "full", isolated=True)
    reason = f"{size:,} nodes > max_nodes={max_nodes}"
    if view == "full" and step is not None:
        plan = _window(graph, step, radius, max_nodes, hl_steps, hl_nodes, links)
    else:
        plan = _depth(graph, depth or 0, max_nodes, hl_steps, hl_nodes, links)
    if plan is None:
        plan = _summary(graph, max_nodes)
    if view == "full":
        plan.notes.insert(0, f"collapsed to {plan.view}: {reason}")
    elif plan.view != view:
        plan.notes.insert(0, f"collapsed to {plan.view}: depth {depth or 0} view has more than "
                             f"max_nodes={max_nodes} nodes")
    return plan


def _step_key(data) -> tuple:
    step = data.get("step")
    return (step is None, step if isinstance(step, int) else 0)


def _sorted_edges(edges) -> list:
    return sorted(edges, key=lambda e: (_step_key(e[2]), str(e[0]), str(e[1])))


def _edge_index(graph) -> dict:
    """step -> (base, result, attrs) of every edge, in one pass (edges of a graph
    that is not a trace, without int steps, are numbered in order instead)."""
    index = {d.get("step"): (u, v, d) for u, v, d in graph.edges(data=True)}
    if len(index) != graph.number_of_edges() or not all(isinstance(s, int) for s in index):
        index = dict(enumerate(_sorted_edges(graph.edges(data=True))))
    return index


# -- detailed views: every node of some steps ---------------------------------
def _detail(graph, edges, hl_steps, hl_nodes, links, view, *, isolated=False,
            steps_info=None) -> _Plan:
    plan = _Plan(view)
    names: dict = {}
    roots = [0]
    info = steps_info if steps_info is not None else _steps_info(edges)
    nodes_of = graph.nodes
    made_by = _made_by(nodes_of, edges)

    def name_of(node) -> str:
        name = names.get(node)
        if name is None:
            attrs = nodes_of[node]
            step = attrs.get("step")
            if isinstance(step, int):
                name = f"s{step}"
            else:
                name, roots[0] = f"r{roots[0]}", roots[0] + 1
            if name in plan.nodes:
                name = f"n{len(names)}"
            names[node] = name
            base = made_by.get(node)
            plan.nodes[name] = _node_attrs(node, attrs, name, node in hl_nodes or step in hl_steps,
                                           links, None if base is None else nodes_of[base])
            plan.devices.add(attrs.get("device"))
            plan.kinds.add(attrs.get("kind", "message"))
        return name

    for u, v, d in edges:
        tail, head = name_of(u), name_of(v)
        step, parent = d.get("step"), d.get("parent")
        if parent is not None and nodes_of[v].get("step") == step:
            plan.member[head] = parent
            _add_cluster(plan, parent, info)
        plan.edges.append((tail, head, _edge_attrs(d, step in hl_steps)))
    if isolated and len(names) < graph.number_of_nodes():
        for node in sorted((n for n in graph if n not in names), key=str):
            name_of(node)
    plan.label = f"{plural(len(edges), 'step')}, {plural(len(names), 'message')}"
    return plan


def _steps_info(edges) -> dict:
    """Step -> ``(parent, device, key)``, from the edges drawn."""
    return {d.get("step"): (d.get("parent"), d.get("device"), d.get("key")) for _, _, d in edges}


def _made_by(nodes_of, edges) -> dict:
    """Result node -> the base of the step that produced it."""
    made_by = {}
    for u, v, d in edges:
        if nodes_of[v].get("step") == d.get("step"):
            made_by.setdefault(v, u)
    return made_by


def _add_cluster(plan, outer, info) -> None:
    while outer is not None and outer not in plan.clusters:
        parent, device, key = info.get(outer, (None, None, None))
        label = f"inside step {outer}" + (f": {device} {key}" if key is not None else "")
        if parent is not None and not (isinstance(parent, int) and isinstance(outer, int)
                                       and parent < outer):
            parent = None  # a malformed graph must not make the clusters loop
        plan.clusters[outer] = (label, parent)
        outer = parent


def _node_attrs(node, attrs, name, highlighted, links, base_attrs=None) -> dict:
    kind = attrs.get("kind", "message")
    hashpath, message, step = attrs.get("hashpath"), attrs.get("message"), attrs.get("step")
    if kind == "error":
        label = f"error at step {step}\n{preview(message, 30)}"
    else:
        shown = hashpath if hashpath is not None or str(node).startswith("unhashed:") else str(node)
        base = None if base_attrs is None else base_attrs.get("message")
        label = short_hashpath(shown) + (f"\n{changes_preview(message, base, 30)}"
                                         if "message" in attrs else "")
    style = ["filled"] + (["rounded"] if kind == "message" else []) + (
        ["bold"] if step is None else []) + (["dashed"] if hashpath is None else [])
    where = f"device: {attrs.get('device')}, " + ("input" if step is None else f"step: {step}")
    if attrs.get("key") is not None:
        where += f", key: {attrs.get('key')}"
    out = {"label": label, "shape": SHAPES.get(kind, "box"), "style": ",".join(style),
           "fillcolor": device_colour(attrs.get("device")),
           "tooltip": f"{hashpath or node}\n{kind}, {where}\n{format_message(message)}",
           "id": name}
    if kind == "error":
        out["color"] = HIGHLIGHT
    if links and isinstance(step, int):
        out["URL"] = f"#row-{step}"
    if highlighted:
        out.update(color=HIGHLIGHT, penwidth="3")
    return out


def _edge_attrs(d, highlighted) -> dict:
    step, key, part, status = d.get("step"), d.get("key"), d.get("request"), d.get("status", "ok")
    shown = key if part == key or part is None else f"{key} [{short_hashpath(part)}]"
    label = ("" if step is None else f"{step}: ") + ("" if shown is None else str(shown)) + (
        "" if status == "ok" else f" ({status})")
    out = {"label": label,
           "tooltip": f"step {step}: {d.get('device')} {key} ({status})\nrequest: {part}",
           "id": f"edge-{step}"}
    if status != "ok":
        out["color"] = _STATUS_COLOURS.get(status, "#ff7f0e")
    if highlighted:
        out.update(color=HIGHLIGHT, penwidth="3")
    return out


def _window(graph, step, radius, max_nodes, hl_steps, hl_nodes, links) -> _Plan:
    """The steps around *step*, as many as fit in *max_nodes* (or *radius* either side)."""
    index = _edge_index(graph)
    if not index:
        return _detail(graph, [], hl_steps, hl_nodes, links, "window")
    steps = sorted((s for s in index if isinstance(s, int)))
    at = min(range(len(steps)), key=lambda i: abs(steps[i] - step)) if step not in index \
        else steps.index(step)
    lo = hi = at
    seen = {index[steps[at]][0], index[steps[at]][1]}
    limit = radius if radius is not None else len(steps)
    while True:
        grown = False
        for side in (hi + 1, lo - 1):
            if 0 <= side < len(steps) and abs(side - at) <= limit:
                u, v, _ = index[steps[side]]
                extra = (u not in seen) + (v not in seen)
                if len(seen) + extra > max_nodes - 2:
                    continue
                seen.update((u, v))
                lo, hi = min(lo, side), max(hi, side)
                grown = True
        if not grown:
            break
    window = [index[s] for s in steps[lo: hi + 1]]
    info = {s: (d.get("parent"), d.get("device"), d.get("key")) for s, (_, _, d) in index.items()}
    plan = _detail(graph, window, hl_steps, hl_nodes, links, "window", steps_info=info)
    before, after = lo, len(steps) - 1 - hi
    if before:
        plan.nodes["earlier"] = _summary_attrs(f"... {plural(before, 'earlier step')}", "earlier",
                                               f"steps {steps[0]} to {steps[lo - 1]}")
        plan.edges.insert(0, ("earlier", plan.edges[0][0], dict(_FOLD_EDGE)))
    if after:
        plan.nodes["later"] = _summary_attrs(f"... {plural(after, 'later step')}", "later",
                                             f"steps {steps[hi + 1]} to {steps[-1]}")
        plan.edges.append((plan.edges[-1][1], "later", dict(_FOLD_EDGE)))
    plan.label = (f"steps {steps[lo]} to {steps[hi]} of {len(steps):,} "
                  f"(window around step {steps[at]})")
    if before or after:
        plan.notes.append(f"window: {hi - lo + 1:,} of {len(steps):,} steps drawn")
    return plan


def _summary_attrs(label, name, tooltip) -> dict:
    return {"label": label, "shape": SHAPES["summary"], "style": "filled,dashed",
            "fillcolor": "#f7f7f7", "tooltip": tooltip, "id": name}


def _depth(graph, max_depth, max_nodes, hl_steps, hl_nodes, links) -> _Plan | None:
    """Steps down to *max_depth*; deeper ones folded into one node per outer step.
    None when even that has more than *max_nodes* nodes."""
    shallow, deep, info, nodes = [], [], {}, set()
    for u, v, d in graph.edges(data=True):
        step = d.get("step")
        info[step] = (d.get("parent"), d.get("device"), d.get("key"), d.get("depth") or 0)
        if (d.get("depth") or 0) <= max_depth:
            shallow.append((u, v, d))
            nodes.add(u)
            nodes.add(v)
            if len(nodes) > max_nodes:
                return None
        else:
            deep.append(step)
    folded: dict = {}
    for step in deep:
        outer = _ancestor_at(step, max_depth, info)
        folded.setdefault(outer, []).append(step)
    if len(nodes) + len(folded) > max_nodes:
        return None
    plan = _detail(graph, _sorted_edges(shallow), hl_steps, hl_nodes, links, "depth",
                   steps_info={s: i[:3] for s, i in info.items()})
    for outer in sorted(folded, key=lambda s: (s is None, s if isinstance(s, int) else 0)):
        inner = folded[outer]
        devices = sorted({str(info[s][1]) for s in inner})
        name = f"f{outer}"
        shown = ", ".join(devices[:3]) + (f" +{len(devices) - 3}" if len(devices) > 3 else "")
        tooltip = f"{plural(len(inner), 'step')} deeper than depth {max_depth} inside step {outer}"
        plan.nodes[name] = _summary_attrs(f"+{plural(len(inner), 'inner step')}\n{shown}", name,
                                          tooltip)
        if f"s{outer}" in plan.nodes:
            plan.edges.append((f"s{outer}", name, dict(_FOLD_EDGE)))
    plan.label = (f"{plural(len(shallow), 'step')} to depth {max_depth}, "
                  f"{plural(len(deep), 'inner step')} folded")
    if deep:
        plan.notes.append(f"depth: {len(deep):,} steps deeper than {max_depth} folded")
    return plan


def _ancestor_at(step, max_depth, info):
    """The step at *max_depth* that *step* runs inside (None when unknown)."""
    seen = 0
    while step in info and info[step][3] > max_depth and seen < 10_000:
        step = info[step][0]
        seen += 1
    return step if step in info else None


# -- summary: one node per device and key ------------------------------------------
def _summary(graph, max_nodes) -> _Plan:
    """One node per (device, key) with its step count; by device alone (and the
    largest groups only) when there are more groups than *max_nodes*."""
    by, tally = "device and key", _tally(graph, by_key=True)
    if len(tally["count"]) > max_nodes - 1:
        by, tally = "device", _tally(graph, by_key=False)
    alias: dict = {}
    if len(tally["count"]) > max_nodes - 1:
        alias = _fold_smallest(tally, max_nodes - 2)
    return _summary_plan(graph, tally, alias, by)


def _tally(graph, by_key: bool) -> dict:
    """Steps, errors and first/last step of each group, in one pass over the edges."""
    count, errors, first, last, produced, group_of_step = {}, {}, {}, {}, {}, {}
    for _, v, d in graph.edges(data=True):
        group = (d.get("device"), d.get("key") if by_key else "*")
        step = d.get("step")
        produced[v] = group_of_step[step] = group
        n = count.get(group)
        if n is None:
            count[group], errors[group], first[group], last[group] = 1, 0, step, step
        else:
            count[group] = n + 1
            if isinstance(step, int):
                if not isinstance(first[group], int) or step < first[group]:
                    first[group] = step
                if not isinstance(last[group], int) or step > last[group]:
                    last[group] = step
        if d.get("status", "ok") != "ok":
            errors[group] += 1
    return {"count": count, "errors": errors, "first": first, "last": last, "by_key": by_key,
            "produced": produced, "group_of_step": group_of_step}


def _fold_smallest(tally: dict, keep: int) -> dict:
    """Fold all but the *keep* largest groups into one "(other devices)" group."""
    count, errors, first, last = (tally[k] for k in ("count", "errors", "first", "last"))
    kept = set(sorted(count, key=lambda g: (-count[g], str(g)))[:keep])
    other = ("(other devices)", "*")
    alias = {g: other for g in count if g not in kept}
    for group in alias:
        count[other] = count.get(other, 0) + count.pop(group)
        errors[other] = errors.get(other, 0) + errors.pop(group)
        lo, hi = first.pop(group), last.pop(group)
        first[other] = min(first.get(other, lo), lo, key=_int_or_big)
        last[other] = max(last.get(other, hi), hi, key=_int_or_small)
    return alias


def _int_or_big(step):
    return step if isinstance(step, int) else math.inf


def _int_or_small(step):
    return step if isinstance(step, int) else -math.inf


def _summary_plan(graph, tally, alias, by) -> _Plan:
    count = tally["count"]
    flows, calls, inputs = _summary_flows(graph, tally, alias)
    plan = _Plan("summary")
    ordered = sorted(count, key=lambda g: (_step_key({"step": tally["first"][g]}), str(g)))
    names = {"inputs": "inputs", **{g: f"g{i}" for i, g in enumerate(ordered)}}
    if inputs:
        plan.nodes["inputs"] = {"label": plural(len(inputs), "input message"), "shape": "box",
                                "style": "rounded,filled,bold", "fillcolor": "#ffffff",
                                "tooltip": "messages no recorded step produced", "id": "inputs"}
    for group in ordered:
        plan.nodes[names[group]] = _group_node(group, tally, names[group])
        plan.devices.add(group[0])
    plan.kinds.add("summary")
    _summary_edges(plan, flows, calls, ordered, names)
    steps = sum(count.values())
    steps, groups = plural(steps, "step"), plural(len(count), "group")
    plan.label = f"summary by {by}: {steps} in {groups}"
    plan.notes.append(f"summary: {steps} shown as {groups} by {by}")
    return plan


def _summary_flows(graph, tally, alias) -> tuple[dict, dict, set]:
    """Steps from group to group (``flows``), steps run inside a group's steps
    (``calls``), and the input messages no recorded step produced."""
    produced, group_of_step, by_key = tally["produced"], tally["group_of_step"], tally["by_key"]
    flows, calls, inputs = {}, {}, set()
    for u, _, d in graph.edges(data=True):
        group = (d.get("device"), d.get("key") if by_key else "*")
        group = alias.get(group, group)
        source = produced.get(u)
        if source is None:
            inputs.add(u)
            source = "inputs"
        else:
            source = alias.get(source, source)
        flows[(source, group)] = flows.get((source, group), 0) + 1
        parent = d.get("parent")
        outer = group_of_step.get(parent) if parent is not None else None
        if outer is not None:
            outer = alias.get(outer, outer)
            calls[(outer, group)] = calls.get((outer, group), 0) + 1
    return flows, calls, inputs


def _group_node(group, tally, name: str) -> dict:
    (device, key), count, errors = group, tally["count"][group], tally["errors"][group]
    label = f"{device}\n{key}\n{plural(count, 'step')}" + (f"\n{errors:,} not ok" if errors else "")
    return {"label": label, "shape": SHAPES["summary"], "style": "filled",
            "fillcolor": device_colour(device),
            "tooltip": f"{plural(count, 'step')} of {device} {key} (steps {tally['first'][group]} "
                       f"to {tally['last'][group]})", "id": name}


def _summary_edges(plan: _Plan, flows: dict, calls: dict, ordered: list, names: dict) -> None:
    rank = {"inputs": -1, **{g: i for i, g in enumerate(ordered)}}
    for (source, group), n in sorted(flows.items(), key=lambda f: (rank[f[0][0]], rank[f[0][1]])):
        plan.edges.append((names[source], names[group],
                           {"label": f"{n:,}", "penwidth": f"{1 + math.log10(n):.1f}",
                            "tooltip": f"{plural(n, 'step')} of {_group_text(group)} on "
                                       f"{_group_text(source, 'a result of ')}"}))
    for (outer, group), n in sorted(calls.items(), key=lambda f: (rank[f[0][0]], rank[f[0][1]])):
        plan.edges.append((names[outer], names[group],
                           {"label": f"runs {n:,}", "style": "dashed", "color": "#1f77b4",
                            "fontcolor": "#1f77b4", "constraint": "false",
                            "tooltip": f"{plural(n, 'step')} of {_group_text(group)} ran inside "
                                       f"{_group_text(outer)} steps"}))


def _group_text(group, prefix: str = "") -> str:
    return "an input message" if group == "inputs" else f"{prefix}{group[0]} {group[1]}"
