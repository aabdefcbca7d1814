/**
 * End-to-end: the packed package inside a real n8n (each line of FLORA_E2E_LINES), run by
 * n8n's own CLI against the FLORA simulator. Assertions cover both what n8n returned and
 * what reached the simulator. One user folder and one simulator per line; the simulator
 * is reset before every scenario.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { startSimulator, type RecordedRequest, type Simulator } from '../simulator';
import { ensureN8n } from '../n8n/install';
import { resolveLines, type N8nLine } from '../n8n/lines';
import { type Execution, N8nHome } from '../n8n/n8n';
import { sha256 } from '../shared/flora';
import { makePng } from '../shared/png';
import {
	code,
	EXAMPLE_FLORA_NODE,
	exampleWorkflow,
	flora,
	manualTrigger,
	readFiles,
	simulatorCredential,
	workflow,
	workspaceId,
	type Workflow,
} from '../n8n/workflows';
import { runDir } from './run-dir';

jest.setTimeout(180_000);

const SKIP = process.env.FLORA_E2E_SKIP === '1';
const lines = SKIP ? [] : resolveLines();

/** Fails with n8n's own log tail when the workflow did not succeed. */
function expectSuccess(exec: Execution): void {
	if (!exec.ok) {
		throw new Error(
			`the workflow failed: ${exec.error?.message ?? '(no error in the output)'}\n${exec.explain()}`,
		);
	}
}

function calls(sim: Simulator, method: string, path: RegExp): RecordedRequest[] {
	return sim.record.requests.filter(
		(r) => r.origin === 'api' && r.method === method && path.test(r.path),
	);
}

if (SKIP) {
	test.skip('end-to-end tier skipped by FLORA_E2E_SKIP=1', () => undefined);
} else {
	describe.each(lines.map((line) => [line.version, line] as [string, N8nLine]))(
		'n8n %s',
		lineSuite,
	);
}

