import { MODELS } from './catalog';
import { pollRun, sleep, statusOrder } from './gen-testkit';
import { startSimulator } from './index';
import { SpecValidator } from './openapi';
import { Client, formFor, pngBytes, req, upload } from './testkit';
import type { Simulator } from './types';

let sim: Simulator;
let api: Client;
const spec = new SpecValidator();

beforeAll(async () => {
	sim = await startSimulator({ quiet: true, runDurationMs: 300, largeOutputBytes: 1024 * 1024 });
	api = new Client(sim);
});
afterAll(() => sim.close());
beforeEach(() => {
	sim.reset();
	sim.configure({ runDurationMs: 300, runDurationOverrides: {} });
});

const PRJ = 'prj_' as const;
async function projectOf(ws = 'ws_demo'): Promise<string> {
	const r = await api.get(`/projects?workspace_id=${ws}&limit=1`);
	expect(r.json.projects[0].project_id.startsWith(PRJ)).toBe(true);
	return r.json.projects[0].project_id;
}

async function generate(extra: Record<string, unknown> = {}, headers?: Record<string, string>) {
	return api.post(
		'/generate',
		{
			type: 'image',
			prompt: 'a red chair',
			workspace_id: 'ws_demo',
			project_id: await projectOf(),
			...extra,
		},
		headers,
	);
}

const fieldsOf = (r: { json: { error: { fields?: Array<{ field: string }> } } }) =>
	(r.json.error.fields ?? []).map((f) => f.field).sort();

describe('models', () => {
	it('lists the catalogue, filters by type and rejects an unknown type', async () => {
		const all = await api.get('/models');
		expect(all.status).toBe(200);
		expect(all.headers['request-id']).toMatch(/^req_\w+$/);
		expect(all.json.models).toHaveLength(MODELS.length);
		expect(new Set(all.json.models.map((m: { type: string }) => m.type))).toEqual(
			new Set(['image', 'video', 'audio', 'text']),
		);
		const types = new Set(
			all.json.models.flatMap((m: { params: Array<{ type: string }> }) =>
				m.params.map((p) => p.type),
			),
		);
		expect([...types].sort()).toEqual(
			['bool', 'dict', 'float', 'int', 'int?', 'seed', 'string', 'string[]'].sort(),
		);
		const image = await api.get('/models?type=image');
		expect(image.json.models.map((m: { model_id: string }) => m.model_id)).toEqual([
			'flora-image-1',
			'flux-1.1-pro',
			'gpt-image-1',
		]);
		expect(image.json.meta).toBeUndefined();
		const bad = await api.get('/models?type=hologram');
		expect(bad.status).toBe(400);
		expect(fieldsOf(bad)).toEqual(['type']);
		expect((await new Client(sim, null).get('/models')).status).toBe(401);
	});
});

