// The Content-Security-Policy a Nextcloud 28 server with Talk 18 sends for each page that runs
// Talk's call UI, built the way the server builds it, and written out in full below.
//
// Facts only, no server code: each step names the file and function it comes from.
//   nextcloud/server, branch stable28 (Nextcloud 28):
//     S1 lib/public/AppFramework/Http/ContentSecurityPolicy.php        the defaults (class properties)
//     S2 lib/public/AppFramework/Http/EmptyContentSecurityPolicy.php   buildPolicy(): directive order
//        and spelling; the nonce goes into script-src as 'nonce-…' (base64_encode of the value
//        useJsNonce() got) and replaces 'self' there; with a nonce and strictDynamicAllowedOnScripts
//        (a default since 28) a script-src-elem 'strict-dynamic' copy of script-src follows;
//        'unsafe-eval' only with allowEvalScript(), 'wasm-unsafe-eval' only with allowEvalWasm(true)
//        (both appended to script-src, and so to script-src-elem)
//     S3 lib/private/Security/CSP/ContentSecurityPolicyManager.php      getDefaultPolicy(): the
//        defaults merged with every policy added through OCP\Security\CSP\AddContentSecurityPolicyEvent;
//        mergePolicies(): arrays concatenated in order without duplicates, booleans: true wins
//     S4 lib/private/AppFramework/Middleware/Security/CSPMiddleware.php afterController(): the
//        controller's policy merged into the default policy; the nonce (the request's CSRF token,
//        encrypted) only when ContentSecurityPolicyNonceManager::browserSupportsCspV3() accepts the
//        user agent (current Chrome, Firefox and Safari; others get no nonce and no script-src-elem)
//     S5 apps/files/lib/Controller/ViewController.php                   index(): the Files app
//     S6 apps/files_sharing/lib/DefaultPublicShareTemplateProvider.php  renderPage(): the public
//        share page (ShareController::showShare hands the page to it)
//     S7 apps/files_sharing/lib/Controller/ShareController.php          showAuthenticate(): the
//        password page of a share whose password is sent by Talk (its video verification call)
//   nextcloud/spreed at dd628675 (Talk 18.0.0-beta.3, for Nextcloud 28):
//     T1 lib/Listener/CSPListener.php::handle(), registered in lib/AppInfo/Application.php for
//        AddContentSecurityPolicyEvent: adds to the policy of EVERY page, with the connect-src of
//        Config::getAllServerUrlsForCSP() (STUN, TURN, signaling; by default only the STUN server
//        stun.nextcloud.com:443 of Config::getStunServers())
//     T2 lib/Controller/PageController.php::pageHandler() (index(), showCall()) and guestEnterRoom():
//        Talk's own pages
//     T3 lib/Files/TemplateLoader.php (LoadSidebar), lib/PublicShare/TemplateLoader.php and
//        lib/PublicShareAuth/TemplateLoader.php (files_sharing BeforeTemplateRenderedEvent): Talk's
//        call UI added as a script (talk-files-sidebar, talk-public-share-sidebar,
//        talk-public-share-auth-sidebar) to pages of the Files app and of files_sharing, which keep
//        their own policy: no page of Talk 18 enables 'wasm-unsafe-eval'.

/** S1: `new ContentSecurityPolicy()`. */
export function contentSecurityPolicy() {
	return {
		evalScriptAllowed: false,
		evalWasmAllowed: false,
		strictDynamicAllowed: false,
		strictDynamicAllowedOnScripts: true,
		inlineStyleAllowed: true,
		script: ["'self'"],
		style: ["'self'"],
		image: ["'self'", 'data:', 'blob:'],
		connect: ["'self'"],
		media: ["'self'"],
		object: [],
		frame: [],
		font: ["'self'", 'data:'],
		child: [],
		frameAncestors: ["'self'"],
		worker: [],
		formAction: ["'self'"],
		reportTo: [],
	};
}

/** S2: `new EmptyContentSecurityPolicy()`: nothing set, so a merge leaves every field alone. */
export function emptyContentSecurityPolicy() {
	return {};
}

/** S3 mergePolicies(): `into` gains what `policy` sets. */
export function merge(into, policy) {
	const out = structuredClone(into);
	for (const [key, value] of Object.entries(policy)) {
		if (Array.isArray(value)) {
			out[key] = [...new Set([...(Array.isArray(out[key]) ? out[key] : []), ...value])];
		} else if (typeof value === 'boolean' && value && !out[key]) {
			out[key] = true;
		}
	}
	return out;
}

