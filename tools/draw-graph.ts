/** Prints the graph as Mermaid (the README embeds this output): `npm run graph`. */
import { graph } from "../src/graph.js";

graph
  .getGraphAsync()
  .then((g) => process.stdout.write(g.drawMermaid() + "\n"))
  .catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exitCode = 1;
  });