describe('POST /generate', () => {
	it('starts a generation with the default model and answers 201 with the run handle', async () => {
		const prj = await projectOf();
		const r = await generate();
		expect(r.status).toBe(201);
		expect(r.headers['request-id']).toMatch(/^req_\w+$/);
		expect(r.json).toEqual({
			run_id: expect.stringMatching(/^run_[0-9a-f]+$/),
			type: 'generation',
			estimated_seconds: 1,
			charged_cost: 0.04,
			poll_url: `${sim.apiBaseUrl}/runs/${r.json.run_id}`,
			project_id: prj,
			model: { model_id: 'flora-image-1' },
		});
		expect(sim.record.runs).toHaveLength(1);
		expect(sim.record.runs[0]).toMatchObject({
			run_id: r.json.run_id,
			run_type: 'generation',
			model_id: 'flora-image-1',
			workspace_id: 'ws_demo',
			project_id: prj,
			status: 'pending',
		});
	});

	it('moves pending → running → completed with rising progress and real outputs', async () => {
		const r = await generate({ model: 'flora-image-1', params: { num_images: 2, seed: 7 } });
		const answers = await pollRun(api, `/runs/${r.json.run_id}`);
		expect(statusOrder(answers)).toEqual(['pending', 'running', 'completed']);
		const progress = answers.map((a) => a.progress);
		expect(progress).toEqual([...progress].sort((a, b) => a - b));
		expect(progress[0]).toBe(0);
		expect(progress[progress.length - 1]).toBe(1);
		const last = answers[answers.length - 1];
		expect(last).toMatchObject({ charged_cost: 0.08, run_id: r.json.run_id });
		expect(last.created_at).toBeLessThanOrEqual(last.started_at);
		expect(last.started_at).toBeLessThanOrEqual(last.completed_at);
		expect(last.outputs).toHaveLength(2);
		expect(last.outputs.map((o: { type: string }) => o.type)).toEqual(['imageUrl', 'imageUrl']);
		expect(last.outputs[0].url.startsWith(`${sim.cdnOrigin}/outputs/`)).toBe(true);
		const rec = sim.gen.run(r.json.run_id)!;
		expect(rec.timeline.map((t) => t.status)).toEqual(['pending', 'running', 'completed']);
		expect(rec.outputs[0].file).toMatchObject({ kind: 'png', content_type: 'image/png' });
		expect(rec.outputs[0].file!.sha256).not.toBe(rec.outputs[1].file!.sha256);
		expect(rec.polls).toBe(answers.length);
		// The run before the end carries neither outputs nor error fields.
		expect(answers[0].outputs).toBeUndefined();
		expect(answers[0].error_code).toBeUndefined();
	});

	it('produces video, audio and text outputs', async () => {
		const prj = await projectOf();
		const base = { workspace_id: 'ws_demo', project_id: prj, prompt: 'waves' };
		const v = await api.post('/generate', { ...base, type: 'video' });
		const a = await api.post('/generate', {
			...base,
			type: 'audio',
			model: 'eleven-multilingual-v2',
			params: { voice: 'roger', stability: 0.2 },
		});
		const t = await api.post('/generate', { ...base, type: 'text', params: { max_tokens: 40 } });
		expect([v.status, a.status, t.status]).toEqual([201, 201, 201]);
		expect(v.json.model).toEqual({ model_id: 'veo-3' });
		const [vr, ar, tr] = await Promise.all(
			[v, a, t].map(async (x) => (await pollRun(api, `/runs/${x.json.run_id}`)).pop()),
		);
		expect(vr.outputs.map((o: { type: string }) => o.type)).toEqual(['videoUrl']);
		expect(ar.outputs.map((o: { type: string }) => o.type)).toEqual(['audioUrl']);
		expect(tr.outputs).toEqual([
			{
				output_id: expect.stringMatching(/^out_/),
				type: 'text',
				url: 'Generated by GPT-4o: waves',
			},
		]);
		expect(sim.gen.run(v.json.run_id)!.outputs[0].file!.content_type).toBe('video/mp4');
		expect(sim.gen.run(a.json.run_id)!.outputs[0].file!.content_type).toBe('audio/wav');
	});

	it('validates the body field by field', async () => {
		const missing = await api.post('/generate', {});
		expect(missing.status).toBe(400);
		expect(missing.json.error.code).toBe('input_validation_error');
		expect(fieldsOf(missing)).toEqual(['project_id', 'prompt', 'type', 'workspace_id']);
		const bad = await generate({
			type: 'image',
			workspace_id: 'demo',
			project_id: 'p1',
			extra: 1,
			callback_url: 'ftp://example.com/x',
		});
		expect(fieldsOf(bad)).toEqual(['callback_url', 'extra', 'project_id', 'workspace_id']);
		const model = await generate({ type: 'video', model: 'flux-1.1-pro' });
		expect(model.status).toBe(400);
		expect(model.json.error.fields).toEqual([
			{ field: 'model', message: 'Unknown model flux-1.1-pro for type video' },
		]);
		expect((await api.post('/generate', 'not json')).json.error.code).toBe('invalid_json');
		expect(sim.record.runs).toHaveLength(0);
	});

	it('validates params against the model: unknown key, wrong type, range, options, required', async () => {
		const flux = await generate({
			model: 'flux-1.1-pro',
			params: {
				guidance: 11,
				safety_tolerance: 2.5,
				raw: 'yes',
				aspect_ratio: '5:4',
				seed: -1,
				colour: 'red',
			},
		});
		expect(flux.status).toBe(400);
		expect(flux.json.error.fields).toEqual([
			{ field: 'params.guidance', message: 'Must be <= 10' },
			{ field: 'params.safety_tolerance', message: 'Expected integer, received number' },
			{ field: 'params.raw', message: 'Expected boolean, received string' },
			{ field: 'params.aspect_ratio', message: 'Must be one of 1:1, 16:9, 9:16, 3:2, 2:3' },
			{ field: 'params.seed', message: 'Expected an integer seed between 0 and 4294967295' },
			{ field: 'params.colour', message: 'Unknown parameter for model flux-1.1-pro' },
		]);
		const gpt = await generate({
			model: 'gpt-image-1',
			params: { reference_images: 'https://x', provider_options: [] },
		});
		expect(gpt.json.error.fields).toEqual([
			{
				field: 'params.reference_images',
				message: 'Expected an array of strings, received string',
			},
			{ field: 'params.provider_options', message: 'Expected object, received array' },
			{ field: 'params.quality', message: 'Required' },
		]);
		const ok = await generate({
			model: 'flux-1.1-pro',
			params: { guidance: 10, safety_tolerance: null, raw: true, seed: 4294967295 },
		});
		expect(ok.status).toBe(201);
		const kling = await generate({ type: 'video', model: 'kling-2.1', params: { duration: 7 } });
		expect(kling.json.error.fields).toEqual([
			{ field: 'params.duration', message: 'Must be one of 5, 10' },
			{ field: 'params.start_image', message: 'Required' },
		]);
	});

	it('answers 404 for a project of another workspace and 403 for a viewer', async () => {
		const other = await projectOf('ws_studio');
		const r = await generate({ project_id: other });
		expect(r.status).toBe(404);
		expect(r.json.error).toEqual({ code: 'not_found', message: 'Project not found.' });
		expect((await generate({ workspace_id: 'ws_nowhere' })).status).toBe(404);
		sim.configure({
			workspaces: [
				{ workspace_id: 'ws_demo', name: 'Demo', role: 'viewer' },
				{ workspace_id: 'ws_studio', name: 'Studio' },
			],
		});
		try {
			const v = await generate();
			expect(v.status).toBe(403);
			expect(v.json.error.code).toBe('forbidden');
		} finally {
			sim.configure({
				workspaces: [
					{ workspace_id: 'ws_demo', name: 'Demo Workspace' },
					{ workspace_id: 'ws_studio', name: 'Studio' },
					{ workspace_id: 'ws_archive', name: 'Archive' },
				],
			});
		}
	});

	it('honours Idempotency-Key: a reuse answers 409 and starts nothing', async () => {
		const first = await generate({}, { 'idempotency-key': 'gen-1' });
		const again = await generate({}, { 'idempotency-key': 'gen-1' });
		expect(first.status).toBe(201);
		expect(again.status).toBe(409);
		expect(again.json.error.code).toBe('idempotency_duplicate');
		expect(sim.record.runs).toHaveLength(1);
		expect(sim.record.runs[0].idempotency_key).toBe('gen-1');
		expect(sim.record.duplicatesPrevented).toBe(1);
		// A failed attempt is not remembered.
		expect((await generate({ type: 'nope' }, { 'idempotency-key': 'gen-2' })).status).toBe(400);
		expect((await generate({}, { 'idempotency-key': 'gen-2' })).status).toBe(201);
	});

	it('honours the idempotency_key body field: same body → same run, other body → 422', async () => {
		const first = await generate({ idempotency_key: 'body-1' });
		const same = await generate({ idempotency_key: 'body-1' });
		expect(first.status).toBe(201);
		expect(same.status).toBe(200);
		expect(same.json.run_id).toBe(first.json.run_id);
		const other = await generate({ idempotency_key: 'body-1', prompt: 'a blue chair' });
		expect(other.status).toBe(422);
		expect(other.json.error.code).toBe('idempotency_conflict');
		expect(sim.record.runs).toHaveLength(1);
		expect(sim.record.runs[0].body_idempotency_key).toBe('body-1');
	});

	it('uses per-model duration overrides', async () => {
		sim.configure({ runDurationOverrides: { 'flux-1.1-pro': 60_000 } });
		const slow = await generate({ model: 'flux-1.1-pro' });
		const fast = await generate();
		await pollRun(api, `/runs/${fast.json.run_id}`);
		expect(sim.gen.run(slow.json.run_id)!.status).not.toBe('completed');
		expect(sim.gen.run(slow.json.run_id)!.duration_ms).toBe(60_000);
		expect(slow.json.estimated_seconds).toBe(60);
	});
});

