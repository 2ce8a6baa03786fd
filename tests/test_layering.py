"""Layers one way (issue 15): pure codecs, one helper of each kind, dist on verify's rules."""
import ast
import pathlib

import aolab
from aolab import dist
from aolab.verify import Report

ROOT = pathlib.Path(__file__).resolve().parent.parent
PURE_CODECS = ("base64url.py", "structured.py", "signature_fields.py", "httpsig.py", "httpsig_conv.py")
NOT_BELOW_A_CODEC = {"wallet", "node", "signing", "resolve", "trace", "store", "registry"}


def _imported_modules(path: pathlib.Path) -> set:
    """Every aolab module a file imports, at any depth (lazy imports included), except
    in a module ``__getattr__`` (names that moved away, loaded only when asked for)."""
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            tree.body.remove(node)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [alias.name for alias in node.names]
            found.update(part for name in names for part in name.split("."))
        elif isinstance(node, ast.Import):
            found.update(part for alias in node.names for part in alias.name.split("."))
    return found


def test_the_httpsig_codec_imports_no_wallet_and_no_node():
    for name in PURE_CODECS:
        assert not _imported_modules(ROOT / "aolab" / "codecs" / name) & NOT_BELOW_A_CODEC, name


def test_one_base64url_encoder():
    users = [str(path.relative_to(ROOT)) for folder in ("aolab", "devices")
             for path in sorted((ROOT / folder).rglob("*.py"))
             if "urlsafe_b64encode" in path.read_text()]
    assert users == ["aolab/codecs/base64url.py"]


def test_a_dist_check_is_a_verify_report():
    runs = dist.compute_many(None, 1, slots=2)
    assert isinstance(dist.check_run(runs[0], runs.messages[0]), Report)
    forged = {**runs[0], "state": {**runs[0]["state"], "count": -1}}
    report = dist.check_run(forged, runs.messages[0])
    assert not report and "count" in report.divergence["reason"]


def test_nodes_with_one_name_all_stay_reachable():
    network = aolab.Network()
    first, second = aolab.Node(name="same", network=network), aolab.Node(name="same", network=network)
    result = first.resolve({"device": "counter@1.0", "count": 1}, {"path": "add", "amount": 2})
    assert network.fetch(aolab.hashpath(result), exclude=second)["count"] == 3
    assert network.find("same") is second and len(network.nodes()) == 2
