// The Streamlit side of the iframe, through the official streamlit-component-lib (its `Streamlit` object only: the
// library's React helpers are written for React 16, so they are not imported).
import { useEffect, useState } from "react";
import { Streamlit } from "streamlit-component-lib/dist/streamlit";
import type { Reply, View } from "./protocol";

interface RenderEvent extends Event {
  detail: { args: { view?: View } };
}

/** The latest `view` argument Streamlit rendered the component with (null until the first render). */
export function useStreamlitView(): View | null {
  const [view, setView] = useState<View | null>(null);
  useEffect(() => {
    const onRender = (event: Event) => setView((event as RenderEvent).detail.args.view ?? null);
    Streamlit.events.addEventListener(Streamlit.RENDER_EVENT, onRender);
    Streamlit.setComponentReady();
    return () => Streamlit.events.removeEventListener(Streamlit.RENDER_EVENT, onRender);
  }, []);
  return view;
}

export function setFrameHeight(height: number): void {
  Streamlit.setFrameHeight(height);
}

let lastSeq = 0;

/** Send one reply to Python; `seq` grows even across reloads of the iframe (it starts from the clock). */
export function sendReply(reply: Omit<Reply, "seq">): void {
  lastSeq = Math.max(lastSeq + 1, Date.now());
  Streamlit.setComponentValue({ seq: lastSeq, ...reply });
}
