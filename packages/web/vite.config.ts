/**
 * @module vite.config
 * Builds the web app into `dist/`, which the Lucid server serves. In development the dev server
 * proxies the API, the git server and the health check to a Lucid server on port 3000.
 */
import { defineConfig, type ProxyOptions } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';

const target = 'http://localhost:3000';

/** better-auth accepts requests only from its own origin, so the proxy presents that origin. */
const toServer: ProxyOptions = {
  target,
  changeOrigin: true,
  configure: (proxy) => {
    proxy.on('proxyReq', (proxyReq) => {
      if (proxyReq.getHeader('origin')) proxyReq.setHeader('origin', target);
    });
  },
};

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: { '/api': toServer, '/git': toServer, '/healthz': toServer },
  },
});
