// A plain production build; the .wasm is emitted as an asset (never inlined: it is far above the
// inline limit) and the bundle is served from the site root.
export default {
	logLevel: 'warn',
	build: { outDir: 'dist', emptyOutDir: true, reportCompressedSize: false },
};
