// Types for a direct `import … from '…/js/index.mjs'`; the declarations live in index.d.ts.
export * from './index.js';
