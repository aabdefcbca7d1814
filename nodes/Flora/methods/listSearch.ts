import type {
	IDataObject,
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { GENERATION_TYPES, isFloraId } from '../helpers/ids';
import { floraApiRequest } from '../transport';

// FLORA's workspace and project list entries carry no web address (spec 1.6.0), and
// FLORA documents no URL pattern for them, so the entries have no `url` link.
// A dropdown in the editor should answer quickly: one retry, not the full budget.
const PICKER_ATTEMPTS = 2;

interface Workspace {
	workspace_id: string;
	name?: string;
}

interface Project {
	project_id: string;
	name?: string;
}

interface Technique {
	technique_id: string;
	name?: string;
	description?: string;
	run_cost?: number;
	inputs?: Array<{ id: string; name?: string }>;
}

interface Model {
	model_id: string;
	name?: string;
	provider?: string;
	estimated_credits?: number;
	estimated_seconds?: number;
	beta?: boolean;
}

// FLORA accepts 1 to 100; n8n asks for the next page as the user scrolls.
const PAGE_SIZE = 50;

function includesText(needle: string | undefined, ...values: Array<string | undefined>) {
	return !needle || values.some((v) => (v ?? '').toLowerCase().includes(needle));
}

function needleOf(filter?: string): string | undefined {
	return filter?.trim().toLowerCase() || undefined;
}

async function workspaceList(context: ILoadOptionsFunctions): Promise<Workspace[]> {
	const response = await floraApiRequest.call(context, {
		method: 'GET',
		path: '/workspaces',
		maxAttempts: PICKER_ATTEMPTS,
	});
	return (response.workspaces as Workspace[] | undefined) ?? [];
}

/** One page of a FLORA list, its entries and the cursor of the next page. */
async function listPage<T>(
	context: ILoadOptionsFunctions,
	path: string,
	property: string,
	qs: IDataObject,
	filter?: string,
	cursor?: string,
): Promise<{ entries: T[]; next?: string }> {
	const query: IDataObject = { ...qs, limit: PAGE_SIZE };
	if (filter?.trim()) query.query = filter.trim();
	if (cursor) query.cursor = cursor;
	const response = await floraApiRequest.call(context, {
		method: 'GET',
		path,
		qs: query,
		maxAttempts: PICKER_ATTEMPTS,
	});
	const meta = response.meta as IDataObject | undefined;
	const next =
		typeof meta?.next_cursor === 'string' && meta.next_cursor ? meta.next_cursor : undefined;
	return { entries: (response[property] as T[] | undefined) ?? [], next };
}

/** Workspaces of the API key; FLORA does not paginate them, so the search is local. */
export async function searchWorkspaces(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const needle = needleOf(filter);
	const results: INodeListSearchItems[] = (await workspaceList(this))
		.filter((w) => includesText(needle, w.name, w.workspace_id))
		.map((w) => ({ name: w.name || w.workspace_id, value: w.workspace_id }));
	return { results };
}

/**
 * Projects of the selected workspace, searched and paginated by FLORA. Where the
 * operation has no workspace of its own (Project → Get, Attach Asset), the
 * projects of every workspace of the key, one workspace after the other.
 */
export async function searchProjects(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const selected = selectedWorkspace(this);
	if (selected === undefined) return await searchAllProjects(this, filter, paginationToken);
	const workspaceId = requireWorkspace(this, selected, 'projects');
	const page = await listPage<Project>(
		this,
		'/projects',
		'projects',
		{ workspace_id: workspaceId },
		filter,
		paginationToken,
	);
	return { results: page.entries.map((p) => projectEntry(p)), paginationToken: page.next };
}

function projectEntry(p: Project, workspace?: Workspace): INodeListSearchItems {
	const entry: INodeListSearchItems = { name: p.name || p.project_id, value: p.project_id };
	if (workspace) entry.description = `Workspace: ${workspace.name || workspace.workspace_id}`;
	return entry;
}

/** Pagination token across workspaces: `<workspace index>:<FLORA cursor>`. */
async function searchAllProjects(
	context: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const workspaces = await workspaceList(context);
	const separator = paginationToken?.indexOf(':') ?? -1;
	const index = separator > 0 ? Number(paginationToken!.slice(0, separator)) : 0;
	const cursor = separator > 0 ? paginationToken!.slice(separator + 1) : undefined;
	const workspace = workspaces[index];
	if (!workspace) return { results: [] };
	const page = await listPage<Project>(
		context,
		'/projects',
		'projects',
		{ workspace_id: workspace.workspace_id },
		filter,
		cursor || undefined,
	);
	const more = index + 1 < workspaces.length ? `${index + 1}:` : undefined;
	return {
		results: page.entries.map((p) =>
			projectEntry(p, workspaces.length > 1 ? workspace : undefined),
		),
		paginationToken: page.next ? `${index}:${page.next}` : more,
	};
}

/**
 * Techniques FLORA lists for the selected workspace (every technique the key can
 * see when the operation has none, or it is left empty), searched and paginated by FLORA.
 */
export async function searchTechniques(
	this: ILoadOptionsFunctions,
	filter?: string,
	paginationToken?: string,
): Promise<INodeListSearchResult> {
	const selected = selectedWorkspace(this);
	const qs: IDataObject = {};
	if (selected && selected.value !== '')
		qs.workspace_id = requireWorkspace(this, selected, 'techniques');
	const page = await listPage<Technique>(
		this,
		'/techniques',
		'techniques',
		qs,
		filter,
		paginationToken,
	);
	const results: INodeListSearchItems[] = page.entries.map((t) => {
		const entry: INodeListSearchItems = { name: t.name || t.technique_id, value: t.technique_id };
		const cost = typeof t.run_cost === 'number' ? `$${t.run_cost.toFixed(2)} a run` : undefined;
		const inputs = (t.inputs ?? []).map((i) => i.name || i.id).join(', ');
		const description = [t.description, cost, inputs ? `inputs: ${inputs}` : undefined]
			.filter(Boolean)
			.join(' · ');
		if (description) entry.description = description;
		return entry;
	});
	return { results, paginationToken: page.next };
}

/**
 * Models of the node's current Type (all models without one), searched here:
 * FLORA answers the whole list at once. Each entry shows its estimated credits
 * and time, so the cost of a choice is visible before anything runs.
 */
export async function searchModels(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const type = this.getCurrentNodeParameter('type');
	const qs: IDataObject = {};
	if (typeof type === 'string' && (GENERATION_TYPES as readonly string[]).includes(type))
		qs.type = type;
	const response = await floraApiRequest.call(this, {
		method: 'GET',
		path: '/models',
		qs,
		maxAttempts: PICKER_ATTEMPTS,
	});
	const needle = needleOf(filter);
	const results: INodeListSearchItems[] = ((response.models as Model[] | undefined) ?? [])
		.filter((m) => includesText(needle, m.name, m.model_id, m.provider))
		.map((m) => ({
			name: `${m.name || m.model_id}${m.beta ? ' (beta)' : ''}`,
			value: m.model_id,
			description: [
				typeof m.estimated_credits === 'number'
					? `≈ ${m.estimated_credits} credit${m.estimated_credits === 1 ? '' : 's'}`
					: undefined,
				typeof m.estimated_seconds === 'number' ? `≈ ${m.estimated_seconds} s` : undefined,
				m.provider,
			]
				.filter(Boolean)
				.join(' · '),
		}));
	return { results };
}

interface SelectedWorkspace {
	/** Where the user sets it, for messages. */
	field: string;
	/** The raw value: the ID, or '' when empty. */
	value: string;
}

/**
 * The workspace the current operation lists from: its Workspace parameter, or,
 * in Get Many operations without one, the Workspace filter. Undefined when the
 * operation has neither. Read raw rather than with `extractValue`, which fails
 * for a parameter the current operation does not show.
 */
function selectedWorkspace(context: ILoadOptionsFunctions): SelectedWorkspace | undefined {
	const own = context.getCurrentNodeParameter('workspace');
	let field = 'Workspace';
	let raw = own;
	if (own === undefined) {
		if (context.getCurrentNodeParameter('operation') !== 'getAll') return undefined;
		const filters = context.getCurrentNodeParameter('filters') as IDataObject | undefined;
		field = 'Filters → Workspace';
		raw = filters?.workspaceId;
	}
	const value = raw !== null && typeof raw === 'object' ? (raw as IDataObject).value : raw;
	return { field, value: typeof value === 'string' ? value.trim() : '' };
}

function requireWorkspace(
	context: ILoadOptionsFunctions,
	{ field, value }: SelectedWorkspace,
	what: string,
): string {
	if (!value) {
		throw new NodeOperationError(context.getNode(), 'Choose a workspace first', {
			description: `FLORA lists ${what} per workspace. Set ${field}, then open this list again.`,
		});
	}
	if (!isFloraId('workspace', value)) {
		throw new NodeOperationError(context.getNode(), `"${value}" is not a FLORA workspace ID`, {
			description: `The ${what} are listed for the workspace in ${field}; a workspace ID starts with ws_ (for example ws_abc123).`,
		});
	}
	return value;
}
