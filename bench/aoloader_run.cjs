// Runs an aos message sequence through npm @permaweb/ao-loader (bench/bench_aos.py drives it).
// Usage: node bench/aoloader_run.cjs <input.json>  ->  JSON on stdout.
// (the first `warmup` messages are run before the clock starts; `warmupRuns` whole untimed
// runs first let V8 finish optimising the module, so ao-loader is measured at its best)
// input: {"wasm": path, "warmup": n, "format": ..., "env": {...}, "messages": [{...}, ...], "repeats": n,
//         "modes": ["live", "copied"]}
// Two ways of calling, each timed over the whole sequence (median of `repeats` runs):
//   live:   handle(null, msg, env): the instance keeps its memory between messages;
//   copied: handle(memory, msg, env) with the Memory of the previous answer, as an AO
//           compute unit calls it (memory copied out and back in per message);
//   direct: no ao-loader: V8 calling the module's `handle` export (see runDirect).
"use strict";
const fs = require("fs");
const path = require("path");
const NODE_MODULES = process.env.AOLAB_NPM_DIR
  ? path.join(process.env.AOLAB_NPM_DIR, "node_modules") : path.join(__dirname, "..", "npm", "node_modules");
const AoLoader = require(path.join(NODE_MODULES, "@permaweb", "ao-loader"));

async function runOnce(wasm, input, copied) {
  // aos-2-pure-xs (HyperBEAM's build) imports wasi proc_exit, which ao-loader's wasm64
  // glue does not provide: instantiate it ourselves with that one import added.
  // clock_time_get answers a fixed time, as aolab's wasi@1.0 does.
  const instantiate = (imports, receive) => {
    let memory = null;
    const wasi = { ...imports.wasi_snapshot_preview1,
      proc_exit: code => { throw new Error(`proc_exit(${code})`); },
      clock_time_get: (id, precision, at) => {
        new DataView(memory.buffer).setBigUint64(Number(at), BigInt(input.clockNs || 0), true);
        return 0;
      } };
    WebAssembly.instantiate(wasm, { ...imports, wasi_snapshot_preview1: wasi })
      .then(({ instance, module }) => {
        memory = instance.exports.memory;
        // The glue also expects exports of a JS-linked build; aos-2-pure-xs runs as
        // HyperBEAM runs it: instantiated, then `handle` called (no constructors, no
        // stack-limit checks; the glue's stack cookie goes in the null page, 4..11).
        const zero = () => (instance.exports.memory.type ? 0n : 0n);
        const exports = { ...instance.exports, __wasm_call_ctors: () => {},
          emscripten_stack_init: () => {}, emscripten_stack_get_end: zero,
          emscripten_stack_get_base: zero, emscripten_stack_get_free: zero };
        receive({ exports }, module);
      });
    return {};
  };
  const handle = await AoLoader(instantiate, {
    format: input.format, inputEncoding: "JSON-1", outputEncoding: "JSON-1",
    memoryLimit: String(input.memoryLimit || 1073741824), computeLimit: String(9e12), extensions: [],
  });
  const outputs = [];
  let memory = null;
  const warmup = input.warmup || 0;  // messages run before the clock starts
  let start = process.hrtime.bigint(), cpu = process.cpuUsage();
  for (const [index, msg] of input.messages.entries()) {
    if (index === warmup) { start = process.hrtime.bigint(); cpu = process.cpuUsage(); }
    const result = await handle(copied ? memory : null, msg, input.env);
    if (copied) memory = result.Memory;
    outputs.push(result.Error !== undefined && result.Error !== null && result.Error !== ""
      ? { error: String(result.Error) }
      : { data: result.Output && typeof result.Output === "object" ? result.Output.data : result.Output });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, cpuSeconds: cpuSeconds(cpu), outputs, memoryBytes: memory ? memory.byteLength : null };
}

