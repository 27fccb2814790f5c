// The fixed contract between Python and the canvas (see workbench/apps/ui/canvas/__init__.py). The canvas knows nothing
// about pipelines beyond these shapes: kinds, what fits what, and the translated texts all come from Python.

export interface InputPort {
  name: string;
  kind: string;
  required: boolean;
  many: boolean;
  missing: boolean;
}

export interface OutputPort {
  name: string;
  kind: string;
}

// A type alias, not an interface: React Flow wants node data indexable as Record<string, unknown>.
export type ViewNode = {
  id: string;
  type: string;
  title: string;
  category: string;
  x: number;
  y: number;
  inputs: InputPort[];
  outputs: OutputPort[];
  problems: number;
  is_source: boolean;
};

export interface ViewEdge {
  id?: string;
  source: string;
  sourceHandle: string;
  target: string;
  targetHandle: string;
}

export interface KindStyle {
  color: string;
  label: string;
}

export interface CanvasText {
  refused: string;
  taken: string;
  missing: string;
  delete: string;
  duplicate: string;
  empty: string;
  problems?: string;
  palette?: string;
  search?: string;
  palette_hint?: string;
}

// One block the palette offers; `search` holds every word a search may match (all languages, lower case).
export interface PaletteBlock {
  type: string;
  title: string;
  description: string;
  search: string;
}

export interface PaletteGroup {
  category: string;
  label: string;
  blocks: PaletteBlock[];
}

export interface View {
  draft: string; // which open pipeline this is (new for every opened draft)
  revision: number; // grows within one draft; (draft, revision) identifies one drawing of the graph
  nodes: ViewNode[];
  edges: ViewEdge[];
  selected: string | null;
  kinds: Record<string, KindStyle>;
  fits: Record<string, string[]>;
  text: CanvasText;
  height: number;
  palette?: PaletteGroup[]; // blocks to drag onto the canvas (or click): an "add" reply
}

export type Action = "move" | "connect" | "disconnect" | "delete" | "select" | "duplicate" | "refused" | "add";

// A block dropped from the palette (x, y in flow coordinates), or clicked (no position: Python places it).
export interface Added {
  type: string;
  x: number | null;
  y: number | null;
}

export interface Refusal {
  source: string;
  target: string;
  source_kind: string;
  target_kind: string;
  reason: "kind" | "taken";
}

export interface Reply {
  seq: number;
  draft: string; // the view.draft the canvas is showing: Python applies a reply only to that draft
  revision: number;
  action: Action;
  positions: Record<string, [number, number]>;
  edges: ViewEdge[];
  nodes: string[];
  selected: string | null;
  target: string | null;
  refused: Refusal | null;
  added: Added | null;
}
