import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The n8n release lines the end-to-end tier runs against. Each pinned line has a folder
 * in test/n8n/lines/<version>/ with a package.json and a package-lock.json, so a cold
 * install resolves exactly the tree that was tested. To add or refresh one:
 *   cd test/n8n/lines/<version> && npm install --package-lock-only --ignore-scripts
 */
export interface N8nLine {
	/** Exact n8n version, e.g. "2.41.1". */
	version: string;
	major: number;
	/** Folder with the pinned package.json + package-lock.json, when the line ships one. */
	manifestDir?: string;
	/**
	 * 'npm': the Node runtime comes from the npm package `node` listed in the manifest
	 * (n8n 2.x needs Node >= 24); 'system': the Node that runs this script.
	 */
	runtime: 'npm' | 'system';
	/** Environment this line needs in every n8n process. */
	env: Record<string, string>;
}

export const LINES_DIR = join(__dirname, 'lines');
export const DEFAULT_LINES = '2.41.1,1.123.x';
/** The Node runtime of an unpinned 2.x line (a pinned one lists it in its manifest). */
export const NODE_FOR_V2 = '24.21.0';

function pinnedVersions(): string[] {
	if (!existsSync(LINES_DIR)) return [];
	return readdirSync(LINES_DIR).filter((name) => /^\d+\.\d+\.\d+$/.test(name));
}

function compareVersions(a: string, b: string): number {
	const pa = a.split('.').map(Number);
	const pb = b.split('.').map(Number);
	for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
	return 0;
}

/** "1.123.x" picks the newest pinned 1.123 release; an exact version is taken as it is. */
export function resolveLine(spec: string): N8nLine {
	const wanted = spec.trim();
	let version = wanted;
	if (/^\d+\.\d+\.x$/.test(wanted)) {
		const prefix = wanted.slice(0, -1);
		const matches = pinnedVersions()
			.filter((v) => v.startsWith(prefix))
			.sort(compareVersions);
		if (!matches.length) {
			throw new Error(
				`FLORA_E2E_LINES: no pinned n8n release matches "${wanted}" in ${LINES_DIR}; give an exact version instead`,
			);
		}
		version = matches[matches.length - 1];
	}
	if (!/^\d+\.\d+\.\d+$/.test(version)) {
		throw new Error(
			`FLORA_E2E_LINES: "${wanted}" is neither an n8n version (2.41.1) nor a line (1.123.x)`,
		);
	}
	const major = Number(version.split('.')[0]);
	const manifestDir = pinnedVersions().includes(version) ? join(LINES_DIR, version) : undefined;
	return {
		version,
		major,
		manifestDir,
		runtime: major >= 2 ? 'npm' : 'system',
		env:
			major >= 2
				? {}
				: {
						// 1.123.x defaults to the "vm" expression engine, whose isolated-vm 6 needs
						// Node >= 22 (no Node 20 build ships); on Node 20 n8n then exits at start-up.
						// The legacy engine is the one 1.x on Node 20 runs expressions with.
						N8N_EXPRESSION_ENGINE: 'legacy',
					},
	};
}

export function resolveLines(spec = process.env.FLORA_E2E_LINES || DEFAULT_LINES): N8nLine[] {
	const lines = spec
		.split(',')
		.map((s) => s.trim())
		.filter(Boolean)
		.map(resolveLine);
	if (!lines.length) throw new Error(`FLORA_E2E_LINES is empty ("${spec}")`);
	return lines;
}
