"""calculator@1.0, the device notebook 08 builds."""
from __future__ import annotations

import pytest

import aolab
from aolab.errors import MessageError

BASE = {"device": "calculator@1.0"}


@pytest.mark.parametrize("operation, a, b, expected", [
    ("add", "2", "3", 5.0), ("subtract", "2", "3", -1.0), ("multiply", "2.5", "4", 10.0),
    ("divide", "7", "2", 3.5), ("ADD", 1, 2, 3.0)])
def test_operations(operation, a, b, expected):
    result = aolab.resolve(BASE, {"path": "calculate", "operation": operation, "operand1": a, "operand2": b})
    assert result["result"] == expected and result["operation"] == operation.lower()
    assert result["operand1"] == float(a) and result["operand2"] == float(b)


@pytest.mark.parametrize("request_, message", [
    ({"operation": "power", "operand1": "2", "operand2": "3"}, "unknown operation 'power'"),
    ({"operation": "add", "operand1": "two", "operand2": "3"}, "operand1 'two' is not a number"),
    ({"operation": "divide", "operand1": "1", "operand2": "0"}, "division by zero"),
    ({"operation": "add", "operand1": "1"}, "has no 'operand2'"),
    ({"operation": "add", "operand1": "nan", "operand2": "1"}, "not a finite number"),
])
def test_clear_errors(request_, message):
    with pytest.raises(aolab.errors.AolabError, match=message):
        aolab.resolve(BASE, {"path": "calculate", **request_})


def test_result_has_a_hashpath_and_is_recorded():
    lab = aolab.Node()
    request = {"path": "calculate", "operation": "add", "operand1": "2", "operand2": "3"}
    result = lab.resolve(BASE, request)
    assert aolab.hashpath(result) == aolab.next_hashpath(BASE, request)
    assert lab.trace.records[0]["device"] == "calculator@1.0"


def test_errors_name_the_key():
    with pytest.raises(MessageError) as info:
        aolab.resolve(BASE, {"path": "calculate", "operation": "add", "operand1": "x", "operand2": "1"})
    assert info.value.key == "operand1"
