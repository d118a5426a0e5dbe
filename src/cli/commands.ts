/**
 * tabtune's subcommands: the help text the main command shows for each, and the module that
 * runs it, loaded only when that subcommand is typed (so `tabtune --help` and the graph's
 * runs never load the others).
 */

/** Help text the main command shows after its own flags, one entry per subcommand. */
export const SUBCOMMANDS_HELP = [
  `
Commands:
  tabtune apply --script <run>/scripts/prepare_data.js --csv new.csv --out new.json [--policies <run>/imputation/policies.json]
                           run approved prep code (and the run's imputation) on new data (tabtune apply --help)`,
  `
  tabtune lineage <output-dir | run-dir> [--verify]
                           print every artifact of every run (or of one run) with its SHA-256 and what it came from;
                           --verify re-hashes them and fails naming any changed file`,
  `
  tabtune predict --run <output>/run_<id> --csv new.csv [--out predictions.csv] [--predict-endpoint URL]
                           score new rows with a finished run's model (its saved baseline, adapter, or a served model);
                           one output row per input row (tabtune predict --help)`,
  `
  tabtune export --run <output>/run_<id> --out <dir>
                           bundle what the run's model needs (prep script, imputation, baseline, configs, model card,
                           lineage, adapter hashes) so that tabtune predict --run <dir> works from it alone`,
].join("");

/** Each subcommand's entry point (`argv` after the subcommand's name; resolves to the exit code). */
export const SUBCOMMANDS: Record<string, () => Promise<(argv: string[]) => Promise<number>>> = {
  apply: async () => (await import("./apply.js")).applyMain,
  lineage: async () => (await import("./lineage.js")).lineageMain,
  predict: async () => (await import("./predict.js")).predictMain,
  export: async () => (await import("./export.js")).exportMain,
};
