/**
 * Asset → Create, binary files of 4 MB or less: one multipart POST /assets
 * (FLORA's direct form), its fallback to the signed upload when FLORA refuses
 * that form, and what a lost answer or a rerun does there.
 */
import type { DirectRefusal } from '../../simulator';
import { readBinary } from '../harness';
import {
	bodyRecorder,
	bytes,
	createParams,
	imageItem,
	locator,
	pairedIndexes,
	requestsTo,
	runFlora,
	sha256,
	signedCreateParams,
	simProject,
	simulatorForFile,
} from '../harness/flora';

const sim = simulatorForFile();

const FOUR_MIB = 4 * 1024 * 1024;
const isMultipart = (r: { headers: Record<string, string> }) =>
	/^multipart\/form-data; boundary=/.test(r.headers['content-type'] ?? '');
/** POST /assets requests, in order, split by form. */
const creates = () => requestsTo(sim, 'api', /^\/assets$/).filter((r) => r.method === 'POST');
const directCreates = () => creates().filter(isMultipart);
const signedCreates = () => creates().filter((r) => !isMultipart(r));
const COMPLETE = /^\/assets\/[^/]+\/complete$/;

afterEach(() => sim.configure({ directRefusal: null, directMaxBytes: FOUR_MIB }));

describe.each(['default', 'filesystem'] as const)(
	'Create from a small binary, %s binary mode',
	(binaryMode) => {
		it('sends each item as one multipart POST /assets: the fields in order, then the exact bytes', async () => {
			const files = [bytes(100_000, 1), bytes(70_000, 2)];
			const project = simProject();
			const result = await runFlora(sim, {
				parameters: createParams({
					additionalFields: { folder: 'shots', projectId: locator(project) },
				}),
				items: files.map((file, i) => imageItem(file, `shot-${i}.png`)),
				binaryMode,
			});
			expect(result.error).toBeUndefined();

			// One request per item, nothing to the upload host, no completion, no poll.
			expect(sim.record.requests.map((r) => `${r.origin} ${r.method} ${r.path}`)).toEqual([
				'api POST /assets',
				'api POST /assets',
			]);
			expect(requestsTo(sim, 'upload')).toEqual([]);
			const sent = directCreates();
			expect(sent).toHaveLength(2);
			expect(sent.every((r) => r.hasAuthorization && r.status === 201)).toBe(true);
			expect(sent.every((r) => /^n8n_[0-9a-f]{48}$/.test(r.idempotencyKey ?? ''))).toBe(true);
			expect(new Set(sent.map((r) => r.idempotencyKey)).size).toBe(2);
			// An exact length, never chunked.
			expect(sent.every((r) => r.headers['transfer-encoding'] === undefined)).toBe(true);

			const uploads = [...sim.record.uploads].sort((a, b) =>
				String(a.fileName).localeCompare(String(b.fileName)),
			);
			expect(uploads).toHaveLength(2);
			uploads.forEach((upload, i) => {
				expect(upload).toMatchObject({
					origin: 'api',
					ok: true,
					fileField: 'file',
					fileName: `shot-${i}.png`,
					partContentType: 'image/png',
					size: files[i].length,
					sha256: sha256(files[i]),
					chunked: false,
				});
				expect(upload.fields).toEqual([
					['workspace_id', 'ws_demo'],
					['folder', 'shots'],
					['project_id', project],
					['content_type', 'image/png'],
					['file_name', `shot-${i}.png`],
				]);
			});
			expect(sim.record.violations).toEqual([]);

			// The output is the asset as FLORA answered it, paired, the binary passed through.
			expect(pairedIndexes(result.items)).toEqual([0, 1]);
			for (const [i, item] of result.items.entries()) {
				const asset = sim.assets().find((a) => a.asset_id === item.json.asset_id);
				expect(asset).toMatchObject({ sha256: sha256(files[i]), uploaded_via: 'direct' });
				expect(item.json).toMatchObject({
					asset_id: asset?.asset_id,
					status: 'ready',
					url: asset?.url,
					workspace_id: 'ws_demo',
					uploaded_via: 'direct',
					project_id: project,
				});
				expect(sha256(await readBinary(item))).toBe(sha256(files[i]));
				if (binaryMode === 'filesystem') expect(item.binary?.data?.id).toMatch(/^filesystem/);
			}
		});
	},
);

