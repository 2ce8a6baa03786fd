"""One client of the HTTP load test (tests/test_http_load.py), in its own process.

``python load_client.py URL PID INDEX COUNT``: COUNT times, schedule a message of its own
(``POST /<pid>/schedule``) and compute the slot it was given
(``GET /<pid>/compute&slot+integer=N``) on one keep-alive connection; prints one JSON
object: ``acknowledged`` [[slot, message ID], ...], ``computed`` [[slot, count], ...],
``failures``.
"""
from __future__ import annotations

import json
import sys

import aolab
from aolab.codecs import httpsig
from aolab.http_client import decode_response, http_client


def main(url: str, pid: str, index: int, count: int) -> dict:
    acknowledged, computed, failures = [], [], []
    with http_client(url, timeout=120) as http:
        for n in range(count):
            message = {"action": "add", "amount": 1, "client": index, "n": n}
            form = httpsig.to_http({"path": f"/{pid}/schedule", "body": message})
            body = form.pop("body", b"")
            answer = http.post(f"/{pid}/schedule", headers=form, content=body)
            if answer.status_code != 200:
                failures.append([n, "schedule", answer.status_code, answer.text[:200]])
                continue
            slot = int(answer.headers["slot"])
            acknowledged.append([slot, aolab.id(message)])
            state = http.get(f"/{pid}/compute&slot+integer={slot}")
            if state.status_code != 200:
                failures.append([n, "compute", state.status_code, state.text[:200]])
                continue
            computed.append([slot, int(decode_response(state)["count"])])
    return {"acknowledged": acknowledged, "computed": computed, "failures": failures}


if __name__ == "__main__":
    url, pid, index, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    print(json.dumps(main(url, pid, index, count)))
