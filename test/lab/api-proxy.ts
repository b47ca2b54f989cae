// Run by `node` inside a lab namespace: forwards TCP connections on
// ADDRESS:PORT to a UNIX socket. The fake API server runs in the test process
// (so tests can change and inspect its state directly) and listens on a UNIX
// socket, which every namespace can reach through the file system; agents in
// their namespaces reach it over TCP through this proxy, as they would reach
// a real API server. Prints {"listening": true} once ready.
import { connect, createServer } from "node:net";

const [address, portText, socketPath] = process.argv.slice(2);
if (!address || !portText || !socketPath) {
  process.stderr.write("usage: api-proxy ADDRESS PORT SOCKET\n");
  process.exit(2);
}

const server = createServer((client) => {
  const upstream = connect(socketPath);
  client.pipe(upstream);
  upstream.pipe(client);
  // Either side failing ends both: the agent then sees a broken connection, as in a real outage.
  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on("error", end);
  upstream.on("error", end);
  client.on("close", end);
  upstream.on("close", end);
});
server.listen(Number(portText), address, () => {
  process.stdout.write(`${JSON.stringify({ listening: true })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
