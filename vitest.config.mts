import { defineConfig } from 'vitest/config';

// Unit tests of the labextension (node, no browser): state, API, and the form pieces
// rendered by react-jsonschema-form to static markup.
export default defineConfig({
  test: {
    include: ['labextension/test/**/*.test.{ts,tsx}'],
    environment: 'node'
  }
});
