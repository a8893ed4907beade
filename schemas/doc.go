// Package schemas holds the Go types of the tools' inputs and outputs, with
// the descriptions and rules of their JSON Schemas in struct tags, and
// decodes and validates a call's arguments with messages that name the
// argument and the rule. Package schemagen turns the types into the schemas.
package schemas