/** S2 buildPolicy(), with the base64 nonce S4 hands over (null: no nonce). */
export function buildPolicy(p, nonce) {
	let policy = "default-src 'none';base-uri 'none';manifest-src 'self';";
	let scriptSrc = null;
	if (p.script.length > 0 || p.evalScriptAllowed || p.evalWasmAllowed || nonce !== null) {
		scriptSrc = '';
		let domains = p.script;
		if (nonce !== null) {
			if (p.strictDynamicAllowed) {
				scriptSrc += "'strict-dynamic' ";
			}
			scriptSrc += `'nonce-${nonce}'`;
			domains = domains.filter((d) => d !== "'self'");
			if (domains.length > 0) {
				scriptSrc += ' ';
			}
		}
		scriptSrc += domains.join(' ');
		if (p.evalScriptAllowed) {
			scriptSrc += " 'unsafe-eval'";
		}
		if (p.evalWasmAllowed) {
			scriptSrc += " 'wasm-unsafe-eval'";
		}
		policy += `script-src ${scriptSrc};`;
	}
	if (p.strictDynamicAllowedOnScripts && nonce !== null && !p.strictDynamicAllowed) {
		policy += `script-src-elem 'strict-dynamic' ${scriptSrc ?? ''};`;
	}
	if (p.style.length > 0 || p.inlineStyleAllowed) {
		policy += `style-src ${p.style.join(' ')}${p.inlineStyleAllowed ? " 'unsafe-inline'" : ''};`;
	}
	const list = (directive, values) => (values.length > 0 ? `${directive} ${values.join(' ')};` : '');
	policy += list('img-src', p.image);
	policy += list('font-src', p.font);
	policy += list('connect-src', p.connect);
	policy += list('media-src', p.media);
	policy += list('object-src', p.object);
	policy += list('frame-src', p.frame);
	policy += list('child-src', p.child);
	policy += p.frameAncestors.length > 0 ? list('frame-ancestors', p.frameAncestors) : "frame-ancestors 'none';";
	policy += list('worker-src', p.worker);
	policy += list('form-action', p.formAction);
	policy += list('report-uri', p.reportTo);
	return policy.replace(/;+$/, '');
}

/** T1: what Talk 18 adds to every page (a default install: one STUN server, no TURN, no signaling). */
export function talkListenerPolicy() {
	const p = contentSecurityPolicy();
	p.image.push('https://*.tile.openstreetmap.org');
	p.media.push('blob:');
	p.worker.push('blob:', "'self'");
	p.child.push('blob:', "'self'");
	p.script.push('blob:', "'self'");
	p.connect.push('blob:', "'self'", 'stun.nextcloud.com:443');
	return p;
}

/** The opt-in from a listener of AddContentSecurityPolicyEvent (docs/csp.md): an empty policy with allowEvalWasm(true). */
export function wasmOptInPolicy() {
	return { ...emptyContentSecurityPolicy(), evalWasmAllowed: true };
}

/**
 * The pages of a Talk 18 install that run the call UI: the controller's own policy (`controller`),
 * and where the one-line opt-in goes (`optIn`: 'controller' for a page Talk renders itself, where
 * `$csp->allowEvalWasm(true)` joins its policy; 'listener' for a page another app renders, reached
 * through AddContentSecurityPolicyEvent).
 */
export const PAGES = [
	{
		id: 'talk',
		title: "Talk's main page",
		path: '/apps/spreed/',
		script: 'talk-main',
		source: 'T2 PageController::pageHandler() (index(), showCall(); guestEnterRoom() adds the same)',
		optIn: 'controller',
		controller() {
			const p = contentSecurityPolicy();
			p.connect.push('*');
			p.media.push('blob:');
			p.worker.push('blob:', "'self'");
			p.child.push('blob:', "'self'");
			p.script.push('blob:', "'self'");
			p.connect.push('blob:', "'self'");
			p.image.push('https://*.tile.openstreetmap.org');
			return p;
		},
	},
	{
		id: 'files',
		title: "the Files app (Talk's sidebar tab)",
		path: '/apps/files/',
		script: 'talk-files-sidebar',
		source: 'S5 files ViewController::index()',
		optIn: 'listener',
		controller() {
			const p = contentSecurityPolicy();
			p.frame.push("'self'");
			p.worker.push("'self'");
			return p;
		},
	},
	{
		id: 'public-share',
		title: "a public share page (Talk's sidebar)",
		path: '/s/Xk4bT9aQ2mPzR7c',
		script: 'talk-public-share-sidebar',
		source: 'S6 files_sharing DefaultPublicShareTemplateProvider::renderPage()',
		optIn: 'listener',
		controller() {
			const p = contentSecurityPolicy();
			p.frame.push("'self'");
			return p;
		},
	},
	{
		id: 'public-share-auth',
		title: "a share's password page with the password sent by Talk (its video call)",
		path: '/s/Xk4bT9aQ2mPzR7c/authenticate/showShare',
		script: 'talk-public-share-auth-sidebar',
		source: 'S7 files_sharing ShareController::showAuthenticate()',
		optIn: 'listener',
		controller() {
			const p = contentSecurityPolicy();
			p.connect.push('*');
			p.media.push('blob:');
			return p;
		},
	},
];

