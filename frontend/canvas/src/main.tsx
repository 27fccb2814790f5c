import "@xyflow/react/dist/style.css";
import "./canvas.css";
import { StrictMode, useEffect } from "react";
import { createRoot } from "react-dom/client";
import { setFrameHeight, useStreamlitView } from "./bridge";
import { Canvas } from "./Canvas";

function App() {
  const view = useStreamlitView();
  const height = view?.height ?? 0;
  useEffect(() => setFrameHeight(height), [height]);
  return view ? <Canvas view={view} /> : null;
}

createRoot(document.getElementById("root")!).render(<StrictMode><App /></StrictMode>);
