// A real AO client as aolab's peer: npm @permaweb/aoconnect@0.0.77 in mainnet mode with the
// process@1.0 device (never its default relay@1.0, which sends to an outside relay), against
// the aolab node at argv[2]. Prints one JSON line of what it saw, checked by
// tests/test_http_clients.py. Usage: node aoconnect_peer.cjs URL WALLET.json IMAGE-ID
//
// aoconnect's spawn() first reads the module's tags from an Arweave GraphQL gateway; that
// one query is answered here, in this script (a module with the tags spawn checks), so that
// nothing leaves 127.0.0.1. Every other request goes to the aolab node.
const fs = require("fs")
const path = require("path")

const LOCAL_GRAPHQL = "http://127.0.0.1:9/graphql"   // never contacted: answered below
const MODULE_ID = process.argv[4]   // the ID of a wasm image in the node's store

const realFetch = globalThis.fetch
async function localFetch(url, options) {
  if (String(url) === LOCAL_GRAPHQL) {
    const tags = [["Data-Protocol", "ao"], ["Type", "Module"], ["Module-Format", "counter"],
                  ["Input-Encoding", "JSON-1"], ["Output-Encoding", "JSON-1"]]
    const node = { owner: { address: "local" }, block: null,
                   tags: tags.map(([name, value]) => ({ name, value })) }
    return new Response(JSON.stringify({ data: { transactions: { edges: [{ node }] } } }),
                        { status: 200, headers: { "content-type": "application/json" } })
  }
  if (!String(url).startsWith(process.argv[2])) throw new Error("refused outside URL " + url)
  if (process.env.AOLAB_DEBUG) console.error(url, [...new Headers(options?.headers)])
  const res = await realFetch(url, options)
  if (process.env.AOLAB_DEBUG && res.status >= 300) console.error(res.status, await res.clone().text())
  return res
}
// aoconnect keeps the global fetch it finds when loaded: it gets the guarded one
globalThis.fetch = localFetch
const { connect, createSigner } = require(path.join(process.env.AOLAB_NODE_MODULES,
                                                   "@permaweb/aoconnect"))

async function main() {
  const [url, walletFile] = process.argv.slice(2)
  const jwk = JSON.parse(fs.readFileSync(walletFile, "utf8"))
  const ao = connect({ MODE: "mainnet", URL: url, device: "process@1.0",
                       signer: createSigner(jwk), GRAPHQL_URL: LOCAL_GRAPHQL, fetch: localFetch })
  const out = {}
  out.operator = await ao.getOperator()

  // spawn and schedule with request() (mainnet, device process@1.0): signed httpsig@1.0
  // requests, every header signed, @path not (aoconnect: "does not work with hyperbeam")
  const spawned = await ao.request({
    path: "/~process@1.0/schedule", method: "POST", type: "Process", device: "process@1.0",
    "execution-device": "counter@1.0", "scheduler-device": "scheduler@1.0",
    nonce: String(Date.now()),
  })
  const pid = spawned.process
  out.process = pid
  out.slots = []
  for (const amount of ["2", "3"]) {
    const res = await ao.request({ path: `/${pid}/schedule`, method: "POST", target: pid,
                                   action: "add", amount })
    out.slots.push(Number(res.slot))
  }
  const pushed = await ao.request({ path: `/${pid}/push&slot+integer=2`, method: "POST",
                                    target: pid })
  out.pushStatus = Number(pushed.status ?? 200)

  // the high-level calls: spawn() POSTs a signed Type: Process message to /schedule (its
  // `device` tag names the process device), message() schedules to /<pid>/schedule and pushes
  // the slot, result() POSTs /<pid>/compute&slot+integer=N/results/json. Both sign `data` as a
  // header (httpsig@1.0 carries a message's data in the body): the node checks that
  // signature against the `data` key itself.
  // The process is an AO JSON process (wasi@1.0, json-iface@1.0, wasm64@1.0 over the image
  // MODULE_ID): its device-stack is a list, sent as a header typed by an `ao-types` tag
  // (tags are text), as httpsig@1.0 itself writes typed values.
  const hlPid = await ao.spawn({
    module: MODULE_ID, scheduler: out.operator, data: "counter",
    tags: [{ name: "Device", value: "process@1.0" },
           { name: "Execution-Device", value: "stack@1.0" },
           { name: "Device-Stack", value: '"wasi@1.0", "json-iface@1.0", "wasm64@1.0"' },
           { name: "ao-types", value: 'device-stack="list"' },
           { name: "Image", value: MODULE_ID }],
  })
  out.spawned = hlPid
  out.messaged = []
  for (const amount of ["4", "5"]) {
    out.messaged.push(await ao.message({ process: hlPid, data: "adding " + amount,
                                        tags: [{ name: "Action", value: "add" },
                                               { name: "Amount", value: amount }] }))
  }
  out.result = await ao.result({ process: hlPid, message: out.messaged[1] })

  const computed = await ao.request({ path: `/${pid}/compute&slot+integer=2`, method: "GET" })
  out.computeStatus = computed.status ?? 200
  out.count = computed.count ?? computed.body?.count ?? null
  const slot = await ao.request({ path: `/${pid}/slot`, method: "GET" })
  out.slot = slot.current ?? null
  const info = await ao.request({ path: "/~meta@1.0/info", method: "GET" })
  out.nodeName = info["node-name"] ?? null

  console.log(JSON.stringify(out))
}

main().catch(e => { console.error(e && e.stack || e); process.exit(1) })
