// Types for `talk-call-rules/talk_call_rules_bg.wasm`: what a bundler's URL-asset rule hands over
// (webpack/rspack `type: 'asset/resource'`, as spreed configures .wasm files): the URL of the
// emitted file, which `init()` takes. Vite's `…/talk_call_rules_bg.wasm?url` is typed by
// `vite/client`.
declare const wasmUrl: string;
export default wasmUrl;
