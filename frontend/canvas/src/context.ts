// What every node renderer needs from the canvas besides its own data: kind styles, texts, fed inputs, actions.
import { createContext } from "react";
import type { CanvasText, KindStyle } from "./protocol";

export interface CanvasContextValue {
  kinds: Record<string, KindStyle>;
  text: CanvasText;
  fed: Set<string>;
  onDelete: (nodeId: string) => void;
  onDuplicate: (nodeId: string) => void;
}

export const CanvasContext = createContext<CanvasContextValue | null>(null);
