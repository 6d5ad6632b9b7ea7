import { defineConfig } from 'vitest/config';

// Unit tests of the labextension's state and API layers (node, no browser).
export default defineConfig({
  test: {
    include: ['labextension/test/**/*.test.ts'],
    environment: 'node'
  }
});
