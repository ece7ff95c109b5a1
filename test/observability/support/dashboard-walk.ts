/** Helpers to walk a generated Grafana dashboard (rows may be expanded or collapsed). */
export interface DashTarget {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
  instant?: boolean;
}

export interface DashPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: DashTarget[];
  panels?: DashPanel[];
  fieldConfig?: { defaults?: { unit?: string } };
}

export interface DashVariable {
  type: string;
  name: string;
  query?: unknown;
  datasource?: { type?: string; uid?: string };
}

export interface DashboardJson {
  uid?: string;
  title?: string;
  panels: DashPanel[];
  templating: { list: DashVariable[] };
}

export interface PlacedPanel {
  row: string;
  panel: DashPanel;
}

/** Every non-row panel with the title of the row it sits under. */
export function panelsByRow(d: DashboardJson): PlacedPanel[] {
  const out: PlacedPanel[] = [];
  let row = "";
  for (const p of d.panels) {
    if (p.type === "row") {
      row = p.title ?? "";
      for (const inner of p.panels ?? []) out.push({ row, panel: inner });
      continue;
    }
    out.push({ row, panel: p });
  }
  return out;
}

/** All panels including rows, for id checks. */
export function allPanels(d: DashboardJson): DashPanel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Replaces Grafana's variables the way Grafana would with "All" selected. */
export function substituteVariables(expr: string, rateInterval = "1m"): string {
  return expr
    .replaceAll("$__rate_interval", rateInterval)
    .replaceAll("$__interval", "30s")
    .replaceAll("$__range", "1h")
    .replace(/\$\{?(cluster|nodeclass|vnet|subnet)\}?/g, ".*");
}
