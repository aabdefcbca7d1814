import { searchFilter, workspaceFilter } from '../../helpers/descriptions';
import { filterQuery, getManyOperation } from '../getMany';

export const { description, prepare, execute } = getManyOperation({
	resource: 'technique',
	filters: [
		workspaceFilter(
			'Only techniques this workspace can run (ID starting with ws_); without it, every technique the API key can see',
		),
		searchFilter('Only techniques whose name or description contains this text'),
	],
	request: (context, itemIndex, filters) => ({
		path: '/techniques',
		property: 'techniques',
		qs: filterQuery(context, itemIndex, filters),
	}),
});
