// The flow: shows Python's view, keeps local edits between reruns of the same draft and revision, refuses wrong drops
// at once, and reports every user action to Python as a full snapshot of the canvas (see protocol.ts).
import {
  Background, Controls, ReactFlow, ReactFlowProvider, addEdge, useEdgesState, useNodesInitialized, useNodesState,
  useReactFlow, type Connection, type Edge, type FinalConnectionState, type IsValidConnection, type OnDelete,
  type OnNodeDrag, type OnSelectionChangeFunc,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { sendReply } from "./bridge";
import { CanvasContext } from "./context";
import { BLOCK_MIME, Palette } from "./Palette";
import { PortNode } from "./PortNode";
import type { Action, Added, KindStyle, Refusal, View, ViewEdge } from "./protocol";
import { edgeId, fedInputs, fill, judge, type PortNode as PortNodeType, type Wire } from "./rules";

const nodeTypes = { port: PortNode };
const REFUSAL_SHOWN_MS = 5000;

function toNodes(view: View): PortNodeType[] {
  return view.nodes.map((n) => ({
    id: n.id, type: "port", position: { x: n.x, y: n.y }, data: n, selected: n.id === view.selected,
  }));
}

function styled(wire: Wire, nodes: PortNodeType[], kinds: Record<string, KindStyle>): Edge {
  const kind = nodes.find((n) => n.id === wire.source)?.data.outputs.find((p) => p.name === wire.sourceHandle)?.kind;
  const color = (kind && kinds[kind]?.color) || "#6b7280";
  return { ...wire, id: edgeId(wire), style: { stroke: color, strokeWidth: 2.5 } };
}

function wireOf(e: Edge | Connection): Wire {
  return { source: e.source, sourceHandle: e.sourceHandle ?? "", target: e.target, targetHandle: e.targetHandle ?? "" };
}

const round = (v: number) => Math.round(v * 10) / 10;

interface Snapshot {
  nodes?: PortNodeType[];
  edges?: Edge[];
  target?: string | null;
  refused?: Refusal | null;
  added?: Added | null;
}

function Flow({ view }: { view: View }) {
  const [nodes, setNodes, onNodesChange] = useNodesState<PortNodeType>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const [fitPending, setFitPending] = useState(false);
  const [refusal, setRefusal] = useState<{ message: string; nonce: number } | null>(null);
  const { fitView, deleteElements, screenToFlowPosition } = useReactFlow();
  const initialized = useNodesInitialized();
  const nodesRef = useRef(nodes);
  const edgesRef = useRef(edges);
  const viewRef = useRef(view);
  nodesRef.current = nodes;
  edgesRef.current = edges;
  viewRef.current = view;
  // The drawing on screen: a view with another draft or revision replaces it (see protocol.ts).
  const shown = useRef<{ draft: string | null; revision: number | null; selected: string | null }>(
    { draft: null, revision: null, selected: null });
  const selectedRef = useRef<string | null>(null); // the selection Python last heard about
  const dragStart = useRef(new Map<string, { x: number; y: number }>());

  useEffect(() => {
    if (shown.current.draft !== view.draft || shown.current.revision !== view.revision) { // replace everything local
      shown.current = { draft: view.draft, revision: view.revision, selected: view.selected };
      selectedRef.current = view.selected;
      const fresh = toNodes(view);
      setNodes(fresh);
      setEdges(view.edges.map((e) => styled(wireOf(e as Edge), fresh, view.kinds)));
      setFitPending(true);
      return;
    }
    const byId = new Map(view.nodes.map((n) => [n.id, n])); // same revision: refresh labels/badges, keep positions
    const selectionChanged = view.selected !== shown.current.selected;
    shown.current.selected = view.selected;
    if (selectionChanged) selectedRef.current = view.selected;
    setNodes((ns) => ns.map((n) => ({
      ...n, data: byId.get(n.id) ?? n.data, selected: selectionChanged ? n.id === view.selected : n.selected,
    })));
  }, [view, setNodes, setEdges]);

  useEffect(() => {
    if (fitPending && initialized) {
      fitView({ padding: 0.15, maxZoom: 1, minZoom: 0.55 }); // readable text first; the user pans to see more
      setFitPending(false);
    }
  }, [fitPending, initialized, fitView]);

  useEffect(() => {
    if (!refusal) return;
    const timer = setTimeout(() => setRefusal(null), REFUSAL_SHOWN_MS);
    return () => clearTimeout(timer);
  }, [refusal]);

  const reply = useCallback((action: Action, snap: Snapshot = {}) => {
    const ns = snap.nodes ?? nodesRef.current;
    const es = snap.edges ?? edgesRef.current;
    sendReply({
      draft: shown.current.draft ?? viewRef.current.draft,
      revision: shown.current.revision ?? viewRef.current.revision,
      action,
      positions: Object.fromEntries(ns.map((n) => [n.id, [round(n.position.x), round(n.position.y)]])),
      edges: es.map((e): ViewEdge => wireOf(e)),
      nodes: ns.map((n) => n.id),
      selected: selectedRef.current,
      target: snap.target ?? null,
      refused: snap.refused ?? null,
      added: snap.added ?? null,
    });
  }, []);

  const onAdd = useCallback((type: string) => reply("add", { added: { type, x: null, y: null } }), [reply]);

  const onDragOver = useCallback((event: DragEvent) => {
    if (!event.dataTransfer.types.includes(BLOCK_MIME)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
  }, []);

  const onDrop = useCallback((event: DragEvent) => {
    const type = event.dataTransfer.getData(BLOCK_MIME);
    if (!type) return;
    event.preventDefault();
    const at = screenToFlowPosition({ x: event.clientX, y: event.clientY });
    reply("add", { added: { type, x: Math.round(at.x), y: Math.round(at.y) } });
  }, [reply, screenToFlowPosition]);

  const isValidConnection: IsValidConnection = useCallback(
    (c) => judge(wireOf(c), nodesRef.current, edgesRef.current, viewRef.current.fits).ok, []);

  const onConnect = useCallback((c: Connection) => {
    const next = addEdge(styled(wireOf(c), nodesRef.current, viewRef.current.kinds), edgesRef.current);
    setEdges(next);
    reply("connect", { edges: next, target: c.target });
  }, [reply, setEdges]);

  const onConnectEnd = useCallback((_: MouseEvent | TouchEvent, state: FinalConnectionState) => {
    const { fromHandle, toHandle } = state;
    if (state.isValid || !fromHandle || !toHandle || fromHandle.type === toHandle.type) return;
    const [out, inp] = fromHandle.type === "source" ? [fromHandle, toHandle] : [toHandle, fromHandle];
    const wire = { source: out.nodeId, sourceHandle: out.id ?? "", target: inp.nodeId, targetHandle: inp.id ?? "" };
    const verdict = judge(wire, nodesRef.current, edgesRef.current, viewRef.current.fits);
    if (verdict.ok || (verdict.reason !== "kind" && verdict.reason !== "taken")) return;
    const { kinds, text } = viewRef.current;
    const label = (kind = "") => kinds[kind]?.label ?? kind;
    const message = verdict.reason === "kind"
      ? fill(text.refused, { source_kind: label(verdict.sourceKind), target_kind: label(verdict.targetKind) })
      : fill(text.taken, { port: wire.targetHandle });
    setRefusal({ message, nonce: Date.now() });
    reply("refused", {
      target: wire.target,
      refused: {
        source: `${wire.source}.${wire.sourceHandle}`, target: `${wire.target}.${wire.targetHandle}`,
        source_kind: verdict.sourceKind ?? "", target_kind: verdict.targetKind ?? "", reason: verdict.reason,
      },
    });
  }, [reply]);

  const onDelete: OnDelete<PortNodeType, Edge> = useCallback(({ nodes: gone, edges: cut }) => {
    const goneIds = new Set(gone.map((n) => n.id));
    const cutIds = new Set(cut.map((e) => e.id));
    const ns = nodesRef.current.filter((n) => !goneIds.has(n.id));
    const es = edgesRef.current.filter((e) => !cutIds.has(e.id) && !goneIds.has(e.source) && !goneIds.has(e.target));
    if (selectedRef.current && goneIds.has(selectedRef.current)) selectedRef.current = null;
    if (gone.length) reply("delete", { nodes: ns, edges: es, target: gone[0].id });
    else if (cut.length) reply("disconnect", { nodes: ns, edges: es, target: cut[0].target });
  }, [reply]);

  const onSelectionChange: OnSelectionChangeFunc = useCallback(({ nodes: picked }) => {
    const id = picked[0]?.id ?? null;
    if (id === selectedRef.current) return;
    selectedRef.current = id;
    reply("select", { target: id });
  }, [reply]);

  const onNodeDragStart: OnNodeDrag<PortNodeType> = useCallback(() => {
    dragStart.current = new Map(nodesRef.current.map((n) => [n.id, { ...n.position }]));
  }, []);

  const onNodeDragStop: OnNodeDrag<PortNodeType> = useCallback((_, __, dragged) => {
    const moved = new Map(dragged.map((n) => [n.id, n.position]));
    const changed = dragged.some((n) => {
      const before = dragStart.current.get(n.id);
      return !before || before.x !== n.position.x || before.y !== n.position.y;
    });
    if (!changed) return;
    const ns = nodesRef.current.map((n) => (moved.has(n.id) ? { ...n, position: moved.get(n.id)! } : n));
    reply("move", { nodes: ns });
  }, [reply]);

  const context = useMemo(() => ({
    kinds: view.kinds,
    text: view.text,
    fed: fedInputs(edges),
    onDelete: (id: string) => void deleteElements({ nodes: [{ id }] }),
    onDuplicate: (id: string) => reply("duplicate", { target: id }),
  }), [view.kinds, view.text, edges, deleteElements, reply]);

  return (
    <CanvasContext.Provider value={context}>
      <div className="wb-shell" style={{ height: view.height }}>
        {view.palette && view.palette.length > 0 && (
          <Palette groups={view.palette} title={view.text.palette ?? ""} search={view.text.search ?? ""}
                   hint={view.text.palette_hint ?? ""} onAdd={onAdd} />
        )}
        <div className="wb-canvas" style={{ height: view.height }} onDragOver={onDragOver} onDrop={onDrop}>
          <ReactFlow<PortNodeType, Edge>
            nodes={nodes} edges={edges} nodeTypes={nodeTypes}
            onNodesChange={onNodesChange} onEdgesChange={onEdgesChange}
            onConnect={onConnect} onConnectEnd={onConnectEnd} isValidConnection={isValidConnection}
            onDelete={onDelete} onSelectionChange={onSelectionChange}
            onNodeDragStart={onNodeDragStart} onNodeDragStop={onNodeDragStop}
            deleteKeyCode={["Delete", "Backspace"]} multiSelectionKeyCode={null} selectionKeyCode={null}
            connectionRadius={24} minZoom={0.2} maxZoom={2} proOptions={{ hideAttribution: true }}
          >
            <Background gap={20} size={1.5} color="#cbd5e1" />
            <Controls showInteractive={false} />
          </ReactFlow>
          {nodes.length === 0 && <div className="wb-empty">{view.text.empty}</div>}
          {refusal && (
            <div key={refusal.nonce} className="wb-refusal" data-testid="canvas-refusal" role="alert">
              {refusal.message}
            </div>
          )}
        </div>
      </div>
    </CanvasContext.Provider>
  );
}

export function Canvas({ view }: { view: View }) {
  return (
    <ReactFlowProvider>
      <Flow view={view} />
    </ReactFlowProvider>
  );
}
