// Vite: the `?url` suffix turns the .wasm into an emitted asset and gives its URL.
import wasmUrl from 'talk-call-rules/talk_call_rules_bg.wasm?url';
import { init, evaluate, allowedActions, isOutcome, lastLoadError, version } from 'talk-call-rules';
import { decideAll, publish } from '../../scenario.js';

publish(decideAll({ init, evaluate, allowedActions, isOutcome, lastLoadError, version }, wasmUrl));
