/// <reference types="vitest/config" />
import { readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import react from "@vitejs/plugin-react";
import { type Plugin, defineConfig } from "vite";

// `npm run dev` proxies the API and media to a `viewfinder serve` on :8000.
const backend = process.env.VIEWFINDER_URL ?? "http://127.0.0.1:8000";

/** Swagger UI for the API reference page (/api/viewfinder/v1/docs, viewfinder/web/docs.py): the
 * pinned `swagger-ui-dist` package's bundle and stylesheet, written into the build under api-docs/,
 * so the page loads nothing from another origin. Their source-map comments are dropped (no maps are
 * published). */
function apiReferenceAssets(): Plugin {
  const swaggerUi = path.resolve(import.meta.dirname, "node_modules/swagger-ui-dist");
  return {
    name: "viewfinder-api-reference-assets",
    apply: "build",
    generateBundle() {
      for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
        const source = readFileSync(path.join(swaggerUi, name), "utf8").replace(/\n?\/[/*]# sourceMappingURL=\S+/g, "");
        this.emitFile({ type: "asset", fileName: `api-docs/${name}`, source });
      }
    },
  };
}

/** Brotli and gzip copies of every text file of the build (name.br, name.gz), made once at build time
 * at the highest levels, so the server sends them to browsers that accept them without compressing
 * anything per request (viewfinder/web/app.py). Files under 1 KB are left alone. */
function precompressed(): Plugin {
  const text = /\.(js|mjs|css|html|svg|json|txt|webmanifest)$/;
  return {
    name: "viewfinder-precompressed",
    apply: "build",
    writeBundle(options, bundle) {
      const outDir = options.dir ?? "dist";
      for (const fileName of Object.keys(bundle)) {
        const file = path.join(outDir, fileName);
        if (!text.test(fileName) || statSync(file).size < 1024) continue;
        const source = readFileSync(file);
        const brotli = { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY };
        writeFileSync(`${file}.br`, brotliCompressSync(source, { params: brotli }));
        writeFileSync(`${file}.gz`, gzipSync(source, { level: 9 }));
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), apiReferenceAssets(), precompressed()],
  server: {
    host: "127.0.0.1",
    proxy: { "/api": backend, "/media": backend },
  },
  // No source maps: they would publish the app's whole source (viewfinder/web/app.py never serves
  // a .map either).
  build: { outDir: "dist", sourcemap: false },
  test: {
    environment: "jsdom",
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
