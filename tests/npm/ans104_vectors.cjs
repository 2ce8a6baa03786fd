// ANS-104 data items with npm @dha-team/arbundles, for aolab's conformance tests.
//
//   node ans104_vectors.cjs make <wallet.json> <cases.json>   -> JSON lines: items made here
//   node ans104_vectors.cjs read <items.jsonl>                -> JSON lines: what arbundles reads
//
// <cases.json> is a list of {name, tags: [[name, value]...], data (base64), target, anchor}
// (target base64url, anchor_text a 32-character string, both optional).  Each output line of `make` holds the case, the
// item's bytes (base64), its ID and its signature data (deep hash, base64).  `read` takes
// lines with `raw` (base64) and prints {name, id, valid, owner, target, anchor, tags, data,
// signature_data}.
const fs = require("fs");
const { createData, ArweaveSigner, DataItem } = require("@dha-team/arbundles");

const b64 = (buf) => Buffer.from(buf).toString("base64");
const fromB64url = (s) => Buffer.from(s, "base64url");

async function make(walletPath, casesPath) {
  const signer = new ArweaveSigner(JSON.parse(fs.readFileSync(walletPath, "utf8")));
  for (const c of JSON.parse(fs.readFileSync(casesPath, "utf8"))) {
    const opts = { tags: c.tags.map(([name, value]) => ({ name, value })) };
    if (c.target) opts.target = c.target;
    if (c.anchor_text) opts.anchor = c.anchor_text;
    const item = createData(Buffer.from(c.data, "base64"), signer, opts);
    await item.sign(signer);
    const sigData = await item.getSignatureData();
    console.log(JSON.stringify({ ...c, raw: b64(item.getRaw()), id: item.id,
                                 signature_data: b64(sigData) }));
  }
}

async function read(itemsPath) {
  const lines = fs.readFileSync(itemsPath, "utf8").split("\n").filter((l) => l.trim());
  for (const line of lines) {
    const c = JSON.parse(line);
    const raw = Buffer.from(c.raw, "base64");
    let out = { name: c.name };
    try {
      const valid = await DataItem.verify(raw);
      const item = new DataItem(raw);
      out = { ...out, valid, id: item.id, owner: item.owner, target: item.target,
              anchor: item.anchor, tags: item.tags.map((t) => [t.name, t.value]),
              data: b64(item.rawData), signature_data: b64(await item.getSignatureData()) };
    } catch (err) {
      out = { ...out, valid: false, error: String(err) };
    }
    console.log(JSON.stringify(out));
  }
}

const [mode, ...args] = process.argv.slice(2);
(mode === "make" ? make(...args) : read(...args)).catch((err) => {
  console.error(err);
  process.exit(1);
});
