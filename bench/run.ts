/**
 * Speed and memory figures, outside `npm test`: `npm run bench` runs every bench file,
 * `npm run bench -- NAME… [ARG…]` only those; words that name no bench are handed to each
 * chosen bench as arguments (`npm run bench -- pipeline 10k`). Each bench/<name>.ts exports
 * `bench(args)`, which prints its own figures; helpers live in bench/lib/.
 */
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));

async function main(): Promise<void> {
  const all = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && f !== "run.ts")
    .map((f) => f.replace(/\.ts$/, ""))
    .sort();
  const words = process.argv.slice(2);
  const wanted = words.filter((w) => all.includes(w));
  const args = words.filter((w) => !all.includes(w));
  if (wanted.length === 0 && args.length > 0) throw new Error(`no bench named ${args.join(", ")}; there are: ${all.join(", ")}`);
  for (const name of wanted.length > 0 ? wanted : all) {
    process.stdout.write(`\n== ${name}\n`);
    const module: { bench?: (args: string[]) => Promise<void> } = await import(`./${name}.ts`);
    if (!module.bench) throw new Error(`bench/${name}.ts exports no bench()`);
    await module.bench(args);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
