// The example workflows users import: every file in examples/ is one the tests run.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import { NODE_TYPE } from '../shared/flora';
import { EXAMPLE_FLORA_NODE, EXAMPLE_WORKFLOW_FILE, exampleWorkflow } from '../n8n/workflows';

const dir = join(__dirname, '..', '..', 'examples');
// Run by test/e2e/runs.e2e.test.ts.
const PHOTO_TECHNIQUE_EXAMPLE = 'photo-technique-outputs.json';

describe('examples/', () => {
	it('holds only workflows the e2e tier, the demo and npm run dev run', () => {
		expect(readdirSync(dir).sort()).toEqual(
			[basename(EXAMPLE_WORKFLOW_FILE), PHOTO_TECHNIQUE_EXAMPLE].sort(),
		);
	});

	it.each(readdirSync(dir))('%s imports as it is: a Flora node, no secret', (file) => {
		const text = readFileSync(join(dir, file), 'utf8');
		const wf = JSON.parse(text) as {
			nodes: Array<{ name: string; type: string; credentials?: object }>;
		};
		const flora = wf.nodes.filter((n) => n.type === NODE_TYPE);
		expect(flora.length).toBeGreaterThan(0);
		if (file === basename(EXAMPLE_WORKFLOW_FILE)) {
			expect(flora.map((n) => n.name)).toContain(EXAMPLE_FLORA_NODE);
		}
		for (const node of flora) {
			expect(node.credentials).toEqual({ floraApi: { id: '', name: 'Flora API account' } });
		}
		expect(text).not.toMatch(/sk_live_|apiKey/);
	});

	it('runs against the simulator with only the workspace and the credential set', () => {
		const wf = exampleWorkflow('floraUnitExample1', { id: 'cred1', name: 'sim' });
		const flora = wf.nodes.find((n) => n.name === EXAMPLE_FLORA_NODE)!;
		expect(flora.credentials).toEqual({ floraApi: { id: 'cred1', name: 'sim' } });
		expect(flora.parameters.workspace).toEqual({ __rl: true, mode: 'id', value: 'ws_demo' });
	});
});
