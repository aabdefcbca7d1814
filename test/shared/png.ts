import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

function crc32(bytes: Buffer): number {
	let c = 0xffffffff;
	for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(data.length);
	const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(typed));
	return Buffer.concat([length, typed, crc]);
}

/**
 * A real RGB PNG of the given size. `noise` fills the pixels from a seeded generator,
 * so the file stays large after compression (for multi-chunk uploads).
 */
export function makePng(
	width: number,
	height: number,
	opts: { noise?: boolean; seed?: number } = {},
): Buffer {
	const raw = Buffer.alloc(height * (1 + width * 3));
	let state = (opts.seed ?? 1) >>> 0 || 1;
	let p = 0;
	for (let y = 0; y < height; y++) {
		raw[p++] = 0;
		for (let x = 0; x < width; x++) {
			if (opts.noise) {
				for (let c = 0; c < 3; c++) {
					state ^= state << 13;
					state ^= state >>> 17;
					state ^= state << 5;
					raw[p++] = state & 0xff;
				}
			} else {
				raw[p++] = (x * 255) / Math.max(1, width - 1);
				raw[p++] = (y * 255) / Math.max(1, height - 1);
				raw[p++] = 160;
			}
		}
	}
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header.set([8, 2, 0, 0, 0], 8);
	return Buffer.concat([
		Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
		chunk('IHDR', header),
		chunk('IDAT', deflateSync(raw, { level: opts.noise ? 0 : 9 })),
		chunk('IEND', Buffer.alloc(0)),
	]);
}
