import type { INodeProperties } from 'n8n-workflow';

import { operationSelector } from '../../helpers/descriptions';
import type { FloraOperations } from '../types';
import * as attachAsset from './attachAsset.operation';
import * as create from './create.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';

export const operations: FloraOperations = {
	attachAsset,
	create,
	get,
	getAll,
};

export const description: INodeProperties[] = [
	operationSelector('project', 'create', [
		{
			name: 'Attach Asset',
			value: 'attachAsset',
			action: 'Attach an asset to a project',
			description: "Put a ready asset on a project's canvas as a node",
		},
		{
			name: 'Create',
			value: 'create',
			action: 'Create a project',
			description: 'Create a project (a FLORA canvas) in a workspace',
		},
		{
			name: 'Get',
			value: 'get',
			action: 'Get a project',
			description: 'Get one project by its ID',
		},
		{
			name: 'Get Many',
			value: 'getAll',
			action: 'Get many projects',
			description: 'List the projects of a workspace, optionally searched by name',
		},
	]),
	...attachAsset.description,
	...create.description,
	...get.description,
	...getAll.description,
];