// The same module on Node's WebAssembly (V8) without ao-loader: instantiated once, `handle`
// called directly with the JSON strings written by its `malloc`, memory kept live and never
// copied (what aolab's Instance does on wasmtime).  Imports answer as aolab's wasi@1.0 does.
async function runDirect(wasm, input) {
  const module = await WebAssembly.compile(wasm);
  let memory = null;
  const view = () => new DataView(memory.buffer);
  const stub = () => 0;
  const imports = {};
  for (const { module: from, name } of WebAssembly.Module.imports(module)) {
    imports[from] = imports[from] || {};
    imports[from][name] = stub;
  }
  Object.assign(imports.wasi_snapshot_preview1, {
    fd_write: (fd, iovs, count, written) => {
      let total = 0n;
      for (let i = 0; i < Number(count); i++) total += view().getBigUint64(Number(iovs) + 16 * i + 8, true);
      view().setBigUint64(Number(written), total, true);
      return 0;
    },
    fd_read: (fd, iovs, count, read) => { view().setBigUint64(Number(read), 0n, true); return 0; },
    environ_sizes_get: (count, size) => {
      view().setBigUint64(Number(count), 0n, true); view().setBigUint64(Number(size), 0n, true); return 0;
    },
    clock_time_get: (id, precision, at) => { view().setBigUint64(Number(at), BigInt(input.clockNs || 0), true); return 0; },
    proc_exit: code => { throw new Error(`proc_exit(${code})`); },
  });
  const instance = await WebAssembly.instantiate(module, imports);
  memory = instance.exports.memory;
  const { handle, malloc } = instance.exports;
  const encoder = new TextEncoder(), decoder = new TextDecoder();
  const write = text => {
    const bytes = encoder.encode(text);
    const at = malloc(BigInt(bytes.length + 1));
    const heap = new Uint8Array(memory.buffer);
    heap.set(bytes, Number(at));
    heap[Number(at) + bytes.length] = 0;
    return at;
  };
  const read = at => {
    const heap = new Uint8Array(memory.buffer);
    let end = Number(at);
    while (heap[end] !== 0) end++;
    return decoder.decode(heap.subarray(Number(at), end));
  };
  const env = JSON.stringify(input.env);
  const outputs = [];
  const warmup = input.warmup || 0;
  let start = process.hrtime.bigint(), cpu = process.cpuUsage();
  for (const [index, msg] of input.messages.entries()) {
    if (index === warmup) { start = process.hrtime.bigint(); cpu = process.cpuUsage(); }
    const answer = JSON.parse(read(handle(write(JSON.stringify(msg)), write(env))));
    const response = answer.response || {};
    outputs.push(response.Error ? { error: String(response.Error) }
      : { data: response.Output && typeof response.Output === "object" ? response.Output.data : response.Output });
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, cpuSeconds: cpuSeconds(cpu), outputs };
}

// CPU seconds (user + system, every thread of the process) since `since`.
function cpuSeconds(since) {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const wasm = fs.readFileSync(input.wasm);
  const answer = { version: require(path.join(NODE_MODULES, "@permaweb", "ao-loader", "package.json")).version,
                   node: process.version };
  for (const [name, copied] of [["live", false], ["copied", true]]) {
    if (input.modes && !input.modes.includes(name)) continue;
    const runs = [];
    for (let i = 0; i < (input.warmupRuns || 0); i++) await runOnce(wasm, input, copied);  // V8 tiers up
    for (let i = 0; i < (input.repeats || 3); i++) runs.push(await runOnce(wasm, input, copied));
    answer[name] = { seconds: runs.map(r => r.seconds), median_seconds: median(runs.map(r => r.seconds)),
                     median_cpu_seconds: median(runs.map(r => r.cpuSeconds)), outputs: runs[0].outputs };
  }
  if (!input.modes || input.modes.includes("direct")) {
    const runs = [];
    for (let i = 0; i < (input.warmupRuns || 0); i++) await runDirect(wasm, input);
    for (let i = 0; i < (input.repeats || 3); i++) runs.push(await runDirect(wasm, input));
    answer.direct = { seconds: runs.map(r => r.seconds), median_seconds: median(runs.map(r => r.seconds)),
                      median_cpu_seconds: median(runs.map(r => r.cpuSeconds)), outputs: runs[0].outputs };
  }
  process.stdout.write(JSON.stringify(answer));
}

main().catch(err => { console.error(err && err.stack || String(err)); process.exit(1); });
