/**
 * The Flora node in the real n8n editor, in a real browser: n8n 2.41.1 from the end-to-end
 * cache with the packed package installed as a community package, the FLORA simulator behind
 * a "Flora API" credential, and Debian's Chromium driven by playwright-core.
 *
 *   npm run test:browser
 *
 * Screenshots go to .tmp/browser/ (flora-node-in-editor.png, the Workspace list open, and
 * flora-node-on-canvas.png); FLORA_UPDATE_SCREENSHOTS=1 writes them over the ones in
 * docs/images/ that the README shows. Without Chromium (and no way to install it) the
 * run fails with a SKIPPED banner; FLORA_BROWSER_SKIP=1 turns that into skipped tests.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { BrowserContext, Page } from 'playwright-core';
import { chromium as playwright, selectors } from 'playwright-core';

import { startSimulator } from '../simulator';
import type { Simulator } from '../simulator';
import { ensureN8n } from '../n8n/install';
import { resolveLine } from '../n8n/lines';
import { N8nHome, NODE_TYPE } from '../n8n/n8n';
import { buildAndPack } from '../n8n/package';
import { tail } from '../n8n/proc';
import {
	addFloraCreate,
	banner,
	CHROMIUM_ARGS,
	ensureChromium,
	log,
	openListItems,
	OWNER,
	RestSession,
	signIn,
	texts,
	waitForCount,
} from './editor';

const N8N_VERSION = '2.41.1';
// A test run leaves the committed screenshots alone unless asked to refresh them.
const SHOT_DIR = process.env.FLORA_UPDATE_SCREENSHOTS
	? join(__dirname, '..', '..', 'docs', 'images')
	: join(__dirname, '..', '..', '.tmp', 'browser');
mkdirSync(SHOT_DIR, { recursive: true });
const LIST_SHOT = join(SHOT_DIR, 'flora-node-in-editor.png');
const CANVAS_SHOT = join(SHOT_DIR, 'flora-node-on-canvas.png');
const CREDENTIAL_NAME = 'Flora simulator';

jest.setTimeout(120_000);

const chromium = ensureChromium();
const skipAccepted = process.env.FLORA_BROWSER_SKIP === '1';

if ('why' in chromium) {
	banner([
		'SKIPPED: the Flora editor browser test did NOT run.',
		`Chromium could not be installed: ${chromium.why}`,
		"Nothing was checked in a browser. Install Debian's chromium (apt-get install -y chromium)",
		'and run npm run test:browser again.',
		skipAccepted
			? 'FLORA_BROWSER_SKIP=1: reported as skipped tests.'
			: 'This run fails (set FLORA_BROWSER_SKIP=1 to report skipped tests instead).',
	]);
	if (skipAccepted) {
		test.skip('n8n editor with the Flora node (no Chromium)', () => undefined);
	} else {
		test('Chromium is available for the browser test', () => {
			throw new Error(`SKIPPED, so failing: Chromium could not be installed: ${chromium.why}`);
		});
	}
} else {
	describe(`n8n ${N8N_VERSION} editor in Chromium`, () => {
		const work = mkdtempSync(join(tmpdir(), 'flora-browser-'));
		let sim: Simulator;
		let n8n: N8nHome | undefined;
		let context: BrowserContext | undefined;
		let page: Page;
		let failures = 0;

		/** A failing step leaves a screenshot and n8n's log tail behind. */
		const step = (name: string, fn: () => Promise<void>) =>
			test(name, async () => {
				try {
					await fn();
				} catch (error) {
					failures++;
					const shot = join(work, `failure-${failures}.png`);
					await page?.screenshot({ path: shot }).catch(() => {});
					banner([
						`FAILED: ${name}`,
						`Screenshot: ${shot}`,
						`n8n log: ${n8n?.startLog ?? '(not started)'}`,
					]);
					if (n8n?.startLog) process.stderr.write(`${tail(n8n.startLog, 30)}\n`);
					throw error;
				}
			});

		beforeAll(async () => {
			const install = await ensureN8n(resolveLine(N8N_VERSION));
			const pack = await buildAndPack(join(work, 'package'));
			const files = join(work, 'files');
			mkdirSync(files, { recursive: true });
			n8n = await N8nHome.create({ install, workDir: join(work, 'n8n'), filesDir: files });
			await n8n.installPackage(pack.tarball);
			sim = await startSimulator({ quiet: true });
			const { ms } = await n8n.start({ timeoutMs: 180_000 });
			log(`n8n ${N8N_VERSION} ready at ${n8n.baseUrl} in ${(ms / 1000).toFixed(1)} s`);

			const rest = new RestSession(n8n.baseUrl);
			await rest.call('POST', '/owner/setup', OWNER);
			await rest.call('POST', '/credentials', {
				name: CREDENTIAL_NAME,
				type: 'floraApi',
				data: { apiKey: sim.apiKey, baseUrl: sim.apiBaseUrl },
			});
			log(`owner set up; credential "${CREDENTIAL_NAME}" → simulator ${sim.apiBaseUrl}`);

			// n8n marks its elements with data-test-id, not Playwright's default data-testid.
			selectors.setTestIdAttribute('data-test-id');
			context = await playwright.launchPersistentContext(join(work, 'chromium-profile'), {
				executablePath: (chromium as { path: string }).path,
				headless: true,
				args: CHROMIUM_ARGS,
				viewport: { width: 1440, height: 900 },
			});
			log(
				`Chromium ${context.browser()?.version() ?? ''} started (${(chromium as { path: string }).path})`,
			);
			page = context.pages()[0] ?? (await context.newPage());
			page.setDefaultTimeout(30_000);
			await signIn(page, n8n.baseUrl);
		}, 20 * 60_000);

		afterAll(async () => {
			await context?.close().catch(() => {});
			await n8n?.stop();
			await sim?.close();
			if (failures === 0) rmSync(work, { recursive: true, force: true });
			else log(`kept for inspection: ${work}`);
		});

		step(
			'adds Flora → "Create an asset" from the node creator, with the simulator credential',
			async () => {
				await addFloraCreate(page, n8n!.baseUrl);
				const credential = page
					.getByTestId('ndv')
					.getByTestId('node-credentials-select')
					.locator('input')
					.first();
				expect((await credential.inputValue()).trim()).toBe(CREDENTIAL_NAME);
			},
		);

		step('offers the node to AI agents as "Flora Tool" (usableAsTool)', async () => {
			const response = await page.request.get(`${n8n!.baseUrl}/types/nodes.json`);
			expect(response.ok()).toBe(true);
			const types = (await response.json()) as Array<{
				name: string;
				displayName: string;
				outputs?: unknown;
			}>;
			const tool = types.find((t) => t.name === `${NODE_TYPE}Tool`);
			expect(tool).toMatchObject({ displayName: 'Flora Tool', outputs: ['ai_tool'] });
		});

		step('loads the Workspace list from FLORA', async () => {
			const before = sim.record.requests.length;
			// Workspace is Create's first resource locator.
			await page.getByTestId('ndv').getByTestId('rlc-input').first().click();
			const items = openListItems(page);
			await items.getByText('Archive', { exact: true }).waitFor();
			expect(await texts(items)).toEqual(['Demo Workspace', 'Studio', 'Archive']);
			await page.screenshot({ path: LIST_SHOT });
			log(`screenshot: ${LIST_SHOT}`);
			const calls = sim.record.requests.slice(before).filter((r) => r.path === '/workspaces');
			expect(calls.map((r) => [r.method, r.hasAuthorization, r.status])).toEqual([
				['GET', true, 200],
			]);
		});

		step('searches the Workspace list', async () => {
			await page.getByPlaceholder('Search...').filter({ visible: true }).fill('stud');
			await waitForCount(page, 1);
			expect(await texts(openListItems(page))).toEqual(['Studio']);
		});

		step("lists the picked workspace's projects under Additional Fields → Project", async () => {
			await openListItems(page).getByText('Studio', { exact: true }).click();
			const before = sim.record.requests.length;
			await page.getByTestId('ndv').getByPlaceholder('Add Field').click();
			await page
				.getByRole('option')
				.filter({ visible: true })
				.getByText('Project', { exact: true })
				.click();
			await page.getByTestId('ndv').getByTestId('rlc-input').nth(1).click();
			const items = openListItems(page);
			await items.getByText('Spring Campaign', { exact: true }).waitFor();
			expect(await texts(items)).toHaveLength(7);
			const calls = sim.record.requests.slice(before).filter((r) => r.path === '/projects');
			expect(calls.length).toBeGreaterThanOrEqual(1);
			for (const call of calls)
				expect(call.query).toMatchObject({ workspace_id: 'ws_studio', limit: '50' });
			await page.keyboard.press('Escape');
		});

		step('shows the Flora icon and the operation: resource subtitle on the canvas', async () => {
			await page.getByTestId('ndv-close-button').click();
			const node = page.locator(`[data-test-id="canvas-node"][data-node-type="${NODE_TYPE}"]`);
			const icon = node.locator('img').first();
			await icon.waitFor({ state: 'visible' });
			expect(await icon.getAttribute('src')).toMatch(/\/flora\.svg$/);
			expect(
				await icon.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
			).toBeGreaterThan(0);
			expect((await node.locator('[class*="subtitle"]').first().innerText()).trim()).toBe(
				'create: asset',
			);
			await page.screenshot({ path: CANVAS_SHOT });
			log(`screenshot: ${CANVAS_SHOT}`);
		});
	});
}