/** Every scenario against one n8n line. */
function lineSuite(version: string, line: N8nLine) {
	let sim: Simulator;
	let n8n: N8nHome;
	let files: string;
	const fixtures: Record<string, Buffer> = {};

	/** A test that records its time for the closing table. */
	function scenario(name: string, fn: () => Promise<void>, opts: { timeoutMs?: number } = {}) {
		test(
			name,
			async () => {
				const started = Date.now();
				let ok = false;
				try {
					await fn();
					ok = true;
				} finally {
					const dir = runDir();
					appendFileSync(
						join(dir, 'timings.jsonl'),
						`${JSON.stringify({ line: version, scenario: name, ms: Date.now() - started, ok })}\n`,
					);
					if (!ok) writeFileSync(join(dir, 'FAILED'), `${version}: ${name}\n`, { flag: 'a' });
				}
			},
			opts.timeoutMs,
		);
	}

	const binaryWf = workflow('floraE2eBinary01', 'E2E binary from disk', [
		manualTrigger(),
		readFiles(''),
		flora('Flora', {
			operation: 'create',
			workspace: workspaceId('ws_demo'),
			source: 'binary',
			binaryPropertyName: 'data',
			additionalFields: { folder: 'e2e' },
			options: {},
		}),
	]);
	const faultWf = workflow('floraE2eFaults01', 'E2E rate limit and upload reset', [
		manualTrigger(),
		readFiles(''),
		flora('Flora', {
			operation: 'create',
			workspace: workspaceId('ws_demo'),
			source: 'binary',
			// The upload host's faults: the signed upload even for this small file.
			options: { directUpload: false },
		}),
	]);
	const urlWf = workflow('floraE2eUrlSrc01', 'E2E URL source', [
		manualTrigger(),
		flora('Flora', {
			operation: 'create',
			workspace: workspaceId('ws_studio'),
			source: 'url',
			url: 'https://example.com/e2e/poster.png',
			additionalFields: { fileName: 'poster.png' },
			options: {},
		}),
	]);
	const reserveWf = workflow('floraE2eReserve1', 'E2E reserve only', [
		manualTrigger(),
		flora('Flora', {
			operation: 'create',
			workspace: workspaceId('ws_demo'),
			source: 'signedUrl',
			additionalFields: { fileName: 'later.mp4', contentType: 'video/mp4' },
			options: {},
		}),
	]);
	// A workspace ID that only turns out bad at run time (from an expression, as from upstream data).
	const badWorkspaceWf = workflow('floraE2eBadWs001', 'E2E bad workspace', [
		manualTrigger(),
		flora('Flora', {
			operation: 'create',
			workspace: workspaceId('={{ "oo" + "ps" }}'),
			source: 'url',
			url: 'https://example.com/e2e/never.png',
			options: {},
		}),
	]);
	// The same ID typed in: the locator's own pattern (^ws_) lets n8n refuse the workflow before it runs.
	const typedBadWorkspaceWf = workflow('floraE2eBadWs002', 'E2E typed bad workspace', [
		manualTrigger(),
		flora('Flora', {
			operation: 'create',
			workspace: workspaceId('oops'),
			source: 'url',
			url: 'https://example.com/e2e/never.png',
			options: {},
		}),
	]);
	const continueWf = workflow('floraE2eContinue', 'E2E continue on fail', [
		manualTrigger(),
		code(
			'Three Items',
			[
				'return [',
				"  { json: { workspace: 'ws_demo', url: 'https://example.com/e2e/one.png' } },",
				"  { json: { workspace: 'oops', url: 'https://example.com/e2e/two.png' } },",
				"  { json: { workspace: 'ws_studio', url: 'https://example.com/e2e/three.png' } },",
				'];',
			].join('\n'),
		),
		flora(
			'Flora',
			{
				operation: 'create',
				workspace: workspaceId('={{ $json.workspace }}'),
				source: 'url',
				url: '={{ $json.url }}',
				options: {},
			},
			{ onError: 'continueRegularOutput' },
		),
	]);
	const readWf = workflow(
		'floraE2eReadOps1',
		'E2E get and get many',
		[
			manualTrigger(),
			flora('Get', { operation: 'get', assetId: 'asset_e2e_known' }),
			flora('Get All', {
				operation: 'getAll',
				returnAll: true,
				filters: { workspaceId: workspaceId('ws_archive') },
			}),
			flora('First 3', {
				operation: 'getAll',
				returnAll: false,
				limit: 3,
				filters: { workspaceId: workspaceId('ws_archive') },
			}),
			flora(
				'Get Missing',
				{ operation: 'get', assetId: 'asset_e2e_missing' },
				{ onError: 'continueRegularOutput' },
			),
		],
		[
			['Start', 'Get All'],
			['Start', 'First 3'],
			['Start', 'Get Missing'],
		],
	);
	const redirectWf = workflow(
		'floraE2eRedirect',
		'E2E redirects',
		[
			manualTrigger(),
			flora(
				'Get',
				{ operation: 'get', assetId: 'asset_e2e_known' },
				{ onError: 'continueRegularOutput' },
			),
			readFiles(''),
			flora('Upload', {
				operation: 'create',
				workspace: workspaceId('ws_demo'),
				source: 'binary',
				options: { directUpload: false },
			}),
		],
		[
			['Start', 'Read Files'],
			['Read Files', 'Upload'],
		],
	);
	const webhookWf: Workflow = workflow('floraE2eWebhook1', 'E2E webhook upload', [
		{
			...manualTrigger(),
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			webhookId: '5b0e7c59-8f0e-4a1c-9d7e-0000000e2e01',
			parameters: {
				httpMethod: 'POST',
				path: 'flora-e2e-upload',
				responseMode: 'lastNode',
				options: {},
			},
		},
		flora('Flora', {
			operation: 'create',
			workspace: workspaceId('ws_demo'),
			source: 'binary',
			binaryPropertyName: 'file',
			options: {},
		}),
	]);
	const exampleWf = exampleWorkflow('floraE2eExample1');

	// On Error, as users set it, for every operation. Each Flora node gets three
	// items: one fails validation, one fails at FLORA, one succeeds.
	const orders = () =>
		code(
			'Orders',
			[
				'return [',
				"  { json: { order: 'o-0', ws: 'oops', id: '12345', url: 'https://example.com/e2e/o0.png' } },",
				"  { json: { order: 'o-1', ws: 'ws_demo', id: 'asset_e2e_gone', url: 'https://example.com/e2e/o1.png' } },",
				"  { json: { order: 'o-2', ws: 'ws_studio', id: 'asset_e2e_known', url: 'https://example.com/e2e/o2.png' } },",
				'];',
			].join('\n'),
		);
	const onErrorNodes = (
		onError: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput',
	) => [
		flora(
			'Create',
			{
				operation: 'create',
				workspace: workspaceId('={{ $json.ws }}'),
				source: 'url',
				url: '={{ $json.url }}',
				// One at a time, so the injected fault meets item o-1.
				options: { concurrency: 1 },
			},
			{ onError },
		),
		flora('Get', { operation: 'get', assetId: '={{ $json.id }}' }, { onError }),
		flora(
			'Get Many',
			{
				operation: 'getAll',
				returnAll: true,
				filters: { workspaceId: workspaceId('={{ $json.ws }}') },
			},
			{ onError },
		),
	];
	const passThrough = (name: string) => code(name, 'return $input.all();');
	const errorOutputWf = workflow(
		'floraE2eOnError1',
		'E2E error output for every operation',
		[
			manualTrigger(),
			orders(),
			...onErrorNodes('continueErrorOutput'),
			...['Create', 'Get', 'Get Many'].flatMap((op) => [
				passThrough(`${op} OK`),
				passThrough(`${op} Failed`),
			]),
		],
		[
			...['Create', 'Get', 'Get Many'].flatMap(
				(op): Array<[string, string] | [string, string, number]> => [
					['Orders', op],
					[op, `${op} OK`, 0],
					[op, `${op} Failed`, 1],
				],
			),
		],
	);
	const continueAllWf = workflow(
		'floraE2eContAll1',
		'E2E continue for every operation',
		[manualTrigger(), orders(), ...onErrorNodes('continueRegularOutput')],
		['Create', 'Get', 'Get Many'].map((op): [string, string] => ['Orders', op]),
	);
	const stopWfs = (['Create', 'Get', 'Get Many'] as const).map((op, i) =>
		workflow(`floraE2eStopOp0${i}`, `E2E stop on ${op}`, [
			manualTrigger(),
			code(
				'Order',
				"return [{ json: { order: 'o-1', ws: 'ws_demo', id: 'asset_e2e_gone', url: 'https://example.com/e2e/o1.png' } }];",
			),
			onErrorNodes('stopWorkflow')[i],
		]),
	);

	beforeAll(async () => {
		const started = Date.now();
		const dir = join(runDir(), `n8n-${version}`);
		files = join(dir, 'files');
		mkdirSync(files, { recursive: true });
		fixtures['photo.png'] = makePng(64, 48);
		// Over 1 MiB, so the upload streams in several chunks with one exact Content-Length.
		fixtures['big.png'] = makePng(1024, 1024, { noise: true, seed: 7 });
		fixtures['webhook.png'] = makePng(32, 32);
		for (const [name, bytes] of Object.entries(fixtures)) writeFileSync(join(files, name), bytes);
		binaryWf.nodes[1].parameters.fileSelector = join(files, '{photo,big}.png');
		faultWf.nodes[1].parameters.fileSelector = join(files, 'photo.png');
		redirectWf.nodes[2].parameters.fileSelector = join(files, 'photo.png');

		sim = await startSimulator({ quiet: true });
		const install = await ensureN8n(line);
		n8n = await N8nHome.create({ install, workDir: dir, filesDir: files });
		await n8n.installPackage(process.env.FLORA_E2E_TARBALL as string);
		await n8n.importCredentials([simulatorCredential(sim.apiBaseUrl, sim.apiKey)]);
		await n8n.importWorkflows([
			binaryWf,
			faultWf,
			urlWf,
			reserveWf,
			badWorkspaceWf,
			typedBadWorkspaceWf,
			continueWf,
			readWf,
			redirectWf,
			webhookWf,
			exampleWf,
			errorOutputWf,
			continueAllWf,
			...stopWfs,
		]);
		appendFileSync(
			join(runDir(), 'timings.jsonl'),
			`${JSON.stringify({ line: version, scenario: 'setup: user folder, package, credential and workflow imports', ms: Date.now() - started, ok: true })}\n`,
		);
	}, 300_000);

	afterAll(async () => {
		await n8n?.stop();
		await sim?.close();
	});

	beforeEach(() => sim.reset());

	scenario(
		'(a) binary files read from disk, filesystem binary mode: bytes arrive intact',
		async () => {
			const exec = await n8n.execute(binaryWf.id);
			expectSuccess(exec);
			const items = exec.items('Flora');
			expect(items.map((i) => i.json.status)).toEqual(['ready', 'ready']);
			expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);

			const byName = new Map(items.map((i) => [i.json.name as string, i]));
			for (const name of ['photo.png', 'big.png']) {
				const item = byName.get(name);
				expect(item?.json).toMatchObject({
					workspace_id: 'ws_demo',
					content_type: 'image/png',
					size_bytes: fixtures[name].length,
				});
				expect(item?.json.asset_id).toMatch(/^asset_/);
				// 4 MB or less: one multipart POST /assets; larger: the signed upload.
				expect(item?.json.uploaded_via).toBe(
					fixtures[name].length <= 4 * 1024 * 1024 ? 'direct' : 'signed_url',
				);
				// The input's binary passes through, stored on disk by n8n (not inline base64).
				expect(String(item?.binary?.data?.id)).toMatch(/^filesystem/);
				const upload = sim.record.uploads.find((u) => u.assetId === item?.json.asset_id);
				expect(upload).toMatchObject({
					ok: true,
					fileName: name,
					partContentType: 'image/png',
					size: fixtures[name].length,
					sha256: sha256(fixtures[name]),
					chunked: false,
				});
			}
			expect(sim.record.violations).toEqual([]);
			expect(
				sim.record.requests.filter((r) => r.origin !== 'api').every((r) => !r.hasAuthorization),
			).toBe(true);
			expect(sim.assets({ status: 'ready' })).toHaveLength(2);
		},
	);

	scenario('(b) URL source: FLORA fetches it, the node polls until ready', async () => {
		const exec = await n8n.execute(urlWf.id);
		expectSuccess(exec);
		const [item] = exec.items('Flora');
		expect(item.json).toMatchObject({
			status: 'ready',
			uploaded_via: 'url',
			workspace_id: 'ws_studio',
			name: 'poster.png',
		});
		const create = calls(sim, 'POST', /^\/assets$/);
		expect(create).toHaveLength(1);
		// The simulator answers "pending" to the first polls of a URL asset.
		expect(calls(sim, 'GET', /^\/assets\/asset_/).length).toBeGreaterThanOrEqual(2);
		expect(sim.record.uploads).toEqual([]);
	});

	scenario('(c) reserve only: the raw reservation with its upload form', async () => {
		const exec = await n8n.execute(reserveWf.id);
		expectSuccess(exec);
		const [item] = exec.items('Flora');
		expect(item.json).toMatchObject({ status: 'pending_upload', workspace_id: 'ws_demo' });
		expect(item.json.upload).toEqual(expect.objectContaining({ url: expect.any(String) }));
		expect(typeof item.json.upload_url).toBe('string');
		expect(Number.isNaN(Date.parse(item.json.expires_at))).toBe(false);
		expect(sim.record.uploads).toEqual([]);
		expect(calls(sim, 'POST', /\/complete$/)).toEqual([]);
	});

	scenario(
		'(d) 429 with Retry-After on create and a reset upload: one ready asset, no duplicate',
		async () => {
			sim.inject({
				target: 'api',
				method: 'POST',
				path: '/assets',
				kind: 'status',
				status: 429,
				code: 'rate_limited',
				message: 'Slow down',
				retryAfter: '1',
			});
			sim.inject({ target: 'upload', kind: 'reset', afterBytes: 64 });
			const exec = await n8n.execute(faultWf.id);
			expectSuccess(exec);
			const [item] = exec.items('Flora');
			expect(item.json.status).toBe('ready');

			expect(sim.assets()).toHaveLength(1);
			expect(sim.record.duplicatesPrevented).toBe(0);
			const creates = calls(sim, 'POST', /^\/assets$/);
			expect(creates.map((r) => r.status)).toEqual([429, 201]);
			// The same Idempotency-Key on the retried create, and Retry-After honoured.
			expect(creates[1].idempotencyKey).toBe(creates[0].idempotencyKey);
			expect(
				creates[1].startedAt - (creates[0].endedAt ?? creates[0].startedAt),
			).toBeGreaterThanOrEqual(950);
			// The reset upload's single-use form is replaced through /retry, then the bytes arrive.
			expect(sim.record.uploads.map((u) => u.ok)).toEqual([false, true]);
			expect(sim.record.uploads[1].sha256).toBe(sha256(fixtures['photo.png']));
			expect(sim.record.retries).toBe(1);
			expect(sim.record.violations).toEqual([]);
		},
	);

	scenario(
		'(e) a bad workspace ID fails the run with a message naming it, before any request',
		async () => {
			const exec = await n8n.execute(badWorkspaceWf.id);
			expect(exec.cli.code).toBe(1);
			expect(exec.ok).toBe(false);
			if (!exec.error) throw new Error(`no workflow error in the output.\n${exec.explain()}`);
			expect(exec.error.message).toBe('Workspace ID "oops" is not a FLORA workspace ID');
			expect(exec.error.node?.name).toBe('Flora');
			expect(
				sim.record.requests.filter((r) => r.origin === 'api' && r.path.startsWith('/assets')),
			).toEqual([]);
		},
	);

	scenario(
		'(e) a typed-in bad workspace ID: n8n itself refuses the workflow, nothing is sent',
		async () => {
			const exec = await n8n.execute(typedBadWorkspaceWf.id);
			expect(exec.cli.code).toBe(1);
			expect(exec.ok).toBe(false);
			expect(sim.record.requests.filter((r) => r.origin === 'api')).toEqual([]);
		},
	);

	scenario(
		'(f) Continue On Fail: three items, the bad one becomes {error} paired to its input',
		async () => {
			const exec = await n8n.execute(continueWf.id);
			expectSuccess(exec);
			const items = exec.items('Flora');
			expect(items).toHaveLength(3);
			expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
			expect(items[0].json).toMatchObject({ status: 'ready', workspace_id: 'ws_demo' });
			expect(items[1].json.message).toContain('oops');
			expect(items[1].json.asset_id).toBeUndefined();
			expect(items[2].json).toMatchObject({ status: 'ready', workspace_id: 'ws_studio' });
			expect(calls(sim, 'POST', /^\/assets$/)).toHaveLength(2);
			expect(sim.assets()).toHaveLength(2);
		},
	);

	scenario('(g) get and get many (cursor pagination), and a missing asset', async () => {
		sim.seedAssets(1, {
			asset_id: 'asset_e2e_known',
			workspace_id: 'ws_studio',
			name: 'known.png',
		});
		sim.seedAssets(120, { workspace_id: 'ws_archive' });
		const exec = await n8n.execute(readWf.id);
		expectSuccess(exec);

		const [known] = exec.items('Get');
		expect(known.json).toMatchObject({
			asset_id: 'asset_e2e_known',
			name: 'known.png',
			status: 'ready',
			workspace_id: 'ws_studio',
		});

		const all = exec.items('Get All');
		expect(all).toHaveLength(120);
		expect(new Set(all.map((i) => i.json.asset_id)).size).toBe(120);
		expect(all.every((i) => i.json.workspace_id === 'ws_archive')).toBe(true);
		const pages = calls(sim, 'GET', /^\/assets$/).filter(
			(r) => r.query.workspace_id === 'ws_archive',
		);
		expect(pages.filter((r) => r.query.cursor !== undefined).length).toBeGreaterThanOrEqual(1);

		expect(exec.items('First 3')).toHaveLength(3);

		const [missing] = exec.items('Get Missing');
		expect(missing.json.message).toMatch(/asset_e2e_missing/);
	});

	/** Faults that make the middle item (o-1) fail at FLORA in every operation. */
	function arrangeOnError() {
		sim.seedAssets(1, { asset_id: 'asset_e2e_known', workspace_id: 'ws_studio', name: 'k.png' });
		sim.seedAssets(2, { workspace_id: 'ws_studio' });
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/assets',
			kind: 'status',
			status: 402,
			code: 'insufficient_credits',
			message: 'Insufficient credits.',
		});
		sim.inject({
			target: 'api',
			method: 'GET',
			path: '/assets',
			kind: 'status',
			status: 403,
			code: 'forbidden',
			message: 'Forbidden.',
		});
	}
	const apiFailures: Record<string, { code: string; http_code: number; error: RegExp }> = {
		Create: { code: 'insufficient_credits', http_code: 402, error: /Insufficient credits/ },
		Get: { code: 'not_found', http_code: 404, error: /asset_e2e_gone was not found/ },
		'Get Many': { code: 'forbidden', http_code: 403, error: /Forbidden/ },
	};
	const pairs = (items: Array<{ pairedItem?: unknown }>) =>
		items.map((i) => (i.pairedItem as { item: number } | undefined)?.item);

	scenario(
		'(i) On Error → Continue (using error output): failed items of every operation leave on output 2, paired, with details',
		async () => {
			arrangeOnError();
			const exec = await n8n.execute(errorOutputWf.id);
			expectSuccess(exec);
			for (const op of ['Create', 'Get', 'Get Many']) {
				const success = exec.items(op, 0);
				const failure = exec.items(op, 1);
				expect(pairs(failure)).toEqual([0, 1]);
				expect(failure.map((i) => i.json.order)).toEqual(['o-0', 'o-1']);
				expect(failure[0].json.message).toMatch(/FLORA (workspace|asset) ID/);
				expect(failure[1].json.message).toMatch(apiFailures[op].error);
				expect(failure[1].json.error).toMatchObject({
					code: apiFailures[op].code,
					http_code: apiFailures[op].http_code,
					request_id: expect.stringMatching(/^req_/),
				});
				expect(success.length).toBeGreaterThan(0);
				expect(pairs(success).every((i) => i === 2)).toBe(true);
				expect(success.every((i) => i.json.error === undefined)).toBe(true);
				// The branch after each output ran with those items.
				expect(exec.items(`${op} Failed`)).toHaveLength(2);
				expect(exec.items(`${op} OK`)).toHaveLength(success.length);
			}
			expect(exec.items('Create', 0)[0].json).toMatchObject({ workspace_id: 'ws_studio' });
		},
	);

	scenario(
		'(j) On Error → Continue: every operation keeps failed items on its one output, as {message, error}',
		async () => {
			arrangeOnError();
			const exec = await n8n.execute(continueAllWf.id);
			expectSuccess(exec);
			for (const op of ['Create', 'Get', 'Get Many']) {
				const items = exec.items(op, 0);
				expect(exec.items(op, 1)).toEqual([]);
				const failed = items.filter((i) => i.json.error !== undefined);
				expect(pairs(failed)).toEqual([0, 1]);
				expect(Object.keys(failed[1].json).sort()).toEqual(['error', 'message']);
				expect(failed[1].json.error).toMatchObject({ code: apiFailures[op].code });
				expect(pairs(items.filter((i) => i.json.error === undefined)).every((i) => i === 2)).toBe(
					true,
				);
			}
		},
	);

	scenario(
		"(k) On Error → Stop Workflow: a FLORA error stops every operation with FLORA's message",
		async () => {
			for (const [i, op] of (['Create', 'Get', 'Get Many'] as const).entries()) {
				sim.reset();
				arrangeOnError();
				const exec = await n8n.execute(stopWfs[i].id);
				expect(exec.ok).toBe(false);
				expect(exec.error?.message).toMatch(apiFailures[op].error);
				expect(exec.error?.node?.name).toBe(op);
			}
		},
	);

	scenario(
		'(h) redirects to another origin: the API key never follows (API 307 refused, upload 307 followed bare)',
		async () => {
			sim.seedAssets(1, {
				asset_id: 'asset_e2e_known',
				workspace_id: 'ws_studio',
				name: 'known.png',
			});
			sim.inject({
				target: 'api',
				method: 'GET',
				path: '/assets/asset_e2e_known',
				kind: 'redirect',
			});
			sim.inject({ target: 'upload', kind: 'redirect', status: 307 });
			const exec = await n8n.execute(redirectWf.id);
			expectSuccess(exec);
			const elsewhere = sim.record.requests.filter((r) => r.origin === 'redirect');
			// The API's redirect is refused (the key stays with the Base URL); the upload
			// host's is followed by the node, with no credentials.
			expect(elsewhere.map((r) => r.method)).toEqual(['POST']);
			expect(elsewhere.filter((r) => r.hasAuthorization)).toEqual([]);
			const [got] = exec.items('Get');
			expect(String(got.json.message)).toMatch(
				/^FLORA: FLORA answered a redirect to .*, which is not followed/,
			);
			expect(sim.record.violations).toEqual([]);
			const [uploaded] = exec.items('Upload');
			expect(uploaded.json.status).toBe('ready');
			expect(sim.record.uploads.find((u) => u.ok)).toMatchObject({
				origin: 'redirect',
				sha256: sha256(fixtures['photo.png']),
			});
		},
	);

	scenario('the shipped example workflow (generated PNG -> Convert to File -> Flora)', async () => {
		const exec = await n8n.execute(exampleWf.id);
		expectSuccess(exec);
		const [item] = exec.items(EXAMPLE_FLORA_NODE);
		expect(item.json).toMatchObject({
			status: 'ready',
			content_type: 'image/png',
			workspace_id: 'ws_demo',
		});
		expect(sim.assets()[0]).toMatchObject({ folder: 'n8n', name: item.json.name });
		expect(item.json.url).toMatch(/^https:\/\//);
		const [upload] = sim.record.uploads;
		expect(upload).toMatchObject({ ok: true, partContentType: 'image/png' });
		expect(upload.fileName).toMatch(/^flora-flower-\d{4}-\d{2}-\d{2}\.png$/);
		expect(upload.size).toBeGreaterThan(40_000);
		expect(sim.record.violations).toEqual([]);
	});

	// The same exported workflow imported into two n8n instances (say staging and production):
	// both start counting executions at 1, so the derived Idempotency-Key must also carry the
	// instance, or the second instance's create would be answered 409 within FLORA's 2 hours.
	if (line === lines[0]) {
		scenario(
			'a second n8n instance running the same imported workflow gets its own asset',
			async () => {
				const second = (url: string): Workflow => {
					const wf = JSON.parse(JSON.stringify(urlWf)) as Workflow;
					wf.id = 'floraE2eTwoInst1';
					wf.nodes[1].parameters.url = url;
					return wf;
				};
				const outputs = [];
				for (const [name, url] of [
					['staging', 'https://example.com/staging/poster.png'],
					['production', 'https://example.com/production/poster.png'],
				]) {
					const home = await N8nHome.create({
						install: n8n.install,
						workDir: join(n8n.workDir, '..', `instance-${name}`),
						filesDir: files,
					});
					await home.installPackage(process.env.FLORA_E2E_TARBALL as string);
					await home.importCredentials([simulatorCredential(sim.apiBaseUrl, sim.apiKey)]);
					await home.importWorkflows([second(url)]);
					const exec = await home.execute('floraE2eTwoInst1');
					expectSuccess(exec);
					outputs.push(exec.items('Flora')[0].json);
				}
				expect(
					sim
						.assets()
						.map((a) => a.source)
						.sort(),
				).toEqual([
					'https://example.com/production/poster.png',
					'https://example.com/staging/poster.png',
				]);
				expect(outputs[1].asset_id).not.toBe(outputs[0].asset_id);
				expect(sim.record.duplicatesPrevented).toBe(0);
			},
		);
	}

	scenario('webhook trigger under `n8n start`: a posted file becomes an asset', async () => {
		await n8n.activate(webhookWf.id);
		const { ms } = await n8n.start();
		await n8n.waitForWebhook('flora-e2e-upload');
		try {
			const form = new FormData();
			form.append(
				'file',
				new Blob([fixtures['webhook.png']], { type: 'image/png' }),
				'from-webhook.png',
			);
			const response = await fetch(`${n8n.baseUrl}/webhook/flora-e2e-upload`, {
				method: 'POST',
				body: form,
			});
			const text = await response.text();
			if (response.status !== 200) {
				throw new Error(
					`webhook answered ${response.status}: ${text}\n(n8n started in ${ms} ms; log ${n8n.startLog})`,
				);
			}
			const asset = JSON.parse(text) as Record<string, unknown>;
			expect(asset).toMatchObject({
				status: 'ready',
				name: 'from-webhook.png',
				content_type: 'image/png',
				workspace_id: 'ws_demo',
			});
			const [upload] = sim.record.uploads;
			expect(upload).toMatchObject({
				ok: true,
				sha256: sha256(fixtures['webhook.png']),
				fileName: 'from-webhook.png',
			});
			expect(sim.record.violations).toEqual([]);
		} finally {
			await n8n.stop();
		}
		expect(n8n.running).toBe(false);
		// Nothing answers on the port once n8n stopped.
		await expect(fetch(`${n8n.baseUrl}/healthz`)).rejects.toThrow();
	});
}
