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
  server: { proxy: { '/v1': api, '/admin': api } },
  // `vite preview` serves the build as the API binary does (same CSP), so
  // the browser tests can run against dist/ without rebuilding Go.
  preview: {
    proxy: { '/v1': api, '/admin': api },
    headers: {
      'Content-Security-Policy':
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    },
  },
});
