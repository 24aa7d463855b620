/** The API's photo filters (viewfinder/media/photos.py FILTERS) with a CSS `filter:` approximation
 * for the live preview; the server bakes the real one into every rendition. */

export type FilterName = "normal" | "clarendon" | "gingham" | "moon" | "lark" | "reyes" | "juno" | "slumber" | "crema";

export type Filter = { name: FilterName; label: string; css: string };

export const FILTERS: readonly Filter[] = [
  { name: "normal", label: "Normal", css: "none" },
  { name: "clarendon", label: "Clarendon", css: "saturate(1.35) contrast(1.2)" },
  { name: "gingham", label: "Gingham", css: "saturate(0.9) contrast(0.85) brightness(1.06)" },
  { name: "moon", label: "Moon", css: "grayscale(1) contrast(1.15)" },
  { name: "lark", label: "Lark", css: "saturate(0.85) brightness(1.07)" },
  { name: "reyes", label: "Reyes", css: "saturate(0.7) contrast(0.8) brightness(1.08)" },
  { name: "juno", label: "Juno", css: "saturate(1.2) sepia(0.12)" },
  { name: "slumber", label: "Slumber", css: "saturate(0.55) brightness(0.92) sepia(0.05)" },
  { name: "crema", label: "Crema", css: "saturate(0.8) sepia(0.18)" },
];

export function filterCss(name: FilterName): string {
  return FILTERS.find((filter) => filter.name === name)?.css ?? "none";
}
