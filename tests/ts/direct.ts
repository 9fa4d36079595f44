// A direct relative import of the bridge file gets the same types (through js/index.d.mts).
import { evaluate, type Outcome, type Request, type State } from '../../js/index.mjs';

export function decide(request: Request, state: State): Outcome {
	return evaluate(request, state);
}
