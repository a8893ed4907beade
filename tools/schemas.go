package tools

import (
	"embed"
	"encoding/json"
)

// The tools' JSON Schemas are generated from the Go types of their inputs
// and outputs (package schemas) by package schemagen at build time, into
// jsonschema/<tool>.<input|output>.json, and embedded here: the server does
// no reflection at start-up and carries no schema generator.
// TestGeneratedSchemas fails when a file differs from what the types
// generate; regenerate with
//
//	go test ./tools -run TestGeneratedSchemas -update
//
//go:generate go test -run TestGeneratedSchemas -update .

//go:embed jsonschema/*.json
var generatedSchemas embed.FS

// generatedSchema returns the embedded schema of a tool's input or output,
// or nil when it has not been generated yet (TestGeneratedSchemas says so).
func generatedSchema(tool, kind string) json.RawMessage {
	b, err := generatedSchemas.ReadFile("jsonschema/" + tool + "." + kind + ".json")
	if err != nil {
		return nil
	}
	return b
}