/**
 * The header of `page` as S3 + S4 build it: the defaults, Talk's listener (and the opt-in when it
 * comes through a listener), then the controller's policy (with the opt-in when Talk renders the page).
 * @param {typeof PAGES[number]} page
 * @param {{ wasm: boolean, nonce: string | null }} options
 */
export function policyFor(page, { wasm, nonce }) {
	let p = merge(contentSecurityPolicy(), talkListenerPolicy());
	if (wasm && page.optIn === 'listener') {
		p = merge(p, wasmOptInPolicy());
	}
	const controller = page.controller();
	if (wasm && page.optIn === 'controller') {
		controller.evalWasmAllowed = true;
	}
	return buildPolicy(merge(p, controller), nonce);
}

// The same headers written out, as a browser that passes S4's check receives them (NONCE stands for
// the request's nonce). csp.e2e.mjs checks that policyFor() gives exactly these, and serves them.
const HEAD = "default-src 'none';base-uri 'none';manifest-src 'self';";
const TAIL = "style-src 'self' 'unsafe-inline';img-src 'self' data: blob: https://*.tile.openstreetmap.org;font-src 'self' data:;";
const SCRIPTS = "script-src 'nonce-NONCE' blob:;script-src-elem 'strict-dynamic' 'nonce-NONCE' blob:;";
const SCRIPTS_WASM = "script-src 'nonce-NONCE' blob: 'wasm-unsafe-eval';script-src-elem 'strict-dynamic' 'nonce-NONCE' blob: 'wasm-unsafe-eval';";
const TALK_REST = "connect-src 'self' blob: stun.nextcloud.com:443 *;media-src 'self' blob:;child-src blob: 'self';frame-ancestors 'self';worker-src blob: 'self';form-action 'self'";
const FILES_REST = "connect-src 'self' blob: stun.nextcloud.com:443;media-src 'self' blob:;frame-src 'self';child-src blob: 'self';frame-ancestors 'self';worker-src blob: 'self';form-action 'self'";

export const EXPECTED = {
	talk: {
		blocked: HEAD + SCRIPTS + TAIL + TALK_REST,
		optIn: HEAD + SCRIPTS_WASM + TAIL + TALK_REST,
	},
	files: {
		blocked: HEAD + SCRIPTS + TAIL + FILES_REST,
		optIn: HEAD + SCRIPTS_WASM + TAIL + FILES_REST,
	},
	'public-share': {
		blocked: HEAD + SCRIPTS + TAIL + FILES_REST,
		optIn: HEAD + SCRIPTS_WASM + TAIL + FILES_REST,
	},
	'public-share-auth': {
		blocked: HEAD + SCRIPTS + TAIL + TALK_REST,
		optIn: HEAD + SCRIPTS_WASM + TAIL + TALK_REST,
	},
};

/** Talk's main page for a browser S4 gives no nonce: no script-src-elem, 'self' stays in script-src. */
export const EXPECTED_WITHOUT_NONCE = {
	blocked: `${HEAD}script-src 'self' blob:;${TAIL}${TALK_REST}`,
	optIn: `${HEAD}script-src 'self' blob: 'wasm-unsafe-eval';${TAIL}${TALK_REST}`,
};

/**
 * A nonce shaped like the one S4 hands over: base64 of the request's encrypted CSRF token
 * (base64(32 random bytes) ':' base64(the 32-character token XOR those bytes)), 120 characters.
 */
export function freshNonce() {
	const secret = crypto.getRandomValues(new Uint8Array(32));
	const masked = crypto.getRandomValues(new Uint8Array(32));
	const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
	return btoa(`${b64(secret)}:${b64(masked)}`);
}
