// A real AO client as aolab's peer: npm hbsig@0.1.5 signs httpsig@1.0 requests
// (`@path` in signature-input, "path": <value> in the signature base) and sends them to
// the aolab node at argv[2]; prints one JSON line of what it saw, checked by
// tests/test_http_clients.py. Usage: node hbsig_peer.cjs URL WALLET.json
const fs = require("fs")
const path = require("path")
const modules = process.env.AOLAB_NODE_MODULES
const { createSigner, send } = require(path.join(modules, "hbsig"))

async function main() {
  const [url, walletFile] = process.argv.slice(2)
  const jwk = JSON.parse(fs.readFileSync(walletFile, "utf8"))
  const sign = createSigner(jwk, url)
  const out = {}

  // GET the node message, signed (method GET: meta@1.0 answers, it does not update)
  // (send() answers { out: the decoded message, headers, body, status, ... })
  const info = await send(await sign({ path: "/~meta@1.0/info", method: "GET" }))
  out.info = { status: info.status, name: info.out["node-name"], address: info.out.address }

  // spawn: POST /~process@1.0/schedule with a type: Process message
  const spawn = await send(await sign({
    path: "/~process@1.0/schedule", method: "POST", type: "Process",
    device: "process@1.0", "execution-device": "counter@1.0",
    "scheduler-device": "scheduler@1.0", "nonce": String(Date.now()),
  }))
  const pid = spawn.headers.process
  out.spawn = { status: spawn.status, process: pid, slot: spawn.headers.slot }

  // schedule three messages: POST /<pid>~process@1.0/schedule and POST /<pid>/schedule
  out.slots = []
  for (const [i, route] of [`/${pid}~process@1.0/schedule`, `/${pid}/schedule`,
                            `/${pid}/schedule`].entries()) {
    const res = await send(await sign({
      path: route, method: "POST", target: pid, action: "add", amount: String(i + 1),
    }))
    out.slots.push(Number(res.headers.slot))
  }

  // compute: GET /<pid>/compute&slot+integer=N, and /<pid>/now
  const computed = await send(await sign({ path: `/${pid}/compute&slot+integer=3`, method: "GET" }))
  out.count = computed.out.count
  const now = await send(await sign({ path: `/${pid}/now`, method: "GET" }))
  out.nowSlot = now.out["at-slot"]

  // a tampered request must be refused
  const signed = await sign({ path: "/~meta@1.0/info", method: "GET", note: "honest" })
  signed.headers.note = "tampered"
  out.tampered = await send(signed).then(() => "accepted", e => e.message.slice(0, 3))

  console.log(JSON.stringify(out))
}

main().catch(e => { console.error(e && e.stack || e); process.exit(1) })