describe('GET /runs and GET /generations', () => {
	it('answers 404 for an unknown run', async () => {
		const r = await api.get('/runs/run_nope');
		expect(r.status).toBe(404);
		expect(r.json.error.code).toBe('not_found');
	});

	it('pages generations newest first, filters by project and status', async () => {
		const prj = await projectOf();
		const ids: string[] = [];
		for (let i = 0; i < 5; i++) ids.push((await generate({ prompt: `p${i}` })).json.run_id);
		const seen: string[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const r: Awaited<ReturnType<Client['get']>> = await api.get(
				`/generations?workspace_id=ws_demo&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
			);
			expect(r.status).toBe(200);
			pages++;
			for (const g of r.json.generations) {
				expect(g).toMatchObject({
					generation_id: `gen_${g.run_id.slice(4)}`,
					workspace_id: 'ws_demo',
					project_id: prj,
					model: { model_id: 'flora-image-1' },
				});
				seen.push(g.run_id);
			}
			cursor = r.json.meta.next_cursor;
		} while (cursor);
		expect(pages).toBe(3);
		expect(seen).toEqual([...ids].reverse());
		const other = await api.get(`/generations?project_id=${await projectOf('ws_studio')}`);
		expect(other.json.generations).toEqual([]);
		await pollRun(api, `/runs/${ids[4]}`);
		const done = await api.get('/generations?status=completed');
		expect(done.json.generations.map((g: { run_id: string }) => g.run_id)).toContain(ids[4]);
		expect(done.json.generations.every((g: { status: string }) => g.status === 'completed')).toBe(
			true,
		);
		const bad = await api.get('/generations?status=done&limit=500&cursor=zzz');
		expect(bad.status).toBe(400);
		expect(fieldsOf(bad)).toEqual(['cursor', 'limit', 'status']);
	});
});

describe('techniques', () => {
	it('lists techniques with pagination, query and workspace visibility', async () => {
		const page1 = await api.get('/techniques?workspace_id=ws_demo&limit=2');
		expect(page1.status).toBe(200);
		expect(page1.json.techniques).toHaveLength(2);
		const page2 = await api.get(
			`/techniques?workspace_id=ws_demo&limit=2&cursor=${page1.json.meta.next_cursor}`,
		);
		expect(page2.json.techniques).toHaveLength(2);
		expect(page2.json.meta.next_cursor).toBeNull();
		const ids = [...page1.json.techniques, ...page2.json.techniques].map(
			(t: { technique_id: string }) => t.technique_id,
		);
		expect(ids).toEqual([
			'tech_product_photo_variants',
			'tech_caption_writer',
			'tech_video_upscale',
			'tech_moodboard_teaser',
		]);
		const studio = await api.get('/techniques?workspace_id=ws_studio&limit=100');
		expect(studio.json.techniques.map((t: { slug: string }) => t.slug)).toContain(
			'studio-headshots',
		);
		const q = await api.get('/techniques?query=caption');
		expect(q.json.techniques.map((t: { name: string }) => t.name)).toEqual(['Caption Writer']);
		expect((await api.get('/techniques?limit=0')).status).toBe(400);
		expect((await api.get('/techniques?limit=101')).status).toBe(400);
		expect((await api.get('/techniques?workspace_id=ws_gone')).status).toBe(404);
	});

	it('gets a technique by id or slug with its IO', async () => {
		const byId = await api.get('/techniques/tech_product_photo_variants');
		const bySlug = await api.get('/techniques/product-photo-variants');
		expect(byId.json).toEqual(bySlug.json);
		expect(byId.json).toMatchObject({
			technique_id: 'tech_product_photo_variants',
			slug: 'product-photo-variants',
			name: 'Product Photo Variants',
			run_cost: 0.12,
			inputs: [
				{ id: 'product_image', type: 'imageUrl', accepts_element: true },
				{ id: 'style', type: 'text', optional: true },
			],
		});
		expect(byId.json.outputs).toHaveLength(3);
		expect(byId.json.workspaces).toBeUndefined();
		expect((await api.get('/techniques/tech_nope')).status).toBe(404);
	});

	it('runs a technique: 201 with the run, then completes with one output per technique output', async () => {
		const prj = await projectOf();
		const r = await api.post('/techniques/product-photo-variants/runs', {
			workspace_id: 'ws_demo',
			project_id: prj,
			inputs: [
				{ id: 'product_image', type: 'imageUrl', value: 'https://images.example.com/chair.png' },
				{ id: 'style', type: 'text', value: 'warm studio light' },
			],
			mode: 'async',
		});
		expect(r.status).toBe(201);
		expect(r.json).toMatchObject({
			run_id: expect.stringMatching(/^run_/),
			status: 'pending',
			progress: 0,
			poll_url: `${sim.apiBaseUrl}/techniques/tech_product_photo_variants/runs/${r.json.run_id}`,
		});
		const answers = await pollRun(
			api,
			`/techniques/tech_product_photo_variants/runs/${r.json.run_id}`,
		);
		expect(statusOrder(answers)).toEqual(['pending', 'running', 'completed']);
		const last = answers.pop();
		expect(last.outputs.map((o: { type: string }) => o.type)).toEqual([
			'imageUrl',
			'imageUrl',
			'imageUrl',
		]);
		expect(last.charged_cost).toBe(0.12);
		// The generic run path answers technique runs too; another technique's path does not.
		expect((await api.get(`/runs/${r.json.run_id}`)).json.status).toBe('completed');
		expect((await api.get(`/techniques/tech_caption_writer/runs/${r.json.run_id}`)).status).toBe(
			404,
		);
		const list = await api.get(
			`/technique-runs?workspace_id=ws_demo&technique_id=tech_product_photo_variants`,
		);
		expect(list.json.technique_runs).toEqual([
			expect.objectContaining({
				run_id: r.json.run_id,
				technique_id: 'tech_product_photo_variants',
				project_id: prj,
				status: 'completed',
			}),
		]);
		expect(list.json.meta.next_cursor).toBeNull();
		expect(
			(await api.get('/technique-runs?technique_id=tech_caption_writer')).json.technique_runs,
		).toEqual([]);
	});

	it('runs without workspace_id (SDK shape) in the first workspace, text outputs carry text', async () => {
		const r = await api.post('/techniques/tech_caption_writer/runs', {
			inputs: [{ id: 'brief', type: 'text', value: 'autumn sale' }],
		});
		expect(r.status).toBe(201);
		const last = (await pollRun(api, `/runs/${r.json.run_id}`)).pop();
		expect(last.outputs).toEqual([
			{
				output_id: expect.stringMatching(/^out_/),
				type: 'text',
				url: 'Caption from Caption Writer',
			},
		]);
		expect(sim.gen.run(r.json.run_id)!.workspace_id).toBe('ws_demo');
	});

	it('validates inputs: missing, unknown, wrong type, refused URLs', async () => {
		const r = await api.post('/techniques/tech_product_photo_variants/runs', {
			workspace_id: 'ws_demo',
			inputs: [
				{ id: 'style', type: 'imageUrl', value: 'x' },
				{ id: 'colour', type: 'text', value: 'red' },
			],
			mode: 'stream',
		});
		expect(r.status).toBe(400);
		expect(r.json.error.fields).toEqual([
			{ field: 'mode', message: 'The simulator runs techniques async only' },
			{ field: 'inputs[0].type', message: 'Expected text for input style' },
			{
				field: 'inputs[1].id',
				message: 'Unknown input colour; expected one of product_image, style',
			},
			{ field: 'inputs.product_image', message: 'Required input Product image is missing' },
		]);
		const urls = [
			['http://images.example.com/a.png', 'Only https:// URLs can be fetched (got http:)'],
			['https://127.0.0.1/a.png', 'Private, loopback and link-local hosts are not allowed'],
			['https://localhost/a.png', 'Private, loopback and link-local hosts are not allowed'],
			['not a url', 'Must be an HTTPS URL'],
		];
		for (const [value, message] of urls) {
			const bad = await api.post('/techniques/tech_product_photo_variants/runs', {
				inputs: [{ id: 'product_image', type: 'imageUrl', value }],
			});
			expect(bad.json.error.fields).toEqual([{ field: 'inputs[0].value', message }]);
		}
		const missingInputs = await api.post('/techniques/tech_caption_writer/runs', {});
		expect(missingInputs.json.error.fields).toEqual([{ field: 'inputs', message: 'Required' }]);
		const unknown = await api.post('/techniques/tech_nope/runs', { inputs: [] });
		expect(unknown.status).toBe(404);
		const hidden = await api.post('/techniques/studio-headshots/runs', {
			workspace_id: 'ws_demo',
			inputs: [{ id: 'portrait', type: 'imageUrl', value: 'https://example.com/p.png' }],
		});
		expect(hidden.status).toBe(404);
		expect(sim.record.runs).toHaveLength(0);
	});

	it("accepts the simulator's own asset and CDN URLs and several values where allowed", async () => {
		const [asset] = sim.seedAssets(1);
		expect(asset.url.startsWith(`${sim.cdnOrigin}/assets/`)).toBe(true);
		const r = await api.post('/techniques/moodboard-teaser/runs', {
			inputs: [
				{ id: 'moodboard', type: 'imageUrl', value: asset.url },
				{ id: 'moodboard', type: 'imageUrl', value: 'https://images.example.com/b.png' },
				{ id: 'script', type: 'text', value: 'Autumn is here.' },
			],
		});
		expect(r.status).toBe(201);
		const last = (await pollRun(api, `/runs/${r.json.run_id}`)).pop();
		expect(last.outputs.map((o: { type: string }) => o.type)).toEqual([
			'videoUrl',
			'audioUrl',
			'documentUrl',
		]);
		const dup = await api.post('/techniques/tech_caption_writer/runs', {
			inputs: [
				{ id: 'brief', type: 'text', value: 'a' },
				{ id: 'brief', type: 'text', value: 'b' },
			],
		});
		expect(dup.json.error.fields).toEqual([
			{ field: 'inputs[1].id', message: 'Input brief takes one value' },
		]);
	});

	it('honours the body idempotency_key (24 h): replay and 422 conflict', async () => {
		const body = {
			inputs: [{ id: 'brief', type: 'text', value: 'launch' }],
			idempotency_key: 'tech-key-1',
		};
		const first = await api.post('/techniques/tech_caption_writer/runs', body);
		const replay = await api.post('/techniques/tech_caption_writer/runs', body);
		expect(first.status).toBe(201);
		expect(replay.status).toBe(200);
		expect(replay.json.run_id).toBe(first.json.run_id);
		const conflict = await api.post('/techniques/tech_caption_writer/runs', {
			...body,
			inputs: [{ id: 'brief', type: 'text', value: 'other' }],
		});
		expect(conflict.status).toBe(422);
		expect(conflict.json.error).toEqual({
			code: 'idempotency_conflict',
			message: 'This idempotency_key was already used with a different request body.',
		});
		const header = await api.post(
			'/techniques/tech_caption_writer/runs',
			{ inputs: body.inputs },
			{ 'idempotency-key': 'h-1' },
		);
		const headerAgain = await api.post(
			'/techniques/tech_caption_writer/runs',
			{ inputs: body.inputs },
			{ 'idempotency-key': 'h-1' },
		);
		expect([header.status, headerAgain.status]).toEqual([201, 409]);
		expect(sim.record.runs.map((r) => [r.body_idempotency_key, r.idempotency_key])).toEqual([
			['tech-key-1', undefined],
			[undefined, 'h-1'],
		]);
	});

	it('pages technique runs newest first', async () => {
		const ids: string[] = [];
		for (let i = 0; i < 3; i++) {
			const r = await api.post('/techniques/tech_caption_writer/runs', {
				inputs: [{ id: 'brief', type: 'text', value: `b${i}` }],
			});
			ids.push(r.json.run_id);
		}
		const p1 = await api.get('/technique-runs?limit=2');
		const p2 = await api.get(`/technique-runs?limit=2&cursor=${p1.json.meta.next_cursor}`);
		expect(
			[...p1.json.technique_runs, ...p2.json.technique_runs].map(
				(r: { run_id: string }) => r.run_id,
			),
		).toEqual([...ids].reverse());
		expect(p2.json.meta.next_cursor).toBeNull();
	});
});

describe('API faults on the generative endpoints', () => {
	it('429 with Retry-After and 5xx on POST /generate start nothing', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/generate',
			kind: 'status',
			status: 429,
			retryAfter: '2',
		});
		sim.inject({ target: 'api', method: 'POST', path: '/generate', kind: 'status', status: 503 });
		const limited = await generate();
		expect(limited.status).toBe(429);
		expect(limited.headers['retry-after']).toBe('2');
		expect(limited.json.error.code).toBe('rate_limited');
		expect((await generate()).status).toBe(503);
		expect(sim.record.runs).toHaveLength(0);
		expect((await generate()).status).toBe(201);
		expect(sim.record.runs).toHaveLength(1);
	});

	it('a lost answer on a technique run applies it, then closes the socket', async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: /^\/techniques\/[^/]+\/runs$/,
			kind: 'lostResponse',
		});
		await expect(
			api.post('/techniques/tech_caption_writer/runs', {
				inputs: [{ id: 'brief', type: 'text', value: 'x' }],
			}),
		).rejects.toThrow();
		expect(sim.record.runs).toHaveLength(1);
		expect(sim.record.countByStatus({ path: /^\/techniques\// })).toEqual({ lost: 1 });
	});

	it('faults the GETs too', async () => {
		const r = await generate();
		sim.inject({ target: 'api', method: 'GET', path: /^\/runs\//, kind: 'status', status: 500 });
		expect((await api.get(`/runs/${r.json.run_id}`)).status).toBe(500);
		expect((await api.get(`/runs/${r.json.run_id}`)).status).toBe(200);
	});
});

describe('run failures and runs that never end', () => {
	const codes = [
		'GENERATION_PROVIDER_TIMEOUT',
		'GPU_PROVIDER_ERROR',
		'GENERATION_PROMPT_MODERATED',
		'GENERATION_CANCELLED',
	];
	it.each(codes)('fails a run with %s after it ran', async (code) => {
		sim.gen.injectRunFault({ kind: 'fail', code });
		const r = await generate();
		const answers = await pollRun(api, `/runs/${r.json.run_id}`);
		expect(statusOrder(answers)).toEqual(['pending', 'running', 'failed']);
		const last = answers.pop();
		expect(last.error_code).toBe(code);
		expect(last.error_message).toEqual(expect.any(String));
		expect(last.error_message.length).toBeGreaterThan(10);
		expect(last.outputs).toBeUndefined();
		expect(last.charged_cost).toBe(0);
		expect(last.progress).toBeLessThan(1);
		expect(sim.gen.run(r.json.run_id)!.fault).toBe('fail');
	});

	it('fails BILLING_NOT_ENOUGH_CREDITS while pending, with a given message', async () => {
		sim.gen.injectRunFault({
			kind: 'fail',
			code: 'BILLING_NOT_ENOUGH_CREDITS',
			message: 'Workspace is out of credits.',
		});
		const r = await generate();
		const answers = await pollRun(api, `/runs/${r.json.run_id}`);
		expect(statusOrder(answers)).toEqual(['pending', 'failed']);
		expect(answers.pop()).toMatchObject({
			error_code: 'BILLING_NOT_ENOUGH_CREDITS',
			error_message: 'Workspace is out of credits.',
		});
		expect(sim.gen.run(r.json.run_id)!.timeline.map((t) => t.status)).toEqual([
			'pending',
			'failed',
		]);
	});

	it('matches faults by run type, model and skip', async () => {
		sim.gen.injectRunFault({ kind: 'fail', code: 'GPU_PROVIDER_ERROR', runType: 'technique' });
		sim.gen.injectRunFault({ kind: 'fail', code: 'GPU_PROVIDER_ERROR', model: 'veo-3', skip: 1 });
		const img = await generate();
		const v1 = await generate({ type: 'video' });
		const v2 = await generate({ type: 'video' });
		const t = await api.post('/techniques/tech_caption_writer/runs', {
			inputs: [{ id: 'brief', type: 'text', value: 'x' }],
		});
		const ends = await Promise.all(
			[img, v1, v2, t].map(async (x) => (await pollRun(api, `/runs/${x.json.run_id}`)).pop()),
		);
		expect(ends.map((e) => e.status)).toEqual(['completed', 'completed', 'failed', 'failed']);
	});

	it('leaves a run running forever until finished by hand', async () => {
		sim.gen.injectRunFault({ kind: 'hang' });
		const r = await generate();
		const answers = await pollRun(api, `/runs/${r.json.run_id}`, { everyMs: 50, maxPolls: 20 });
		expect(answers).toHaveLength(20);
		expect(statusOrder(answers)).toEqual(['pending', 'running']);
		expect(Math.max(...answers.map((a) => a.progress))).toBeLessThan(1);
		await sleep(400);
		expect((await api.get(`/runs/${r.json.run_id}`)).json.status).toBe('running');
		const finished = sim.gen.finishRun(r.json.run_id);
		expect(finished.status).toBe('completed');
		expect((await api.get(`/runs/${r.json.run_id}`)).json.outputs).toHaveLength(1);
		const other = await generate();
		sim.gen.injectRunFault({ kind: 'hang' });
		const third = await generate();
		expect(
			sim.gen.finishRun(third.json.run_id, { code: 'GENERATION_CANCELLED' }).error_message,
		).toBe('The run was cancelled.');
		expect((await pollRun(api, `/runs/${other.json.run_id}`)).pop().status).toBe('completed');
	});

	it('rejects malformed run faults', () => {
		expect(() => sim.gen.injectRunFault({ kind: 'explode' } as never)).toThrow(/unknown/);
		expect(() => sim.gen.injectRunFault({ kind: 'fail' } as never)).toThrow(/code/);
	});
});

describe('projects', () => {
	it('creates, gets and lists projects consistently (FLORA spec shapes)', async () => {
		const created = await api.post('/projects', { name: 'Autumn', workspace_id: 'ws_demo' });
		expect(created.status).toBe(201);
		expect(spec.check('post', '/projects', 201, created.json)).toBeUndefined();
		const got = await api.get(`/projects/${created.json.project_id}`);
		expect(got.json).toEqual(created.json);
		expect(spec.check('get', '/projects/{projectId}', 200, got.json)).toBeUndefined();
		const listed = await api.get('/projects?workspace_id=ws_demo&query=autumn');
		expect(listed.json.projects).toEqual([created.json]);
		expect((await api.get('/projects/prj_missing')).status).toBe(404);
		const malformed = await api.get('/projects/not-a-project');
		expect(malformed.status).toBe(500);
		expect(malformed.json.error.code).toBe('unknown_error');
		expect(malformed.headers['request-id']).toMatch(/^req_/);
	});

	it('lists project nodes and attaches a ready asset once', async () => {
		const prj = await projectOf();
		const nodes = await api.get(`/projects/${prj}/nodes`);
		expect(nodes.json.nodes).toEqual([
			{ node_id: expect.stringMatching(/^node_/), type: 'text', label: 'Brief' },
		]);
		const [asset] = sim.seedAssets(1, { name: 'hero.png' });
		const r = await api.post(`/projects/${prj}/assets/${asset.asset_id}/attach`);
		expect(r.status).toBe(200);
		expect(r.json).toEqual({
			asset_id: asset.asset_id,
			canvas_url: `https://app.flora.ai/projects/${prj}?node=${r.json.node_id}`,
			node_id: expect.stringMatching(/^node_/),
			project_id: prj,
		});
		const again = await api.post(`/projects/${prj}/assets/${asset.asset_id}/attach`);
		expect(again.json.node_id).toBe(r.json.node_id);
		const after = await api.get(`/projects/${prj}/nodes`);
		expect(after.json.nodes).toHaveLength(2);
		expect(after.json.nodes[1]).toEqual({
			node_id: r.json.node_id,
			type: 'image',
			asset_id: asset.asset_id,
			url: asset.url,
			label: 'hero.png',
		});
	});

	it('refuses to attach a pending or failed asset, an unknown asset or project', async () => {
		const prj = await projectOf();
		const pending = await api.reserve();
		const r = await api.post(`/projects/${prj}/assets/${pending.asset_id}/attach`);
		expect(r.status).toBe(409);
		expect(r.json.error.code).toBe('asset_not_ready');
		expect(r.json.error.message).toContain('pending_upload');
		const [failed] = sim.seedAssets(1, { status: 'failed' });
		const f = await api.post(`/projects/${prj}/assets/${failed.asset_id}/attach`);
		expect(f.status).toBe(400);
		expect(f.json.error.fields).toEqual([
			{ field: 'asset_id', message: `Asset ${failed.asset_id} failed and cannot be attached` },
		]);
		expect((await api.post(`/projects/${prj}/assets/asset_nope/attach`)).status).toBe(404);
		const [ok] = sim.seedAssets(1);
		expect((await api.post(`/projects/prj_nope/assets/${ok.asset_id}/attach`)).status).toBe(404);
		const studio = await projectOf('ws_studio');
		expect((await api.post(`/projects/${studio}/assets/${ok.asset_id}/attach`)).status).toBe(404);
		// Idempotency-Key on attach, as on every POST.
		const h = { 'idempotency-key': 'attach-1' };
		expect(
			(await api.post(`/projects/${prj}/assets/${ok.asset_id}/attach`, undefined, h)).status,
		).toBe(200);
		expect(
			(await api.post(`/projects/${prj}/assets/${ok.asset_id}/attach`, undefined, h)).status,
		).toBe(409);
	});

	it('adds completed outputs of a project run to its nodes', async () => {
		const prj = await projectOf();
		const r = await generate();
		await pollRun(api, `/runs/${r.json.run_id}`);
		const nodes = (await api.get(`/projects/${prj}/nodes`)).json.nodes;
		expect(nodes.map((n: { type: string }) => n.type)).toEqual(['text', 'image']);
	});

	it('serves an uploaded asset from its url on the CDN', async () => {
		const created = await api.reserve();
		await upload(created.upload.url, formFor(created, { data: pngBytes(4, 3, 5000) }));
		const done = await api.post(`/assets/${created.asset_id}/complete`);
		expect(done.json.status).toBe('ready');
		const file = (await sim.gen.assetFile(created.asset_id))!;
		expect(file).toMatchObject({
			url: done.json.url,
			size: 5000,
			content_type: 'image/png',
			file_name: 'hero.png',
		});
		expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
		const res = await req(done.json.url);
		expect(res.status).toBe(200);
		expect(res.headers['content-length']).toBe('5000');
		expect(res.headers['content-disposition']).toBe('attachment; filename="hero.png"');
	});
});
