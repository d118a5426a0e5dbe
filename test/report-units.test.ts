/** The report's pure parts: ROC points and HTML escaping. */
import { describe, expect, it } from "vitest";
import { escapeHtml, renderHtml } from "../src/report/document.js";
import { rocPoints } from "../src/report/roc.js";

describe("rocPoints", () => {
  it("matches sklearn's roc_curve(drop_intermediate=False)", () => {
    // sklearn 1.2.1: roc_curve([1,0,1,0], [0.9,0.8,0.4,0.1], drop_intermediate=False)
    // fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1]
    const points = rocPoints([true, false, true, false], [0.9, 0.8, 0.4, 0.1]);
    expect(points.map((p) => p.fpr)).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(points.map((p) => p.tpr)).toEqual([0, 0.5, 0.5, 1, 1]);
  });
  it("moves tied scores together and is empty without both classes", () => {
    expect(rocPoints([true, false], [0.5, 0.5])).toEqual([{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }]);
    expect(rocPoints([true, true], [0.1, 0.2])).toEqual([]);
  });
});

describe("report HTML", () => {
  it("escapes every text it is given", () => {
    expect(escapeHtml(`<script src="x">&'`)).toBe("&lt;script src=&quot;x&quot;&gt;&amp;&#39;");
    const html = renderHtml("<b>", [{ title: "<i>", blocks: [{ p: "<img src=http://x>" }, { table: { head: ["<th>"], rows: [["<td>"]] } }] }], "/tmp");
    expect(html).not.toMatch(/<img|<b>|<i>|<td><td>/);
  });
});
