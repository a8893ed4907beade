package tools

// What go generate ./... writes for this package, in this order, each step
// a test run with -update (each a new build, so that the next step embeds
// what the one before wrote):
//
//  1. jsonschema/<tool>.<input|output>.json, the schemas of each tool's Go
//     types (TestGeneratedSchemas);
//  2. testdata/tools.golden.json, tools/list as a client receives it
//     (TestToolListGolden);
//  3. the tool table of ../README.md, between its markers
//     (TestREADMETools);
//  4. the tools listed in the MCP Bundle's manifest,
//     packaging/mcpb/manifest.json (TestManifestTools of
//     internal/cmd/mcpbundle, run from here because it builds the server,
//     which needs the schemas of step 1).
//
// Without -update the same tests fail when a file is missing or differs,
// and say to run go generate ./...

//go:generate go test -run TestGeneratedSchemas -update .
//go:generate go test -run TestToolListGolden -update .
//go:generate go test -run TestREADMETools -update .
//go:generate go test -C ../internal/cmd/mcpbundle -run TestManifestTools -update .
