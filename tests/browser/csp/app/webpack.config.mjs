// The bundler test's spreed-shaped webpack configuration (tests/bundler/app/webpack/), for this app:
// the same module rules, file names and public path (/apps/spreed/js/), another entry and output.
// TCR_CSP_APP: the folder the app was copied to (with the package installed in its node_modules).
import { join } from 'node:path';
import spreedLike from '../../../bundler/app/webpack/webpack.config.mjs';

const here = process.env.TCR_CSP_APP;
if (!here) {
	throw new Error('TCR_CSP_APP is not set (tests/browser/csp.e2e.mjs sets it)');
}

export default {
	...spreedLike,
	context: here,
	entry: { main: './main.js' },
	output: { ...spreedLike.output, path: join(here, 'dist') },
};
