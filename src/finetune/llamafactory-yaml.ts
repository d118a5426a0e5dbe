/**
 * YAML text that LlamaFactory reads back with the same types we wrote.
 * LlamaFactory loads configs with PyYAML-style YAML 1.1 rules, which differ from the
 * `yaml` package's 1.2 default in two ways that bite: `1e-7` (no dot, no exponent sign)
 * is a string, and `no`/`on`/`yes` are booleans. So we stringify in 1.1 mode, which quotes
 * such strings, and write exponent floats as `1.0e-7`, which both dialects read as numbers.
 */
import { stringify } from "yaml";
import type { Tags } from "yaml";

const FLOAT_TAG = "tag:yaml.org,2002:float";

/**
 * A float in YAML 1.1 exponent form when JavaScript would print an exponent; else null.
 * @example yaml11Exponent(1e-7) // "1.0e-7"
 * @example yaml11Exponent(2e-5) // null (JavaScript prints 0.00002)
 */
export function yaml11Exponent(value: number): string | null {
  if (!Number.isFinite(value) || !/e/i.test(String(value))) return null;
  const [mantissa = "0", exponent = "0"] = value.toExponential().split("e");
  const dotted = mantissa.includes(".") ? mantissa : `${mantissa}.0`;
  const signed = exponent.startsWith("-") || exponent.startsWith("+") ? exponent : `+${exponent}`;
  return `${dotted}e${signed}`;
}

/** Wraps every float tag so exponent floats come out in YAML 1.1 form. */
function withYaml11Floats(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== "object" || tag.tag !== FLOAT_TAG || !("stringify" in tag) || !tag.stringify) return tag;
    const original = tag.stringify.bind(tag);
    return {
      ...tag,
      stringify: (item, ctx, onComment, onChompKeep) => {
        const value = (item as { value?: unknown }).value;
        const exponent = typeof value === "number" ? yaml11Exponent(value) : null;
        return exponent ?? original(item, ctx, onComment, onChompKeep);
      },
    };
  });
}

/** A flat config object as LlamaFactory YAML, keys in insertion order. */
export function toLlamaFactoryYaml(config: Record<string, string | number | boolean>): string {
  return stringify(config, { version: "1.1", customTags: withYaml11Floats, lineWidth: 0 });
}
