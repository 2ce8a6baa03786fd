"""Writing a drawing plan (:class:`aolab.viz.tree.TreeDot`'s nodes, edges and
boxes) as Graphviz DOT text, and choosing its direction."""
from __future__ import annotations

from .labels import SHAPES, device_colour, dot_quote

# -- layout -------------------------------------------------------------------
NODE_WIDTH_TB = 200   # about the width (px) of one node in a row, top to bottom
RANK_WIDTH_LR = 330   # about the width (px) of one rank drawn left to right (node + edge label)


def auto_rankdir(plan: _Plan) -> str:
    """``TB`` unless the widest row of the tree (its broadest fan, with every
    separate computation side by side) would make a wider picture than its
    ranks laid out left to right; then ``LR``."""
    ranks = _ranks(plan)
    if not ranks:
        return "TB"
    levels: dict = {}
    for rank in ranks.values():
        levels[rank] = levels.get(rank, 0) + 1
    breadth, depth = max(levels.values()), len(levels)
    return "LR" if depth * RANK_WIDTH_LR < breadth * NODE_WIDTH_TB else "TB"


def _ranks(plan: _Plan) -> dict:
    """The rank (longest edge count from an input) of every node drawn."""
    heads: dict = {}
    incoming = {name: 0 for name in plan.nodes}
    for tail, head, attrs in plan.edges:
        if tail in incoming and head in incoming and attrs.get("constraint") != "false":
            heads.setdefault(tail, []).append(head)
            incoming[head] += 1
    rank = {name: 0 for name, n in incoming.items() if n == 0}
    queue = list(rank)
    while queue:  # Kahn's order: a node's rank is final once all its tails are done
        tail = queue.pop()
        for head in heads.get(tail, ()):
            rank[head] = max(rank.get(head, 0), rank[tail] + 1)
            incoming[head] -= 1
            if incoming[head] == 0:
                queue.append(head)
    return rank


# -- writing DOT ---------------------------------------------------------------
def _attrs(attrs: dict) -> str:
    return "[" + ", ".join(f"{k}={dot_quote(v)}" for k, v in attrs.items()) + "]"


def write_dot(plan: _Plan, legend: bool, rankdir: str) -> str:
    """The DOT text of *plan* (nodes outside boxes, nested boxes, the legend, edges)."""
    lines = ["digraph merkle {",
             f"  graph [rankdir={dot_quote(rankdir)}, label={dot_quote(plan.label)}, "
             'labelloc="t", fontname="Helvetica", fontsize="12", id="merkle"];',
             '  node [fontname="Helvetica", fontsize="10", style="filled", fillcolor="#ffffff"];',
             '  edge [fontname="Helvetica", fontsize="9", color="#555555"];']
    members: dict = {}
    for name, outer in plan.member.items():
        members.setdefault(outer, []).append(name)
    children: dict = {}
    for outer in sorted(plan.clusters, key=lambda s: (s is None, s if isinstance(s, int) else 0)):
        parent = plan.clusters[outer][1]
        children.setdefault(parent if parent in plan.clusters else None, []).append(outer)
    for name, attrs in plan.nodes.items():
        if name not in plan.member:
            lines.append(f"  {name} {_attrs(attrs)};")

    def cluster(outer, indent):
        label = plan.clusters[outer][0]
        lines.append(f"{indent}subgraph cluster_s{outer} {{")
        lines.append(f'{indent}  graph [label={dot_quote(label)}, style="rounded,dashed", '
                     f'color="#888888", id={dot_quote(f"inside-{outer}")}];')
        for name in members.get(outer, ()):
            lines.append(f"{indent}  {name} {_attrs(plan.nodes[name])};")
        for inner in children.get(outer, ()):
            cluster(inner, indent + "  ")
        lines.append(f"{indent}}}")

    for outer in children.get(None, ()):
        cluster(outer, "  ")
    if legend:
        lines.extend(_legend(plan))
    for tail, head, attrs in plan.edges:
        lines.append(f"  {tail} -> {head} {_attrs(attrs)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _legend(plan: _Plan) -> list:
    entries = []
    for kind in ("message", "value", "error", "summary"):
        if kind in plan.kinds:
            style = "rounded,filled" if kind == "message" else "filled"
            entries.append((f"legend_{kind}", {"label": kind, "shape": SHAPES[kind], "style": style,
                                               "fillcolor": "#ffffff"}))
    devices = sorted(plan.devices, key=str)
    for i, device in enumerate(devices[:12]):
        entries.append((f"legend_d{i}", {"label": str(device) if device else "(no device)",
                                         "shape": "box", "style": "filled",
                                         "fillcolor": device_colour(device)}))
    if len(devices) > 12:
        more = f"+{len(devices) - 12} devices"
        entries.append(("legend_more", {"label": more, "shape": "plaintext"}))
    if not entries:
        return []
    lines = ["  subgraph cluster_legend {",
             '    graph [label="legend", style="rounded", color="#bbbbbb", fontsize="10", '
             'id="legend"];',
             '    node [fontsize="9", height="0.2"];']
    for name, attrs in entries:
        attrs.setdefault("tooltip", attrs["label"])
        lines.append(f"    {name} {_attrs(attrs)};")
    lines.append("  }")
    return lines
