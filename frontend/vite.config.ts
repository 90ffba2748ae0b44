// Vite builds the dashboard into dist/ (served by the gateway at /); `npm run dev` proxies the API to a running
// `make up` gateway on :8000.
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

export default defineConfig({
  plugins: [preact()],
  build: { target: "es2022", assetsDir: "assets", sourcemap: false },
  server: { proxy: { "/api": { target: "http://127.0.0.1:8000", changeOrigin: false } } },
});
