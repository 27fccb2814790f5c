// One block on the canvas: title, a row per port (handle id = port name, coloured by kind, "name · kind label"),
// a problems badge, a red marker on required inputs left empty, and delete/duplicate buttons when selected.
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo, useContext } from "react";
import { CanvasContext } from "./context";
import type { PortNode as PortNodeType } from "./rules";
import { fill } from "./rules";

const FALLBACK_COLOR = "#6b7280";

// Inline icons: no icon font or glyph that the browser might lack.
const CopyIcon = () => (
  <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.6">
    <rect x="5" y="5" width="9" height="9" rx="1.5" /><path d="M11 5V3.5A1.5 1.5 0 0 0 9.5 2h-6A1.5 1.5 0 0 0 2 3.5v6A1.5 1.5 0 0 0 3.5 11H5" />
  </svg>
);
const TrashIcon = () => (
  <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.6">
    <path d="M2.5 4h11M6 4V2.5h4V4M4 4l.7 9.5h6.6L12 4M6.8 6.5v5M9.2 6.5v5" />
  </svg>
);

function PortNodeView({ id, data, selected }: NodeProps<PortNodeType>) {
  const ctx = useContext(CanvasContext);
  if (!ctx) return null;
  const { kinds, text, fed, onDelete, onDuplicate } = ctx;
  const style = (kind: string) => kinds[kind] ?? { color: FALLBACK_COLOR, label: kind };
  const badge = data.problems > 0 && (
    <span className="wb-badge" data-testid="node-problems"
          title={text.problems ? fill(text.problems, { count: String(data.problems) }) : undefined}>
      {data.problems}
    </span>
  );
  return (
    <div className={`wb-node wb-cat-${data.category}${selected ? " wb-selected" : ""}`}>
      <div className="wb-head">
        <span className="wb-title" title={data.type}>{data.title}</span>
        {badge}
      </div>
      <div className="wb-type">{data.type}</div>
      {data.inputs.map((port) => {
        const { color, label } = style(port.kind);
        const missing = !fed.has(`${id}.${port.name}`) && (port.missing || port.required);
        return (
          <div key={`in-${port.name}`} className={`wb-port wb-in${missing ? " wb-missing" : ""}`}>
            <Handle type="target" position={Position.Left} id={port.name} className={port.many ? "wb-many" : ""}
                    style={{ background: color }} data-port={port.name} data-side="in" data-kind={port.kind} />
            <span className="wb-dot" style={{ background: color }} />
            <span className="wb-label">{port.name} · {label}</span>
            {missing && <span className="wb-missing-text" data-testid="port-missing">{text.missing}</span>}
          </div>
        );
      })}
      {data.outputs.map((port) => {
        const { color, label } = style(port.kind);
        return (
          <div key={`out-${port.name}`} className="wb-port wb-out">
            <span className="wb-label">{port.name} · {label}</span>
            <span className="wb-dot" style={{ background: color }} />
            <Handle type="source" position={Position.Right} id={port.name}
                    style={{ background: color }} data-port={port.name} data-side="out" data-kind={port.kind} />
          </div>
        );
      })}
      {selected && (
        <div className="wb-tools nodrag">
          <button type="button" data-testid="node-duplicate" title={text.duplicate} aria-label={text.duplicate}
                  onClick={() => onDuplicate(id)}><CopyIcon /></button>
          <button type="button" data-testid="node-delete" title={text.delete} aria-label={text.delete}
                  onClick={() => onDelete(id)}><TrashIcon /></button>
        </div>
      )}
    </div>
  );
}

export const PortNode = memo(PortNodeView);
