import { Client } from '../../simulator/testkit';
import { locator, pairedIndexes, simulatorForFile } from '../harness/flora';
import { calls, descriptionOf, itemIndexOf, projectsOf, runResource } from '../harness/resources';

const sim = simulatorForFile();

const create = (parameters: object = {}, extra = {}) =>
	runResource(
		sim,
		'project',
		{
			operation: 'create',
			workspace: locator('ws_demo', 'list'),
			name: 'Launch Film',
			...parameters,
		},
		extra,
	);

const named = async (name: string, workspaceId = 'ws_demo') =>
	(await projectsOf(sim, workspaceId)).filter((p) => p.name === name);

describe('Create a project', () => {
	it('sends POST /projects with the name, workspace and an Idempotency-Key, and outputs the project', async () => {
		const result = await create();
		expect(result.error).toBeUndefined();
		expect(calls(result.requests)).toEqual(['POST /projects']);
		const [request] = result.requests;
		expect(request.headers['content-type']).toMatch(/^application\/json/);
		expect(request.idempotencyKey).toMatch(/^n8n_[0-9a-f]{48}$/);
		expect(request.hasAuthorization).toBe(true);
		expect(result.items[0].json).toMatchObject({
			project_id: expect.stringMatching(/^prj_/),
			name: 'Launch Film',
			workspace_id: 'ws_demo',
		});
		expect(await named('Launch Film')).toEqual([result.items[0].json]);
	});

	it('derives a key from the Idempotency Key option that stays the same across executions', async () => {
		// The same workflow and node in both executions, as in n8n.
		const same = { workflowId: 'wf-keys', nodeSettings: { id: 'flora-node' } };
		const first = await create({ options: { idempotencyKey: 'launch-film-2026' } }, same);
		const second = await create({ options: { idempotencyKey: 'launch-film-2026' } }, same);
		expect(first.requests[0].idempotencyKey).toMatch(/^n8n_[0-9a-f]{48}$/);
		expect(second.requests[0].idempotencyKey).toBe(first.requests[0].idempotencyKey);
		// The second execution's create was answered 409 and found the first one's project.
		expect(second.items[0].json.project_id).toBe(first.items[0].json.project_id);
	});

	it('creates one project per item, each with its own key, even when the items share a name', async () => {
		const result = await create(
			{ name: '={{ $json.name }}' },
			{
				items: [{ json: { name: 'Twin' } }, { json: { name: 'Twin' } }, { json: { name: 'Solo' } }],
			},
		);
		expect(result.items.map((i) => i.json.name)).toEqual(['Twin', 'Twin', 'Solo']);
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
		expect(new Set(result.requests.map((r) => r.idempotencyKey)).size).toBe(3);
		expect(await named('Twin')).toHaveLength(2);
	});

	it('retries a 503 with the same key and creates the project once', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/projects', kind: 'status', status: 503 });
		const result = await create();
		expect(result.requests.map((r) => r.status)).toEqual([503, 201]);
		expect(result.requests[0].idempotencyKey).toBe(result.requests[1].idempotencyKey);
		expect(await named('Launch Film')).toHaveLength(1);
	});

	it('after a lost answer, finds the project the first try made instead of making another', async () => {
		sim.inject({ target: 'api', method: 'POST', path: '/projects', kind: 'lostResponse' });
		const result = await create();
		expect(result.error).toBeUndefined();
		expect(calls(result.requests)).toEqual(['POST /projects', 'POST /projects', 'GET /projects']);
		expect(result.requests.map((r) => r.status)).toEqual(['lost', 409, 200]);
		expect(result.requests[2].query).toMatchObject({
			workspace_id: 'ws_demo',
			query: 'Launch Film',
		});
		const made = await named('Launch Film');
		expect(made).toHaveLength(1);
		expect(result.items[0].json).toEqual(made[0]);
	});

	it('says nothing new was created when the lost project cannot be told apart from another', async () => {
		const other = await new Client(sim).post('/projects', {
			name: 'Launch Film',
			workspace_id: 'ws_demo',
		});
		expect(other.status).toBe(201);
		sim.inject({ target: 'api', method: 'POST', path: '/projects', kind: 'lostResponse' });
		const result = await create();
		expect(result.error?.message).toBe(
			'FLORA already accepted this create request, but the project it made could not be identified',
		);
		expect(descriptionOf(result.error)).toContain('Nothing new was created.');
		expect(descriptionOf(result.error)).toContain('Options → Idempotency Key');
		expect(itemIndexOf(result.error)).toBe(0);
		expect(await named('Launch Film')).toHaveLength(2);
	});

	it("reports FLORA's validation errors with the fields it names", async () => {
		sim.inject({
			target: 'api',
			method: 'POST',
			path: '/projects',
			kind: 'status',
			status: 400,
			code: 'input_validation_error',
			message: 'Invalid request.',
			body: {
				error: {
					code: 'input_validation_error',
					message: 'Invalid request.',
					fields: [{ field: 'name', message: 'Too long' }],
				},
			},
		});
		const result = await create();
		expect(result.error?.constructor.name).toBe('FloraApiError');
		expect(descriptionOf(result.error)).toContain('Fields: name: Too long.');
		expect(descriptionOf(result.error)).toContain(`Request ID: ${result.requests[0].requestId}.`);
	});

	it('keeps going under Continue On Fail, the failed item paired with its error', async () => {
		const result = await create(
			{ workspace: locator('={{ $json.ws }}') },
			{
				items: [{ json: { ws: 'ws_demo' } }, { json: { ws: 'ws_elsewhere' } }],
				nodeSettings: { continueOnFail: true },
			},
		);
		expect(result.items.map((i) => i.json.project_id ?? i.json.message)).toEqual([
			expect.stringMatching(/^prj_/),
			'FLORA: Workspace not found.',
		]);
		expect(pairedIndexes(result.items)).toEqual([0, 1]);
	});
});
