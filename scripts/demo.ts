/**
 * `npm run demo`: the shipped example workflow (examples/generated-image-to-flora.json:
 * a PNG drawn by a Code node -> Convert to File -> Flora: Create Asset) run in a real n8n
 * against the FLORA simulator. Installs what is missing (n8n into the cache), builds and
 * packs the package, installs it into a fresh n8n user folder, runs the workflow, prints
 * the asset and stops everything it started. FLORA_DEMO_N8N picks the n8n line (default 2.41.1).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { startSimulator, type Simulator } from '../test/simulator';
import { cacheRoot, ensureN8n } from '../test/n8n/install';
import { resolveLine } from '../test/n8n/lines';
import { N8nHome } from '../test/n8n/n8n';
import { buildAndPack, REPO_ROOT } from '../test/n8n/package';
import {
	EXAMPLE_FLORA_NODE,
	EXAMPLE_WORKFLOW_FILE,
	exampleWorkflow,
	SIM_CREDENTIAL,
	simulatorCredential,
} from '../test/n8n/workflows';

const WORKFLOW_ID = 'floraDemoExample';
const say = (message: string) => process.stderr.write(`[demo] ${message}\n`);

export async function main(): Promise<number> {
	const started = Date.now();
	const line = resolveLine(process.env.FLORA_DEMO_N8N || '2.41.1');
	say(`n8n ${line.version} from the cache ${cacheRoot()}`);
	const install = await ensureN8n(line, say);
	say(`n8n ${line.version} ready (Node ${install.nodeVersion})`);

	const work = mkdtempSync(join(tmpdir(), 'flora-demo-'));
	let sim: Simulator | undefined;
	let n8n: N8nHome | undefined;
	let ok = false;
	const stopAll = async () => {
		await n8n?.stop();
		n8n = undefined;
		await sim?.close();
		sim = undefined;
	};
	const onSignal = () => {
		say('interrupted: stopping');
		void stopAll().finally(() => process.exit(130));
	};
	process.once('SIGINT', onSignal);
	process.once('SIGTERM', onSignal);

	try {
		const pack = await buildAndPack(join(work, 'package'), say);
		say(`packed ${relative(work, pack.tarball)}`);

		sim = await startSimulator({ quiet: true });
		say(`FLORA simulator listening: ${sim.apiBaseUrl}`);

		const files = join(work, 'files');
		mkdirSync(files, { recursive: true });
		n8n = await N8nHome.create({ install, workDir: join(work, 'n8n'), filesDir: files });
		await n8n.installPackage(pack.tarball);
		say(
			`installed ${pack.name}@${pack.version} into ${relative(work, n8n.packageDir)} (a fresh n8n user folder)`,
		);

		await n8n.importCredentials([simulatorCredential(sim.apiBaseUrl, sim.apiKey)]);
		say(`imported credential "${SIM_CREDENTIAL.name}" (Flora API, base URL ${sim.apiBaseUrl})`);
		const workflow = exampleWorkflow(WORKFLOW_ID);
		await n8n.importWorkflows([workflow]);
		say(`imported ${relative(REPO_ROOT, EXAMPLE_WORKFLOW_FILE)} (workspace ws_demo)`);

		say(`running it: n8n execute --id=${WORKFLOW_ID} ...`);
		const exec = await n8n.execute(WORKFLOW_ID);
		if (!exec.ok) {
			say(`the workflow FAILED: ${exec.error?.message ?? 'no error message'}`);
			if (exec.error?.description) say(exec.error.description);
			process.stderr.write(`${exec.explain(80)}\n`);
			return 1;
		}
		const [item] = exec.items(EXAMPLE_FLORA_NODE);
		const asset = item?.json ?? {};
		const upload = sim.record.uploads.find((u) => u.ok && u.assetId === asset.asset_id);
		if (asset.status !== 'ready' || !upload) {
			say(
				`unexpected result: status ${String(asset.status)}, upload ${upload ? 'seen' : 'not seen'} by the simulator`,
			);
			process.stderr.write(`${JSON.stringify(asset, null, 2)}\n`);
			return 1;
		}
		const rows: Array<[string, unknown]> = [
			['asset_id', asset.asset_id],
			['status', asset.status],
			['url', asset.url],
			['name', asset.name],
			['content_type', asset.content_type],
			['size_bytes', asset.size_bytes],
			['workspace_id', asset.workspace_id],
		];
		process.stdout.write(
			[
				'',
				`FLORA asset created by n8n ${line.version}, workflow "${workflow.name}":`,
				...rows.map(([k, v]) => `  ${k.padEnd(13)} ${String(v)}`),
				`  upload        ${upload.size} bytes, sha256 ${upload.sha256.slice(0, 16)}…, ${sim.record.violations.length} protocol violations`,
				'',
			].join('\n'),
		);
		say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
		ok = sim.record.violations.length === 0;
		if (!ok) process.stderr.write(`${JSON.stringify(sim.record.violations, null, 2)}\n`);
		return ok ? 0 : 1;
	} finally {
		await stopAll();
		process.removeListener('SIGINT', onSignal);
		process.removeListener('SIGTERM', onSignal);
		if (ok) rmSync(work, { recursive: true, force: true });
		else say(`logs kept in ${work}`);
	}
}
