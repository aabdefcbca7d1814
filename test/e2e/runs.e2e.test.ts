/**
 * End-to-end for the paid runs: the packed package inside a real n8n (each line of
 * FLORA_E2E_LINES), run by n8n's own CLI against the FLORA simulator. A photo read from
 * disk goes through Technique → Run (uploaded as an asset first) and the generated image
 * is written back to disk; Generation → Create with typed model parameters; the shipped
 * example workflow "photo → technique → outputs"; Asset → Download into filesystem mode.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { startSimulator, type Simulator } from '../simulator';
import { ensureN8n } from '../n8n/install';
import { resolveLines, type N8nLine } from '../n8n/lines';
import { type Execution, N8nHome } from '../n8n/n8n';
import { makePng } from '../shared/png';
import {
	flora,
	manualTrigger,
	readFiles,
	SIM_CREDENTIAL,
	simulatorCredential,
	workflow,
	workspaceId,
	type Workflow,
	type WorkflowNode,
} from '../n8n/workflows';
import { runDir } from './run-dir';

jest.setTimeout(180_000);

const SKIP = process.env.FLORA_E2E_SKIP === '1';
const lines = SKIP ? [] : resolveLines();
const EXAMPLE_FILE = join(__dirname, '..', '..', 'examples', 'photo-technique-outputs.json');

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const projectOf = (ws: string, n = 0) =>
	`prj_${createHash('sha1').update(`${ws}:${n}`).digest('hex').slice(0, 20)}`;
const rl = (value: string) => ({ __rl: true, mode: 'id', value });
const mapped = (value: Record<string, unknown>) => ({
	mappingMode: 'defineBelow',
	value,
	matchingColumns: [],
	schema: [],
	attemptToConvertTypes: false,
	convertFieldsToString: false,
});

function expectSuccess(exec: Execution): void {
	if (!exec.ok) {
		throw new Error(
			`the workflow failed: ${exec.error?.message ?? '(no error)'}\n${exec.explain()}`,
		);
	}
}

function writeFile(name: string, fileName: string): WorkflowNode {
	return {
		...readFiles(''),
		name,
		parameters: { operation: 'write', fileName, dataPropertyName: 'data', options: {} },
	};
}

if (SKIP) {
	test.skip('end-to-end tier skipped by FLORA_E2E_SKIP=1', () => undefined);
} else {
	describe.each(lines.map((line) => [line.version, line] as [string, N8nLine]))(
		'n8n %s: generation and techniques',
		lineSuite,
	);
}

function lineSuite(version: string, line: N8nLine) {
	let sim: Simulator;
	let n8n: N8nHome;
	let files: string;
	const photo = makePng(96, 64, { noise: true, seed: 11 });

	const techniqueWf = workflow('floraE2eTechRun1', 'E2E photo to technique to disk', [
		manualTrigger(),
		readFiles(''),
		flora('Flora', {
			resource: 'technique',
			operation: 'run',
			workspace: workspaceId('ws_demo'),
			technique: rl('product-photo-variants'),
			inputs: mapped({ product_image: 'data', style: 'studio light' }),
			options: {},
		}),
		writeFile('Write Output', ''),
	]);
	const generationWf = workflow('floraE2eGenerate', 'E2E generation with typed params', [
		manualTrigger(),
		flora('Flora', {
			resource: 'generation',
			operation: 'create',
			workspace: workspaceId('ws_demo'),
			project: rl(projectOf('ws_demo')),
			type: 'image',
			model: rl('flora-image-1'),
			prompt: 'A ceramic vase on a sunlit table',
			modelParameters: mapped({ aspect_ratio: '4:3', num_images: '2', seed: '={{ 40 + 2 }}' }),
			options: {},
		}),
	]);
	const downloadWf = workflow('floraE2eDownload', 'E2E asset download to disk', [
		manualTrigger(),
		flora('Flora', {
			resource: 'asset',
			operation: 'download',
			assetId: '',
			binaryPropertyName: 'data',
		}),
		writeFile('Write Asset', ''),
	]);
	let exampleWf: Workflow;

	beforeAll(async () => {
		const dir = join(runDir(), `runs-n8n-${version}`);
		files = join(dir, 'files');
		mkdirSync(files, { recursive: true });
		writeFileSync(join(files, 'product.png'), photo);
		techniqueWf.nodes[1].parameters.fileSelector = join(files, 'product.png');
		techniqueWf.nodes[3].parameters.fileName = `={{ ${JSON.stringify(files + '/out-')} + $json.run_id + '.png' }}`;

		exampleWf = JSON.parse(readFileSync(EXAMPLE_FILE, 'utf8')) as Workflow;
		const byName = (name: string) => exampleWf.nodes.find((n) => n.name === name)!;
		byName('Read Photo').parameters.fileSelector = join(files, 'product.png');
		const runNode = byName('Flora: Run Technique');
		runNode.parameters.workspace = workspaceId('ws_demo');
		runNode.parameters.technique = rl('tech_product_photo_variants');
		runNode.parameters.inputs = mapped({ product_image: 'data' });
		runNode.credentials = { floraApi: { ...SIM_CREDENTIAL } };
		byName('Write First Output').parameters.fileName = String(
			byName('Write First Output').parameters.fileName,
		).replace("'/files/", `'${files}/`);
		exampleWf = { ...exampleWf, id: 'floraE2eExample2', active: false, versionId: randomUUID() };

		sim = await startSimulator({ quiet: true, runDurationMs: 300 });
		const install = await ensureN8n(line);
		n8n = await N8nHome.create({ install, workDir: dir, filesDir: files });
		await n8n.installPackage(process.env.FLORA_E2E_TARBALL as string);
		await n8n.importCredentials([simulatorCredential(sim.apiBaseUrl, sim.apiKey)]);
		downloadWf.nodes[2].parameters.fileName = join(files, 'downloaded.png');
		await n8n.importWorkflows([techniqueWf, generationWf, exampleWf]);
	}, 300_000);

	afterAll(async () => {
		await n8n?.stop();
		await sim?.close();
	});

	beforeEach(() => sim.reset());

	/** The run's first output as written to disk: the bytes FLORA's CDN served. */
	async function expectWrittenOutput(runId: string) {
		const run = sim.gen.run(runId)!;
		const written = readFileSync(join(files, `out-${runId}.png`));
		expect(sha256(written)).toBe((await sim.gen.file(run.outputs[0].url)).sha256);
	}

	test('a PNG from disk → Technique → Run (uploaded as an asset first) → the image on disk', async () => {
		const exec = await n8n.execute(techniqueWf.id);
		expectSuccess(exec);
		const [item] = exec.items('Flora');
		const [run] = sim.gen.runs();
		expect(sim.gen.runs()).toHaveLength(1);
		expect(item.json).toMatchObject({ run_id: run.run_id, status: 'completed' });
		const [asset] = sim.assets();
		expect(asset).toMatchObject({ status: 'ready', sha256: sha256(photo), name: 'product.png' });
		expect(item.json.input_assets).toEqual({ product_image: asset.asset_id });
		expect(Object.keys(item.binary ?? {})).toEqual(['data', 'data_1', 'data_2']);
		expect(String(item.binary?.data?.id)).toMatch(/^filesystem/);
		await expectWrittenOutput(run.run_id);
	});

	test('Generation → Create with typed model parameters', async () => {
		const exec = await n8n.execute(generationWf.id);
		expectSuccess(exec);
		const [item] = exec.items('Flora');
		const [run] = sim.gen.runs();
		expect(run).toMatchObject({ model_id: 'flora-image-1', status: 'completed' });
		// num_images "2" reached FLORA as the number 2: two images came back.
		expect(run.outputs).toHaveLength(2);
		expect(item.json).toMatchObject({ run_id: run.run_id, charged_cost: run.charged_cost });
		expect(Object.keys(item.binary ?? {})).toEqual(['data', 'data_1']);
	});

	test('the shipped example workflow: photo → technique → outputs', async () => {
		const exec = await n8n.execute(exampleWf.id);
		expectSuccess(exec);
		const [run] = sim.gen.runs();
		expect(exec.items('Flora: Run Technique')[0].json.run_id).toBe(run.run_id);
		const written = readFileSync(join(files, `flora-${run.run_id}.png`));
		expect(sha256(written)).toBe((await sim.gen.file(run.outputs[0].url)).sha256);
	});

	test("Asset → Download streams a FLORA asset's file into filesystem mode and onto disk", async () => {
		// The asset's url on the simulator's file origin, so its bytes can be served.
		sim.configure({ assetUrlStyle: 'cdn' });
		try {
			const [asset] = sim.seedAssets(1, {
				name: 'hero.png',
				content_type: 'image/png',
				size_bytes: 3_000_000,
			});
			downloadWf.nodes[1].parameters.assetId = asset.asset_id;
			downloadWf.versionId = randomUUID();
			await n8n.importWorkflows([downloadWf]);
			const exec = await n8n.execute(downloadWf.id);
			expectSuccess(exec);
			const [item] = exec.items('Flora');
			expect(item.json.asset_id).toBe(asset.asset_id);
			expect(String(item.binary?.data?.id)).toMatch(/^filesystem/);
			expect(item.binary?.data).toMatchObject({ fileName: 'hero.png', mimeType: 'image/png' });
			const file = await sim.gen.assetFile(asset.asset_id);
			const written = readFileSync(join(files, 'downloaded.png'));
			expect(written.length).toBe(3_000_000);
			expect(sha256(written)).toBe(file!.sha256);
			// The file host never saw the API key.
			expect(sim.record.downloads.filter((d) => d.hasAuthorization)).toEqual([]);
		} finally {
			sim.configure({ assetUrlStyle: 'imagekit' });
		}
	});
}