describe('The direct form on the wire', () => {
	it('is a multipart body with only the fields that have values, the file last with its name and type', async () => {
		const file = bytes(5_000, 3);
		const recorder = await bodyRecorder(sim);
		try {
			const result = await runFlora(sim, {
				baseUrl: recorder.baseUrl,
				parameters: createParams(),
				items: [imageItem(file, 'wire.png', 'image/png')],
			});
			expect(result.error).toBeUndefined();
			expect(recorder.seen).toHaveLength(1);
			const [seen] = recorder.seen;
			expect(seen.method).toBe('POST');
			expect(seen.path).toBe('/api/v1/assets');
			expect(seen.headers.authorization).toBe(`Bearer ${sim.apiKey}`);
			expect(seen.headers['idempotency-key']).toMatch(/^n8n_[0-9a-f]{48}$/);
			expect(seen.headers['content-length']).toBe(String(seen.raw.length));
			const boundary = /boundary=(.+)$/.exec(String(seen.headers['content-type']))![1];
			const parts = splitMultipart(seen.raw, boundary);
			expect(parts.map((p) => p.headers)).toEqual([
				['content-disposition: form-data; name="workspace_id"'],
				['content-disposition: form-data; name="content_type"'],
				['content-disposition: form-data; name="file_name"'],
				[
					'content-disposition: form-data; name="file"; filename="wire.png"',
					'content-type: image/png',
				],
			]);
			expect(parts.slice(0, 3).map((p) => p.body.toString('utf8'))).toEqual([
				'ws_demo',
				'image/png',
				'wire.png',
			]);
			expect(parts[3].body.equals(file)).toBe(true);
		} finally {
			await recorder.close();
		}
	});
});

describe('The 4 MB threshold (4,194,304 bytes)', () => {
	it('sends a file of exactly 4 MiB in one request, and one byte more through the signed upload', async () => {
		const result = await runFlora(sim, {
			parameters: createParams({ options: { concurrency: 1 } }),
			items: [
				imageItem(bytes(FOUR_MIB, 4), 'limit.png'),
				imageItem(bytes(FOUR_MIB + 1, 5), 'over.png'),
			],
			binaryMode: 'filesystem',
		});
		expect(result.error).toBeUndefined();
		expect(directCreates()).toHaveLength(1);
		expect(signedCreates()).toHaveLength(1);
		expect(requestsTo(sim, 'upload')).toHaveLength(1);
		expect(requestsTo(sim, 'api', COMPLETE)).toHaveLength(1);
		const byName = new Map(sim.assets().map((a) => [a.name, a]));
		expect(byName.get('limit.png')).toMatchObject({
			uploaded_via: 'direct',
			size_bytes: FOUR_MIB,
			sha256: sha256(bytes(FOUR_MIB, 4)),
		});
		expect(byName.get('over.png')).toMatchObject({
			uploaded_via: 'signed_url',
			size_bytes: FOUR_MIB + 1,
			sha256: sha256(bytes(FOUR_MIB + 1, 5)),
		});
		expect(result.items.map((i) => i.json.status)).toEqual(['ready', 'ready']);
	}, 30_000);
});

describe('Options → Single-Request Upload for Small Files off', () => {
	it('takes the signed upload for a small file: reserve, upload, complete, no multipart create', async () => {
		const file = bytes(2_000, 6);
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(file)],
		});
		expect(result.error).toBeUndefined();
		expect(directCreates()).toEqual([]);
		expect(sim.record.requests.map((r) => `${r.origin} ${r.method}`)).toEqual([
			'api POST',
			'upload POST',
			'api POST',
		]);
		expect(sim.assets()).toEqual([
			expect.objectContaining({ uploaded_via: 'signed_url', sha256: sha256(file) }),
		]);
	});
});

describe('When FLORA refuses the direct form', () => {
	it.each([404, 405, 415, 'invalid_json', 'source_required'] as DirectRefusal[])(
		'(%s) the items go through the signed upload, one asset each, the refusal asked once',
		async (refusal) => {
			sim.configure({ directRefusal: refusal });
			const files = [1, 2, 3, 4, 5].map((i) => bytes(1_500 + i, i));
			const result = await runFlora(sim, {
				parameters: createParams({ options: { concurrency: 4 } }),
				items: files.map((file, i) => imageItem(file, `f${i}.png`)),
			});
			expect(result.error).toBeUndefined();
			// One direct attempt for the whole run, even with four items in flight.
			expect(directCreates()).toHaveLength(1);
			expect(directCreates()[0].status).toBe(typeof refusal === 'number' ? refusal : 400);
			expect(signedCreates()).toHaveLength(5);
			expect(requestsTo(sim, 'api', COMPLETE)).toHaveLength(5);
			// The refused request made nothing; its key is its own.
			expect(sim.assets()).toHaveLength(5);
			expect(sim.assets().every((a) => a.uploaded_via === 'signed_url')).toBe(true);
			expect(signedCreates().map((r) => r.idempotencyKey)).not.toContain(
				directCreates()[0].idempotencyKey,
			);
			expect(sim.record.duplicatesPrevented).toBe(0);
			expect(result.items.map((i) => i.json.name)).toEqual(files.map((_, i) => `f${i}.png`));
			expect(
				result.items.map((i) => sim.assets().find((a) => a.asset_id === i.json.asset_id)?.sha256),
			).toEqual(files.map((f) => sha256(f)));
		},
	);

	it('a file too large for the direct form goes signed on its own; the next item still tries direct', async () => {
		// FLORA's own limit below this node's: it refuses the file, not the form.
		sim.configure({ directMaxBytes: 1_000 });
		const result = await runFlora(sim, {
			parameters: createParams({ options: { concurrency: 1 } }),
			items: [imageItem(bytes(2_000, 1), 'big-a.png'), imageItem(bytes(2_000, 2), 'big-b.png')],
		});
		expect(result.error).toBeUndefined();
		expect(directCreates().map((r) => r.status)).toEqual([400, 400]);
		expect(signedCreates()).toHaveLength(2);
		expect(sim.assets()).toHaveLength(2);
		expect(sim.assets({ status: 'ready' })).toHaveLength(2);
	});

	it('does not count a 404 for an unknown workspace as a refusal: the item fails, nothing else is sent', async () => {
		const result = await runFlora(sim, {
			parameters: createParams({ workspace: locator('ws_unknown') }),
			items: [imageItem(bytes(500))],
		});
		expect(result.error?.message).toBe('FLORA: Workspace not found.');
		expect(sim.record.requests).toHaveLength(1);
		expect(directCreates()).toHaveLength(1);
	});
});

