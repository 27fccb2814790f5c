// Connection rules: which drops the canvas accepts, and why it refuses the others. Pure functions, no React.
import type { Edge, Node } from "@xyflow/react";
import type { ViewNode } from "./protocol";

export type PortNode = Node<ViewNode, "port">;

export interface Wire {
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export type Verdict =
  | { ok: true }
  | { ok: false; reason: "kind" | "taken" | "loop" | "unknown"; sourceKind?: string; targetKind?: string };

/** Whether `wire` may be added to `edges`: the kinds fit, the input is free (unless many), no self-loop. */
export function judge(wire: Wire, nodes: PortNode[], edges: Edge[], fits: Record<string, string[]>): Verdict {
  const from = nodes.find((n) => n.id === wire.source)?.data.outputs.find((p) => p.name === wire.sourceHandle);
  const to = nodes.find((n) => n.id === wire.target)?.data.inputs.find((p) => p.name === wire.targetHandle);
  if (!from || !to) return { ok: false, reason: "unknown" };
  const kinds = { sourceKind: from.kind, targetKind: to.kind };
  if (!(fits[from.kind] ?? []).includes(to.kind)) return { ok: false, reason: "kind", ...kinds };
  if (wire.source === wire.target) return { ok: false, reason: "loop", ...kinds };
  const taken = edges.some((e) => e.target === wire.target && e.targetHandle === wire.targetHandle);
  if (taken && !to.many) return { ok: false, reason: "taken", ...kinds };
  return { ok: true };
}

/** The edge id Python uses: "src.image->det.image". */
export function edgeId(wire: Wire): string {
  return `${wire.source}.${wire.sourceHandle}->${wire.target}.${wire.targetHandle}`;
}

/** Fill `{name}` placeholders of a translated sentence; unknown placeholders stay as they are. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** "node.port" keys of the inputs that have at least one edge. */
export function fedInputs(edges: Edge[]): Set<string> {
  return new Set(edges.map((e) => `${e.target}.${e.targetHandle}`));
}
