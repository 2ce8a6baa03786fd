"""The device registry and the errors that name what went wrong."""
from __future__ import annotations

import ast
import pathlib

import pytest

import aolab
from aolab.errors import AolabError, DeviceNotAllowed, DeviceNotFound, PathError, ResolutionError

ROOT = pathlib.Path(__file__).resolve().parents[1]


class Calc:
    """A class device: one handler per key."""

    def add(self, base, request):
        return float(request["a"]) + float(request["b"])


def test_register_device_with_one_call():
    aolab.register_device("calc@1.0", Calc)
    assert aolab.resolve({"device": "calc@1.0"}, {"path": "add", "a": "2", "b": "3"}) == 5.0
    assert aolab.Node().resolve({"device": "calc@1.0"}, {"path": "add", "a": 1, "b": 1}) == 2.0


def test_registration_does_not_leak_between_nodes():
    one, two = aolab.Node(), aolab.Node()
    one.register_device("calc@1.0", Calc)
    with pytest.raises(DeviceNotFound, match="calc@1.0"):
        two.resolve({"device": "calc@1.0"}, "add")


def test_device_path_folder(tmp_path):
    (tmp_path / "echo.py").write_text(
        'NAME = "echo@1.0"\n\ndef echo(base, request):\n    return request["say"]\n')
    lab = aolab.Node(device_path=[tmp_path])
    assert lab.resolve({"device": "echo@1.0"}, {"path": "echo", "say": "hi"}) == "hi"


def test_unknown_device_names_the_device():
    with pytest.raises(DeviceNotFound, match="nosuch@9.9"):
        aolab.resolve({"device": "nosuch@9.9"}, "a")


def test_disallowed_device_names_the_device():
    lab = aolab.Node(allowed=["message@1.0"])
    lab.register_device("calc@1.0", Calc)
    with pytest.raises(DeviceNotAllowed, match="calc@1.0"):
        lab.resolve({"device": "calc@1.0"}, "add")
    assert lab.resolve({"a": 1}, "a") == 1


def test_a_message_cannot_import_a_module_by_path():
    with pytest.raises(DeviceNotFound):
        aolab.resolve({"device": "os.path"}, "join")
    with pytest.raises(DeviceNotFound):
        aolab.resolve({"device": "devices.message"}, "keys")


def test_device_that_raises_is_a_resolution_error_naming_device_and_key():
    def bad(base):
        raise ValueError("broken handler")

    lab = aolab.Node(devices={"bad@1.0": {"go": bad}})
    with pytest.raises(ResolutionError) as info:
        lab.resolve({"device": "bad@1.0"}, "go")
    assert "bad@1.0" in str(info.value) and "'go'" in str(info.value) and "broken handler" in str(info.value)
    assert info.value.device == "bad@1.0" and info.value.key == "go"


def test_device_that_recurses_forever_is_contained():
    def loop(base, request, opts):
        return aolab.resolve(base, "loop", opts)

    lab = aolab.Node(devices={"loop@1.0": {"loop": loop}})
    with pytest.raises(ResolutionError, match="deep|recurs"):
        lab.resolve({"device": "loop@1.0"}, "loop")
    assert lab.resolve({"a": 1}, "a") == 1


def test_bad_return_value_is_an_error():
    lab = aolab.Node(devices={"odd@1.0": {"go": lambda: ("weird", 1, 2)}})
    with pytest.raises(ResolutionError, match="status"):
        lab.resolve({"device": "odd@1.0"}, "go")


def test_request_without_path_is_a_path_error():
    with pytest.raises(PathError, match="path"):
        aolab.resolve({"a": 1}, {"b": 2})


def test_non_ok_status_raises_with_status_and_value():
    lab = aolab.Node(devices={"skipper@1.0": {"go": lambda base: ("skip", base)}})
    with pytest.raises(ResolutionError) as info:
        lab.resolve({"device": "skipper@1.0"}, "go")
    assert info.value.status == "skip"
    assert lab.resolve_status({"device": "skipper@1.0"}, "go")[0] == "skip"


def test_every_error_is_an_aolab_error():
    with pytest.raises(AolabError):
        aolab.resolve({"a": 1}, "b")


def test_core_never_imports_a_particular_device():
    for file in (ROOT / "aolab").rglob("*.py"):
        tree = ast.parse(file.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("devices"):
                pytest.fail(f"{file} imports {node.module}")
            if isinstance(node, ast.Import) and any(a.name.startswith("devices") for a in node.names):
                pytest.fail(f"{file} imports a device module")
