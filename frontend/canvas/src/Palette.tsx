// The blocks staff can put on the canvas, grouped by category and searchable; drag one onto the flow (or click it).
import { useState, type DragEvent } from "react";
import type { PaletteGroup } from "./protocol";

export const BLOCK_MIME = "application/x-workbench-block";

interface Props {
  groups: PaletteGroup[];
  title: string;
  search: string;
  hint: string;
  onAdd: (type: string) => void;
}

export function Palette({ groups, title, search, hint, onAdd }: Props) {
  const [query, setQuery] = useState("");
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = groups
    .map((g) => ({ ...g, blocks: g.blocks.filter((b) => words.every((w) => b.search.includes(w))) }))
    .filter((g) => g.blocks.length > 0);
  const onDragStart = (event: DragEvent<HTMLDivElement>, type: string) => {
    event.dataTransfer.setData(BLOCK_MIME, type);
    event.dataTransfer.effectAllowed = "move";
  };
  return (
    <aside className="wb-palette" data-testid="palette">
      <div className="wb-palette-title">{title}</div>
      <input className="wb-palette-search" type="search" placeholder={search} value={query}
             onChange={(e) => setQuery(e.target.value)} data-testid="palette-search" />
      <div className="wb-palette-hint">{hint}</div>
      {shown.map((group) => (
        <details key={group.category} open={words.length > 0 || group.category === "sources"}
                 className={`wb-palette-group wb-cat-${group.category}`}>
          <summary>{group.label}</summary>
          {group.blocks.map((block) => (
            <div key={block.type} className="wb-palette-item" draggable title={block.description}
                 data-testid={`palette-${block.type}`} onDragStart={(e) => onDragStart(e, block.type)}
                 onClick={() => onAdd(block.type)}>
              {block.title}
            </div>
          ))}
        </details>
      ))}
    </aside>
  );
}
