// Start arlocal (npm) listening on 127.0.0.1 only: arlocal itself binds every interface.
// Usage, as arlocal's own: node arlocal-loopback.cjs PORT --dbpath FILE [--hidelogs]
const net = require("net");
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === "number" && typeof args[1] !== "string") args.splice(1, 0, "127.0.0.1");
  return listen.apply(this, args);
};
require("arlocal/bin/index.js");
