import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { cacheRoot, ensureN8n, progress } from '../n8n/install';
import { resolveLines } from '../n8n/lines';
import { buildAndPack } from '../n8n/package';

function banner(lines: string[]) {
	const width = Math.max(...lines.map((l) => l.length)) + 4;
	const bar = '#'.repeat(width);
	process.stderr.write(
		`\n${bar}\n${lines.map((l) => `# ${l.padEnd(width - 4)} #`).join('\n')}\n${bar}\n\n`,
	);
}

/**
 * Before any end-to-end test: every n8n line installed in the cache (installing what is
 * missing), then the package built and packed once for all lines.
 */
export default async function globalSetup(): Promise<void> {
	if (process.env.FLORA_E2E_SKIP === '1') {
		banner([
			'END-TO-END TESTS SKIPPED (FLORA_E2E_SKIP=1)',
			'No real n8n ran: the node is NOT verified inside n8n.',
		]);
		return;
	}
	const started = Date.now();
	const lines = resolveLines();
	progress(
		`end-to-end tier: n8n ${lines.map((l) => l.version).join(', ')}; n8n cache ${cacheRoot()}`,
	);
	try {
		for (const line of lines) {
			const t = Date.now();
			const n8n = await ensureN8n(line);
			progress(
				`n8n ${line.version} ready (Node ${n8n.nodeVersion}) in ${((Date.now() - t) / 1000).toFixed(1)} s`,
			);
		}
	} catch (error) {
		banner([
			'END-TO-END TIER FAILED: n8n could not be installed',
			'Fix the error below, or opt out explicitly with FLORA_E2E_SKIP=1.',
		]);
		throw error;
	}
	const runDir = mkdtempSync(join(tmpdir(), 'flora-e2e-'));
	process.env.FLORA_E2E_RUN_DIR = runDir;
	const pack = await buildAndPack(join(runDir, 'package'));
	process.env.FLORA_E2E_TARBALL = pack.tarball;
	progress(
		`packed ${pack.name}@${pack.version}; setup took ${((Date.now() - started) / 1000).toFixed(1)} s; logs under ${runDir}`,
	);
}
