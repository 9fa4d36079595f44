// The spreed way: the .wasm is an asset/resource URL, handed to init().
import wasmUrl from 'talk-call-rules/talk_call_rules_bg.wasm';
import { init, evaluate, allowedActions, isOutcome, lastLoadError, version } from 'talk-call-rules';
import { decideAll, publish } from '../../scenario.js';

publish(decideAll({ init, evaluate, allowedActions, isOutcome, lastLoadError, version }, wasmUrl));
