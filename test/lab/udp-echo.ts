// Run by `node` inside a pod's namespace. `listen ADDRESS PORT`: answers each
// datagram with the source address it saw, as JSON. `ask ADDRESS PORT`:
// sends one datagram and prints the answer. The proof of no NAT: the address
// the server saw is the client pod's own.
import { createSocket } from "node:dgram";
import { isIPv6 } from "node:net";

const [mode, address, portText] = process.argv.slice(2);
if ((mode !== "listen" && mode !== "ask") || !address || !portText) {
  process.stderr.write("usage: udp-echo listen|ask ADDRESS PORT\n");
  process.exit(2);
}
const port = Number(portText);
const socket = createSocket(isIPv6(address) ? "udp6" : "udp4");

if (mode === "listen") {
  socket.on("message", (_msg, rinfo) => {
    socket.send(JSON.stringify({ sawSource: rinfo.address }), rinfo.port, rinfo.address);
  });
  socket.bind(port, address, () => process.stdout.write(`${JSON.stringify({ listening: true })}\n`));
  process.on("SIGTERM", () => process.exit(0));
} else {
  const timer = setTimeout(() => {
    process.stderr.write("no answer within 3 s\n");
    process.exit(1);
  }, 3000);
  socket.on("message", (msg) => {
    clearTimeout(timer);
    process.stdout.write(`${msg.toString()}\n`);
    socket.close();
  });
  socket.send("who am I", port, address);
}
