/**
 * The prelude's text ops (harness.ts's module comment has the protocol), as source text
 * spliced into PRELUDE_SOURCE's closure: CSV cells in as one joined string, and answers
 * that are the lines the host writes (prep: cleaned rows and records; renderLines:
 * records). They use the prelude's captured built-ins and helpers by name.
 */

/** Source of cellRowsOf, streamOfCells, prep and renderLines, for PRELUDE_SOURCE. */
export const TEXT_OPS_SOURCE = `  /**
   * Objects of a batch of CSV cells sent as text: the header's JSON, the cells joined by
   * CELL_SEPARATOR (the host sends no cell that holds it), the flat indices of the null
   * cells, and the row count. Each row's Math.random stream is keyed as if it had come
   * as [shape, value, …] (streamOfCells), so both encodings give a row the same numbers.
   */
  let cellKeys = [];
  let cellValues = [];
  const splitText = StringCtor.prototype.split;

  function cellRowsOf(headerJson, cellsText, nullsJson, count) {
    const keys = parse(headerJson);
    const width = keys.length;
    const values = width === 0 || count === 0 ? [] : reflectApply(splitText, cellsText, [CELL_SEPARATOR]);
    if (values.length !== width * count) throw new RangeErrorCtor("the batch holds " + values.length + " cells, not " + count + " rows of " + width);
    const nulls = parse(nullsJson);
    for (let j = 0; j < nulls.length; j++) values[nulls[j]] = null;
    const make = makerOf(keys);
    const out = [];
    for (let i = 0; i < count; i++) out[i] = make(values, i * width);
    cellKeys = keys;
    cellValues = values;
    return out;
  }

  function streamOfCells(op, i) {
    const width = cellKeys.length;
    startStream(op, cellKeys, cellValues, i * width, i * width + width);
  }

  /**
   * clean over a batch, then (withRender) render on a fresh object built from the values
   * just copied out of every kept row (exactly what the cleaned table holds: each value
   * read once). Answers the text answer of the module comment.
   */
  function prep(rows, streamOf, withRender) {
    startBatch();
    const cleaned = [];
    const ids = [];
    const kept = [];
    const keptIndex = [];
    for (let i = 0; i < rows.length; i++) {
      let result;
      streamOf("clean", i);
      try {
        result = cleanResult(fns.clean(rows[i], ctx));
      } catch (error) {
        return failure("clean", i, error);
      }
      if (result instanceof Invalid) return invalid("clean", i, result.text);
      cleaned[i] = result;
      if (result === null) ids[i] = -1;
      else {
        ids[i] = result[0];
        keptIndex[keptIndex.length] = i;
        kept[kept.length] = result;
      }
    }
    const makes = [];
    for (let s = 0; s < shapes.length; s++) makes[s] = makerOf(shapes[s]);
    const lines = [];
    const records = [];
    for (let k = 0; k < kept.length; k++) {
      const values = kept[k];
      const row = makes[values[0]](values, 1);
      lines[k] = stringify(row);
      if (!withRender) continue;
      let result;
      startStream("render", shapes[values[0]], values, 1, values.length);
      try {
        result = renderResult(fns.render(row, ctx));
      } catch (error) {
        return failure("render", keptIndex[k], error, makes[values[0]](values, 1));
      }
      if (result instanceof Invalid) return invalid("render", keptIndex[k], result.text, makes[values[0]](values, 1));
      records[k] = stringify({ instruction: result[0], input: result[1], output: result[2] });
    }
    const end = kept.length === 0 ? "" : "\\n";
    return stringify({ ok: true, shapes: shapes, ids: ids }) + "\\n" + joinText(lines, "\\n") + end + (withRender ? joinText(records, "\\n") + end : "");
  }

  /**
   * render over cleaned.jsonl lines sent as one text joined by "\\n", each parsed here
   * into a fresh object (a line that is no object renders {}, as the host's encoding did).
   * The row's Math.random stream is keyed by its keys and values, as in run. Answers
   * '{"ok":true}' and one record line (JSON.stringify of the record) per row.
   */
  function renderLines(linesText, count) {
    const lines = count === 0 ? [] : reflectApply(splitText, linesText, ["\\n"]);
    if (lines.length !== count) throw new RangeErrorCtor("the batch holds " + lines.length + " lines, not " + count);
    const records = [];
    for (let i = 0; i < count; i++) {
      let row;
      try {
        row = parse(lines[i]);
      } catch (error) {
        return failure("render", i, error);
      }
      if (typeof row !== "object" || row === null || isArray(row)) row = {};
      const keys = keysOf(row);
      const values = [0];
      for (let k = 0; k < keys.length; k++) values[k + 1] = row[keys[k]];
      startStream("render", keys, values, 1, values.length);
      let result;
      try {
        result = renderResult(fns.render(row, ctx));
      } catch (error) {
        return failure("render", i, error);
      }
      if (result instanceof Invalid) return invalid("render", i, result.text);
      records[i] = stringify({ instruction: result[0], input: result[1], output: result[2] });
    }
    return '{"ok":true}\\n' + joinText(records, "\\n") + (count === 0 ? "" : "\\n");
  }
`;