describe('Lost answers and replays on the direct path', () => {
	it('after a lost answer, the replay with the same key gets 409 and the node outputs the stored asset', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			requestBody: 'multipart',
			kind: 'lostResponse',
		});
		const file = bytes(8_000, 9);
		const result = await runFlora(sim, {
			parameters: createParams(),
			items: [imageItem(file, 'lost.png')],
		});
		expect(result.error).toBeUndefined();
		const sent = directCreates();
		expect(sent.map((r) => r.status)).toEqual(['lost', 409]);
		expect(sent[0].idempotencyKey).toBe(sent[1].idempotencyKey);
		expect(signedCreates()).toEqual([]);
		expect(sim.assets()).toHaveLength(1);
		expect(sim.assets()[0]).toMatchObject({ status: 'ready', sha256: sha256(file) });
		expect(result.items[0].json).toMatchObject({
			asset_id: sim.assets()[0].asset_id,
			status: 'ready',
		});
	});

	it('a 5xx after FLORA stored the file is retried with the same key, never a second asset', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			requestBody: 'multipart',
			kind: 'reset',
		});
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			requestBody: 'multipart',
			kind: 'status',
			status: 503,
		});
		const result = await runFlora(sim, {
			parameters: createParams(),
			items: [imageItem(bytes(800, 3))],
		});
		expect(result.error).toBeUndefined();
		expect(directCreates().map((r) => r.status)).toEqual(['reset', 503, 201]);
		expect(new Set(directCreates().map((r) => r.idempotencyKey)).size).toBe(1);
		expect(sim.assets()).toHaveLength(1);
	});

	it('with the same Idempotency Key in a later execution (another process), the 409 gives back the existing asset', async () => {
		const settings = { id: 'node-direct-key' };
		const run = async (from?: 'dist') =>
			await runFlora(sim, {
				parameters: createParams({ options: { idempotencyKey: '={{ $json.name }}' } }),
				items: [imageItem(bytes(1_200, 4), 'order-1.png')],
				nodeSettings: settings,
				workflowId: 'wf-direct-key',
				from,
			});
		const first = await run();
		expect(first.error).toBeUndefined();
		const again = await run('dist');
		expect(again.error).toBeUndefined();
		expect(directCreates().map((r) => r.status)).toEqual([201, 409]);
		expect(directCreates()[0].idempotencyKey).toBe(directCreates()[1].idempotencyKey);
		expect(sim.assets()).toHaveLength(1);
		expect(again.items[0].json).toMatchObject({
			asset_id: first.items[0].json.asset_id,
			status: 'ready',
		});
	});

	it("under n8n's Retry On Fail, the rerun gets the first run's assets back, creating none twice", async () => {
		// The third item's create fails with a non-retryable 402 once: the node
		// fails, n8n runs it again; items 1 and 2 must not be created twice.
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			kind: 'status',
			status: 402,
			code: 'insufficient_credits',
			message: 'Insufficient credits.',
			skip: 2,
		});
		const files = [1, 2, 3].map((i) => bytes(3_000, i));
		const result = await runFlora(sim, {
			parameters: createParams({ options: { concurrency: 1 } }),
			items: files.map((f, i) => imageItem(f, `r${i}.png`)),
			nodeSettings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 1 },
		});
		expect(result.error).toBeUndefined();
		expect(directCreates().map((r) => r.status)).toEqual([201, 201, 402, 409, 409, 201]);
		expect(signedCreates()).toEqual([]);
		expect(sim.assets()).toHaveLength(3);
		expect(result.items.map((i) => i.json.name)).toEqual(['r0.png', 'r1.png', 'r2.png']);
		expect(
			result.items.map((i) => sim.assets().find((a) => a.asset_id === i.json.asset_id)?.sha256),
		).toEqual(files.map((f) => sha256(f)));
	});

	it('a rerun after a refusal resumes the signed upload it began, not a new direct create', async () => {
		sim.configure({ directRefusal: 415 });
		sim.inject({
			target: 'api',
			method: 'POST',
			path: COMPLETE,
			kind: 'status',
			status: 400,
			code: 'input_validation_error',
			message: 'Upload not verified yet.',
		});
		const result = await runFlora(sim, {
			parameters: createParams(),
			items: [imageItem(bytes(2_500, 7), 'resume.png')],
			nodeSettings: { retryOnFail: true, maxTries: 2, waitBetweenTries: 1 },
		});
		expect(result.error).toBeUndefined();
		expect(directCreates()).toHaveLength(1);
		expect(signedCreates().map((r) => r.status)).toEqual([201, 409]);
		expect(sim.assets()).toHaveLength(1);
		expect(sim.assets({ status: 'ready' })).toHaveLength(1);
	});
});

