package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run writes (or, with -check, only checks) server.json; it returns the exit
// status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		dist          = fs.String("dist", "../../dist", "goreleaser's output directory")
		out           = fs.String("out", "", "where to write server.json (default <dist>/server.json)")
		check         = fs.Bool("check", false, "check the existing server.json instead of writing it")
		containerfile = fs.String("containerfile", "../../Containerfile", "the image's Containerfile, for its label")
	)
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return 2
	}
	if *out == "" {
		*out = filepath.Join(*dist, "server.json")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "registry: %v\n", err)
		return 1
	}
	meta, bundles, err := ReadDist(*dist)
	if err != nil {
		return fail(err)
	}
	var raw []byte
	if *check {
		raw, err = os.ReadFile(*out)
	} else {
		raw, err = Encode(Build(meta, bundles))
	}
	if err != nil {
		return fail(err)
	}
	schema, err := SchemaFile()
	if err != nil {
		return fail(err)
	}
	if err := Validate(raw, schema, meta, bundles, *containerfile); err != nil {
		return fail(fmt.Errorf("%s is not publishable:\n%v", *out, err))
	}
	if !*check {
		if err := os.WriteFile(*out, raw, 0o644); err != nil {
			return fail(err)
		}
	}
	fmt.Fprintf(stdout, "%s: valid against %s and the publish rules\n", *out, schema)
	return 0
}
