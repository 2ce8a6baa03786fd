"""The checks of the curriculum's "On your own" exercises.

Each notebook ends with an exercise: an empty cell for the learner, a cell that
can load a solution from ``solutions/`` (only when the learner asks), and a
check.  A check never raises: it returns a :class:`Verdict`, shown as one
friendly line -- what is right, or what is wrong and a hint.  The test suite
(``tests/test_exercises.py``) runs every solution against its check.

>>> check_00(None, {"a": {"b": "RESULT"}})
Not yet: `mine` is still None. Write your answer in the cell above, run it, then run this cell again.
"""
from __future__ import annotations

import functools
import math

import aolab
from aolab.errors import AolabError
from aolab.viz import short_hashpath


class Verdict:
    """What a check found: ``ok`` (truthy when the answer is right) and a message."""

    def __init__(self, ok: bool, message: str):
        self.ok, self.message = bool(ok), message

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self.message


def passed(message: str) -> Verdict:
    return Verdict(True, f"Checked: {message}")


def not_yet(problem: str, hint: str = "") -> Verdict:
    return Verdict(False, f"Not yet: {problem}" + (f" Hint: {hint}" if hint else ""))


NOT_ANSWERED = not_yet("`mine` is still None. Write your answer in the cell above, run it, then "
                       "run this cell again.")


