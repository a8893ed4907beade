// Package schemas holds the Go types of the tools' inputs and outputs and
// what their JSON Schemas tell a model: the descriptions and rules of its own
// types in struct tags, the descriptions of apiclient's records in
// RecordDescriptions. It decodes and validates a call's arguments with
// messages that name the argument and the rule. Package schemagen turns the
// types into the schemas, at build time.
package schemas
