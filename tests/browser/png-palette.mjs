// Re-encodes an 8-bit RGB/RGBA PNG (a Chromium screenshot) as a 256-colour palette PNG, so that the
// README screenshot stays small. No dependencies: node:zlib for inflate/deflate, median cut for the
// palette. Opaque images only (alpha is dropped).
import { deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
	const t = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) {
			c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		}
		t[n] = c >>> 0;
	}
	return t;
})();

function crc32(buf) {
	let c = 0xffffffff;
	for (const b of buf) {
		c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
	}
	return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
	const head = Buffer.alloc(8);
	head.writeUInt32BE(data.length, 0);
	head.write(type, 4, 'ascii');
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
	return Buffer.concat([head, data, crc]);
}

/** @returns {{ width: number, height: number, rgb: Uint8Array }} */
function decode(png) {
	if (!png.subarray(0, 8).equals(SIGNATURE)) {
		throw new Error('not a PNG');
	}
	let off = 8;
	let width = 0;
	let height = 0;
	let channels = 0;
	const idat = [];
	while (off < png.length) {
		const len = png.readUInt32BE(off);
		const type = png.toString('ascii', off + 4, off + 8);
		const data = png.subarray(off + 8, off + 8 + len);
		if (type === 'IHDR') {
			width = data.readUInt32BE(0);
			height = data.readUInt32BE(4);
			const [depth, colorType, , , interlace] = data.subarray(8);
			channels = { 2: 3, 6: 4 }[colorType];
			if (depth !== 8 || !channels || interlace !== 0) {
				throw new Error(`unsupported PNG (depth ${depth}, colour type ${colorType}, interlace ${interlace})`);
			}
		} else if (type === 'IDAT') {
			idat.push(data);
		}
		off += 12 + len;
	}
	const raw = inflateSync(Buffer.concat(idat));
	const stride = width * channels;
	const cur = new Uint8Array(stride);
	const prev = new Uint8Array(stride);
	const rgb = new Uint8Array(width * height * 3);
	for (let y = 0; y < height; y++) {
		const filter = raw[y * (stride + 1)];
		const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
		for (let i = 0; i < stride; i++) {
			const a = i >= channels ? cur[i - channels] : 0;
			const b = prev[i];
			const c = i >= channels ? prev[i - channels] : 0;
			let v = line[i];
			if (filter === 1) v += a;
			else if (filter === 2) v += b;
			else if (filter === 3) v += (a + b) >> 1;
			else if (filter === 4) {
				const p = a + b - c;
				const pa = Math.abs(p - a);
				const pb = Math.abs(p - b);
				const pc = Math.abs(p - c);
				v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
			}
			cur[i] = v & 0xff;
		}
		for (let x = 0; x < width; x++) {
			rgb.set(cur.subarray(x * channels, x * channels + 3), (y * width + x) * 3);
		}
		prev.set(cur);
	}
	return { width, height, rgb };
}

/** Median cut over the colour histogram: up to `n` colours, weighted by pixel counts. */
function palette(hist, n) {
	const colors = [...hist.entries()].map(([c, count]) => [c >> 16, (c >> 8) & 0xff, c & 0xff, count]);
	if (colors.length <= n) {
		return colors.map(([r, g, b]) => [r, g, b]);
	}
	const boxes = [colors];
	const range = (box) => {
		let best = -1;
		let axis = 0;
		for (let k = 0; k < 3; k++) {
			let lo = 255;
			let hi = 0;
			for (const c of box) {
				lo = Math.min(lo, c[k]);
				hi = Math.max(hi, c[k]);
			}
			if (hi - lo > best) {
				best = hi - lo;
				axis = k;
			}
		}
		return { best, axis };
	};
	while (boxes.length < n) {
		let pick = -1;
		let score = 0;
		let axis = 0;
		for (let i = 0; i < boxes.length; i++) {
			if (boxes[i].length < 2) continue;
			const r = range(boxes[i]);
			const weight = boxes[i].reduce((s, c) => s + c[3], 0);
			const sc = r.best * Math.sqrt(weight);
			if (sc > score) {
				score = sc;
				pick = i;
				axis = r.axis;
			}
		}
		if (pick < 0) break;
		const box = boxes[pick].sort((p, q) => p[axis] - q[axis]);
		const total = box.reduce((s, c) => s + c[3], 0);
		let acc = 0;
		let cut = 1;
		for (let i = 0; i < box.length - 1; i++) {
			acc += box[i][3];
			if (acc >= total / 2) {
				cut = i + 1;
				break;
			}
		}
		boxes.splice(pick, 1, box.slice(0, cut), box.slice(cut));
	}
	return boxes.map((box) => {
		const w = box.reduce((s, c) => s + c[3], 0);
		return [0, 1, 2].map((k) => Math.round(box.reduce((s, c) => s + c[k] * c[3], 0) / w));
	});
}

/** @param {Buffer} png an 8-bit RGB(A) PNG @returns {Buffer} a palette PNG of the same picture */
export function toPalettePng(png) {
	const { width, height, rgb } = decode(png);
	const hist = new Map();
	for (let i = 0; i < rgb.length; i += 3) {
		const c = (rgb[i] << 16) | (rgb[i + 1] << 8) | rgb[i + 2];
		hist.set(c, (hist.get(c) || 0) + 1);
	}
	// The flat colours of a UI (backgrounds, borders, badges) keep exact entries; median cut shares
	// the rest among the anti-aliased text shades.
	const byCount = [...hist.entries()].sort((a, b) => b[1] - a[1]);
	const exact = byCount.filter(([, n]) => n >= 150).slice(0, 128);
	const rest = new Map(byCount.slice(exact.length));
	const pal = [...exact.map(([c]) => [c >> 16, (c >> 8) & 0xff, c & 0xff]), ...palette(rest, 256 - exact.length)];
	const index = new Map();
	for (const c of hist.keys()) {
		const r = c >> 16;
		const g = (c >> 8) & 0xff;
		const b = c & 0xff;
		let best = 0;
		let bestD = Infinity;
		for (let i = 0; i < pal.length; i++) {
			const d = (pal[i][0] - r) ** 2 * 2 + (pal[i][1] - g) ** 2 * 4 + (pal[i][2] - b) ** 2 * 3;
			if (d < bestD) {
				bestD = d;
				best = i;
			}
		}
		index.set(c, best);
	}
	const raw = Buffer.alloc((width + 1) * height);
	for (let y = 0; y < height; y++) {
		raw[y * (width + 1)] = 0;
		for (let x = 0; x < width; x++) {
			const p = (y * width + x) * 3;
			raw[y * (width + 1) + 1 + x] = index.get((rgb[p] << 16) | (rgb[p + 1] << 8) | rgb[p + 2]);
		}
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr.set([8, 3, 0, 0, 0], 8);
	return Buffer.concat([
		SIGNATURE,
		chunk('IHDR', ihdr),
		chunk('PLTE', Buffer.from(pal.flat())),
		chunk('IDAT', deflateSync(raw, { level: 9 })),
		chunk('IEND', Buffer.alloc(0)),
	]);
}
