import { defineConfig } from "vitest/config";

// The UI is served by the app itself (Tauri's custom protocol) from dist/; `make dev` uses the
// dev server on the port tauri.conf.json names.
export default defineConfig({
  server: { port: 5173, strictPort: true },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022" },
  test: { environment: "node" },
});
