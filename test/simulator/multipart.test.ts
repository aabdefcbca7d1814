import { createHash } from 'node:crypto';
import { boundaryOf, MultipartParser, parseHeaderParams, type PartInfo } from './multipart';
import { multipart } from './testkit';

interface Collected {
	info: PartInfo;
	data: Buffer;
}

function parseAll(body: Buffer, boundary: string, chunkSize = body.length) {
	const parts: Collected[] = [];
	let cur: { info: PartInfo; chunks: Buffer[] } | undefined;
	const p = new MultipartParser(boundary, {
		onPartBegin: (info) => (cur = { info, chunks: [] }),
		onPartData: (c) => cur!.chunks.push(Buffer.from(c)),
		onPartEnd: () => parts.push({ info: cur!.info, data: Buffer.concat(cur!.chunks) }),
	});
	for (let i = 0; i < body.length; i += chunkSize) p.write(body.subarray(i, i + chunkSize));
	return { parts, finished: p.finished, parser: p };
}

describe('MultipartParser', () => {
	const tricky = Buffer.concat([
		Buffer.from('\r\n--'),
		Buffer.from('----simtestY almost a boundary\r\n\r\n\r\n------simtest'),
		Buffer.from([0, 1, 2, 255, 13, 10, 45, 45]),
	]);
	const form = multipart(
		[
			{ name: 'token', value: 'tok' },
			{ name: 'customMetadata', value: '{"a":"b; c=\\"d\\""}' },
			{ name: 'empty', value: '' },
			{
				disposition: 'form-data; name="file"; filename="a \\"quoted\\" name.png"',
				contentType: 'image/png',
				value: tricky,
			},
		],
		'----simtestX',
	);

	it.each([1, 2, 3, 7, 64, 100_000])(
		'parses the same whatever the chunking (%i-byte chunks)',
		(size) => {
			const { parts, finished } = parseAll(form.body, form.boundary, size);
			expect(finished).toBe(true);
			expect(parts.map((p) => [p.info.name, p.data.toString('latin1')])).toEqual([
				['token', 'tok'],
				['customMetadata', '{"a":"b; c=\\"d\\""}'],
				['empty', ''],
				['file', tricky.toString('latin1')],
			]);
			expect(parts[3].info.filename).toBe('a "quoted" name.png');
			expect(parts[3].info.contentType).toBe('image/png');
			expect(parts[0].info.filename).toBeUndefined();
		},
	);

	it('ignores preamble and epilogue and reports an unfinished body', () => {
		const body = Buffer.concat([
			Buffer.from('preamble text\r\n'),
			form.body,
			Buffer.from('epilogue'),
		]);
		const r = parseAll(body, form.boundary, 5);
		expect(r.parts).toHaveLength(4);
		expect(r.parser.epilogueBytes).toBeGreaterThan(0);
		const truncated = parseAll(form.body.subarray(0, form.body.length - 10), form.boundary);
		expect(truncated.finished).toBe(false);
	});

	it('decodes filename* and reads header parameters', () => {
		const body = multipart(
			[
				{
					disposition: `form-data; name="file"; filename*=UTF-8''%C3%A9t%C3%A9.png`,
					value: 'x',
					contentType: 'image/png',
				},
			],
			'b1',
		).body;
		expect(parseAll(body, 'b1').parts[0].info.filename).toBe('été.png');
		expect(parseHeaderParams('multipart/form-data; boundary="a b"; x=1')).toEqual({
			boundary: 'a b',
			x: '1',
		});
		expect(boundaryOf('multipart/form-data; boundary=----abc')).toBe('----abc');
		expect(boundaryOf('application/json')).toBeUndefined();
	});

	it('streams a large part with a bounded buffer', () => {
		const boundary = 'big-boundary';
		const chunk = Buffer.alloc(64 * 1024, 0x41);
		const total = 64 * 1024 * 1024;
		let size = 0;
		const hash = createHash('sha256');
		const expected = createHash('sha256');
		const p = new MultipartParser(boundary, {
			onPartBegin: () => undefined,
			onPartData: (c) => {
				size += c.length;
				hash.update(c);
			},
			onPartEnd: () => undefined,
		});
		p.write(
			Buffer.from(
				`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n`,
			),
		);
		for (let sent = 0; sent < total; sent += chunk.length) {
			p.write(chunk);
			expected.update(chunk);
		}
		p.write(Buffer.from(`\r\n--${boundary}--\r\n`));
		expect(p.finished).toBe(true);
		expect(size).toBe(total);
		expect(hash.digest('hex')).toBe(expected.digest('hex'));
		expect(p.maxBuffered).toBeLessThan(chunk.length + 200);
	});

	it('rejects malformed part headers', () => {
		const p = new MultipartParser('b', {
			onPartBegin: () => undefined,
			onPartData: () => undefined,
			onPartEnd: () => undefined,
		});
		expect(() => p.write(Buffer.from('--b\r\nno colon here\r\n\r\nx\r\n--b--'))).toThrow(
			/malformed part header/,
		);
	});
});