def friendly(check):
    """Turn anything a check (or the learner's code it calls) raises into a verdict."""
    @functools.wraps(check)
    def checked(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except AolabError as error:
            return not_yet(f"aolab refused it: {type(error).__name__}: {error}")
        except Exception as error:  # noqa: BLE001 - a learner's answer may raise anything
            return not_yet(f"checking it raised {type(error).__name__}: {error}")
    return checked


def _hashpath(message):
    try:
        return aolab.hashpath(message)
    except Exception:  # noqa: BLE001
        return None


@friendly
def check_00(mine, base):
    """00: resolve ``"a"`` on ``base`` with a node; the hashpath is ``id(base)/a``."""
    if mine is None:
        return NOT_ANSWERED
    found = _hashpath(mine)
    if found is None or "/" not in found:
        return not_yet("`mine` has no two-part hashpath: it was not computed.",
                       "it must be what `lab.resolve(base, \"a\")` returned, not a message "
                       "typed by hand.")
    want = aolab.id(base) + "/a"
    if found != want:
        return not_yet(f"`mine`'s hashpath is {found!r}, expected the base ID followed by `/a`.",
                       "resolve the key \"a\" on `base` itself (not on another message).")
    return passed(f"the hashpath is the base ID and the key `a`: {short_hashpath(found)}")


@friendly
def check_01(mine, vectors):
    """01: a message with the ID of vector ``two_keys``, keys written differently."""
    if mine is None:
        return NOT_ANSWERED
    target = next(v for v in vectors if v["name"] == "two_keys")
    if not isinstance(mine, dict):
        return not_yet(f"`mine` is a {type(mine).__name__}, expected a message (a dict).")
    if list(mine) == list(target["msg"]):
        return not_yet("`mine` is written exactly like the vector's message.",
                       "change the order or the case of its keys.")
    got = aolab.id(mine)
    if got != target["id"]:
        return not_yet(f"its ID is {got}, the vector's is {target['id']}.",
                       "keep the same keys and values (and value types); only their order and "
                       "case may change.")
    return passed(f"same ID as HyperBEAM's vector: {got}")


@friendly
def check_02(mine, h2):
    """02: h2's hashpath computed by hand."""
    if mine is None:
        return NOT_ANSWERED
    want = aolab.hashpath(h2)
    if not isinstance(mine, str):
        return not_yet(f"`mine` is a {type(mine).__name__}, expected a hashpath (a string).")
    if mine == want:
        return passed("your hashpath is the one aolab computed.")
    first, _, second = mine.partition("/")
    if second != want.split("/")[1]:
        return not_yet("the part after `/` is wrong.",
                       "it is the ID of the request: `aolab.id({\"path\": \"mul\", \"x\": 4})`.")
    return not_yet("the part before `/` is wrong.",
                   "hash the two parts of h1's hashpath as raw bytes: "
                   "`human(hashlib.sha256(native(P) + native(Q)).digest())`.")


@friendly
def check_03(lab):
    """03: ``upper@1.0`` answers any key with its value upper-cased."""
    if "upper@1.0" not in lab.registry.names():
        return not_yet("no device `upper@1.0` is registered on `lab`.",
                       "`lab.register_device(\"upper@1.0\", {\"info\": lambda: {\"default\": ...}})`.")
    got = lab.resolve({"device": "upper@1.0", "name": "ada"}, "name")
    if got != "ADA":
        return not_yet(f"`name` resolved to {got!r}, expected 'ADA'.",
                       "the default handler gets `key` and `base`: return `str(base[key]).upper()`.")
    other = lab.resolve({"device": "upper@1.0", "city": "paris"}, "city")
    if other != "PARIS":
        return not_yet(f"`name` works, but `city` resolved to {other!r}.",
                       "answer any key, not only `name`.")
    return passed("upper@1.0 upper-cases any key.")


@friendly
def check_04(mine):
    """04: a stack of three counter@1.0, count 1, add 2 in fold mode."""
    if mine is None:
        return NOT_ANSWERED
    if not isinstance(mine, dict):
        return not_yet(f"`mine` is {mine!r}, expected the stack's result message.")
    if mine.get("device") != "stack@1.0":
        return not_yet("`mine` is not a stack@1.0 message.",
                       "resolve the request on {\"device\": \"stack@1.0\", \"device-stack\": [...]}.")
    if mine.get("count") != 7:
        return not_yet(f"the count is {mine.get('count')!r}, expected 7 (1 + 2 + 2 + 2).",
                       "three counters in `device-stack`, fold mode (the default).")
    return passed("three counters each added 2: count 7.")


@friendly
def check_05(mine):
    """05: check_chain's report with slot 1 dropped."""
    if mine is None:
        return NOT_ANSWERED
    if not isinstance(mine, dict) or "valid" not in mine:
        return not_yet(f"`mine` is {mine!r}, expected the report of `scheduler.check_chain`.")
    if mine["valid"]:
        return not_yet("the report says the chain is valid.",
                       "pass the list without slot 1: `[assignments[0], *assignments[2:]]`.")
    if mine.get("first-bad-slot") != 1:
        return not_yet(f"the report names slot {mine.get('first-bad-slot')!r}; with slot 1 dropped "
                       "it should name slot 1.", "drop slot 1 and renumber nothing.")
    return passed("the chain breaks at slot 1, where a message is missing.")


@friendly
def check_06(mine):
    """06: the state after scheduling a reset to 100."""
    if mine is None:
        return NOT_ANSWERED
    if not isinstance(mine, dict) or "count" not in mine:
        return not_yet(f"`mine` is {mine!r}, expected the process state (a message with `count`).")
    if mine["count"] != 100:
        return not_yet(f"the count is {mine['count']!r}, expected 100.",
                       "schedule {\"action\": \"reset\", \"amount\": 100}, then `lab.compute` "
                       "the slot its assignment names.")
    if mine.get("at-slot") != 4:
        return not_yet(f"the state is at slot {mine.get('at-slot')!r}, expected slot 4.",
                       "compute the slot of the reset's assignment (`reset[\"slot\"]`).")
    return passed("the reset was slot 4 and the count is 100.")


@friendly
def check_07(mine):
    """07: fac(7.0) computed by the WebAssembly module."""
    if mine is None:
        return NOT_ANSWERED
    if isinstance(mine, dict):
        return not_yet("`mine` is a message.",
                       "the factorial is in `[\"results\"][\"output\"][0]` of the result.")
    if mine != 5040.0:
        return not_yet(f"`mine` is {mine!r}, expected 7! = 5040.0.",
                       "call `fac` with the parameters `[7.0]`.")
    return passed("the module computed 7! = 5040.0.")


@friendly
def check_08(mine, folder):
    """08: modulo in the device file; a second node verifies 7 modulo 3."""
    if mine is None:
        return NOT_ANSWERED
    if not hasattr(mine, "divergence"):
        return not_yet(f"`mine` is {mine!r}, expected the report of `second_node.verify(...)`.")
    if not mine:
        return not_yet(f"the second node did not verify the result: {mine.divergence}.",
                       "both nodes must load the same folder, after the file was written.")
    fresh = aolab.Node(name="checker", device_path=[folder])
    calc = {"device": "my-calculator@1.0"}
    try:
        got = fresh.resolve(calc, {"path": "calculate", "operation": "modulo", "operand1": "7",
                                   "operand2": "3"})["result"]
    except AolabError as error:
        return not_yet(f"a node loading {folder}/ refuses modulo: {error}",
                       "add `\"modulo\": lambda a, b: a % b` to OPERATIONS in the file, and run "
                       "the `%%writefile` cell again.")
    if got != 1.0:
        return not_yet(f"7 modulo 3 gave {got!r}, expected 1.0.")
    try:
        fresh.resolve(calc, {"path": "calculate", "operation": "modulo", "operand1": "7",
                             "operand2": "0"})
    except AolabError as error:
        if isinstance(error.__cause__, ZeroDivisionError) or "ZeroDivisionError" in str(error):
            return not_yet("7 modulo 0 raised Python's ZeroDivisionError.",
                           "refuse a zero divisor with a MessageError, as `calculate` does for "
                           "divide: `if operation in (\"divide\", \"modulo\") and b == 0`.")
        return passed(f"7 modulo 3 is 1.0, verified on a second node; 7 modulo 0 is refused "
                      f"({error.key}: {error}).")
    except ZeroDivisionError:
        return not_yet("7 modulo 0 raised Python's ZeroDivisionError.",
                       "refuse a zero divisor with a MessageError, as `calculate` does for "
                       "divide: `if operation in (\"divide\", \"modulo\") and b == 0`.")
    return not_yet("7 modulo 0 gave an answer.", "refuse a zero divisor with a MessageError.")


@friendly
def check_09(mine):
    """09: a forged third step, caught by re-execution."""
    if mine is None:
        return NOT_ANSWERED
    if not hasattr(mine, "divergence"):
        return not_yet(f"`mine` is {mine!r}, expected the report of `bob.verify(...)`.")
    if mine:
        return not_yet("the report says the result verified: nothing was forged.",
                       "change the count of `third` before Mallory signs it.")
    return passed(f"Bob re-executed and found the forgery at step {mine.divergence.get('step')}.")


@friendly
def check_10(mine, slots):
    """10: the first slot after which the count exceeds 1,000,000."""
    if mine is None:
        return NOT_ANSWERED
    if not isinstance(mine, int) or isinstance(mine, bool):
        return not_yet(f"`mine` is {mine!r}, expected a slot number (an int).")
    if not 0 <= mine < slots:
        return not_yet(f"slot {mine} is not one of the {slots:,} slots computed.")
    count, before = mine * (mine + 1) // 2, (mine - 1) * mine // 2
    if count <= 1_000_000:
        return not_yet(f"the count after slot {mine} is {count:,}, not over 1,000,000 yet.",
                       "look at later slots.")
    if before > 1_000_000:
        return not_yet(f"the count was already {before:,} after slot {mine - 1}.",
                       "look for the first such slot (a binary search needs ~14 computes).")
    return passed(f"slot {mine}: the count reaches {count:,} (about sqrt(2,000,000) = "
                  f"{math.sqrt(2_000_000):.0f}).")


@friendly
def check_11(mine):
    """11: five processes of your own, verified."""
    if mine is None:
        return NOT_ANSWERED
    if not hasattr(mine, "counts"):
        return not_yet(f"`mine` is {mine!r}, expected the report of `dist.verify_many`.")
    counts = mine.counts()
    if counts.get("diverged"):
        return not_yet(f"the report has diverged results: {counts}.")
    finals = sorted(run["state"]["count"] for run in mine.runs)
    if finals != [0, 10, 20, 30, 40]:
        return not_yet(f"the final counts are {finals}, expected [0, 10, 20, 30, 40].",
                       "process k has ten messages {\"action\": \"add\", \"amount\": k}.")
    return passed(f"five processes, all verified: {counts}.")


@friendly
def check_12(mine, slot1):
    """12: slot 1's state fetched back from the gateway by its hashpath."""
    if mine is None:
        return NOT_ANSWERED
    if not isinstance(mine, dict):
        return not_yet(f"`mine` is a {type(mine).__name__}, expected the message you fetched.",
                       "`fetch` on a node whose store chain ends with the gateway.")
    if mine.get("count") != slot1.get("count"):
        return not_yet(f"its count is {mine.get('count')!r}, slot 1's is {slot1.get('count')!r}.")
    if aolab.hashpath(mine) != aolab.hashpath(slot1):
        return not_yet("the state has another hashpath.",
                       "fetch it by its hashpath (`aolab.hashpath(slot1)`), not by its ID.")
    return passed("the state came back from Arweave with its hashpath.")


@friendly
def check_13(mine):
    """13: Bob's report on a receipt whose prompt Mallory changed."""
    if mine is None:
        return NOT_ANSWERED
    if not isinstance(mine, dict) or "verified" not in mine:
        return not_yet("`mine` should be Bob's report: `bob.resolve(forged, \"verify\")`.")
    if mine.get("verified") is not False:
        return not_yet("Bob verified it.", "did the receipt's request really change?")
    if "request/prompt" not in (mine.get("differences") or {}):
        return not_yet("not verified, but not for the prompt.",
                       "change only `receipt[\"request\"][\"prompt\"]`.")
    return passed("the report names request/prompt.")


@friendly
def check_14(mine, table):
    """14: are 2 threads x 16 tokens per pass bit-identical to the reference?"""
    if mine is None:
        return NOT_ANSWERED
    if not isinstance(mine, bool):
        return not_yet(f"`mine` is {mine!r}, expected True or False.",
                       "`np.array_equal(scores, reference_scores)` gives one.")
    row = table[(table.n_threads == 2) & (table.n_batch == 16) & (table.gpu_layers == 0)]
    expected = bool(row.bit_identical.iloc[0])
    if mine != expected:
        return not_yet(f"the table's run with the same setting says {expected}.",
                       "compare the scores of `run(2, 16)` with `reference_scores`.")
    return passed(f"{'bit-identical' if mine else 'not bit-identical'}, as the table says.")


@friendly
def check_15(mine, node, process):
    """15: a message scheduled and computed over HTTP."""
    if mine is None:
        return NOT_ANSWERED
    if not isinstance(mine, dict) or "count" not in mine:
        return not_yet(f"`mine` is {mine!r}, expected the computed state (a message with `count`).",
                       "`remote.compute(process, slot)` with the slot `remote.schedule` answered.")
    expected = node.compute(process, 3)["count"] + 10  # slot 3's count, then one add of 10
    if mine["count"] != expected:
        return not_yet(f"its count is {mine['count']!r}, expected slot 3's count + 10 = {expected}.",
                       "schedule exactly one more `add` of 10, then compute that slot.")
    if node.compute(process, 4)["count"] != expected:
        return not_yet("the node itself computes another count for slot 4.")
    return passed("scheduled and computed over HTTP; the node's own computation agrees.")
