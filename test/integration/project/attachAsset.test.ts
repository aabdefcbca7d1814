import { locator, pairedIndexes, simulatorForFile } from '../harness/flora';
import {
	calls,
	descriptionOf,
	itemIndexOf,
	itemValue,
	projectsOf,
	runResource,
} from '../harness/resources';

const sim = simulatorForFile();

const attach = (parameters: object, extra = {}) =>
	runResource(sim, 'project', { operation: 'attachAsset', ...parameters }, extra);

async function target() {
	const [project] = await projectsOf(sim);
	const [asset] = sim.seedAssets(1, { name: 'hero.png' });
	return { projectId: String(project.project_id), assetId: asset.asset_id };
}

describe('Attach an asset to a project', () => {
	it('sends POST …/attach without a body but with an Idempotency-Key, and outputs the canvas node', async () => {
		const { projectId, assetId } = await target();
		const result = await attach({ project: locator(projectId, 'list'), assetId });
		expect(result.error).toBeUndefined();
		expect(calls(result.requests)).toEqual([
			`POST /projects/${projectId}/assets/${assetId}/attach`,
		]);
		const [request] = result.requests;
		expect(request.bodyBytes).toBe(0);
		expect(request.idempotencyKey).toMatch(/^n8n_[0-9a-f]{48}$/);
		expect(request.hasAuthorization).toBe(true);
		expect(result.items[0].json).toEqual({
			asset_id: assetId,
			canvas_url: expect.stringContaining(projectId),
			node_id: expect.stringMatching(/^node_/),
			project_id: projectId,
		});
	});

	it('attaches one asset per item, each with its own key, several items sharing the project', async () => {
		const [project] = await projectsOf(sim);
		const assets = sim.seedAssets(3);
		const result = await attach(
			{ project: locator(String(project.project_id)), assetId: itemValue },
			{ items: assets.map((a) => ({ json: { v: a.asset_id } })) },
		);
		expect(result.items.map((i) => i.json.asset_id)).toEqual(assets.map((a) => a.asset_id));
		expect(pairedIndexes(result.items)).toEqual([0, 1, 2]);
		expect(new Set(result.requests.map((r) => r.idempotencyKey)).size).toBe(3);
	});

	it("passes FLORA's error for an asset that is not ready yet, with a hint", async () => {
		const [project] = await projectsOf(sim);
		const [pending] = sim.seedAssets(1, { status: 'pending_upload' });
		const result = await attach({
			project: locator(String(project.project_id), 'list'),
			assetId: pending.asset_id,
		});
		expect(result.error?.constructor.name).toBe('FloraApiError');
		expect(result.error?.message).toMatch(/^FLORA: Asset asset_\S+ is still pending_upload/);
		const description = descriptionOf(result.error);
		expect(description).toContain('FLORA answered 409 asset_not_ready.');
		expect(description).toContain('The asset must be ready before it can be attached');
		expect(description).toContain(`Request ID: ${result.requests[0].requestId}.`);
	});

	it("shows FLORA's 404 for an asset of another workspace, without the ready hint", async () => {
		const [project] = await projectsOf(sim);
		const [elsewhere] = sim.seedAssets(1, { workspace_id: 'ws_studio' });
		const result = await attach({
			project: locator(String(project.project_id), 'list'),
			assetId: elsewhere.asset_id,
		});
		expect(result.error?.message).toBe('FLORA: Asset not found.');
		expect(descriptionOf(result.error)).toContain('FLORA answered 404 not_found.');
		expect(descriptionOf(result.error)).not.toContain('must be ready');
	});

	it('after a lost answer, reads the node the first try made from the canvas', async () => {
		const { projectId, assetId } = await target();
		sim.inject({ target: 'api', method: 'POST', path: /\/attach$/, kind: 'lostResponse' });
		const result = await attach({ project: locator(projectId, 'list'), assetId });
		expect(result.error).toBeUndefined();
		expect(calls(result.requests)).toEqual([
			`POST /projects/${projectId}/assets/${assetId}/attach`,
			`POST /projects/${projectId}/assets/${assetId}/attach`,
			`GET /projects/${projectId}/nodes`,
		]);
		expect(result.requests.map((r) => r.status)).toEqual(['lost', 409, 200]);
		expect(result.items[0].json).toEqual({
			asset_id: assetId,
			node_id: expect.stringMatching(/^node_/),
			project_id: projectId,
		});
	});

	it('refuses a malformed project or asset ID before any request, naming the item', async () => {
		const { projectId, assetId } = await target();
		const badProject = await attach(
			{ project: locator(itemValue), assetId },
			{ items: [{ json: { v: projectId } }, { json: { v: 'Launch' } }] },
		);
		expect(badProject.error?.message).toBe('Project ID "Launch" is not a FLORA project ID');
		expect(itemIndexOf(badProject.error)).toBe(1);
		const badAsset = await attach(
			{ project: locator(projectId, 'list'), assetId: itemValue },
			{ items: [{ json: { v: assetId } }, { json: { v: 'hero.png' } }] },
		);
		expect(badAsset.error?.message).toBe('Asset ID "hero.png" is not a FLORA asset ID');
		expect(itemIndexOf(badAsset.error)).toBe(1);
		expect([...badProject.requests, ...badAsset.requests]).toEqual([]);
	});
});
