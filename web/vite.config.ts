import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The dev server proxies the API to a running `quizflow dev` (QUIZFLOW_API,
// default http://localhost:8080); `vite build` writes dist/ for go:embed.
const api = process.env.QUIZFLOW_API || 'http://localhost:8080';

export default defineConfig({
  plugins: [preact({ devToolsInProd: false, prerender: { enabled: false } })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // The strict CSP forbids inline scripts; never inline the module preload polyfill.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2020',
  },
  server: {
    proxy: {
      '/v1': { target: api, changeOrigin: false },
      '/admin': { target: api },
    },
  },
});
