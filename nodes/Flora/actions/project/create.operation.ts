import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { idempotencyKeyOption, workspaceLocator } from '../../helpers/descriptions';
import {
	requiredText,
	validateIdempotencyKey,
	validateWorkspaceId,
} from '../../helpers/validation';
import { createOnce, findCreatedProject, idempotencyKey } from '../../transport/idempotency';
import type { ItemKey } from '../types';

const properties: INodeProperties[] = [
	{
		...workspaceLocator,
		description:
			'FLORA workspace the project is created in. Pick it from the list, or give its ID (starts with ws_, e.g. ws_abc123).',
	},
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'Spring Campaign',
		description: 'Name of the new project (a FLORA canvas)',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [idempotencyKeyOption('project')],
	},
];

export const description = updateDisplayOptions(
	{ show: { resource: ['project'], operation: ['create'] } },
	properties,
);

interface CreateProject {
	body: { name: string; workspace_id: string };
	userKey?: string;
}

export async function prepare(this: IExecuteFunctions, itemIndex: number): Promise<CreateProject> {
	const workspaceId = validateWorkspaceId(
		this,
		itemIndex,
		this.getNodeParameter('workspace', itemIndex, '', { extractValue: true }),
	);
	const name = requiredText(
		this,
		itemIndex,
		'Name',
		this.getNodeParameter('name', itemIndex),
		'Enter a name for the new project, for example Spring Campaign.',
	);
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const userKey = validateIdempotencyKey(this, itemIndex, options.idempotencyKey);
	return { body: { name, workspace_id: workspaceId }, userKey };
}

/** Items sharing a user key must create the same project (checked by the router). */
export function itemKey(item: CreateProject): ItemKey | undefined {
	if (!item.userKey) return undefined;
	return { key: item.userKey, scope: item.body.workspace_id, request: JSON.stringify(item.body) };
}

/** POST /projects, or, after a lost answer, the project FLORA already made for this key. */
export async function execute(
	this: IExecuteFunctions,
	itemIndex: number,
	item: CreateProject,
): Promise<INodeExecutionData[]> {
	const project = await createOnce.call(this, itemIndex, {
		path: '/projects',
		body: item.body,
		key: idempotencyKey(
			this,
			itemIndex,
			'project-create',
			item.userKey,
			undefined,
			item.body.workspace_id,
		),
		idField: 'project_id',
		thing: 'project',
		lookFor: `workspace ${item.body.workspace_id} for a project named "${item.body.name}"`,
		find: async (startedAt) => await findCreatedProject.call(this, itemIndex, item.body, startedAt),
	});
	return [{ json: project }];
}
