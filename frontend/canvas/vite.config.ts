import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The build is served by Streamlit from workbench/apps/ui/canvas/static (relative asset paths: the iframe lives under
// /component/<name>/), and is never committed: `make install` builds it from this source.
export default defineConfig({
  base: "./",
  plugins: [react()],
  build: {
    outDir: "../../workbench/apps/ui/canvas/static",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
  },
  server: { port: 3001, strictPort: true },
});
