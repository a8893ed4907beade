package tools

import (
	"embed"
	"encoding/json"
	"fmt"
)

// The tools' JSON Schemas are generated from the Go types of their inputs
// and outputs (package schemas) by package schemagen at build time, into
// jsonschema/<tool>.<input|output>.json, and embedded here: the server does
// no reflection at start-up and carries no schema generator. go generate
// ./... writes them (see generate.go); TestGeneratedSchemas fails when a
// file is missing, stale or left over.

//go:embed jsonschema/*.json
var generatedSchemas embed.FS

// generatedSchema returns the embedded schema of a tool's input or output
// (kind "input" or "output"). A missing file is an error that names it and
// says how to generate it: define keeps it with the tool, and NewServer
// refuses to start with it (see Tool.err), so that a tool never goes out
// without its schema. TestGeneratedSchemas, which writes the files, reads
// the tools through Catalogue and so still can.
func generatedSchema(tool, kind string) (json.RawMessage, error) {
	file := "jsonschema/" + tool + "." + kind + ".json"
	b, err := generatedSchemas.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tool %s has no generated %s schema (tools/%s): run go generate ./... to write it", tool, kind, file)
	}
	return b, nil
}
