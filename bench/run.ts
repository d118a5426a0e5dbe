/**
 * Speed and memory figures, outside `npm test`: `npm run bench` runs every bench file,
 * `npm run bench -- NAME…` only those. Each bench/<name>.ts exports `bench()`, which
 * prints its own figures.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));

async function main(): Promise<void> {
  const all = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f !== "run.ts")
    .map((f) => f.replace(/\.ts$/, ""))
    .sort();
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !all.includes(w));
  if (unknown.length > 0) throw new Error(`no bench named ${unknown.join(", ")}; there are: ${all.join(", ")}`);
  for (const name of wanted.length > 0 ? wanted : all) {
    process.stdout.write(`\n== ${name}\n`);
    const module: { bench?: () => Promise<void> } = await import(`./${name}.ts`);
    if (!module.bench) throw new Error(`bench/${name}.ts exports no bench()`);
    await module.bench();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