describe('On Error on the direct path', () => {
	const creditsOnSecond = () =>
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			kind: 'status',
			status: 402,
			code: 'insufficient_credits',
			message: 'Insufficient credits.',
			skip: 1,
		});

	it('Continue: the failed item is an error item in place, the others are created', async () => {
		creditsOnSecond();
		const result = await runFlora(sim, {
			parameters: createParams({ options: { concurrency: 1 } }),
			items: [0, 1, 2].map((i) => imageItem(bytes(900, i + 1), `c${i}.png`)),
			nodeSettings: { onError: 'continueRegularOutput' },
		});
		expect(result.error).toBeUndefined();
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
		expect(result.items[0].json).toMatchObject({ status: 'ready', name: 'c0.png' });
		expect(result.items[1].json).toMatchObject({
			message: 'FLORA: Insufficient credits.',
			error: { code: 'insufficient_credits', http_code: 402 },
		});
		expect(result.items[2].json).toMatchObject({ status: 'ready', name: 'c2.png' });
		// A 402 is not a refusal of the form: no signed attempt, the next item direct again.
		expect(signedCreates()).toEqual([]);
		expect(directCreates()).toHaveLength(3);
		expect(sim.assets()).toHaveLength(2);
	});

	it('Continue (using error output): the failed item goes to the error output, paired', async () => {
		creditsOnSecond();
		const result = await runFlora(sim, {
			parameters: createParams({ options: { concurrency: 1 } }),
			items: [0, 1].map((i) => imageItem(bytes(900, i + 1), `e${i}.png`)),
			nodeSettings: { onError: 'continueErrorOutput' },
		});
		const [success, failure] = result.outputs;
		expect(pairedIndexes(success)).toEqual([0]);
		expect(pairedIndexes(failure)).toEqual([1]);
		expect(failure[0].json).toMatchObject({
			name: 'e1.png',
			error: { message: 'FLORA: Insufficient credits.', http_code: 402 },
		});
	});

	it('Stop: the run fails with the error of the failed item', async () => {
		creditsOnSecond();
		const result = await runFlora(sim, {
			parameters: createParams({ options: { concurrency: 1 } }),
			items: [0, 1].map((i) => imageItem(bytes(900, i + 1), `s${i}.png`)),
		});
		expect(result.error?.message).toBe('FLORA: Insufficient credits.');
		expect(sim.assets()).toHaveLength(1);
	});
});

/** The parts of a multipart body: header lines (lowercased names) and the body's bytes. */
function splitMultipart(raw: Buffer, boundary: string) {
	const delimiter = Buffer.from(`--${boundary}`);
	const parts: Array<{ headers: string[]; body: Buffer }> = [];
	let at = raw.indexOf(delimiter);
	while (at !== -1) {
		const start = at + delimiter.length;
		if (raw.subarray(start, start + 2).toString() === '--') break;
		const next = raw.indexOf(delimiter, start);
		const part = raw.subarray(start + 2, next - 2); // after CRLF, before CRLF
		const split = part.indexOf('\r\n\r\n');
		const headers = part
			.subarray(0, split)
			.toString('utf8')
			.split('\r\n')
			.map((line) => {
				const colon = line.indexOf(':');
				return `${line.slice(0, colon).toLowerCase()}:${line.slice(colon + 1)}`;
			});
		parts.push({ headers, body: part.subarray(split + 4) });
		at = next;
	}
	return parts;
}
