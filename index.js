// n8n loads this package through the "n8n" section of package.json (the compiled
// node and credential under dist/), never through `main`. This entry point stays
// empty on purpose, so requiring the package has no effect.
